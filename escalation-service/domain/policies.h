// The term policy (working days per level, auto-escalation, closure days)
// and the voting policy (rule per decision kind). Both are singletons;
// changes apply to levels entered and decisions taken after the change.
#ifndef HERSTEL_ESCALATION_DOMAIN_POLICIES_H_
#define HERSTEL_ESCALATION_DOMAIN_POLICIES_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "domain/calendar.h"
#include "domain/model.h"

namespace herstel::escalation {

inline constexpr int kMaxTermWorkingDays = 260;
inline constexpr int kMaxExtraClosedDays = 400;

// 30, 40 and 60 working days (6, 8, 12 weeks), no auto-escalation.
TermPolicy DefaultTermPolicy();
// Consensus for every kind.
VotingPolicy DefaultVotingPolicy();

// Every broken rule of a term policy as one INVALID_ARGUMENT: each of the
// three levels exactly once, 1..260 working days, no auto-escalation at the
// top level, closure days as valid unique YYYY-MM-DD.
absl::Status ValidateTermPolicy(const TermPolicy& policy);
// Every broken rule of a voting policy: a default rule, each kind at most once,
// no UNSPECIFIED kind or rule.
absl::Status ValidateVotingPolicy(const VotingPolicy& policy);

// The term entry of `level` (the policy is validated, so it exists).
LevelTerm TermOf(const TermPolicy& policy, EscalationLevel level);
// The rule for `kind`: its own entry, else the default.
EscalationVotingRule RuleFor(const VotingPolicy& policy, DecisionKind kind);
// The working-day calendar with the policy's closure days.
WorkingDayCalendar CalendarOf(const TermPolicy& policy, absl::TimeZone zone);

}  // namespace herstel::escalation

#endif  // HERSTEL_ESCALATION_DOMAIN_POLICIES_H_
