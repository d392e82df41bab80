// Who may do what in the escalation-service. Every refusal is
// PERMISSION_DENIED with a reason naming the rule:
//  ROLE_NOT_ALLOWED            the caller's role may not do this at all;
//  OUTSIDE_MUNICIPALITY_SCOPE  the caller's token does not cover a
//                              municipality the escalation involves;
//  NOT_THE_OPENER              only its opener (or an operator) withdraws;
//  NOT_A_BODY_MEMBER           a steering-group member records decisions
//                              only for a body in which they hold a seat.
//
// Roles: read — every role but public; open — case managers (NCG, IMG,
// municipal), the case-service (service) and the deciding roles; handle and
// decide — steering_group_member, national_coordinator, operator; bodies
// and policies — national_coordinator and operator; meetings — the deciding
// roles.
#ifndef HERSTEL_ESCALATION_DOMAIN_ACCESS_H_
#define HERSTEL_ESCALATION_DOMAIN_ACCESS_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "domain/model.h"
#include "herstel/identity.h"

namespace herstel::escalation {

enum class Action {
  kRead,            // Get/List of anything
  kOpen,            // OpenEscalation
  kWithdraw,        // WithdrawEscalation
  kHandle,          // Acknowledge, EscalateUp, Refer, Suspend, Resume, Schedule
  kDecide,          // DecideEscalation, RetryReservation
  kManageMeetings,  // CreateMeeting, UpdateMeeting
  kManageBodies,    // CreateBody, UpdateBody
  kManagePolicies,  // Update*Policy
};

// Whether the caller's role may take `action` at all.
absl::Status AuthoriseRole(const Caller& caller, Action action);
// AuthoriseRole plus the scope rules for one escalation: municipal roles
// must cover the lead municipality to open, and one involved municipality
// to act on it; withdrawing is for the opener or an operator.
absl::Status AuthoriseOnEscalation(const Caller& caller, Action action,
                                   const Escalation& escalation);
// A steering-group member decides only for a body where one of their seats
// lists their subject; the national coordinator and operators record for any.
absl::Status AuthoriseForBody(const Caller& caller, const Body& body, absl::Time now);

}  // namespace herstel::escalation

#endif  // HERSTEL_ESCALATION_DOMAIN_ACCESS_H_
