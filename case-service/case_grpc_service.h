// The case-service's gRPC layer: authenticates every call, validates the
// request, applies the domain rules (domain/) to what the store (store/)
// holds inside one transaction with its event, and maps errors once.
//
// Mutations run through herstel::RunIdempotent (a retry with the same
// request_id answers the first answer); updates check the etag (stale →
// ABORTED). Personal data is read and written only by GetCasePersonalData
// and UpdateCasePersonalData and is never part of a Case, an event, a log
// line, an error message or a stored idempotent answer.
#ifndef HERSTEL_CASE_SERVICE_CASE_GRPC_SERVICE_H_
#define HERSTEL_CASE_SERVICE_CASE_GRPC_SERVICE_H_

#include <functional>

#include "absl/time/time.h"
#include "domain/authorization.h"
#include "domain/case_rules.h"
#include "domain/reference_data.h"
#include "herstel/outbox.h"
#include "herstel/rpc.h"
#include "herstel/v1/case_service.grpc.pb.h"
#include "peers/peer_clients.h"
#include "store/case_store.h"

namespace herstel::case_service {

struct CaseServiceOptions {
  // Term of an inspection on request (opname op verzoek), in days.
  int inspection_target_days = kDefaultInspectionTargetDays;
};

class CaseGrpcService final : public WithWatchEvents<v1::CaseService::Service> {
 public:
  // `mandate` and `escalation` may be null when not configured: the calls
  // that need them then answer UNAVAILABLE saying so.
  CaseGrpcService(Store& store, const TokenKey& key, const ReferenceData& reference,
                  const MandateClient* mandate, const EscalationClient* escalation,
                  CaseServiceOptions options);

  using ServerContext = grpc::ServerContext;
  using Status = grpc::Status;

  Status CreateCase(ServerContext*, const v1::CreateCaseRequest*, v1::Case*) override;
  Status GetCase(ServerContext*, const v1::GetCaseRequest*, v1::Case*) override;
  Status ListCases(ServerContext*, const v1::ListCasesRequest*, v1::ListCasesResponse*) override;
  Status UpdateCase(ServerContext*, const v1::UpdateCaseRequest*, v1::Case*) override;
  Status AddCaseTrack(ServerContext*, const v1::AddCaseTrackRequest*, v1::Case*) override;
  Status HandOverContactPerson(ServerContext*, const v1::HandOverContactPersonRequest*,
                               v1::Case*) override;
  Status ListContactHandovers(ServerContext*, const v1::ListContactHandoversRequest*,
                              v1::ListContactHandoversResponse*) override;
  Status AdvancePhase(ServerContext*, const v1::AdvancePhaseRequest*, v1::Case*) override;
  Status ReassessTrack(ServerContext*, const v1::ReassessTrackRequest*, v1::Case*) override;
  Status CompleteTrack(ServerContext*, const v1::CompleteTrackRequest*, v1::Case*) override;
  Status GetCasePlan(ServerContext*, const v1::GetCasePlanRequest*, v1::CasePlan*) override;
  Status UpdateCasePlan(ServerContext*, const v1::UpdateCasePlanRequest*, v1::CasePlan*) override;
  Status GetCasePersonalData(ServerContext*, const v1::GetCasePersonalDataRequest*,
                             v1::CasePersonalData*) override;
  Status UpdateCasePersonalData(ServerContext*, const v1::UpdateCasePersonalDataRequest*,
                                v1::CasePersonalData*) override;

  Status CreateCluster(ServerContext*, const v1::CreateClusterRequest*, v1::Cluster*) override;
  Status GetCluster(ServerContext*, const v1::GetClusterRequest*, v1::Cluster*) override;
  Status ListClusters(ServerContext*, const v1::ListClustersRequest*,
                      v1::ListClustersResponse*) override;
  Status UpdateCluster(ServerContext*, const v1::UpdateClusterRequest*, v1::Cluster*) override;
  Status AddClusterCases(ServerContext*, const v1::AddClusterCasesRequest*, v1::Cluster*) override;
  Status RemoveClusterCases(ServerContext*, const v1::RemoveClusterCasesRequest*,
                            v1::Cluster*) override;
  Status AdvanceCluster(ServerContext*, const v1::AdvanceClusterRequest*,
                        v1::AdvanceClusterResponse*) override;
  Status GetClusterPriority(ServerContext*, const v1::GetClusterPriorityRequest*,
                            v1::ClusterPriority*) override;
  Status OverrideClusterPriority(ServerContext*, const v1::OverrideClusterPriorityRequest*,
                                 v1::ClusterPriority*) override;
  Status ClearClusterPriorityOverride(ServerContext*,
                                      const v1::ClearClusterPriorityOverrideRequest*,
                                      v1::ClusterPriority*) override;

  Status CreateInspectionRequest(ServerContext*, const v1::CreateInspectionRequestRequest*,
                                 v1::InspectionRequest*) override;
  Status GetInspectionRequest(ServerContext*, const v1::GetInspectionRequestRequest*,
                              v1::InspectionRequest*) override;
  Status ListInspectionRequests(ServerContext*, const v1::ListInspectionRequestsRequest*,
                                v1::ListInspectionRequestsResponse*) override;
  Status ScheduleInspectionRequest(ServerContext*, const v1::ScheduleInspectionRequestRequest*,
                                   v1::InspectionRequest*) override;
  Status CloseInspectionRequest(ServerContext*, const v1::CloseInspectionRequestRequest*,
                                v1::InspectionRequest*) override;

  Status CreateBottleneck(ServerContext*, const v1::CreateBottleneckRequest*,
                          v1::Bottleneck*) override;
  Status GetBottleneck(ServerContext*, const v1::GetBottleneckRequest*, v1::Bottleneck*) override;
  Status ListBottlenecks(ServerContext*, const v1::ListBottlenecksRequest*,
                         v1::ListBottlenecksResponse*) override;
  Status EscalateBottleneck(ServerContext*, const v1::EscalateBottleneckRequest*,
                            v1::Bottleneck*) override;
  Status ResolveBottleneck(ServerContext*, const v1::ResolveBottleneckRequest*,
                           v1::Bottleneck*) override;

  Status CreateCaseDecisionRequest(ServerContext*, const v1::CreateCaseDecisionRequestRequest*,
                                   v1::CaseDecisionRequest*) override;
  Status GetCaseDecisionRequest(ServerContext*, const v1::GetCaseDecisionRequestRequest*,
                                v1::CaseDecisionRequest*) override;
  Status ListCaseDecisionRequests(ServerContext*, const v1::ListCaseDecisionRequestsRequest*,
                                  v1::ListCaseDecisionRequestsResponse*) override;

  Status ListCaseEvents(ServerContext*, const v1::ListCaseEventsRequest*,
                        v1::ListCaseEventsResponse*) override;
  Status BulkImportCases(ServerContext*, grpc::ServerReader<v1::BulkImportCasesRequest>*,
                         v1::BulkImportCasesResponse*) override;

 private:
  template <typename Work>
  Status Serve(ServerContext* context, Work&& work) {
    return ServeAuthenticated(*context, key_, domain_, std::forward<Work>(work));
  }
  // Shared shape of the phase moves: load, authorise, etag, `move`, save.
  absl::Status MoveTrack(const Caller& caller, absl::string_view method,
                         const google::protobuf::Message& request, absl::string_view name,
                         absl::string_view etag, absl::string_view request_id, v1::Case& response,
                         const std::function<absl::Status(Transaction&, int64_t, v1::Case&,
                                                          std::vector<TrackState>&)>& move);
  // A cluster as shown: stored fields plus member figures and priority rank.
  absl::Status PresentCluster(Transaction& tx, int64_t cluster_id, v1::Cluster& cluster);
  // Checks the caller's mandate for DECISION_KIND_CLUSTER_PRIORITY.
  absl::Status CheckPriorityMandate(const Caller& caller, absl::string_view municipality,
                                    absl::string_view request_id, absl::Time inbound_deadline);
  absl::Status ChangeClusterMembers(const Caller& caller, bool add, absl::string_view method,
                                    const google::protobuf::Message& request,
                                    absl::string_view cluster_name,
                                    const google::protobuf::RepeatedPtrField<std::string>& cases,
                                    absl::string_view etag, absl::string_view request_id,
                                    v1::Cluster& response);

  const ReferenceData& reference_;
  const MandateClient* const mandate_;
  const EscalationClient* const escalation_;
  const CaseServiceOptions options_;
};

// Applies an escalation-service event to the decision request it names
// (EscalationDecided with a final outcome, EscalationReferred,
// EscalationWithdrawn, EscalationReservationUpdated) inside `tx`, at most
// once: a request no longer awaiting its escalation is left alone. An event
// for a request not yet recorded is kept and applied when it is.
absl::Status ApplyEscalationEvent(Transaction& tx, const v1::Event& event);

// The escalation-service event types ApplyEscalationEvent handles.
std::vector<std::string> FollowedEscalationEventTypes();

}  // namespace herstel::case_service

#endif  // HERSTEL_CASE_SERVICE_CASE_GRPC_SERVICE_H_
