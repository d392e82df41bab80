// Who may do what, and the rule each refusal names.
#include "domain/access.h"

#include "domain/bodies.h"
#include "domain_fixtures.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "herstel/errors.h"
#include "herstel/status_matchers.h"

namespace herstel::escalation {
namespace {

using ::herstel::testing::IsOk;
using ::herstel::testing::StatusIs;
using ::testing::HasSubstr;
using namespace ::herstel::escalation::test;

Caller As(v1::Role role, std::vector<std::string> municipalities = {"*"},
          std::string subject = "u-1") {
  Caller caller;
  caller.subject = std::move(subject);
  caller.role = role;
  caller.municipalities = std::move(municipalities);
  return caller;
}

std::string Reason(const absl::Status& status) {
  std::optional<v1::ErrorDetail> detail = GetErrorDetail(status);
  return detail.has_value() ? detail->reason() : "";
}

TEST(AccessTest, RolesPerAction) {
  EXPECT_THAT(AuthoriseRole(As(v1::ROLE_AUDITOR), Action::kRead), IsOk());
  EXPECT_EQ(Reason(AuthoriseRole(As(v1::ROLE_PUBLIC), Action::kRead)), "ROLE_NOT_ALLOWED");
  EXPECT_THAT(AuthoriseRole(As(v1::ROLE_SERVICE), Action::kOpen), IsOk());
  EXPECT_THAT(AuthoriseRole(As(v1::ROLE_IMG_CASE_HANDLER), Action::kOpen), IsOk());
  EXPECT_THAT(AuthoriseRole(As(v1::ROLE_AUDITOR), Action::kOpen),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("'auditor' may not")));
  EXPECT_EQ(Reason(AuthoriseRole(As(v1::ROLE_NCG_RESIDENT_CASE_MANAGER), Action::kDecide)),
            "ROLE_NOT_ALLOWED");
  EXPECT_THAT(AuthoriseRole(As(v1::ROLE_STEERING_GROUP_MEMBER), Action::kDecide), IsOk());
  EXPECT_EQ(Reason(AuthoriseRole(As(v1::ROLE_STEERING_GROUP_MEMBER), Action::kManageBodies)),
            "ROLE_NOT_ALLOWED");
  EXPECT_THAT(AuthoriseRole(As(v1::ROLE_NATIONAL_COORDINATOR), Action::kManagePolicies), IsOk());
}

TEST(AccessTest, MunicipalScopeLimitsOpeningAndHandling) {
  Escalation escalation = Opened();
  EXPECT_THAT(AuthoriseOnEscalation(As(v1::ROLE_MUNICIPAL_CASE_MANAGER, {"municipalities/eemsdelta"}),
                                    Action::kOpen, escalation),
              IsOk());
  EXPECT_EQ(Reason(AuthoriseOnEscalation(
                As(v1::ROLE_MUNICIPAL_CASE_MANAGER, {"municipalities/oldambt"}), Action::kOpen,
                escalation)),
            "OUTSIDE_MUNICIPALITY_SCOPE");
  EXPECT_EQ(Reason(AuthoriseOnEscalation(
                As(v1::ROLE_STEERING_GROUP_MEMBER, {"municipalities/oldambt"}), Action::kHandle,
                escalation)),
            "OUTSIDE_MUNICIPALITY_SCOPE");
  EXPECT_THAT(AuthoriseOnEscalation(As(v1::ROLE_OPERATOR, {}), Action::kHandle, escalation), IsOk());
}

TEST(AccessTest, OnlyTheOpenerOrAnOperatorWithdraws) {
  Escalation escalation = Opened();  // opened by "cm-1"
  EXPECT_THAT(AuthoriseOnEscalation(As(v1::ROLE_NCG_RESIDENT_CASE_MANAGER, {"*"}, "cm-1"),
                                    Action::kWithdraw, escalation),
              IsOk());
  EXPECT_EQ(Reason(AuthoriseOnEscalation(As(v1::ROLE_NCG_RESIDENT_CASE_MANAGER, {"*"}, "cm-2"),
                                         Action::kWithdraw, escalation)),
            "NOT_THE_OPENER");
  EXPECT_THAT(AuthoriseOnEscalation(As(v1::ROLE_OPERATOR), Action::kWithdraw, escalation), IsOk());
}

TEST(AccessTest, SteeringGroupMembersDecideOnlyForTheirOwnBody) {
  Body body = SteeringGroup();
  const absl::Time now = Local(2026, 3, 2);
  EXPECT_THAT(AuthoriseForBody(As(v1::ROLE_STEERING_GROUP_MEMBER, {"*"}, "subject-ncg"), body, now),
              IsOk());
  EXPECT_EQ(Reason(AuthoriseForBody(As(v1::ROLE_STEERING_GROUP_MEMBER, {"*"}, "stranger"), body, now)),
            "NOT_A_BODY_MEMBER");
  EXPECT_THAT(AuthoriseForBody(As(v1::ROLE_OPERATOR, {"*"}, "stranger"), body, now), IsOk());
}

TEST(BodyTest, ValidatesLevelMunicipalitiesSeatsAndChairSchedule) {
  EXPECT_THAT(ValidateBody(SteeringGroup()), IsOk());
  Body body = SteeringGroup();
  body.municipalities.clear();
  body.members.push_back(body.members[0]);
  body.chair_schedule = {{"ncg", Local(2026, 1, 1), Local(2026, 7, 1)},
                         {"nobody", Local(2026, 6, 1), Local(2027, 1, 1)}};
  absl::Status status = ValidateBody(body);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("body.municipalities")));
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("body.members[4].member_id")));
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("chair_schedule[1].member_id")));
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("chair_schedule[1].start_time")));
  Body consultation = AdministrativeConsultation();
  consultation.municipalities = {"municipalities/eemsdelta"};
  EXPECT_THAT(ValidateBody(consultation),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("whole region")));
}

TEST(BodyTest, TheChairRotatesWithTheSchedule) {
  Body body = SteeringGroup();
  body.chair_schedule = {{"eemsdelta", Local(2026, 1, 1), Local(2026, 7, 1)},
                         {"ncg", Local(2026, 7, 1), Local(2027, 1, 1)}};
  ASSERT_THAT(ValidateBody(body), IsOk());
  EXPECT_EQ(ChairAt(body, Local(2026, 3, 1)), "eemsdelta");
  EXPECT_EQ(ChairAt(body, Local(2026, 7, 1)), "ncg");
  EXPECT_EQ(ChairAt(body, Local(2027, 2, 1)), "");
}

TEST(MeetingTest, StatusMovesFromPlannedOnly) {
  Meeting meeting;
  meeting.name = "meetings/m-1";
  meeting.status = v1::ESCALATION_MEETING_STATUS_PLANNED;
  EXPECT_THAT(CheckMeetingStatusChange(meeting, v1::ESCALATION_MEETING_STATUS_HELD), IsOk());
  meeting.status = v1::ESCALATION_MEETING_STATUS_HELD;
  EXPECT_EQ(Reason(CheckMeetingStatusChange(meeting, v1::ESCALATION_MEETING_STATUS_CANCELLED)),
            "MEETING_CLOSED");
}

}  // namespace
}  // namespace herstel::escalation
