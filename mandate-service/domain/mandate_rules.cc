#include "domain/mandate_rules.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "domain/money.h"
#include "google/protobuf/util/time_util.h"
#include "herstel/errors.h"
#include "herstel/identity.h"

namespace herstel::mandate {
namespace {

using google::protobuf::util::TimeUtil;

absl::Time ToTime(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(timestamp));
}

bool CoversKind(const v1::Mandate& mandate, v1::DecisionKind kind) {
  return std::find(mandate.decision_kinds().begin(), mandate.decision_kinds().end(), kind) !=
         mandate.decision_kinds().end();
}

bool SameOrganisation(const std::string& a, const std::string& b) {
  return absl::AsciiStrToLower(a) == absl::AsciiStrToLower(b);
}

bool ScopeCovers(const v1::MandateCaller& caller, const std::string& municipality) {
  if (caller.municipalities().empty()) return true;
  for (const std::string& scope : caller.municipalities()) {
    if (scope == "*" || scope == municipality) return true;
  }
  return false;
}

std::string FormatDate(const google::protobuf::Timestamp& timestamp) {
  return absl::FormatTime("%Y-%m-%d", ToTime(timestamp), absl::UTCTimeZone());
}

// The order in which a failed rule is the "main" reason of a denial: the
// one a person can most likely act on (ask a higher level for the amount).
int ReasonPriority(v1::MandateDenialReason reason) {
  switch (reason) {
    case v1::MANDATE_DENIAL_REASON_AMOUNT_EXCEEDS_MANDATE: return 0;
    case v1::MANDATE_DENIAL_REASON_YEARLY_CAP_EXCEEDED: return 1;
    case v1::MANDATE_DENIAL_REASON_OUTSIDE_AREA: return 2;
    case v1::MANDATE_DENIAL_REASON_EXPIRED: return 3;
    case v1::MANDATE_DENIAL_REASON_NOT_YET_VALID: return 4;
    case v1::MANDATE_DENIAL_REASON_REVOKED: return 5;
    default: return 9;
  }
}

bool HasRule(const v1::MandateCheckExplanation& explanation, v1::MandateDenialReason rule) {
  return std::find(explanation.failed_rules().begin(), explanation.failed_rules().end(), rule) !=
         explanation.failed_rules().end();
}

// The failed rule of `explanation` a person can best act on.
v1::MandateDenialReason MainReason(const v1::MandateCheckExplanation& explanation) {
  v1::MandateDenialReason main = v1::MANDATE_DENIAL_REASON_UNSPECIFIED;
  for (int rule : explanation.failed_rules()) {
    auto reason = static_cast<v1::MandateDenialReason>(rule);
    if (main == v1::MANDATE_DENIAL_REASON_UNSPECIFIED || ReasonPriority(reason) < ReasonPriority(main)) {
      main = reason;
    }
  }
  return main;
}

int MainReasonPriority(const v1::MandateCheckExplanation& explanation) {
  return ReasonPriority(MainReason(explanation));
}

std::string RoleLabel(v1::Role role) { return absl::StrCat("role ", RoleToken(role)); }

}  // namespace

bool IsNonDelegable(v1::DecisionKind kind) {
  return kind == v1::DECISION_KIND_CHANGE_NATIONAL_RULES ||
         kind == v1::DECISION_KIND_ANNUAL_PLAN_FRAMEWORK ||
         kind == v1::DECISION_KIND_SET_POLICY_FRAMEWORK ||
         kind == v1::DECISION_KIND_SET_AREA_VISION;
}

std::string DescribeKind(v1::DecisionKind kind) {
  switch (kind) {
    case v1::DECISION_KIND_CUSTOM_SOLUTION: return "custom solution (maatwerk)";
    case v1::DECISION_KIND_BOTTLENECK_BUDGET: return "bottleneck budget spending (knelpuntenbudget)";
    case v1::DECISION_KIND_DAMPEN_DIFFERENCE: return "dampening a difference between neighbours";
    case v1::DECISION_KIND_DISCRETIONARY_WITHIN_FRAMEWORK: return "discretionary decision within frameworks";
    case v1::DECISION_KIND_NEIGHBOURHOOD_BUDGET: return "neighbourhood budget spending (wijkbudget)";
    case v1::DECISION_KIND_BUDGET_TRANSFER: return "budget transfer";
    case v1::DECISION_KIND_CLUSTER_PRIORITY: return "cluster priority order";
    case v1::DECISION_KIND_CHANGE_NATIONAL_RULES: return "changing national law and regulation";
    case v1::DECISION_KIND_ANNUAL_PLAN_FRAMEWORK:
      return "cabinet decision on an annual plan and its financial framework";
    case v1::DECISION_KIND_SET_POLICY_FRAMEWORK: return "setting a policy framework";
    case v1::DECISION_KIND_SET_AREA_VISION: return "setting the area vision (gebiedsvisie)";
    default: return v1::DecisionKind_Name(kind);
  }
}

std::string DescribeLevel(v1::EscalationLevel level) {
  switch (level) {
    case v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP: return "local steering group (lokale stuurgroep)";
    case v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION:
      return "administrative consultation (bestuurlijk overleg)";
    case v1::ESCALATION_LEVEL_REGIONAL_CONSULTATION:
      return "regional consultation (regionaal bestuurlijk overleg)";
    default: return "no level of the escalation ladder";
  }
}

absl::Status ValidateNewMandate(const v1::Mandate& mandate) {
  for (int kind : mandate.decision_kinds()) {
    if (IsNonDelegable(static_cast<v1::DecisionKind>(kind))) {
      return DomainError(
          absl::StatusCode::kFailedPrecondition, "NON_DELEGABLE_POWER",
          absl::StrCat(DescribeKind(static_cast<v1::DecisionKind>(kind)),
                       " is a power that can't be delegated (instellingsbesluit NCG: "
                       "'bevoegdheden die niet overgeheveld kunnen worden'); it stays with "
                       "the cabinet and the responsible administrations"));
    }
  }
  FieldViolations violations;
  violations.Require(!mandate.display_name().empty(), "mandate.display_name", "is required");
  if (mandate.parent().empty()) {
    violations.Require(mandate.grantor().kind() != v1::MANDATE_GRANTOR_KIND_UNSPECIFIED,
                       "mandate.grantor.kind", "is required for a root mandate");
    violations.Require(!mandate.grantor().name().empty(), "mandate.grantor.name",
                       "is required for a root mandate");
  }
  bool has_level = mandate.holder().level() != v1::ESCALATION_LEVEL_UNSPECIFIED;
  violations.Require(has_level || mandate.holder().role() != v1::ROLE_UNSPECIFIED,
                     "mandate.holder.role", "is required unless holder.level names a ladder body");
  violations.Require(!mandate.decision_kinds().empty(), "mandate.decision_kinds",
                     "must name at least one kind of decision");
  for (int i = 0; i < mandate.decision_kinds_size(); ++i) {
    int kind = mandate.decision_kinds(i);
    violations.Require(kind != v1::DECISION_KIND_UNSPECIFIED && v1::DecisionKind_IsValid(kind),
                       absl::StrCat("mandate.decision_kinds[", i, "]"), "must be a known kind");
  }
  if (mandate.has_max_amount_cents()) {
    absl::Status amount = ValidatePositiveAmount("mandate.max_amount_cents", mandate.max_amount_cents());
    violations.Require(amount.ok(), "mandate.max_amount_cents",
                       "must be greater than zero and at most EUR 10 trillion");
  }
  if (mandate.has_yearly_cap_cents()) {
    violations.Require(mandate.yearly_cap_cents() > 0 && mandate.yearly_cap_cents() <= kMaxAmountCents,
                       "mandate.yearly_cap_cents",
                       "must be greater than zero and at most EUR 10 trillion");
  }
  violations.Require(mandate.has_valid_from(), "mandate.valid_from", "is required");
  violations.Require(mandate.has_valid_until(), "mandate.valid_until",
                     "is required (a mandate is always limited in time)");
  if (mandate.has_valid_from() && mandate.has_valid_until()) {
    violations.Require(ToTime(mandate.valid_from()) < ToTime(mandate.valid_until()),
                       "mandate.valid_until", "must be after valid_from");
  }
  violations.Require(!mandate.legal_basis().empty(), "mandate.legal_basis",
                     "is required: name the decree and article the mandate rests on");
  return violations.ToStatus();
}

absl::Status CheckWithinParent(const v1::Mandate& child, const v1::Mandate& parent) {
  std::vector<std::string> excesses;
  if (parent.state() != v1::MANDATE_STATE_ACTIVE) excesses.push_back("the parent is revoked");
  if (!parent.allows_sub_mandates()) excesses.push_back("the parent does not allow sub-mandates");
  for (int kind : child.decision_kinds()) {
    if (!CoversKind(parent, static_cast<v1::DecisionKind>(kind))) {
      excesses.push_back(absl::StrCat("kind ", DescribeKind(static_cast<v1::DecisionKind>(kind)),
                                      " is not in the parent"));
    }
  }
  if (parent.has_max_amount_cents() &&
      (!child.has_max_amount_cents() || child.max_amount_cents() > parent.max_amount_cents())) {
    excesses.push_back(absl::StrCat("max_amount_cents must be at most the parent's ",
                                    FormatEuros(parent.max_amount_cents())));
  }
  if (parent.has_yearly_cap_cents() &&
      (!child.has_yearly_cap_cents() || child.yearly_cap_cents() > parent.yearly_cap_cents())) {
    excesses.push_back(absl::StrCat("yearly_cap_cents must be at most the parent's ",
                                    FormatEuros(parent.yearly_cap_cents())));
  }
  if (ToTime(child.valid_from()) < ToTime(parent.valid_from()) ||
      ToTime(child.valid_until()) > ToTime(parent.valid_until())) {
    excesses.push_back(absl::StrCat("validity must lie inside the parent's ",
                                    FormatDate(parent.valid_from()), " .. ",
                                    FormatDate(parent.valid_until())));
  }
  if (child.holder().level() != parent.holder().level()) {
    excesses.push_back("holder.level must equal the parent's");
  }
  if (!parent.holder().municipality().empty() &&
      child.holder().municipality() != parent.holder().municipality()) {
    excesses.push_back(absl::StrCat("holder.municipality must be the parent's ",
                                    parent.holder().municipality()));
  }
  if (!parent.holder().area().empty() && child.holder().area() != parent.holder().area()) {
    excesses.push_back(absl::StrCat("holder.area must be the parent's ", parent.holder().area()));
  }
  if (excesses.empty()) return absl::OkStatus();
  return DomainError(absl::StatusCode::kFailedPrecondition, "SUB_MANDATE_EXCEEDS_PARENT",
                     absl::StrCat("a sub-mandate must stay within ", parent.name(), ": ",
                                  absl::StrJoin(excesses, "; ")),
                     {{"parent", parent.name()}});
}

v1::MandateCheckExplanation Evaluate(const MandateInContext& candidate, const DecisionQuery& query) {
  const v1::Mandate& mandate = candidate.mandate;
  v1::MandateCheckExplanation explanation;
  explanation.set_mandate(mandate.name());
  std::vector<std::string> words;
  auto fail = [&](v1::MandateDenialReason reason, std::string why) {
    explanation.add_failed_rules(reason);
    words.push_back(std::move(why));
  };

  const v1::MandateCaller& caller = query.caller;
  if (caller.level() != v1::ESCALATION_LEVEL_UNSPECIFIED) {
    if (mandate.holder().level() != caller.level()) {
      fail(v1::MANDATE_DENIAL_REASON_HOLDER_MISMATCH,
           absl::StrCat("held by ", mandate.holder().level() == v1::ESCALATION_LEVEL_UNSPECIFIED
                                        ? RoleLabel(mandate.holder().role())
                                        : DescribeLevel(mandate.holder().level()),
                        ", not the ", DescribeLevel(caller.level())));
    }
  } else if (mandate.holder().level() != v1::ESCALATION_LEVEL_UNSPECIFIED) {
    fail(v1::MANDATE_DENIAL_REASON_HOLDER_MISMATCH,
         absl::StrCat("held by the ", DescribeLevel(mandate.holder().level())));
  } else if (mandate.holder().role() != caller.role() ||
             (!mandate.holder().organisation().empty() &&
              !SameOrganisation(mandate.holder().organisation(), caller.organisation()))) {
    fail(v1::MANDATE_DENIAL_REASON_HOLDER_MISMATCH,
         absl::StrCat("held by ", RoleLabel(mandate.holder().role()),
                      mandate.holder().organisation().empty() ? "" : " of ",
                      mandate.holder().organisation()));
  }
  if (!CoversKind(mandate, query.kind)) {
    fail(v1::MANDATE_DENIAL_REASON_NO_MANDATE_FOR_KIND,
         absl::StrCat("does not cover ", DescribeKind(query.kind)));
  }
  std::vector<const v1::Mandate*> chain = {&mandate};
  for (const v1::Mandate& ancestor : candidate.ancestors) chain.push_back(&ancestor);
  for (const v1::Mandate* link : chain) {
    std::string who = link == &mandate ? "" : absl::StrCat(" (via ", link->name(), ")");
    if (link->state() == v1::MANDATE_STATE_REVOKED) {
      fail(v1::MANDATE_DENIAL_REASON_REVOKED, absl::StrCat("revoked", who));
    }
    if (query.decision_time < ToTime(link->valid_from())) {
      fail(v1::MANDATE_DENIAL_REASON_NOT_YET_VALID,
           absl::StrCat("valid only from ", FormatDate(link->valid_from()), who));
    }
    if (query.decision_time >= ToTime(link->valid_until())) {
      fail(v1::MANDATE_DENIAL_REASON_EXPIRED,
           absl::StrCat("expired on ", FormatDate(link->valid_until()), who));
    }
  }
  if ((!mandate.holder().municipality().empty() &&
       mandate.holder().municipality() != query.municipality) ||
      (!mandate.holder().area().empty() && mandate.holder().area() != query.area)) {
    fail(v1::MANDATE_DENIAL_REASON_OUTSIDE_AREA,
         absl::StrCat("applies only in ", mandate.holder().area().empty()
                                               ? mandate.holder().municipality()
                                               : mandate.holder().area()));
  } else if (!ScopeCovers(caller, query.municipality)) {
    fail(v1::MANDATE_DENIAL_REASON_OUTSIDE_AREA,
         absl::StrCat(query.municipality, " is outside the caller's municipality scope"));
  }
  if (mandate.has_max_amount_cents() && query.amount_cents > mandate.max_amount_cents()) {
    fail(v1::MANDATE_DENIAL_REASON_AMOUNT_EXCEEDS_MANDATE,
         absl::StrCat("max ", FormatEuros(mandate.max_amount_cents()), " < asked ",
                      FormatEuros(query.amount_cents)));
  }
  if (mandate.has_yearly_cap_cents() &&
      candidate.used_in_decision_year_cents + query.amount_cents > mandate.yearly_cap_cents()) {
    fail(v1::MANDATE_DENIAL_REASON_YEARLY_CAP_EXCEEDED,
         absl::StrCat("yearly cap ", FormatEuros(mandate.yearly_cap_cents()), " with ",
                      FormatEuros(candidate.used_in_decision_year_cents), " used leaves less than ",
                      FormatEuros(query.amount_cents)));
  }
  explanation.set_applies(explanation.failed_rules().empty());
  explanation.set_explanation(explanation.applies()
                                  ? absl::StrCat("applies: ", mandate.display_name())
                                  : absl::StrJoin(words, "; "));
  return explanation;
}

v1::MandateCheckResult Decide(const DecisionQuery& query,
                              const std::vector<MandateInContext>& candidates, bool explain) {
  v1::MandateCheckResult result;
  if (IsNonDelegable(query.kind)) {
    result.set_denial_reason(v1::MANDATE_DENIAL_REASON_NON_DELEGABLE);
    result.set_denial_message(absl::StrCat(
        DescribeKind(query.kind),
        " can't be delegated: no mandate and no level of the escalation ladder can decide it; "
        "it belongs to the cabinet and the responsible administrations"));
    return result;
  }

  std::vector<v1::MandateCheckExplanation> explanations;
  explanations.reserve(candidates.size());
  int allowing = -1;
  int closest = -1;  // the non-applying mandate of this caller nearest to applying
  for (size_t i = 0; i < candidates.size(); ++i) {
    explanations.push_back(Evaluate(candidates[i], query));
    const v1::MandateCheckExplanation& explanation = explanations.back();
    if (explanation.applies()) {
      if (allowing < 0) allowing = static_cast<int>(i);
      continue;
    }
    if (HasRule(explanation, v1::MANDATE_DENIAL_REASON_HOLDER_MISMATCH) ||
        HasRule(explanation, v1::MANDATE_DENIAL_REASON_NO_MANDATE_FOR_KIND)) {
      continue;
    }
    if (closest < 0 || MainReasonPriority(explanation) < MainReasonPriority(explanations[closest])) {
      closest = static_cast<int>(i);
    }
  }

  if (allowing >= 0) {
    const MandateInContext& basis = candidates[allowing];
    result.set_allowed(true);
    result.set_mandate(basis.mandate.name());
    result.add_mandate_chain(basis.mandate.name());
    for (const v1::Mandate& ancestor : basis.ancestors) result.add_mandate_chain(ancestor.name());
  } else {
    result.set_can_decide_level(LowestLevelThatCanDecide(query, candidates));
    std::string ladder = result.can_decide_level() == v1::ESCALATION_LEVEL_UNSPECIFIED
                             ? "no level of the escalation ladder has a mandate for it"
                             : absl::StrCat("the ", DescribeLevel(result.can_decide_level()),
                                            " can decide it");
    if (closest < 0) {
      result.set_denial_reason(v1::MANDATE_DENIAL_REASON_NO_MANDATE_FOR_KIND);
      result.set_denial_message(absl::StrCat("no mandate of yours covers ", DescribeKind(query.kind),
                                             " in ", query.municipality, "; ", ladder));
    } else {
      const v1::MandateCheckExplanation& main = explanations[closest];
      result.set_denial_reason(MainReason(main));
      result.set_denial_message(absl::StrCat(main.mandate(), " does not allow this (",
                                             main.explanation(), "); ", ladder));
    }
  }
  if (explain) {
    for (v1::MandateCheckExplanation& explanation : explanations) {
      *result.add_explanations() = std::move(explanation);
    }
  }
  return result;
}

v1::EscalationLevel LowestLevelThatCanDecide(const DecisionQuery& query,
                                             const std::vector<MandateInContext>& candidates) {
  for (v1::EscalationLevel level :
       {v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP, v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION,
        v1::ESCALATION_LEVEL_REGIONAL_CONSULTATION}) {
    DecisionQuery at_level = query;
    at_level.caller.Clear();
    at_level.caller.set_level(level);
    for (const MandateInContext& candidate : candidates) {
      if (Evaluate(candidate, at_level).applies()) return level;
    }
  }
  return v1::ESCALATION_LEVEL_UNSPECIFIED;
}

}  // namespace herstel::mandate
