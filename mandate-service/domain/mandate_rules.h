// The mandate register's rules, as plain functions over the API's messages:
// which powers can be mandated at all, how a sub-mandate stays within its
// parent, and whether a caller may take a decision (with reasons, and the
// lowest rung of the escalation ladder that can decide when the caller can't).
#ifndef HERSTEL_MANDATE_DOMAIN_MANDATE_RULES_H_
#define HERSTEL_MANDATE_DOMAIN_MANDATE_RULES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "herstel/v1/mandate_service.pb.h"

namespace herstel::mandate {

// What is being decided, by whom, where and when.
struct DecisionQuery {
  v1::MandateCaller caller;  // level set when acting as a ladder body
  v1::DecisionKind kind = v1::DECISION_KIND_UNSPECIFIED;
  int64_t amount_cents = 0;
  std::string municipality;
  std::string area;
  absl::Time decision_time;
};

// A mandate as the register holds it, with its ancestors (parent first,
// root last) and what was used under it in the decision's calendar year.
struct MandateInContext {
  v1::Mandate mandate;
  std::vector<v1::Mandate> ancestors;
  int64_t used_in_decision_year_cents = 0;
};

// True for the powers that can't be delegated (instellingsbesluit NCG):
// changing national rules, cabinet decisions on annual plans and their
// financial frameworks, setting policy frameworks, setting the area vision.
bool IsNonDelegable(v1::DecisionKind kind);

// "custom solution (maatwerk)" and the like, for messages.
std::string DescribeKind(v1::DecisionKind kind);
// "local steering group (lokale stuurgroep)" and the like, for messages.
std::string DescribeLevel(v1::EscalationLevel level);

// Checks a mandate about to be granted: required fields, amounts, validity,
// and no non-delegable kind (FAILED_PRECONDITION, reason NON_DELEGABLE_POWER).
absl::Status ValidateNewMandate(const v1::Mandate& mandate);

// A sub-mandate must stay within its parent: the parent is active and allows
// sub-mandates, kinds a subset, amounts and cap not higher, validity inside,
// same level, municipality and area equal or narrower. FAILED_PRECONDITION
// with reason SUB_MANDATE_EXCEEDS_PARENT naming every excess.
absl::Status CheckWithinParent(const v1::Mandate& child, const v1::Mandate& parent);

// Whether one mandate lets the query's caller decide; every failed rule listed.
v1::MandateCheckExplanation Evaluate(const MandateInContext& candidate, const DecisionQuery& query);

// The lowest ladder level holding a mandate that applies to the query's
// decision (kind, amount, municipality, time); UNSPECIFIED when none does.
v1::EscalationLevel LowestLevelThatCanDecide(const DecisionQuery& query,
                                             const std::vector<MandateInContext>& candidates);

// The decision check over every mandate that covers the query's kind. Allowed
// names the first applying mandate and its chain; a denial gives the main
// reason, a message and can_decide_level (the lowest ladder level with an
// applying mandate). Explanations are filled only when `explain`.
v1::MandateCheckResult Decide(const DecisionQuery& query,
                              const std::vector<MandateInContext>& candidates, bool explain);

}  // namespace herstel::mandate

#endif  // HERSTEL_MANDATE_DOMAIN_MANDATE_RULES_H_
