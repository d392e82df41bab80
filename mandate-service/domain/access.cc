#include "domain/access.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "herstel/errors.h"

namespace herstel::mandate {

absl::Status RequireRole(const Caller& caller, std::initializer_list<v1::Role> roles,
                         absl::string_view action) {
  if (std::find(roles.begin(), roles.end(), caller.role) != roles.end()) return absl::OkStatus();
  std::vector<std::string> names;
  for (v1::Role role : roles) names.push_back(RoleToken(role));
  return DomainError(absl::StatusCode::kPermissionDenied, "ROLE_NOT_ALLOWED",
                     absl::StrCat("role '", RoleToken(caller.role), "' may not ", action,
                                  "; allowed: ", absl::StrJoin(names, ", ")),
                     {{"rule", absl::StrCat(action, " requires one of ", absl::StrJoin(names, ", "))}});
}

absl::Status RequireReader(const Caller& caller, absl::string_view action) {
  if (caller.role != v1::ROLE_PUBLIC) return absl::OkStatus();
  return DomainError(absl::StatusCode::kPermissionDenied, "ROLE_NOT_ALLOWED",
                     absl::StrCat("the public role may not ", action,
                                  "; public figures are published by the reporting-service"));
}

absl::StatusOr<v1::MandateCaller> ResolveCheckedCaller(const Caller& token,
                                                       const v1::MandateCaller& requested) {
  v1::MandateCaller own;
  own.set_subject(token.subject);
  own.set_role(token.role);
  own.set_organisation(token.organisation);
  for (const std::string& municipality : token.municipalities) {
    if (municipality != "*") own.add_municipalities(municipality);
  }
  bool empty = requested.subject().empty() && requested.role() == v1::ROLE_UNSPECIFIED &&
               requested.organisation().empty() && requested.municipalities().empty() &&
               requested.level() == v1::ESCALATION_LEVEL_UNSPECIFIED;
  if (empty) return own;
  bool may_act_for_others = token.role == v1::ROLE_SERVICE || token.role == v1::ROLE_OPERATOR ||
                            token.role == v1::ROLE_AUDITOR;
  if (may_act_for_others) return requested;
  bool same = requested.subject() == own.subject() && requested.role() == own.role() &&
              requested.organisation() == own.organisation() &&
              requested.level() == v1::ESCALATION_LEVEL_UNSPECIFIED;
  if (same) return own;
  return DomainError(absl::StatusCode::kPermissionDenied, "CALLER_OVERRIDE_NOT_ALLOWED",
                     absl::StrCat("role '", RoleToken(token.role),
                                  "' may check decisions only for itself; leave `caller` empty "
                                  "(services, operators and auditors may name someone else)"));
}

}  // namespace herstel::mandate
