// Decisions: level, quorum, voting rules, amounts and funding.
#include "domain/decisions.h"

#include "domain_fixtures.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "herstel/errors.h"
#include "herstel/status_matchers.h"

namespace herstel::escalation {
namespace {

using ::herstel::testing::IsOk;
using ::herstel::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace ::herstel::escalation::test;

const absl::Time kNow = Local(2026, 3, 10, 14);

std::string Reason(const absl::Status& status) {
  std::optional<v1::ErrorDetail> detail = GetErrorDetail(status);
  return detail.has_value() ? detail->reason() : "";
}

DecisionInput Grant() {
  DecisionInput input;
  input.body = "bodies/sg-eemsdelta";
  input.outcome = v1::ESCALATION_DECISION_OUTCOME_GRANTED;
  input.rationale = "fits the Routekaart Verschillen";
  input.present_members = {"eemsdelta", "ncg", "img"};
  return input;
}

absl::StatusOr<Decision> Decide(const Escalation& escalation, const Body& body,
                                const DecisionInput& input,
                                EscalationVotingRule rule = v1::ESCALATION_VOTING_RULE_CONSENSUS) {
  return PrepareDecision(escalation, body, std::nullopt, input, rule, "sg-1", kNow);
}

TEST(CarriesTest, VotingRules) {
  EXPECT_TRUE(Carries(v1::ESCALATION_VOTING_RULE_CONSENSUS, {3, 0, 0, 0}));
  EXPECT_TRUE(Carries(v1::ESCALATION_VOTING_RULE_CONSENSUS, {3, 1, 0, 2}));
  EXPECT_FALSE(Carries(v1::ESCALATION_VOTING_RULE_CONSENSUS, {3, 2, 1, 0}));
  EXPECT_TRUE(Carries(v1::ESCALATION_VOTING_RULE_UNANIMITY, {3, 3, 0, 0}));
  EXPECT_FALSE(Carries(v1::ESCALATION_VOTING_RULE_UNANIMITY, {3, 2, 0, 1}));
  EXPECT_FALSE(Carries(v1::ESCALATION_VOTING_RULE_UNANIMITY, {3, 2, 0, 0}));
  EXPECT_TRUE(Carries(v1::ESCALATION_VOTING_RULE_TWO_THIRDS, {3, 2, 1, 0}));
  EXPECT_FALSE(Carries(v1::ESCALATION_VOTING_RULE_TWO_THIRDS, {4, 2, 0, 2}));
  EXPECT_TRUE(Carries(v1::ESCALATION_VOTING_RULE_TWO_THIRDS, {6, 4, 2, 0}));
  EXPECT_FALSE(Carries(v1::ESCALATION_VOTING_RULE_TWO_THIRDS, {0, 0, 0, 0}));
}

TEST(DecideTest, ConsensusWithoutVotesGrantsTheAmountAsked) {
  absl::StatusOr<Decision> decision = Decide(Opened(), SteeringGroup(), Grant());
  ASSERT_THAT(decision, IsOk());
  EXPECT_EQ(decision->amount_cents, 100000);
  EXPECT_EQ(decision->voting_rule, v1::ESCALATION_VOTING_RULE_CONSENSUS);
  EXPECT_EQ(decision->spendable_status, v1::ESCALATION_SPENDABLE_STATUS_PENDING);
  EXPECT_TRUE(decision->within_term);
  ASSERT_EQ(decision->funding.size(), 2u);
  EXPECT_EQ(decision->funding[0].amount_cents, 60000);
}

TEST(DecideTest, ConsensusFailsOnOneObjection) {
  DecisionInput input = Grant();
  input.votes = {{"eemsdelta", v1::ESCALATION_VOTE_CHOICE_FOR, ""},
                 {"ncg", v1::ESCALATION_VOTE_CHOICE_AGAINST, "outside the framework"}};
  absl::StatusOr<Decision> decision = Decide(Opened(), SteeringGroup(), input);
  EXPECT_THAT(decision, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("1 against")));
  EXPECT_EQ(Reason(decision.status()), "VOTE_NOT_CARRIED");
}

TEST(DecideTest, UnanimityNeedsEveryPresentVoterFor) {
  DecisionInput input = Grant();
  input.votes = {{"eemsdelta", v1::ESCALATION_VOTE_CHOICE_FOR, ""},
                 {"ncg", v1::ESCALATION_VOTE_CHOICE_FOR, ""},
                 {"img", v1::ESCALATION_VOTE_CHOICE_ABSTAIN, ""}};
  EXPECT_EQ(Reason(Decide(Opened(), SteeringGroup(), input, v1::ESCALATION_VOTING_RULE_UNANIMITY).status()),
            "VOTE_NOT_CARRIED");
  input.votes[2].choice = v1::ESCALATION_VOTE_CHOICE_FOR;
  EXPECT_THAT(Decide(Opened(), SteeringGroup(), input, v1::ESCALATION_VOTING_RULE_UNANIMITY), IsOk());
}

TEST(DecideTest, TwoThirdsCountsAbstentionsAsNotFor) {
  DecisionInput input = Grant();
  input.votes = {{"eemsdelta", v1::ESCALATION_VOTE_CHOICE_FOR, ""},
                 {"ncg", v1::ESCALATION_VOTE_CHOICE_FOR, ""},
                 {"img", v1::ESCALATION_VOTE_CHOICE_AGAINST, ""}};
  EXPECT_THAT(Decide(Opened(), SteeringGroup(), input, v1::ESCALATION_VOTING_RULE_TWO_THIRDS), IsOk());
  input.votes[1].choice = v1::ESCALATION_VOTE_CHOICE_ABSTAIN;
  EXPECT_EQ(Reason(Decide(Opened(), SteeringGroup(), input, v1::ESCALATION_VOTING_RULE_TWO_THIRDS).status()),
            "VOTE_NOT_CARRIED");
}

TEST(DecideTest, NoQuorumWithoutMajorityOrARequiredKind) {
  DecisionInput input = Grant();
  input.present_members = {"img", "water"};
  absl::StatusOr<Decision> decision = Decide(Opened(), SteeringGroup(), input);
  EXPECT_EQ(Reason(decision.status()), "NO_QUORUM");
  EXPECT_THAT(decision, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("1 voting member(s) present, 2 needed")));
  input.present_members = {"img", "ncg"};  // a majority, but no municipality
  decision = Decide(Opened(), SteeringGroup(), input);
  EXPECT_EQ(Reason(decision.status()), "NO_QUORUM");
  EXPECT_THAT(decision, StatusIs(absl::StatusCode::kFailedPrecondition,
                                 HasSubstr("BODY_ORGANISATION_KIND_MUNICIPALITY")));
}

TEST(DecideTest, ExplicitMinimumQuorum) {
  Body body = SteeringGroup();
  body.quorum = Quorum{3, {}};
  DecisionInput input = Grant();
  input.present_members = {"eemsdelta", "ncg"};
  EXPECT_EQ(Reason(Decide(Opened(), body, input).status()), "NO_QUORUM");
}

TEST(DecideTest, MembersWhoseSeatEndedDoNotCount) {
  Body body = SteeringGroup();
  body.members[1].end_time = Local(2026, 1, 1);
  DecisionInput input = Grant();
  EXPECT_THAT(Decide(Opened(), body, input),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("present_members[1]")));
}

TEST(DecideTest, DecidingTwiceIsRefused) {
  Escalation escalation = Opened();
  absl::StatusOr<Decision> first = Decide(escalation, SteeringGroup(), Grant());
  ASSERT_THAT(first, IsOk());
  first->name = "escalations/e-1/decisions/1";
  ApplyDecision(escalation, *first);
  EXPECT_EQ(escalation.status, v1::ESCALATION_STATUS_DECIDED);
  absl::StatusOr<Decision> second = Decide(escalation, SteeringGroup(), Grant());
  EXPECT_EQ(Reason(second.status()), "ALREADY_DECIDED");
  EXPECT_THAT(second, StatusIs(absl::StatusCode::kFailedPrecondition,
                               HasSubstr("escalations/e-1/decisions/1")));
}

TEST(DecideTest, AtTheWrongLevelIsRefused) {
  DecisionInput input = Grant();
  input.body = "bodies/bo";
  input.present_members = {"state", "eemsdelta"};
  absl::StatusOr<Decision> decision = Decide(Opened(), AdministrativeConsultation(), input);
  EXPECT_EQ(Reason(decision.status()), "WRONG_LEVEL");
  EXPECT_THAT(decision, StatusIs(absl::StatusCode::kFailedPrecondition,
                                 HasSubstr("it is at the local steering group (level 1)")));
}

TEST(DecideTest, RefusedWhileSuspended) {
  Escalation escalation = Opened();
  ASSERT_THAT(Suspend(escalation, "waiting", "u", Local(2026, 3, 3)), IsOk());
  EXPECT_EQ(Reason(Decide(escalation, SteeringGroup(), Grant()).status()), "SUSPENDED");
}

TEST(DecideTest, CannotDecideNeedsQuorumButNoVoteAndIsRefusedAtTheTop) {
  Escalation escalation = Opened();
  DecisionInput input = Grant();
  input.outcome = v1::ESCALATION_DECISION_OUTCOME_CANNOT_DECIDE;
  input.votes = {{"ncg", v1::ESCALATION_VOTE_CHOICE_AGAINST, ""}};
  absl::StatusOr<Decision> decision = Decide(escalation, SteeringGroup(), input);
  ASSERT_THAT(decision, IsOk());
  EXPECT_EQ(decision->spendable_status, v1::ESCALATION_SPENDABLE_STATUS_NOT_APPLICABLE);
  escalation.level = v1::ESCALATION_LEVEL_REGIONAL_CONSULTATION;
  EXPECT_EQ(Reason(Decide(escalation, SteeringGroup(), input).status()), "TOP_OF_LADDER");
}

TEST(DecideTest, AtTheAdministrativeConsultationOnlyStateAndInvolvedMunicipalitiesVote) {
  Escalation escalation = Opened();
  escalation.level = v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION;
  escalation.body = "bodies/bo";
  DecisionInput input = Grant();
  input.body = "bodies/bo";
  input.present_members = {"state", "eemsdelta", "oldambt"};
  input.votes = {{"oldambt", v1::ESCALATION_VOTE_CHOICE_AGAINST, ""}};
  EXPECT_THAT(Decide(escalation, AdministrativeConsultation(), input),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("votes[0].member_id")));
  EXPECT_EQ(EligibleVoters(AdministrativeConsultation(), escalation, input.present_members, kNow).size(), 2u);
  input.votes = {{"state", v1::ESCALATION_VOTE_CHOICE_FOR, ""},
                 {"eemsdelta", v1::ESCALATION_VOTE_CHOICE_FOR, ""}};
  EXPECT_THAT(Decide(escalation, AdministrativeConsultation(), input,
                     v1::ESCALATION_VOTING_RULE_UNANIMITY),
              IsOk());
}

TEST(DecideTest, VotesOnlyFromPresentVotingSeats) {
  DecisionInput input = Grant();
  input.present_members = {"eemsdelta", "ncg", "water"};
  input.votes = {{"img", v1::ESCALATION_VOTE_CHOICE_FOR, ""},
                 {"water", v1::ESCALATION_VOTE_CHOICE_FOR, ""}};
  absl::Status status = Decide(Opened(), SteeringGroup(), input).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("votes[0].member_id")));
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("votes[1].member_id")));
}

TEST(DecideTest, AmountRulesPerOutcome) {
  DecisionInput input = Grant();
  input.amount_cents = 5;
  EXPECT_THAT(Decide(Opened(), SteeringGroup(), input),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("PARTLY_GRANTED")));
  input.outcome = v1::ESCALATION_DECISION_OUTCOME_PARTLY_GRANTED;
  input.amount_cents = 100000;
  EXPECT_THAT(Decide(Opened(), SteeringGroup(), input),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("below the amount asked")));
  input.amount_cents = 70000;
  absl::StatusOr<Decision> partly = Decide(Opened(), SteeringGroup(), input);
  ASSERT_THAT(partly, IsOk());
  ASSERT_EQ(partly->funding.size(), 2u);  // taken line by line from the split asked
  EXPECT_EQ(partly->funding[0].amount_cents, 60000);
  EXPECT_EQ(partly->funding[1].amount_cents, 10000);
  input.outcome = v1::ESCALATION_DECISION_OUTCOME_DENIED;
  EXPECT_THAT(Decide(Opened(), SteeringGroup(), input),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("amount_cents")));
  input.amount_cents = 0;
  absl::StatusOr<Decision> denied = Decide(Opened(), SteeringGroup(), input);
  ASSERT_THAT(denied, IsOk());
  EXPECT_EQ(denied->spendable_status, v1::ESCALATION_SPENDABLE_STATUS_NOT_APPLICABLE);
}

TEST(DecideTest, ExplicitFundingMustSumToTheGrant) {
  DecisionInput input = Grant();
  input.funding = {{"budget-lines/bl-9", 99999}};
  EXPECT_THAT(Decide(Opened(), SteeringGroup(), input),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must sum to the granted amount")));
  input.funding = {{"budget-lines/bl-9", 100000}};
  absl::StatusOr<Decision> decision = Decide(Opened(), SteeringGroup(), input);
  ASSERT_THAT(decision, IsOk());
  EXPECT_EQ(decision->funding[0].budget_line, "budget-lines/bl-9");
}

TEST(DecideTest, ReferralNeededForReferredOutcomeOnly) {
  Escalation escalation = Opened();
  DecisionInput input = Grant();
  input.outcome = v1::ESCALATION_DECISION_OUTCOME_REFERRED;
  EXPECT_THAT(Decide(escalation, SteeringGroup(), input),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("referral")));
  input.referral = Referral{"Ministerie van BZK", "Omgevingswet", "", "", std::nullopt, ""};
  absl::StatusOr<Decision> decision = Decide(escalation, SteeringGroup(), input);
  ASSERT_THAT(decision, IsOk());
  decision->name = "escalations/e-1/decisions/1";
  ApplyDecision(escalation, *decision);
  EXPECT_EQ(escalation.status, v1::ESCALATION_STATUS_REFERRED);
  EXPECT_EQ(escalation.referral->organisation, "Ministerie van BZK");
  EXPECT_THAT(escalation.decisions, ElementsAre("escalations/e-1/decisions/1"));
}

TEST(DecideTest, NonDelegablePowersCannotBeGranted) {
  Escalation escalation = Opened();
  escalation.decision_kind = v1::DECISION_KIND_CHANGE_NATIONAL_RULES;
  EXPECT_EQ(Reason(Decide(escalation, SteeringGroup(), Grant()).status()), "NON_DELEGABLE_POWER");
}

TEST(DecideTest, AfterTheDueTimeIsNotWithinTerm) {
  Escalation escalation = Opened();
  absl::StatusOr<Decision> decision = PrepareDecision(
      escalation, SteeringGroup(), std::nullopt, Grant(), v1::ESCALATION_VOTING_RULE_CONSENSUS,
      "sg-1", escalation.due_time + absl::Hours(1));
  ASSERT_THAT(decision, IsOk());
  EXPECT_FALSE(decision->within_term);
}

TEST(DecideTest, AMeetingMustBeOfTheDecidingBodyAndNotCancelled) {
  Meeting meeting;
  meeting.name = "meetings/m-1";
  meeting.body = "bodies/bo";
  meeting.status = v1::ESCALATION_MEETING_STATUS_PLANNED;
  DecisionInput input = Grant();
  input.meeting = meeting.name;
  absl::Status status = PrepareDecision(Opened(), SteeringGroup(), meeting, input,
                                        v1::ESCALATION_VOTING_RULE_CONSENSUS, "sg-1", kNow)
                            .status();
  EXPECT_EQ(Reason(status), "MEETING_OF_OTHER_BODY");
  meeting.body = "bodies/sg-eemsdelta";
  meeting.status = v1::ESCALATION_MEETING_STATUS_CANCELLED;
  status = PrepareDecision(Opened(), SteeringGroup(), meeting, input,
                           v1::ESCALATION_VOTING_RULE_CONSENSUS, "sg-1", kNow)
               .status();
  EXPECT_EQ(Reason(status), "MEETING_CANCELLED");
}

}  // namespace
}  // namespace herstel::escalation
