// Term and voting policies.
#include "domain/policies.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "herstel/status_matchers.h"

namespace herstel::escalation {
namespace {

using ::herstel::testing::IsOk;
using ::herstel::testing::StatusIs;
using ::testing::HasSubstr;

TEST(TermPolicyTest, DefaultsAreSixEightAndTwelveWeeks) {
  TermPolicy policy = DefaultTermPolicy();
  EXPECT_THAT(ValidateTermPolicy(policy), IsOk());
  EXPECT_EQ(TermOf(policy, v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP).term_working_days, 30);
  EXPECT_EQ(TermOf(policy, v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION).term_working_days, 40);
  EXPECT_EQ(TermOf(policy, v1::ESCALATION_LEVEL_REGIONAL_CONSULTATION).term_working_days, 60);
}

TEST(TermPolicyTest, RefusesMissingLevelsBadTermsTopLevelAutoEscalationAndBadDays) {
  TermPolicy policy = DefaultTermPolicy();
  policy.levels[0].term_working_days = 0;
  policy.levels[2].auto_escalate = true;
  policy.extra_closed_days = {"2026-13-01", "2026-03-04", "2026-03-04"};
  absl::Status status = ValidateTermPolicy(policy);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("levels[0].term_working_days")));
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("levels[2].auto_escalate")));
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("extra_closed_days[0]")));
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("extra_closed_days[2]")));
  policy = DefaultTermPolicy();
  policy.levels.pop_back();
  EXPECT_THAT(ValidateTermPolicy(policy), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("three")));
}

TEST(VotingPolicyTest, ConsensusByDefaultAndPerKindRules) {
  VotingPolicy policy = DefaultVotingPolicy();
  EXPECT_EQ(RuleFor(policy, v1::DECISION_KIND_BUDGET_TRANSFER), v1::ESCALATION_VOTING_RULE_CONSENSUS);
  policy.rules.push_back({v1::DECISION_KIND_BUDGET_TRANSFER, v1::ESCALATION_VOTING_RULE_TWO_THIRDS});
  EXPECT_THAT(ValidateVotingPolicy(policy), IsOk());
  EXPECT_EQ(RuleFor(policy, v1::DECISION_KIND_BUDGET_TRANSFER), v1::ESCALATION_VOTING_RULE_TWO_THIRDS);
  EXPECT_EQ(RuleFor(policy, v1::DECISION_KIND_CUSTOM_SOLUTION), v1::ESCALATION_VOTING_RULE_CONSENSUS);
}

TEST(VotingPolicyTest, RefusesDuplicateKindsAndUnsetRules) {
  VotingPolicy policy;
  policy.default_rule = v1::ESCALATION_VOTING_RULE_UNSPECIFIED;
  policy.rules = {{v1::DECISION_KIND_BUDGET_TRANSFER, v1::ESCALATION_VOTING_RULE_UNANIMITY},
                  {v1::DECISION_KIND_BUDGET_TRANSFER, v1::ESCALATION_VOTING_RULE_UNSPECIFIED}};
  absl::Status status = ValidateVotingPolicy(policy);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("default_rule")));
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("rules[1].decision_kind")));
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("rules[1].rule")));
}

}  // namespace
}  // namespace herstel::escalation
