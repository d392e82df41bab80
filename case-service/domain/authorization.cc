#include "domain/authorization.h"

#include "absl/strings/str_cat.h"
#include "domain/case_rules.h"
#include "herstel/errors.h"

namespace herstel::case_service {
namespace {

// The rule behind each allowance, stated once so a refusal can quote it.
struct RoleRule {
  bool allowed;
  absl::string_view rule;
};

RoleRule RuleFor(v1::Role role, CaseAction action) {
  const bool case_manager = IsCaseManagerRole(role);
  const bool steering = role == v1::ROLE_STEERING_GROUP_MEMBER || role == v1::ROLE_NATIONAL_COORDINATOR;
  switch (action) {
    case CaseAction::kRead:
      return {case_manager || steering || role == v1::ROLE_OPERATOR ||
                  role == v1::ROLE_AUDITOR || role == v1::ROLE_SERVICE,
              "cases are read by case managers, steering groups, the national coordinator, "
              "operators, auditors and services; public figures come from the reporting-service"};
    case CaseAction::kCreateCase:
    case CaseAction::kUpdateCase:
    case CaseAction::kHandOver:
      return {case_manager || role == v1::ROLE_OPERATOR,
              "cases are created, corrected and handed over by case managers and operators"};
    case CaseAction::kMovePhase:
    case CaseAction::kUpdatePlan:
    case CaseAction::kRequestInspection:
    case CaseAction::kHandleInspection:
      return {case_manager, "phases, plans and inspections are case work: only case managers "
                            "(NCG, IMG, municipal) do it"};
    case CaseAction::kReadPersonalData:
    case CaseAction::kUpdatePersonalData:
      return {case_manager, "personal data is shown only to the residents' case managers "
                            "(need to know); auditors, operators and steering groups see none"};
    case CaseAction::kManageCluster:
      return {role == v1::ROLE_NCG_RESIDENT_CASE_MANAGER || steering || role == v1::ROLE_OPERATOR,
              "clusters are formed by NCG case managers, steering groups, the national "
              "coordinator and operators"};
    case CaseAction::kAdvanceCluster:
      return {role == v1::ROLE_NCG_RESIDENT_CASE_MANAGER || steering,
              "a cluster is advanced by NCG case managers, steering groups or the national coordinator"};
    case CaseAction::kSteerClusterPriority:
      return {steering, "the cluster order is overridden only on a recorded decision, by a "
                        "steering-group member or the national coordinator"};
    case CaseAction::kRaiseBottleneck:
    case CaseAction::kEscalateBottleneck:
      return {case_manager || role == v1::ROLE_STEERING_GROUP_MEMBER,
              "bottlenecks are raised and escalated by case managers and steering-group members"};
    case CaseAction::kResolveBottleneck:
      return {case_manager || steering,
              "bottlenecks are resolved by case managers, steering groups or the national coordinator"};
    case CaseAction::kRequestDecision:
      return {case_manager, "decision requests (maatwerk) are made by case managers, whose "
                            "mandate the mandate-service checks"};
    case CaseAction::kBulkImport:
      return {role == v1::ROLE_OPERATOR || role == v1::ROLE_SERVICE,
              "bulk imports from agency systems are run by operators or services"};
  }
  return {false, "unknown action"};
}

}  // namespace

absl::string_view DescribeAction(CaseAction action) {
  switch (action) {
    case CaseAction::kRead: return "read cases";
    case CaseAction::kCreateCase: return "create a case";
    case CaseAction::kUpdateCase: return "change a case";
    case CaseAction::kHandOver: return "hand over a case";
    case CaseAction::kMovePhase: return "move a track's phase";
    case CaseAction::kUpdatePlan: return "change a plan";
    case CaseAction::kReadPersonalData: return "read personal data";
    case CaseAction::kUpdatePersonalData: return "change personal data";
    case CaseAction::kManageCluster: return "manage clusters";
    case CaseAction::kAdvanceCluster: return "advance a cluster";
    case CaseAction::kSteerClusterPriority: return "override the cluster order";
    case CaseAction::kRequestInspection: return "request an inspection";
    case CaseAction::kHandleInspection: return "schedule or close an inspection";
    case CaseAction::kRaiseBottleneck: return "raise a bottleneck";
    case CaseAction::kEscalateBottleneck: return "escalate a bottleneck";
    case CaseAction::kResolveBottleneck: return "resolve a bottleneck";
    case CaseAction::kRequestDecision: return "request a decision";
    case CaseAction::kBulkImport: return "import cases";
  }
  return "act";
}

absl::Status CheckRole(v1::Role role, CaseAction action) {
  RoleRule rule = RuleFor(role, action);
  if (rule.allowed) return absl::OkStatus();
  return DomainError(absl::StatusCode::kPermissionDenied, "ROLE_NOT_ALLOWED",
                     absl::StrCat("role '", RoleToken(role), "' may not ", DescribeAction(action),
                                  ": ", rule.rule),
                     {{"role", RoleToken(role)}, {"action", std::string(DescribeAction(action))}});
}

absl::Status CheckScope(const Caller& caller, absl::string_view municipality, CaseAction action) {
  if (caller.CoversMunicipality(municipality)) return absl::OkStatus();
  return DomainError(absl::StatusCode::kPermissionDenied, "OUTSIDE_MUNICIPALITY_SCOPE",
                     absl::StrCat("your token's municipality scope does not cover ", municipality,
                                  "; you may not ", DescribeAction(action), " there"),
                     {{"municipality", std::string(municipality)}});
}

absl::Status Authorize(const Caller& caller, CaseAction action, absl::string_view municipality) {
  if (absl::Status role = CheckRole(caller.role, action); !role.ok()) return role;
  return CheckScope(caller, municipality, action);
}

}  // namespace herstel::case_service
