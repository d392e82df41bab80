#include "domain/access.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "domain/decisions.h"
#include "herstel/errors.h"

namespace herstel::escalation {
namespace {

absl::Status Denied(absl::string_view reason, absl::string_view message) {
  return DomainError(absl::StatusCode::kPermissionDenied, reason, message);
}

bool IsCaseManager(v1::Role role) {
  return role == v1::ROLE_NCG_RESIDENT_CASE_MANAGER || role == v1::ROLE_IMG_CASE_HANDLER ||
         role == v1::ROLE_MUNICIPAL_CASE_MANAGER;
}

bool IsDecider(v1::Role role) {
  return role == v1::ROLE_STEERING_GROUP_MEMBER || role == v1::ROLE_NATIONAL_COORDINATOR ||
         role == v1::ROLE_OPERATOR;
}

// Roles whose reach is limited by the municipality scope of their token.
bool IsScoped(v1::Role role) {
  return IsCaseManager(role) || role == v1::ROLE_STEERING_GROUP_MEMBER;
}

const char* RuleOf(Action action) {
  switch (action) {
    case Action::kRead:
      return "every role but public may read escalations";
    case Action::kOpen:
      return "case managers, the case-service and the deciding roles (steering_group_member, "
             "national_coordinator, operator) may open escalations";
    case Action::kWithdraw:
      return "its opener or an operator may withdraw an escalation";
    case Action::kHandle:
    case Action::kDecide:
    case Action::kManageMeetings:
      return "only steering_group_member, national_coordinator and operator handle and decide "
             "escalations";
    case Action::kManageBodies:
    case Action::kManagePolicies:
      return "only national_coordinator and operator manage bodies and policies";
  }
  return "";
}

bool RoleMay(v1::Role role, Action action) {
  switch (action) {
    case Action::kRead:
      return role != v1::ROLE_PUBLIC && role != v1::ROLE_UNSPECIFIED;
    case Action::kOpen:
      return IsCaseManager(role) || role == v1::ROLE_SERVICE || IsDecider(role);
    case Action::kWithdraw:
      return IsCaseManager(role) || role == v1::ROLE_SERVICE || IsDecider(role);
    case Action::kHandle:
    case Action::kDecide:
    case Action::kManageMeetings:
      return IsDecider(role);
    case Action::kManageBodies:
    case Action::kManagePolicies:
      return role == v1::ROLE_NATIONAL_COORDINATOR || role == v1::ROLE_OPERATOR;
  }
  return false;
}

}  // namespace

absl::Status AuthoriseRole(const Caller& caller, Action action) {
  if (RoleMay(caller.role, action)) return absl::OkStatus();
  return Denied("ROLE_NOT_ALLOWED",
                absl::StrCat("role '", RoleToken(caller.role), "' may not do this: ", RuleOf(action)));
}

absl::Status AuthoriseOnEscalation(const Caller& caller, Action action,
                                   const Escalation& escalation) {
  if (absl::Status role = AuthoriseRole(caller, action); !role.ok()) return role;
  if (action == Action::kWithdraw && caller.role != v1::ROLE_OPERATOR &&
      caller.subject != escalation.opened_by) {
    return Denied("NOT_THE_OPENER",
                  absl::StrCat("only its opener or an operator may withdraw ", escalation.name));
  }
  if (!IsScoped(caller.role) || escalation.municipalities.empty()) return absl::OkStatus();
  if (action == Action::kOpen) {
    if (caller.CoversMunicipality(escalation.municipalities.front())) return absl::OkStatus();
    return Denied("OUTSIDE_MUNICIPALITY_SCOPE",
                  absl::StrCat("the token's municipality scope does not cover the lead "
                               "municipality ", escalation.municipalities.front()));
  }
  if (action == Action::kRead) return absl::OkStatus();
  const bool covered = std::any_of(
      escalation.municipalities.begin(), escalation.municipalities.end(),
      [&](const std::string& municipality) { return caller.CoversMunicipality(municipality); });
  if (covered) return absl::OkStatus();
  return Denied("OUTSIDE_MUNICIPALITY_SCOPE",
                absl::StrCat("the token's municipality scope covers none of the municipalities of ",
                             escalation.name));
}

absl::Status AuthoriseForBody(const Caller& caller, const Body& body, absl::Time now) {
  if (caller.role != v1::ROLE_STEERING_GROUP_MEMBER) return absl::OkStatus();
  for (const BodyMember* member : CurrentMembers(body, now)) {
    if (std::find(member->subjects.begin(), member->subjects.end(), caller.subject) !=
        member->subjects.end()) {
      return absl::OkStatus();
    }
  }
  return Denied("NOT_A_BODY_MEMBER",
                absl::StrCat("a steering_group_member records decisions only for a body in which "
                             "a seat lists their subject; '", caller.subject, "' holds no seat in ",
                             body.name));
}

}  // namespace herstel::escalation
