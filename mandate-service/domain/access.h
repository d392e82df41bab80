// Who may do what in the mandate-service. Every refusal is PERMISSION_DENIED
// with a reason code and a message naming the rule that refused.
#ifndef HERSTEL_MANDATE_DOMAIN_ACCESS_H_
#define HERSTEL_MANDATE_DOMAIN_ACCESS_H_

#include <initializer_list>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "herstel/identity.h"
#include "herstel/v1/mandate_service.pb.h"

namespace herstel::mandate {

// OK when the caller holds one of `roles`; else PERMISSION_DENIED naming the
// action and the roles that may do it.
absl::Status RequireRole(const Caller& caller, std::initializer_list<v1::Role> roles,
                         absl::string_view action);

// Roles that may read the register and the ledger (everyone but the public).
absl::Status RequireReader(const Caller& caller, absl::string_view action);

// Whom a decision check is for. An empty `requested` means the token's own
// identity. Only services (acting for a user), operators and auditors
// (what-if) may name someone else or a ladder level; for anyone else a
// different identity is PERMISSION_DENIED.
absl::StatusOr<v1::MandateCaller> ResolveCheckedCaller(const Caller& token,
                                                       const v1::MandateCaller& requested);

}  // namespace herstel::mandate

#endif  // HERSTEL_MANDATE_DOMAIN_ACCESS_H_
