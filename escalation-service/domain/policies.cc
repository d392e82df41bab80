#include "domain/policies.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "herstel/errors.h"

namespace herstel::escalation {

TermPolicy DefaultTermPolicy() {
  TermPolicy policy;
  policy.levels = {{v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP, 30, false},
                   {v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION, 40, false},
                   {v1::ESCALATION_LEVEL_REGIONAL_CONSULTATION, 60, false}};
  return policy;
}

VotingPolicy DefaultVotingPolicy() { return VotingPolicy{}; }

absl::Status ValidateTermPolicy(const TermPolicy& policy) {
  FieldViolations violations;
  std::set<int> seen;
  for (size_t i = 0; i < policy.levels.size(); ++i) {
    const LevelTerm& term = policy.levels[i];
    std::string field = absl::StrCat("levels[", i, "]");
    if (term.level == v1::ESCALATION_LEVEL_UNSPECIFIED || !v1::EscalationLevel_IsValid(term.level)) {
      violations.Add(absl::StrCat(field, ".level"), "must name a ladder level");
      continue;
    }
    violations.Require(seen.insert(term.level).second, absl::StrCat(field, ".level"),
                       "each level may appear only once");
    violations.Require(term.term_working_days >= 1 && term.term_working_days <= kMaxTermWorkingDays,
                       absl::StrCat(field, ".term_working_days"),
                       absl::StrCat("must be 1 to ", kMaxTermWorkingDays, " working days"));
    violations.Require(!(term.auto_escalate && term.level == v1::ESCALATION_LEVEL_REGIONAL_CONSULTATION),
                       absl::StrCat(field, ".auto_escalate"),
                       "is not allowed on the regional consultation: there is no level above it");
  }
  violations.Require(seen.size() == 3 && policy.levels.size() == 3, "levels",
                     "must hold exactly one entry for each of the three ladder levels");
  violations.Require(policy.extra_closed_days.size() <= static_cast<size_t>(kMaxExtraClosedDays),
                     "extra_closed_days", absl::StrCat("at most ", kMaxExtraClosedDays, " days"));
  std::set<std::string> days;
  for (size_t i = 0; i < policy.extra_closed_days.size(); ++i) {
    std::string field = absl::StrCat("extra_closed_days[", i, "]");
    absl::StatusOr<absl::CivilDay> day = ParseDay(policy.extra_closed_days[i], field);
    if (!day.ok()) {
      violations.Add(field, "must be a date written as YYYY-MM-DD");
      continue;
    }
    violations.Require(days.insert(policy.extra_closed_days[i]).second, field,
                       "each day may appear only once");
  }
  return violations.ToStatus();
}

absl::Status ValidateVotingPolicy(const VotingPolicy& policy) {
  FieldViolations violations;
  violations.Require(policy.default_rule != v1::ESCALATION_VOTING_RULE_UNSPECIFIED &&
                         v1::EscalationVotingRule_IsValid(policy.default_rule),
                     "default_rule", "must be CONSENSUS, UNANIMITY or TWO_THIRDS");
  std::set<int> kinds;
  for (size_t i = 0; i < policy.rules.size(); ++i) {
    const KindVotingRule& rule = policy.rules[i];
    std::string field = absl::StrCat("rules[", i, "]");
    if (violations.Require(rule.decision_kind != v1::DECISION_KIND_UNSPECIFIED &&
                               v1::DecisionKind_IsValid(rule.decision_kind),
                           absl::StrCat(field, ".decision_kind"), "must name a decision kind")) {
      violations.Require(kinds.insert(rule.decision_kind).second,
                         absl::StrCat(field, ".decision_kind"), "each kind may appear only once");
    }
    violations.Require(rule.rule != v1::ESCALATION_VOTING_RULE_UNSPECIFIED &&
                           v1::EscalationVotingRule_IsValid(rule.rule),
                       absl::StrCat(field, ".rule"), "must be CONSENSUS, UNANIMITY or TWO_THIRDS");
  }
  return violations.ToStatus();
}

LevelTerm TermOf(const TermPolicy& policy, EscalationLevel level) {
  for (const LevelTerm& term : policy.levels) {
    if (term.level == level) return term;
  }
  for (const LevelTerm& term : DefaultTermPolicy().levels) {
    if (term.level == level) return term;
  }
  return LevelTerm{level, 30, false};
}

EscalationVotingRule RuleFor(const VotingPolicy& policy, DecisionKind kind) {
  for (const KindVotingRule& rule : policy.rules) {
    if (rule.decision_kind == kind) return rule.rule;
  }
  return policy.default_rule;
}

WorkingDayCalendar CalendarOf(const TermPolicy& policy, absl::TimeZone zone) {
  std::set<absl::CivilDay> days;
  for (const std::string& text : policy.extra_closed_days) {
    absl::StatusOr<absl::CivilDay> day = ParseDay(text, "extra_closed_days");
    if (day.ok()) days.insert(*day);
  }
  return WorkingDayCalendar(std::move(days), zone);
}

}  // namespace herstel::escalation
