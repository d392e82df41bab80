// Unit tests of the case-service's rules: postcodes, personal data, tracks
// and phases, contact person, plan, priority, inspections, bottlenecks,
// decision requests, clusters, authorisation and reference data.
#include <fstream>

#include "absl/strings/str_cat.h"
#include "domain/authorization.h"
#include "domain/case_rules.h"
#include "domain/cluster_rules.h"
#include "domain/reference_data.h"
#include "domain/validation.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "herstel/errors.h"
#include "herstel/status_matchers.h"

namespace herstel::case_service {
namespace {

using ::herstel::testing::IsOk;
using ::herstel::testing::IsOkAndHolds;
using ::herstel::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

std::string Reason(const absl::Status& status) {
  std::optional<v1::ErrorDetail> detail = GetErrorDetail(status);
  return detail.has_value() ? detail->reason() : "";
}

std::vector<std::string> ViolatedFields(const absl::Status& status) {
  std::vector<std::string> fields;
  if (std::optional<v1::ErrorDetail> detail = GetErrorDetail(status)) {
    for (const v1::FieldViolation& violation : detail->field_violations()) {
      fields.push_back(violation.field());
    }
  }
  return fields;
}

// ---- Postcode and address ---------------------------------------------------

TEST(PostcodeTest, AcceptsAndNormalisesDutchPostcodes) {
  EXPECT_THAT(NormalisePostcode("9919 AA", "p"), IsOkAndHolds("9919 AA"));
  EXPECT_THAT(NormalisePostcode("1234ab", "p"), IsOkAndHolds("1234 AB"));
  EXPECT_THAT(NormalisePostcode(" 9901 xb ", "p"), IsOkAndHolds("9901 XB"));
}

TEST(PostcodeTest, RefusesLeadingZeroWrongShapeAndForbiddenLetters) {
  for (const char* bad : {"0123 AB", "123 AB", "12345 AB", "1234 A", "1234 A1", "ABCD EF", "",
                          "1234-AB", "1234 ÄB"}) {
    EXPECT_THAT(NormalisePostcode(bad, "case.address.postcode"),
                StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
  for (const char* forbidden : {"1234 SA", "1234 sd", "1234SS"}) {
    absl::StatusOr<std::string> result = NormalisePostcode(forbidden, "case.address.postcode");
    EXPECT_THAT(result, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("never used")));
    EXPECT_THAT(ViolatedFields(result.status()), ElementsAre("case.address.postcode"));
  }
}

TEST(AddressTest, HouseNumberRangeAndAdditionNormalised) {
  EXPECT_THAT(ValidateHouseNumber(1, "n"), IsOk());
  EXPECT_THAT(ValidateHouseNumber(99999, "n"), IsOk());
  EXPECT_THAT(ValidateHouseNumber(0, "n"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateHouseNumber(100000, "n"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(NormaliseHouseNumberAddition("a", "x"), IsOkAndHolds("A"));
  EXPECT_THAT(NormaliseHouseNumberAddition("-2b", "x"), IsOkAndHolds("2B"));
  EXPECT_THAT(NormaliseHouseNumberAddition("", "x"), IsOkAndHolds(""));
  EXPECT_THAT(NormaliseHouseNumberAddition("1/2", "x"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(NormaliseHouseNumberAddition("ABCDEFG", "x"), StatusIs(absl::StatusCode::kInvalidArgument));
}

// ---- Personal data ------------------------------------------------------------

TEST(CitizenNumberTest, ElfproefDecides) {
  EXPECT_TRUE(PassesElfproef("111222333"));  // 9+8+7+12+10+8+9+6-3 = 66
  EXPECT_TRUE(PassesElfproef("123456782"));
  EXPECT_FALSE(PassesElfproef("123456789"));
  EXPECT_FALSE(PassesElfproef("000000000"));
  EXPECT_THAT(NormaliseCitizenNumber("111222333", "c"), IsOkAndHolds("111222333"));
  EXPECT_THAT(NormaliseCitizenNumber("12345678", "c"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(NormaliseCitizenNumber("123456789", "personal_data.citizen_number"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("elfproef")));
  EXPECT_THAT(NormaliseCitizenNumber("12345678a", "c"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ContactDetailsTest, PhoneAndEmail) {
  EXPECT_THAT(ValidatePhone("+31 6 1234 5678", "p"), IsOk());
  EXPECT_THAT(ValidatePhone("050-1234567", "p"), IsOk());
  EXPECT_THAT(ValidatePhone("12345", "p"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidatePhone("06-1234abcd", "p"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateEmail("bewoner@example.nl", "e"), IsOk());
  for (const char* bad : {"bewoner", "@example.nl", "a@b", "a@@b.nl", "a b@c.nl", "a@b."}) {
    EXPECT_THAT(ValidateEmail(bad, "e"), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

// ---- Tracks and phases --------------------------------------------------------

std::vector<TrackState> OneTrack(v1::Track track, v1::Phase phase) {
  TrackState state;
  state.track = track;
  state.phase = phase;
  state.phase_enter_time = kNow - absl::Hours(24 * 10);
  return {state};
}

TEST(PhaseTest, OpenTracksStartInIntakeAndRefuseDuplicates) {
  absl::StatusOr<std::vector<TrackState>> tracks =
      OpenTracks({v1::TRACK_DAMAGE, v1::TRACK_STRENGTHENING}, kNow, "case.tracks");
  ASSERT_THAT(tracks, IsOk());
  EXPECT_EQ((*tracks)[1].phase, v1::PHASE_INTAKE);
  EXPECT_EQ((*tracks)[1].phase_enter_time, kNow);
  EXPECT_THAT(OpenTracks({}, kNow, "case.tracks"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(OpenTracks({v1::TRACK_DAMAGE, v1::TRACK_DAMAGE}, kNow, "case.tracks"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(OpenTracks({v1::TRACK_UNSPECIFIED}, kNow, "case.tracks"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(PhaseTest, AddTrackRefusesAnExistingTrack) {
  std::vector<TrackState> tracks = OneTrack(v1::TRACK_DAMAGE, v1::PHASE_PLAN);
  EXPECT_THAT(AddTrack(tracks, v1::TRACK_SUPPORT, kNow), IsOk());
  absl::Status again = AddTrack(tracks, v1::TRACK_SUPPORT, kNow);
  EXPECT_THAT(again, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(Reason(again), "TRACK_EXISTS");
}

TEST(PhaseTest, WalksTheWholeChainOneStepAtATime) {
  std::vector<TrackState> tracks = OneTrack(v1::TRACK_STRENGTHENING, v1::PHASE_INTAKE);
  v1::Phase expected[] = {v1::PHASE_INSPECTION, v1::PHASE_ASSESSMENT, v1::PHASE_PLAN,
                          v1::PHASE_EXECUTION, v1::PHASE_COMPLETION};
  absl::Time previous_enter = tracks[0].phase_enter_time;
  for (v1::Phase to : expected) {
    absl::StatusOr<PhaseMove> move = AdvanceTrack(tracks, v1::TRACK_STRENGTHENING, to, kNow);
    ASSERT_THAT(move, IsOk());
    EXPECT_EQ(move->to_phase, to);
    EXPECT_EQ(move->from_phase_enter_time, previous_enter);
    previous_enter = kNow;
  }
  absl::StatusOr<PhaseMove> beyond =
      AdvanceTrack(tracks, v1::TRACK_STRENGTHENING, v1::PHASE_COMPLETION, kNow);
  EXPECT_EQ(Reason(beyond.status()), "NO_NEXT_PHASE");
}

TEST(PhaseTest, SkippingOrGoingBackIsRefused) {
  std::vector<TrackState> tracks = OneTrack(v1::TRACK_STRENGTHENING, v1::PHASE_INSPECTION);
  absl::StatusOr<PhaseMove> skip = AdvanceTrack(tracks, v1::TRACK_STRENGTHENING, v1::PHASE_PLAN, kNow);
  EXPECT_THAT(skip, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("PHASE_ASSESSMENT")));
  EXPECT_EQ(Reason(skip.status()), "PHASE_SKIPPED");
  absl::StatusOr<PhaseMove> back = AdvanceTrack(tracks, v1::TRACK_STRENGTHENING, v1::PHASE_INTAKE, kNow);
  EXPECT_EQ(Reason(back.status()), "PHASE_NOT_FORWARD");
  EXPECT_EQ(tracks[0].phase, v1::PHASE_INSPECTION);
  EXPECT_EQ(Reason(AdvanceTrack(tracks, v1::TRACK_DAMAGE, v1::PHASE_ASSESSMENT, kNow).status()),
            "TRACK_MISSING");
}

TEST(PhaseTest, ReassessmentMovesBackWithAReasonAndCounts) {
  std::vector<TrackState> tracks = OneTrack(v1::TRACK_STRENGTHENING, v1::PHASE_PLAN);
  EXPECT_THAT(ReassessTrack(tracks, v1::TRACK_STRENGTHENING, v1::PHASE_INSPECTION, "", kNow),
              StatusIs(absl::StatusCode::kInvalidArgument));
  absl::StatusOr<PhaseMove> forward =
      ReassessTrack(tracks, v1::TRACK_STRENGTHENING, v1::PHASE_EXECUTION, "new norm", kNow);
  EXPECT_EQ(Reason(forward.status()), "REASSESSMENT_NOT_BACKWARD");
  absl::StatusOr<PhaseMove> back =
      ReassessTrack(tracks, v1::TRACK_STRENGTHENING, v1::PHASE_INSPECTION, "new NPR norm", kNow);
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->from_phase, v1::PHASE_PLAN);
  EXPECT_EQ(tracks[0].phase, v1::PHASE_INSPECTION);
  EXPECT_EQ(tracks[0].reassessment_count, 1);
}

TEST(PhaseTest, CompletionNeedsTheLastPhaseAndAResult) {
  std::vector<TrackState> tracks = OneTrack(v1::TRACK_DAMAGE, v1::PHASE_EXECUTION);
  TrackResult result{v1::CASE_TRACK_OUTCOME_WORK_DONE, "repaired", kNow, "u-1"};
  EXPECT_EQ(Reason(CompleteTrack(tracks, v1::TRACK_DAMAGE, result)), "NOT_IN_COMPLETION_PHASE");
  ASSERT_THAT(AdvanceTrack(tracks, v1::TRACK_DAMAGE, v1::PHASE_COMPLETION, kNow), IsOk());
  TrackResult no_summary{v1::CASE_TRACK_OUTCOME_WORK_DONE, " ", kNow, "u-1"};
  EXPECT_THAT(ViolatedFields(CompleteTrack(tracks, v1::TRACK_DAMAGE, no_summary)),
              ElementsAre("result.summary"));
  TrackResult no_outcome{v1::CASE_TRACK_OUTCOME_UNSPECIFIED, "done", kNow, "u-1"};
  EXPECT_THAT(ViolatedFields(CompleteTrack(tracks, v1::TRACK_DAMAGE, no_outcome)),
              ElementsAre("result.outcome"));
  ASSERT_THAT(CompleteTrack(tracks, v1::TRACK_DAMAGE, result), IsOk());
  EXPECT_TRUE(tracks[0].completed);
  EXPECT_EQ(Reason(CompleteTrack(tracks, v1::TRACK_DAMAGE, result)), "TRACK_COMPLETED");
  EXPECT_EQ(Reason(AdvanceTrack(tracks, v1::TRACK_DAMAGE, v1::PHASE_COMPLETION, kNow).status()),
            "TRACK_COMPLETED");
  // A reassessment reopens a completed track and clears its result.
  ASSERT_THAT(ReassessTrack(tracks, v1::TRACK_DAMAGE, v1::PHASE_ASSESSMENT, "new damage", kNow), IsOk());
  EXPECT_FALSE(tracks[0].completed);
  EXPECT_FALSE(tracks[0].result.has_value());
}

TEST(PhaseTest, WholeDays) {
  EXPECT_EQ(WholeDaysBetween(kNow - absl::Hours(47), kNow), 1);
  EXPECT_EQ(WholeDaysBetween(kNow + absl::Hours(5), kNow), 0);
}

// ---- Priority -------------------------------------------------------------------

TEST(PriorityTest, AosFirstThenP50P90Others) {
  EXPECT_LT(PriorityRank(v1::RISK_CATEGORY_AOS), PriorityRank(v1::RISK_CATEGORY_P50));
  EXPECT_LT(PriorityRank(v1::RISK_CATEGORY_P50), PriorityRank(v1::RISK_CATEGORY_P90));
  EXPECT_LT(PriorityRank(v1::RISK_CATEGORY_P90), PriorityRank(v1::RISK_CATEGORY_OTHER));
  EXPECT_EQ(PriorityRank(v1::RISK_CATEGORY_OTHER), PriorityRank(v1::RISK_CATEGORY_INSPECTION_ON_REQUEST));
  EXPECT_TRUE(IsUrgent(v1::RISK_CATEGORY_AOS));
  EXPECT_FALSE(IsUrgent(v1::RISK_CATEGORY_P50));
}

TEST(PriorityTest, WaitingSinceIsTheOldestActivePhaseEntry) {
  std::vector<TrackState> tracks = OneTrack(v1::TRACK_DAMAGE, v1::PHASE_PLAN);
  EXPECT_EQ(WaitingSince(tracks), kNow - absl::Hours(240));
  tracks[0].completed = true;
  EXPECT_EQ(WaitingSince(tracks), absl::InfiniteFuture());
}

TEST(PriorityTest, InspectionRequestRaisesOnlyLowCategories) {
  EXPECT_EQ(RiskAfterInspectionRequest(v1::RISK_CATEGORY_OTHER), v1::RISK_CATEGORY_INSPECTION_ON_REQUEST);
  EXPECT_EQ(RiskAfterInspectionRequest(v1::RISK_CATEGORY_UNSPECIFIED),
            v1::RISK_CATEGORY_INSPECTION_ON_REQUEST);
  EXPECT_EQ(RiskAfterInspectionRequest(v1::RISK_CATEGORY_AOS), v1::RISK_CATEGORY_AOS);
  EXPECT_EQ(RiskAfterInspectionRequest(v1::RISK_CATEGORY_P90), v1::RISK_CATEGORY_P90);
}

// ---- Contact person ---------------------------------------------------------------

TEST(ContactPersonTest, HandoverNeedsSomeoneElseAndAReason) {
  ContactPerson anna{"u-anna", v1::ROLE_NCG_RESIDENT_CASE_MANAGER, "NCG"};
  ContactPerson bram{"u-bram", v1::ROLE_IMG_CASE_HANDLER, "IMG"};
  EXPECT_THAT(ValidateHandover(anna, bram, "Anna changes region"), IsOk());
  EXPECT_EQ(Reason(ValidateHandover(anna, anna, "why")), "SAME_CONTACT_PERSON");
  EXPECT_THAT(ViolatedFields(ValidateHandover(anna, bram, "")), ElementsAre("reason"));
  ContactPerson auditor{"u-a", v1::ROLE_AUDITOR, "ADR"};
  EXPECT_THAT(ViolatedFields(ValidateHandover(anna, auditor, "x")), ElementsAre("to.role"));
  ContactPerson nobody;
  EXPECT_THAT(ViolatedFields(ValidateContactPerson(nobody, "case.contact_person")),
              ElementsAre("case.contact_person.subject", "case.contact_person.role",
                          "case.contact_person.organisation"));
}

// ---- Plan ---------------------------------------------------------------------------

TEST(PlanTest, StatusMovesOneStepForwardOrAgreedBackToDraft) {
  EXPECT_THAT(ValidatePlanStatusChange(v1::CASE_PLAN_STATUS_DRAFT, v1::CASE_PLAN_STATUS_AGREED), IsOk());
  EXPECT_THAT(ValidatePlanStatusChange(v1::CASE_PLAN_STATUS_AGREED, v1::CASE_PLAN_STATUS_IN_EXECUTION), IsOk());
  EXPECT_THAT(ValidatePlanStatusChange(v1::CASE_PLAN_STATUS_IN_EXECUTION, v1::CASE_PLAN_STATUS_DONE), IsOk());
  EXPECT_THAT(ValidatePlanStatusChange(v1::CASE_PLAN_STATUS_AGREED, v1::CASE_PLAN_STATUS_DRAFT), IsOk());
  EXPECT_EQ(Reason(ValidatePlanStatusChange(v1::CASE_PLAN_STATUS_DRAFT, v1::CASE_PLAN_STATUS_DONE)),
            "PLAN_STATUS_ORDER");
  EXPECT_EQ(Reason(ValidatePlanStatusChange(v1::CASE_PLAN_STATUS_DONE, v1::CASE_PLAN_STATUS_DRAFT)),
            "PLAN_STATUS_ORDER");
}

TEST(PlanTest, CoverageInOneGo) {
  std::vector<TrackState> tracks = OneTrack(v1::TRACK_DAMAGE, v1::PHASE_PLAN);
  ASSERT_THAT(AddTrack(tracks, v1::TRACK_STRENGTHENING, kNow), IsOk());
  EXPECT_FALSE(CoversAllOpenTracks({v1::TRACK_DAMAGE}, tracks));
  EXPECT_TRUE(CoversAllOpenTracks({v1::TRACK_DAMAGE, v1::TRACK_STRENGTHENING}, tracks));
  tracks[1].completed = true;
  EXPECT_TRUE(CoversAllOpenTracks({v1::TRACK_DAMAGE}, tracks));
  EXPECT_FALSE(CoversAllOpenTracks({}, tracks));
  EXPECT_THAT(ViolatedFields(ValidateCoveredTracks({v1::TRACK_SUPPORT, v1::TRACK_DAMAGE, v1::TRACK_DAMAGE},
                                                   tracks, "plan.covered_tracks")),
              ElementsAre("plan.covered_tracks[0]", "plan.covered_tracks[2]"));
  EXPECT_EQ(Reason(ValidatePlanCoverageForStatus(v1::CASE_PLAN_STATUS_AGREED, {})), "PLAN_COVERS_NO_TRACK");
  EXPECT_THAT(ValidateEstimatedCost(-1, "c"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateEstimatedCost(0, "c"), IsOk());
}

// ---- Inspection on request ----------------------------------------------------------

TEST(InspectionTest, TargetWaitingAndOverdue) {
  absl::Time asked = kNow - absl::Hours(24 * 60);
  absl::Time target = InspectionTargetTime(asked, kDefaultInspectionTargetDays);
  EXPECT_EQ(target, asked + absl::Hours(24 * 56));
  EXPECT_EQ(InspectionWaitingDays(asked, std::nullopt, kNow), 60);
  EXPECT_TRUE(InspectionOverdue(target, std::nullopt, kNow));
  EXPECT_FALSE(InspectionOverdue(target, asked + absl::Hours(24 * 30), kNow));
  EXPECT_EQ(InspectionWaitingDays(asked, asked + absl::Hours(24 * 30), kNow), 30);
  EXPECT_THAT(ValidateInspectionRequestTime(kNow + absl::Hours(1), kNow, "t"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(InspectionTest, ScheduleAndCloseRules) {
  absl::Time asked = kNow - absl::Hours(24);
  EXPECT_THAT(ValidateInspectionSchedule(v1::INSPECTION_REQUEST_STATUS_OPEN, asked, kNow), IsOk());
  EXPECT_THAT(ValidateInspectionSchedule(v1::INSPECTION_REQUEST_STATUS_OPEN, asked, asked - absl::Hours(1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Reason(ValidateInspectionSchedule(v1::INSPECTION_REQUEST_STATUS_INSPECTED, asked, kNow)),
            "INSPECTION_REQUEST_CLOSED");
  EXPECT_THAT(ViolatedFields(ValidateInspectionClose(v1::INSPECTION_REQUEST_STATUS_OPEN,
                                                     v1::INSPECTION_REQUEST_STATUS_CANCELLED, "",
                                                     asked, kNow, kNow)),
              ElementsAre("note"));
  EXPECT_THAT(ValidateInspectionClose(v1::INSPECTION_REQUEST_STATUS_SCHEDULED,
                                      v1::INSPECTION_REQUEST_STATUS_INSPECTED, "", asked, kNow, kNow),
              IsOk());
  EXPECT_THAT(ViolatedFields(ValidateInspectionClose(v1::INSPECTION_REQUEST_STATUS_OPEN,
                                                     v1::INSPECTION_REQUEST_STATUS_OPEN, "", asked,
                                                     kNow, kNow)),
              ElementsAre("status"));
  EXPECT_EQ(Reason(ValidateInspectionClose(v1::INSPECTION_REQUEST_STATUS_CANCELLED,
                                           v1::INSPECTION_REQUEST_STATUS_INSPECTED, "", asked, kNow, kNow)),
            "INSPECTION_REQUEST_CLOSED");
}

// ---- Bottlenecks ----------------------------------------------------------------------

TEST(BottleneckTest, LifeCycle) {
  EXPECT_THAT(ViolatedFields(ValidateNewBottleneck(v1::BOTTLENECK_CATEGORY_UNSPECIFIED, "")),
              ElementsAre("bottleneck.category", "bottleneck.description"));
  EXPECT_THAT(ValidateNewBottleneck(v1::BOTTLENECK_CATEGORY_DECISION_STUCK, "stuck"), IsOk());
  EXPECT_THAT(ValidateBottleneckEscalation(v1::BOTTLENECK_STATUS_OPEN, "no mandate"), IsOk());
  EXPECT_EQ(Reason(ValidateBottleneckEscalation(v1::BOTTLENECK_STATUS_ESCALATED, "again")),
            "BOTTLENECK_NOT_OPEN");
  EXPECT_THAT(ValidateBottleneckResolution(v1::BOTTLENECK_STATUS_ESCALATED, "solved"), IsOk());
  EXPECT_EQ(Reason(ValidateBottleneckResolution(v1::BOTTLENECK_STATUS_RESOLVED, "twice")),
            "BOTTLENECK_RESOLVED");
  EXPECT_THAT(ViolatedFields(ValidateBottleneckResolution(v1::BOTTLENECK_STATUS_OPEN, " ")),
              ElementsAre("resolution"));
}

// ---- Decision requests ------------------------------------------------------------------

TEST(DecisionRequestTest, AmountsMustAddUp) {
  EXPECT_THAT(ValidateDecisionRequest(4'200'000, {{"budget-lines/bl-1", 4'200'000}}, "roof"), IsOk());
  EXPECT_THAT(ValidateDecisionRequest(5'000, {{"budget-lines/a", 2'000}, {"budget-lines/b", 3'000}}, "x"),
              IsOk());
  EXPECT_THAT(ViolatedFields(ValidateDecisionRequest(5'000, {{"budget-lines/a", 2'000}}, "x")),
              ElementsAre("decision_request.budget_lines"));
  EXPECT_THAT(ViolatedFields(ValidateDecisionRequest(0, {}, "")),
              ElementsAre("decision_request.amount_cents", "decision_request.budget_lines",
                          "decision_request.justification"));
  EXPECT_THAT(ViolatedFields(ValidateDecisionRequest(
                  2, {{"budget-lines/a", 1}, {"budget-lines/a", 1}, {"lines/x", -1}}, "x")),
              ElementsAre("decision_request.budget_lines[1].budget_line",
                          "decision_request.budget_lines[2].budget_line",
                          "decision_request.budget_lines[2].amount_cents"));
}

TEST(DecisionRequestTest, EscalationOutcomesMapToStatuses) {
  EXPECT_EQ(StatusForEscalationOutcome(v1::ESCALATION_DECISION_OUTCOME_GRANTED),
            v1::CASE_DECISION_REQUEST_STATUS_GRANTED);
  EXPECT_EQ(StatusForEscalationOutcome(v1::ESCALATION_DECISION_OUTCOME_PARTLY_GRANTED),
            v1::CASE_DECISION_REQUEST_STATUS_PARTLY_GRANTED);
  EXPECT_EQ(StatusForEscalationOutcome(v1::ESCALATION_DECISION_OUTCOME_DENIED),
            v1::CASE_DECISION_REQUEST_STATUS_DENIED);
  EXPECT_EQ(StatusForEscalationOutcome(v1::ESCALATION_DECISION_OUTCOME_REFERRED),
            v1::CASE_DECISION_REQUEST_STATUS_REFERRED);
  EXPECT_EQ(StatusForEscalationOutcome(v1::ESCALATION_DECISION_OUTCOME_CANNOT_DECIDE), std::nullopt);
  EXPECT_TRUE(AwaitsEscalation(v1::CASE_DECISION_REQUEST_STATUS_AWAITING_ESCALATION));
  EXPECT_FALSE(AwaitsEscalation(v1::CASE_DECISION_REQUEST_STATUS_GRANTED));
}

// ---- Clusters ------------------------------------------------------------------------------

constexpr absl::string_view kEemsdelta = "municipalities/eemsdelta";

TEST(ClusterTest, AddingIsAllOrNoneWithAReasonPerCase) {
  std::vector<ClusterCandidate> fine = {{"cases/1", true, std::string(kEemsdelta), ""},
                                        {"cases/2", true, std::string(kEemsdelta), ""}};
  EXPECT_THAT(ValidateClusterAdditions("clusters/1", kEemsdelta, 0, fine), IsOk());
  std::vector<ClusterCandidate> mixed = {
      {"cases/1", true, std::string(kEemsdelta), ""},
      {"cases/2", true, "municipalities/oldambt", ""},
      {"cases/3", true, std::string(kEemsdelta), "clusters/9"},
      {"cases/4", false, "", ""},
      {"cases/1", true, std::string(kEemsdelta), ""}};
  absl::Status refused = ValidateClusterAdditions("clusters/1", kEemsdelta, 0, mixed);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Reason(refused), "CLUSTER_MEMBERS_REFUSED");
  EXPECT_THAT(ViolatedFields(refused), ElementsAre("cases/2", "cases/3", "cases/4", "cases/1"));
  std::vector<ClusterCandidate> unknown = {{"cases/8", false, "", ""}};
  EXPECT_THAT(ValidateClusterAdditions("clusters/1", kEemsdelta, 0, unknown),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(ClusterTest, AtMost150Cases) {
  std::vector<ClusterCandidate> two = {{"cases/1", true, std::string(kEemsdelta), ""},
                                       {"cases/2", true, std::string(kEemsdelta), ""}};
  EXPECT_THAT(ValidateClusterAdditions("clusters/1", kEemsdelta, 148, two), IsOk());
  absl::Status full = ValidateClusterAdditions("clusters/1", kEemsdelta, 149, two);
  EXPECT_THAT(full, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(ViolatedFields(full), ElementsAre("cases"));
}

TEST(ClusterTest, RemovalNeedsMembership) {
  std::vector<ClusterCandidate> members = {{"cases/1", true, std::string(kEemsdelta), "clusters/1"},
                                           {"cases/2", true, std::string(kEemsdelta), ""}};
  absl::Status refused = ValidateClusterRemovals("clusters/1", members);
  EXPECT_THAT(ViolatedFields(refused), ElementsAre("cases/2"));
  members.pop_back();
  EXPECT_THAT(ValidateClusterRemovals("clusters/1", members), IsOk());
}

TEST(ClusterTest, AdvanceBlockersNameEveryBlockedCase) {
  std::vector<ClusterMember> members = {
      {"cases/1", OneTrack(v1::TRACK_STRENGTHENING, v1::PHASE_INSPECTION)},
      {"cases/2", OneTrack(v1::TRACK_STRENGTHENING, v1::PHASE_INTAKE)},
      {"cases/3", OneTrack(v1::TRACK_DAMAGE, v1::PHASE_INSPECTION)}};
  absl::StatusOr<std::vector<AdvanceBlocker>> blockers =
      FindAdvanceBlockers(v1::TRACK_STRENGTHENING, v1::PHASE_INSPECTION, members);
  ASSERT_THAT(blockers, IsOk());
  ASSERT_EQ(blockers->size(), 2u);
  EXPECT_EQ((*blockers)[0].case_name, "cases/2");
  EXPECT_EQ((*blockers)[0].reason, "WRONG_PHASE");
  EXPECT_EQ((*blockers)[0].phase, v1::PHASE_INTAKE);
  EXPECT_EQ((*blockers)[1].reason, "TRACK_MISSING");
  members.erase(members.begin() + 1, members.end());
  EXPECT_THAT(FindAdvanceBlockers(v1::TRACK_STRENGTHENING, v1::PHASE_INSPECTION, members),
              IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(FindAdvanceBlockers(v1::TRACK_STRENGTHENING, v1::PHASE_COMPLETION, members),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(FindAdvanceBlockers(v1::TRACK_STRENGTHENING, v1::PHASE_INSPECTION, {}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(ClusterTest, PriorityOrderAndOverride) {
  std::vector<ClusterStanding> clusters = {
      {"clusters/other-long", v1::RISK_CATEGORY_OTHER, 900},
      {"clusters/p90", v1::RISK_CATEGORY_P90, 10},
      {"clusters/p50-short", v1::RISK_CATEGORY_P50, 5},
      {"clusters/p50-long", v1::RISK_CATEGORY_P50, 50},
      {"clusters/aos", v1::RISK_CATEGORY_AOS, 1}};
  EXPECT_THAT(EffectiveClusterOrder(clusters, {}),
              ElementsAre("clusters/aos", "clusters/p50-long", "clusters/p50-short", "clusters/p90",
                          "clusters/other-long"));
  EXPECT_THAT(EffectiveClusterOrder(clusters, {"clusters/other-long", "clusters/gone", "clusters/p90"}),
              ElementsAre("clusters/other-long", "clusters/p90", "clusters/aos", "clusters/p50-long",
                          "clusters/p50-short"));
  EXPECT_EQ(TopRiskCategory({v1::RISK_CATEGORY_P90, v1::RISK_CATEGORY_P50, v1::RISK_CATEGORY_OTHER}),
            v1::RISK_CATEGORY_P50);
  EXPECT_EQ(TopRiskCategory({}), v1::RISK_CATEGORY_UNSPECIFIED);
}

TEST(ClusterTest, OverrideNeedsARecordedDecisionAndKnownClusters) {
  SteeringGroupDecision empty;
  EXPECT_THAT(ViolatedFields(ValidateSteeringGroupDecision(empty, kNow, "decision")),
              ElementsAre("decision.decision", "decision.decided_by", "decision.decide_time",
                          "decision.rationale"));
  SteeringGroupDecision recorded{"", "besluitenlijst 2026-11", "Lokale stuurgroep Eemsdelta",
                                 kNow - absl::Hours(1), "school route first"};
  EXPECT_THAT(ValidateSteeringGroupDecision(recorded, kNow, "decision"), IsOk());
  EXPECT_THAT(ValidateClusterOrder({"clusters/1", "clusters/2"}, {"clusters/1", "clusters/2"}), IsOk());
  EXPECT_THAT(ViolatedFields(ValidateClusterOrder({"clusters/1", "clusters/1", "clusters/7"},
                                                  {"clusters/1"})),
              ElementsAre("cluster_order[1]", "cluster_order[2]"));
  EXPECT_THAT(ValidateClusterOrder({}, {}), StatusIs(absl::StatusCode::kInvalidArgument));
}

// ---- Authorisation --------------------------------------------------------------------------

Caller MakeCaller(v1::Role role, std::vector<std::string> municipalities = {"*"}) {
  Caller caller;
  caller.subject = "u-1";
  caller.role = role;
  caller.municipalities = std::move(municipalities);
  return caller;
}

TEST(AuthorizationTest, AuditorReadsOnly) {
  Caller auditor = MakeCaller(v1::ROLE_AUDITOR);
  EXPECT_THAT(Authorize(auditor, CaseAction::kRead, kEemsdelta), IsOk());
  for (CaseAction action : {CaseAction::kCreateCase, CaseAction::kUpdateCase, CaseAction::kMovePhase,
                            CaseAction::kReadPersonalData, CaseAction::kRequestDecision,
                            CaseAction::kManageCluster, CaseAction::kBulkImport}) {
    absl::Status refused = Authorize(auditor, action, kEemsdelta);
    EXPECT_THAT(refused, StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("auditor")));
    EXPECT_EQ(Reason(refused), "ROLE_NOT_ALLOWED");
  }
}

TEST(AuthorizationTest, PersonalDataOnlyForCaseManagers) {
  for (v1::Role role : {v1::ROLE_NCG_RESIDENT_CASE_MANAGER, v1::ROLE_IMG_CASE_HANDLER,
                        v1::ROLE_MUNICIPAL_CASE_MANAGER}) {
    EXPECT_THAT(CheckRole(role, CaseAction::kReadPersonalData), IsOk());
  }
  for (v1::Role role : {v1::ROLE_OPERATOR, v1::ROLE_STEERING_GROUP_MEMBER, v1::ROLE_SERVICE,
                        v1::ROLE_NATIONAL_COORDINATOR, v1::ROLE_PUBLIC, v1::ROLE_AUDITOR}) {
    EXPECT_THAT(CheckRole(role, CaseAction::kReadPersonalData),
                StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("need to know")));
  }
}

TEST(AuthorizationTest, RolesPerAction) {
  EXPECT_THAT(CheckRole(v1::ROLE_OPERATOR, CaseAction::kBulkImport), IsOk());
  EXPECT_THAT(CheckRole(v1::ROLE_NCG_RESIDENT_CASE_MANAGER, CaseAction::kBulkImport),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(CheckRole(v1::ROLE_STEERING_GROUP_MEMBER, CaseAction::kSteerClusterPriority), IsOk());
  EXPECT_THAT(CheckRole(v1::ROLE_NCG_RESIDENT_CASE_MANAGER, CaseAction::kSteerClusterPriority),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(CheckRole(v1::ROLE_IMG_CASE_HANDLER, CaseAction::kRequestDecision), IsOk());
  EXPECT_THAT(CheckRole(v1::ROLE_OPERATOR, CaseAction::kMovePhase),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(CheckRole(v1::ROLE_PUBLIC, CaseAction::kRead), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(CheckRole(v1::ROLE_SERVICE, CaseAction::kRead), IsOk());
  EXPECT_THAT(CheckRole(v1::ROLE_IMG_CASE_HANDLER, CaseAction::kAdvanceCluster),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(CheckRole(v1::ROLE_NCG_RESIDENT_CASE_MANAGER, CaseAction::kAdvanceCluster), IsOk());
}

TEST(AuthorizationTest, MunicipalityScopeFromTheToken) {
  Caller local = MakeCaller(v1::ROLE_MUNICIPAL_CASE_MANAGER, {"municipalities/oldambt"});
  EXPECT_THAT(Authorize(local, CaseAction::kMovePhase, "municipalities/oldambt"), IsOk());
  absl::Status outside = Authorize(local, CaseAction::kMovePhase, kEemsdelta);
  EXPECT_THAT(outside, StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("eemsdelta")));
  EXPECT_EQ(Reason(outside), "OUTSIDE_MUNICIPALITY_SCOPE");
}

// ---- Reference data ------------------------------------------------------------------------

TEST(ReferenceDataTest, TheShippedFileHasTheRecoveryArea) {
  absl::StatusOr<ReferenceData> data =
      ReferenceData::LoadFile(FindDefaultReferenceFile(CASE_SERVICE_SOURCE_DIR));
  ASSERT_THAT(data, IsOk());
  for (const char* name : {"eemsdelta", "het-hogeland", "groningen", "midden-groningen", "oldambt",
                           "aa-en-hunze", "tynaarlo", "noordenveld"}) {
    EXPECT_TRUE(data->HasMunicipality(absl::StrCat("municipalities/", name))) << name;
  }
  EXPECT_TRUE(data->HasVillage("municipalities/eemsdelta", "municipalities/eemsdelta/villages/loppersum"));
  EXPECT_TRUE(data->HasVillage("municipalities/groningen", "municipalities/groningen/villages/ten-boer"));
  EXPECT_TRUE(data->HasVillage("municipalities/tynaarlo", "municipalities/tynaarlo/villages/zuidlaren"));
}

TEST(ReferenceDataTest, UnknownMunicipalityOrVillageNamesTheField) {
  absl::StatusOr<ReferenceData> data = ReferenceData::Parse(R"({"municipalities": [
      {"id": "eemsdelta", "villages": [{"id": "loppersum"}]},
      {"id": "oldambt", "villages": [{"id": "winschoten"}]}]})");
  ASSERT_THAT(data, IsOk());
  EXPECT_THAT(data->ValidateLocation("municipalities/eemsdelta",
                                     "municipalities/eemsdelta/villages/loppersum", "m", "v"),
              IsOk());
  EXPECT_THAT(data->ValidateLocation("municipalities/eemsdelta", "", "m", "v"), IsOk());
  EXPECT_THAT(ViolatedFields(data->ValidateLocation("municipalities/atlantis", "", "case.municipality",
                                                    "case.village")),
              ElementsAre("case.municipality"));
  EXPECT_THAT(ViolatedFields(data->ValidateLocation("", "", "case.municipality", "case.village")),
              ElementsAre("case.municipality"));
  EXPECT_THAT(ViolatedFields(data->ValidateLocation("municipalities/eemsdelta",
                                                    "municipalities/oldambt/villages/winschoten",
                                                    "case.municipality", "case.village")),
              ElementsAre("case.village"));
  EXPECT_THAT(ViolatedFields(data->ValidateLocation("municipalities/eemsdelta",
                                                    "municipalities/eemsdelta/villages/nowhere",
                                                    "case.municipality", "case.village")),
              ElementsAre("case.village"));
}

TEST(ReferenceDataTest, BadFilesAreRefused) {
  EXPECT_THAT(ReferenceData::Parse("not json"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ReferenceData::Parse(R"({"municipalities": []})"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ReferenceData::Parse(R"({"municipalities": [{"id": "A B"}]})"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ReferenceData::Parse(R"({"municipalities": [{"id": "a"}, {"id": "a"}]})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("twice")));
  EXPECT_THAT(ReferenceData::LoadFile("/nonexistent/municipalities.json"),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace herstel::case_service
