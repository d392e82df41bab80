// The EscalationService gRPC layer: authenticates every call, checks the
// caller's role and scope (domain/access.h), validates the request, runs the
// domain rules inside one store transaction per change (idempotent by
// request_id, etag-checked, its event appended in the same transaction) and
// maps errors to the wire once. WatchEvents comes from WithWatchEvents.
//
// Time comes from the service's one Clock. DecideEscalation and
// RetryReservation call the mandate-service (MandateGateway) between
// reading and recording, under the escalation's lock (EscalationLocks).
#ifndef HERSTEL_ESCALATION_ESCALATION_GRPC_SERVICE_H_
#define HERSTEL_ESCALATION_ESCALATION_GRPC_SERVICE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "domain/calendar.h"
#include "domain/access.h"
#include "domain/clock.h"
#include "domain/model.h"
#include "escalation_locks.h"
#include "herstel/identity.h"
#include "herstel/outbox.h"
#include "herstel/store.h"
#include "herstel/v1/escalation_service.grpc.pb.h"
#include "mandate_gateway.h"

namespace herstel::escalation {

inline constexpr char kDomain[] = "escalation-service";

class EscalationGrpcService : public WithWatchEvents<v1::EscalationService::Service> {
 public:
  EscalationGrpcService(Store& store, const TokenKey& key, const Clock& clock, absl::TimeZone zone,
                        std::unique_ptr<MandateGateway> mandate);

  // Records the breach of every escalation whose term ended by now (and, where
  // the term policy says so, moves it up one level). Cost per breached
  // escalation. Answers how many breaches were recorded.
  absl::StatusOr<int> SweepOverdue(int limit);

  grpc::Status OpenEscalation(grpc::ServerContext*, const v1::OpenEscalationRequest*,
                              v1::Escalation*) override;
  grpc::Status GetEscalation(grpc::ServerContext*, const v1::GetEscalationRequest*,
                             v1::Escalation*) override;
  grpc::Status ListEscalations(grpc::ServerContext*, const v1::ListEscalationsRequest*,
                               v1::ListEscalationsResponse*) override;
  grpc::Status WithdrawEscalation(grpc::ServerContext*, const v1::WithdrawEscalationRequest*,
                                  v1::Escalation*) override;
  grpc::Status AcknowledgeEscalation(grpc::ServerContext*, const v1::AcknowledgeEscalationRequest*,
                                     v1::Escalation*) override;
  grpc::Status EscalateUp(grpc::ServerContext*, const v1::EscalateUpRequest*,
                          v1::Escalation*) override;
  grpc::Status ReferEscalation(grpc::ServerContext*, const v1::ReferEscalationRequest*,
                               v1::Escalation*) override;
  grpc::Status SuspendEscalation(grpc::ServerContext*, const v1::SuspendEscalationRequest*,
                                 v1::Escalation*) override;
  grpc::Status ResumeEscalation(grpc::ServerContext*, const v1::ResumeEscalationRequest*,
                                v1::Escalation*) override;
  grpc::Status ScheduleEscalation(grpc::ServerContext*, const v1::ScheduleEscalationRequest*,
                                  v1::Escalation*) override;
  grpc::Status DecideEscalation(grpc::ServerContext*, const v1::DecideEscalationRequest*,
                                v1::EscalationDecision*) override;
  grpc::Status GetEscalationDecision(grpc::ServerContext*, const v1::GetEscalationDecisionRequest*,
                                     v1::EscalationDecision*) override;
  grpc::Status ListEscalationDecisions(grpc::ServerContext*,
                                       const v1::ListEscalationDecisionsRequest*,
                                       v1::ListEscalationDecisionsResponse*) override;
  grpc::Status RetryReservation(grpc::ServerContext*, const v1::RetryReservationRequest*,
                                v1::EscalationDecision*) override;
  grpc::Status CreateBody(grpc::ServerContext*, const v1::CreateBodyRequest*,
                          v1::EscalationBody*) override;
  grpc::Status GetBody(grpc::ServerContext*, const v1::GetBodyRequest*,
                       v1::EscalationBody*) override;
  grpc::Status ListBodies(grpc::ServerContext*, const v1::ListBodiesRequest*,
                          v1::ListBodiesResponse*) override;
  grpc::Status UpdateBody(grpc::ServerContext*, const v1::UpdateBodyRequest*,
                          v1::EscalationBody*) override;
  grpc::Status CreateMeeting(grpc::ServerContext*, const v1::CreateMeetingRequest*,
                             v1::EscalationMeeting*) override;
  grpc::Status GetMeeting(grpc::ServerContext*, const v1::GetMeetingRequest*,
                          v1::EscalationMeeting*) override;
  grpc::Status ListMeetings(grpc::ServerContext*, const v1::ListMeetingsRequest*,
                            v1::ListMeetingsResponse*) override;
  grpc::Status UpdateMeeting(grpc::ServerContext*, const v1::UpdateMeetingRequest*,
                             v1::EscalationMeeting*) override;
  grpc::Status GetEscalationTermPolicy(grpc::ServerContext*,
                                       const v1::GetEscalationTermPolicyRequest*,
                                       v1::EscalationTermPolicy*) override;
  grpc::Status UpdateEscalationTermPolicy(grpc::ServerContext*,
                                          const v1::UpdateEscalationTermPolicyRequest*,
                                          v1::EscalationTermPolicy*) override;
  grpc::Status GetEscalationVotingPolicy(grpc::ServerContext*,
                                         const v1::GetEscalationVotingPolicyRequest*,
                                         v1::EscalationVotingPolicy*) override;
  grpc::Status UpdateEscalationVotingPolicy(grpc::ServerContext*,
                                            const v1::UpdateEscalationVotingPolicyRequest*,
                                            v1::EscalationVotingPolicy*) override;

 private:
  // A change to one escalation: mutates it and appends its events.
  using EscalationChange = std::function<absl::Status(Transaction&, const Caller&, Escalation&,
                                                      absl::Time now, const WorkingDayCalendar&)>;
  // Authorises `action`, loads, etag-checks, applies `change`, stores and answers, idempotently.
  grpc::Status ChangeEscalation(grpc::ServerContext* context, absl::string_view method, Action action,
                                const google::protobuf::Message& request, const std::string& name,
                                const std::string& etag, const std::string& request_id,
                                v1::Escalation* response, const EscalationChange& change);
  absl::StatusOr<WorkingDayCalendar> CalendarIn(Transaction& tx) const;
  // Records the breach of one escalation (and auto-escalates per policy).
  absl::StatusOr<bool> RecordBreach(const std::string& name, absl::Time now);
  // Attempts authorisation and reservation and folds the outcome into `decision`.
  void AttemptReservation(const Escalation& escalation, Decision& decision,
                          const std::string& attempt_key, absl::Time inbound_deadline,
                          absl::Time now) const;

  const Clock& clock_;
  const absl::TimeZone zone_;
  std::unique_ptr<MandateGateway> mandate_;
  EscalationLocks locks_;
};

}  // namespace herstel::escalation

#endif  // HERSTEL_ESCALATION_ESCALATION_GRPC_SERVICE_H_
