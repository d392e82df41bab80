// The ladder: opening, moving up, suspension, withdrawal, referral, terms, breaches.
#include "domain/ladder.h"

#include "domain_fixtures.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "herstel/errors.h"
#include "herstel/status_matchers.h"

namespace herstel::escalation {
namespace {

using ::herstel::testing::IsOk;
using ::herstel::testing::IsOkAndHolds;
using ::herstel::testing::StatusIs;
using ::testing::HasSubstr;
using namespace ::herstel::escalation::test;

std::string Reason(const absl::Status& status) {
  std::optional<v1::ErrorDetail> detail = GetErrorDetail(status);
  return detail.has_value() ? detail->reason() : "";
}

EscalateUpInput Up(EscalationLevel to = v1::ESCALATION_LEVEL_UNSPECIFIED) {
  EscalateUpInput input;
  input.to_level = to;
  input.reason = v1::ESCALATION_REASON_NO_DECISION_POSSIBLE;
  input.reason_text = "the steering group could not agree";
  return input;
}

TEST(ValidateNewEscalationTest, AcceptsAValidDraft) { EXPECT_THAT(ValidateNewEscalation(Draft()), IsOk()); }

TEST(ValidateNewEscalationTest, NamesEveryBrokenField) {
  Escalation draft;
  draft.amount_asked_cents = -1;
  absl::Status status = ValidateNewEscalation(draft);
  for (const char* field : {"escalation.subject", "escalation.title", "escalation.municipalities",
                            "escalation.decision_kind", "escalation.amount_asked_cents",
                            "escalation.reason", "escalation.reason_text"}) {
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(field)));
  }
}

TEST(ValidateNewEscalationTest, BudgetSplitMustSumToTheAmountAsked) {
  Escalation draft = Draft();
  draft.budget_split[1].amount_cents = 1;
  EXPECT_THAT(ValidateNewEscalation(draft),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must sum to amount_asked_cents")));
  draft = Draft();
  draft.amount_asked_cents = 0;
  EXPECT_THAT(ValidateNewEscalation(draft),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must be empty when no money")));
}

TEST(ValidateNewEscalationTest, SupraLocalByHandNeedsAReason) {
  Escalation draft = Draft();
  draft.supra_local = true;
  EXPECT_THAT(ValidateNewEscalation(draft),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("supra_local_reason")));
  draft.supra_local_reason = "affects the regional water supply";
  EXPECT_THAT(ValidateNewEscalation(draft), IsOk());
}

TEST(SupraLocalTest, MoreThanOneMunicipalityMakesItSupraLocal) {
  Escalation draft = Draft();
  draft.municipalities.push_back("municipalities/oldambt");
  NormaliseSupraLocal(draft);
  EXPECT_TRUE(draft.supra_local);
  EXPECT_THAT(draft.supra_local_reason, HasSubstr("2 municipalities"));
}

TEST(StartLevelTest, LocalByDefaultRegionalOnlyForSupraLocal) {
  Escalation draft = Draft();
  EXPECT_THAT(PlanStartLevel(draft, v1::ESCALATION_LEVEL_UNSPECIFIED),
              IsOkAndHolds(v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP));
  absl::StatusOr<EscalationLevel> regional =
      PlanStartLevel(draft, v1::ESCALATION_LEVEL_REGIONAL_CONSULTATION);
  EXPECT_THAT(regional, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Reason(regional.status()), "SUPRA_LOCAL_REQUIRED");
  draft.supra_local = true;
  EXPECT_THAT(PlanStartLevel(draft, v1::ESCALATION_LEVEL_REGIONAL_CONSULTATION),
              IsOkAndHolds(v1::ESCALATION_LEVEL_REGIONAL_CONSULTATION));
}

TEST(StartLevelTest, AdministrativeConsultationOnlyWhenOutOfMandate) {
  Escalation draft = Draft();
  EXPECT_THAT(PlanStartLevel(draft, v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION),
              IsOkAndHolds(v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION));
  draft.reason = v1::ESCALATION_REASON_NO_DECISION_POSSIBLE;
  absl::StatusOr<EscalationLevel> level =
      PlanStartLevel(draft, v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION);
  EXPECT_EQ(Reason(level.status()), "START_LEVEL_NEEDS_OUT_OF_MANDATE");
}

TEST(OpenTest, StartsOpenWithTermAndHistory) {
  Escalation escalation = Opened(Local(2026, 3, 2, 10));
  EXPECT_EQ(escalation.status, v1::ESCALATION_STATUS_OPEN);
  EXPECT_EQ(escalation.level, v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP);
  EXPECT_EQ(escalation.term_working_days, 30);
  // 30 working days after Monday 2 March 2026, with Good Friday and Easter
  // Monday in between: Wednesday 15 April is the 30th, due at midnight.
  EXPECT_EQ(escalation.due_time, Local(2026, 4, 16));
  ASSERT_EQ(escalation.level_history.size(), 1u);
  EXPECT_EQ(escalation.level_history[0].trigger, v1::ESCALATION_LEVEL_CHANGE_TRIGGER_OPENED);
}

TEST(EscalateUpTest, OneLevelUpWithAReason) {
  Escalation escalation = Opened();
  EXPECT_THAT(PlanEscalateUp(escalation, Up()),
              IsOkAndHolds(v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION));
  EscalateUpInput no_reason = Up();
  no_reason.reason = v1::ESCALATION_REASON_UNSPECIFIED;
  no_reason.reason_text.clear();
  absl::Status status = PlanEscalateUp(escalation, no_reason).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reason")));
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reason_text")));
}

TEST(EscalateUpTest, JumpToRegionalOnlyForSupraLocal) {
  Escalation escalation = Opened();
  absl::StatusOr<EscalationLevel> jump =
      PlanEscalateUp(escalation, Up(v1::ESCALATION_LEVEL_REGIONAL_CONSULTATION));
  EXPECT_THAT(jump, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Reason(jump.status()), "SUPRA_LOCAL_REQUIRED");
  EscalateUpInput marked = Up(v1::ESCALATION_LEVEL_REGIONAL_CONSULTATION);
  marked.supra_local_reason = "the same question in three villages";
  EXPECT_THAT(PlanEscalateUp(escalation, marked),
              IsOkAndHolds(v1::ESCALATION_LEVEL_REGIONAL_CONSULTATION));
  escalation.supra_local = true;
  EXPECT_THAT(PlanEscalateUp(escalation, Up(v1::ESCALATION_LEVEL_REGIONAL_CONSULTATION)),
              IsOkAndHolds(v1::ESCALATION_LEVEL_REGIONAL_CONSULTATION));
}

TEST(EscalateUpTest, OnlyUpAndNotAboveTheTop) {
  Escalation escalation = Opened();
  EXPECT_EQ(Reason(PlanEscalateUp(escalation, Up(v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP)).status()),
            "NOT_UP_THE_LADDER");
  escalation.level = v1::ESCALATION_LEVEL_REGIONAL_CONSULTATION;
  EXPECT_EQ(Reason(PlanEscalateUp(escalation, Up()).status()), "TOP_OF_LADDER");
}

TEST(EscalateUpTest, RefusedWhileSuspendedOrClosed) {
  Escalation escalation = Opened();
  ASSERT_THAT(Suspend(escalation, "waiting for a report", "u", Local(2026, 3, 3)), IsOk());
  EXPECT_EQ(Reason(PlanEscalateUp(escalation, Up()).status()), "NOT_ACTIVE");
  escalation.status = v1::ESCALATION_STATUS_DECIDED;
  EXPECT_EQ(Reason(PlanEscalateUp(escalation, Up()).status()), "ALREADY_DECIDED");
  escalation.status = v1::ESCALATION_STATUS_WITHDRAWN;
  EXPECT_EQ(Reason(PlanEscalateUp(escalation, Up()).status()), "ESCALATION_CLOSED");
}

TEST(EscalateUpTest, MoveUpStartsAFreshTermAtTheNewLevel) {
  Escalation escalation = Opened();
  ASSERT_THAT(Acknowledge(escalation, Local(2026, 3, 3)), IsOk());
  LevelChange change;
  change.to_level = v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION;
  change.reason = v1::ESCALATION_REASON_NO_DECISION_POSSIBLE;
  change.trigger = v1::ESCALATION_LEVEL_CHANGE_TRIGGER_MANUAL;
  change.change_time = Local(2026, 9, 7, 9);
  MoveUp(escalation, change, "bodies/bo", 40, Calendar());
  EXPECT_EQ(escalation.status, v1::ESCALATION_STATUS_OPEN);
  EXPECT_FALSE(escalation.acknowledge_time.has_value());
  EXPECT_EQ(escalation.body, "bodies/bo");
  EXPECT_EQ(escalation.level_history.back().from_level, v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP);
  // 40 working days from Monday 7 September 2026: Monday 2 November is the 40th.
  EXPECT_EQ(escalation.due_time, Local(2026, 11, 3));
}

TEST(AcknowledgeTest, OnlyAnOpenEscalation) {
  Escalation escalation = Opened();
  EXPECT_THAT(Acknowledge(escalation, Local(2026, 3, 3)), IsOk());
  EXPECT_EQ(escalation.status, v1::ESCALATION_STATUS_ACKNOWLEDGED);
  EXPECT_EQ(Reason(Acknowledge(escalation, Local(2026, 3, 3))), "NOT_OPEN");
}

TEST(SuspendTest, ResumeMovesTheDueTimeBySuspendedWorkingDays) {
  Escalation escalation = Opened(Local(2026, 3, 2, 10));
  ASSERT_THAT(Acknowledge(escalation, Local(2026, 3, 2, 11)), IsOk());
  const absl::Time due_before = escalation.due_time;
  // Suspended Wednesday 4 March, resumed Wednesday 11 March: five working days stood still.
  ASSERT_THAT(Suspend(escalation, "waiting for an engineering report", "sg-1", Local(2026, 3, 4, 9)),
              IsOk());
  EXPECT_EQ(escalation.status, v1::ESCALATION_STATUS_SUSPENDED);
  EXPECT_EQ(Reason(Suspend(escalation, "again", "sg-1", Local(2026, 3, 5))), "ALREADY_SUSPENDED");
  EXPECT_THAT(Resume(escalation, "report received", "sg-1", Calendar(), Local(2026, 3, 11, 9)),
              IsOkAndHolds(5));
  EXPECT_EQ(escalation.status, v1::ESCALATION_STATUS_ACKNOWLEDGED);
  EXPECT_EQ(escalation.suspensions[0].working_days_suspended, 5);
  EXPECT_EQ(escalation.due_time, Calendar().DueTime(escalation.level_start_time, 35));
  EXPECT_GT(escalation.due_time, due_before);
  EXPECT_EQ(Reason(Resume(escalation, "", "sg-1", Calendar(), Local(2026, 3, 12)).status()),
            "NOT_SUSPENDED");
}

TEST(SuspendTest, SuspendingOverAHolidayCountsOnlyWorkingDays) {
  Escalation escalation = Opened(Local(2026, 3, 30, 10));
  // Thursday 2 to Tuesday 7 April 2026: only Thursday counts; Good Friday and Easter Monday are off.
  ASSERT_THAT(Suspend(escalation, "waiting", "sg-1", Local(2026, 4, 2, 9)), IsOk());
  EXPECT_THAT(Resume(escalation, "", "sg-1", Calendar(), Local(2026, 4, 7, 9)), IsOkAndHolds(1));
}

TEST(SuspendTest, TheClockDoesNotRunWhileSuspended) {
  Escalation escalation = Opened(Local(2026, 3, 2, 10));
  ASSERT_THAT(Suspend(escalation, "waiting", "sg-1", Local(2026, 3, 3, 9)), IsOk());
  TermStatus term = ComputeTermStatus(escalation, Calendar(), Local(2026, 6, 1));
  EXPECT_FALSE(term.clock_running);
  EXPECT_FALSE(term.overdue);
  EXPECT_EQ(term.working_days_used, 0);
  EXPECT_FALSE(DetectBreach(escalation, Local(2026, 6, 1)).has_value());
}

TEST(TermStatusTest, CountsUsedLeftAndOverdueWorkingDays) {
  Escalation escalation = Opened(Local(2026, 3, 2, 10));
  TermStatus at_start = ComputeTermStatus(escalation, Calendar(), Local(2026, 3, 2, 12));
  EXPECT_EQ(at_start.working_days_used, 0);
  EXPECT_EQ(at_start.working_days_left, 30);
  EXPECT_TRUE(at_start.clock_running);
  // Monday 9 March: Tue..Fri have passed.
  TermStatus week_later = ComputeTermStatus(escalation, Calendar(), Local(2026, 3, 9, 12));
  EXPECT_EQ(week_later.working_days_used, 4);
  EXPECT_EQ(week_later.working_days_left, 26);
  // Due at midnight after Wednesday 15 April: Thursday 16 and Friday 17 are over the term.
  TermStatus overdue = ComputeTermStatus(escalation, Calendar(), Local(2026, 4, 17, 12));
  EXPECT_TRUE(overdue.overdue);
  EXPECT_EQ(overdue.working_days_left, 0);
  EXPECT_EQ(overdue.working_days_used, 30);
  EXPECT_EQ(overdue.working_days_overdue, 2);
}

TEST(BreachTest, DetectedOncePerLevel) {
  Escalation escalation = Opened(Local(2026, 3, 2, 10));
  EXPECT_FALSE(DetectBreach(escalation, Local(2026, 4, 15, 23)).has_value());
  std::optional<Breach> breach = DetectBreach(escalation, Local(2026, 4, 16));
  ASSERT_TRUE(breach.has_value());
  EXPECT_EQ(breach->level, v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP);
  EXPECT_EQ(breach->due_time, Local(2026, 4, 16));
  escalation.breaches.push_back(*breach);
  EXPECT_FALSE(DetectBreach(escalation, Local(2026, 5, 1)).has_value());
  LevelChange change;
  change.to_level = v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION;
  change.change_time = Local(2026, 5, 1);
  MoveUp(escalation, change, "bodies/bo", 40, Calendar());
  EXPECT_FALSE(BreachRecordedAtCurrentLevel(escalation));
  EXPECT_TRUE(DetectBreach(escalation, Local(2026, 12, 1)).has_value());
}

TEST(WithdrawTest, NeedsAReasonAndClosesIt) {
  Escalation escalation = Opened();
  EXPECT_THAT(Withdraw(escalation, " ", Local(2026, 3, 3)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reason")));
  EXPECT_THAT(Withdraw(escalation, "solved locally", Local(2026, 3, 3)), IsOk());
  EXPECT_EQ(escalation.status, v1::ESCALATION_STATUS_WITHDRAWN);
  EXPECT_EQ(Reason(Withdraw(escalation, "again", Local(2026, 3, 4))), "ESCALATION_CLOSED");
}

TEST(ReferTest, RecordsToWhomAndWhen) {
  Escalation escalation = Opened();
  Referral referral;
  EXPECT_THAT(ValidateReferral(referral, "referral"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("referral.organisation")));
  referral.organisation = "Ministerie van BZK";
  referral.framework = "Besluit bouwwerken leefomgeving";
  ASSERT_THAT(ValidateReferral(referral, "referral"), IsOk());
  ASSERT_THAT(Refer(escalation, referral, "nc-1", Local(2026, 3, 5, 14)), IsOk());
  EXPECT_EQ(escalation.status, v1::ESCALATION_STATUS_REFERRED);
  EXPECT_EQ(escalation.referral->referred_by, "nc-1");
  EXPECT_EQ(*escalation.referral->refer_time, Local(2026, 3, 5, 14));
  EXPECT_EQ(Reason(Refer(escalation, referral, "nc-1", Local(2026, 3, 6))), "ESCALATION_CLOSED");
}

TEST(ScheduleTest, OnlyOnAPlannedMeetingOfTheHandlingBody) {
  Escalation escalation = Opened();
  Meeting meeting;
  meeting.name = "meetings/m-1";
  meeting.body = "bodies/sg-eemsdelta";
  meeting.status = v1::ESCALATION_MEETING_STATUS_PLANNED;
  EXPECT_THAT(CheckSchedulable(escalation, meeting), IsOk());
  meeting.body = "bodies/bo";
  EXPECT_EQ(Reason(CheckSchedulable(escalation, meeting)), "MEETING_OF_OTHER_BODY");
  meeting.body = "bodies/sg-eemsdelta";
  meeting.status = v1::ESCALATION_MEETING_STATUS_CANCELLED;
  EXPECT_EQ(Reason(CheckSchedulable(escalation, meeting)), "MEETING_NOT_PLANNED");
  meeting.status = v1::ESCALATION_MEETING_STATUS_PLANNED;
  escalation.meeting = "meetings/m-1";
  EXPECT_EQ(Reason(CheckSchedulable(escalation, meeting)), "ALREADY_ON_AGENDA");
}

TEST(ResourceNameTest, ChecksCollectionAndSegments) {
  EXPECT_TRUE(IsResourceName("cases/123", "cases"));
  EXPECT_FALSE(IsResourceName("cases/", "cases"));
  EXPECT_FALSE(IsResourceName("case/1", "cases"));
  EXPECT_FALSE(IsResourceName("cases/1 2", "cases"));
  EXPECT_TRUE(IsResourceName("cases/1/bottlenecks/2", "cases", 4));
}

}  // namespace
}  // namespace herstel::escalation
