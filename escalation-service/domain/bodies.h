// Bodies (a local steering group per municipality, one administrative and
// one regional consultation), their seats, the rotating chair schedule, and
// meetings with their status changes.
#ifndef HERSTEL_ESCALATION_DOMAIN_BODIES_H_
#define HERSTEL_ESCALATION_DOMAIN_BODIES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "domain/model.h"

namespace herstel::escalation {

inline constexpr int kMaxMembers = 100;
inline constexpr int kMaxChairTerms = 200;

// Every broken rule of a body's fields: display name, level, municipalities
// (exactly one for a local steering group, none above it), seats (unique ids,
// a kind, a municipality for a municipal seat, a topic for an invited
// partner, start before end), the chair schedule (members of the body, each
// period start < end, in time order without overlap) and the quorum.
absl::Status ValidateBody(const Body& body);
// Whether `id` may name a body or meeting: lowercase letters, digits, '-', 1..63.
bool IsValidId(const std::string& id);
// The member chairing at `time` from the schedule; empty when none.
std::string ChairAt(const Body& body, absl::Time time);

// Every broken rule of a new meeting (start time, location, chair).
absl::Status ValidateNewMeeting(const Meeting& meeting, const Body& body);
// A status change PLANNED -> HELD or CANCELLED; HELD and CANCELLED are final
// (MEETING_CLOSED). Same status: no change.
absl::Status CheckMeetingStatusChange(const Meeting& meeting, EscalationMeetingStatus to);

}  // namespace herstel::escalation

#endif  // HERSTEL_ESCALATION_DOMAIN_BODIES_H_
