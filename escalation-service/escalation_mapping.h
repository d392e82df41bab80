// Conversions between the domain structs and the herstel.v1 messages, used
// by the store (which keeps each object as its message) and the gRPC layer.
// Computed output fields (term status, overdue, current chair, agenda
// positions) are filled by the *ForResponse functions only.
#ifndef HERSTEL_ESCALATION_ESCALATION_MAPPING_H_
#define HERSTEL_ESCALATION_ESCALATION_MAPPING_H_

#include "absl/time/time.h"
#include "domain/calendar.h"
#include "domain/model.h"
#include "google/protobuf/timestamp.pb.h"
#include "herstel/v1/escalation_service.pb.h"

namespace herstel::escalation {

google::protobuf::Timestamp ToTimestamp(absl::Time time);
absl::Time FromTimestamp(const google::protobuf::Timestamp& timestamp);

v1::Escalation ToProto(const Escalation& escalation);
Escalation FromProto(const v1::Escalation& proto);
// ToProto plus the term accounting and overdue flag at `now`.
v1::Escalation EscalationForResponse(const Escalation& escalation,
                                     const WorkingDayCalendar& calendar, absl::Time now);

v1::EscalationReferral ToProto(const Referral& referral);
Referral FromProto(const v1::EscalationReferral& proto);
v1::EscalationFunding ToProto(const Funding& funding);
Funding FromProto(const v1::EscalationFunding& proto);

v1::EscalationBody ToProto(const Body& body);
Body FromProto(const v1::EscalationBody& proto);
// ToProto plus the member chairing at `now`.
v1::EscalationBody BodyForResponse(const Body& body, absl::Time now);

v1::EscalationMeeting ToProto(const Meeting& meeting);
Meeting FromProto(const v1::EscalationMeeting& proto);

v1::EscalationDecision ToProto(const Decision& decision);
Decision FromProto(const v1::EscalationDecision& proto);

v1::EscalationTermPolicy ToProto(const TermPolicy& policy);
TermPolicy FromProto(const v1::EscalationTermPolicy& proto);
v1::EscalationVotingPolicy ToProto(const VotingPolicy& policy);
VotingPolicy FromProto(const v1::EscalationVotingPolicy& proto);

inline constexpr char kTermPolicyName[] = "escalation-term-policy";
inline constexpr char kVotingPolicyName[] = "escalation-voting-policy";

}  // namespace herstel::escalation

#endif  // HERSTEL_ESCALATION_ESCALATION_MAPPING_H_
