// Who may do what in the case-service: a rule per role and action, plus the
// municipality scope of the caller's token. Every refusal is
// PERMISSION_DENIED and names the rule that refused (reason and message).
//
// Roles: the three case-manager roles (NCG resident case manager, IMG case
// handler, municipal case manager) do the daily case work and alone see
// personal data; steering-group members and the national coordinator steer
// clusters and their priority; operators run imports and corrections; the
// auditor reads everything but personal data and changes nothing; other
// services read. The public sees no cases.
#ifndef HERSTEL_CASE_SERVICE_DOMAIN_AUTHORIZATION_H_
#define HERSTEL_CASE_SERVICE_DOMAIN_AUTHORIZATION_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "herstel/identity.h"

namespace herstel::case_service {

enum class CaseAction {
  kRead,                 // cases, plans, clusters, requests, bottlenecks, timeline
  kCreateCase,
  kUpdateCase,           // descriptive fields, tracks added
  kHandOver,             // contact person
  kMovePhase,            // advance, reassess, complete a track
  kUpdatePlan,
  kReadPersonalData,
  kUpdatePersonalData,
  kManageCluster,        // create, update, add and remove members
  kAdvanceCluster,
  kSteerClusterPriority, // record or clear an override
  kRequestInspection,    // create an inspection request
  kHandleInspection,     // schedule and close
  kRaiseBottleneck,
  kEscalateBottleneck,
  kResolveBottleneck,
  kRequestDecision,      // maatwerk decision requests
  kBulkImport,
};

// Short words for an action, used in refusals ("hand over a case").
absl::string_view DescribeAction(CaseAction action);

// PERMISSION_DENIED (reason ROLE_NOT_ALLOWED) when `role` may not do `action`.
absl::Status CheckRole(v1::Role role, CaseAction action);

// PERMISSION_DENIED (reason OUTSIDE_MUNICIPALITY_SCOPE) when the caller's
// token does not cover `municipality`.
absl::Status CheckScope(const Caller& caller, absl::string_view municipality, CaseAction action);

// Both checks.
absl::Status Authorize(const Caller& caller, CaseAction action, absl::string_view municipality);

}  // namespace herstel::case_service

#endif  // HERSTEL_CASE_SERVICE_DOMAIN_AUTHORIZATION_H_
