// The case-service's calls to its two peers, each behind a small class:
// the mandate-service (may this caller decide this, and reserve the money)
// and the escalation-service (open an escalation; follow its events).
//
// Every call carries the suite's service token and a deadline (the peer
// timeout, or the inbound call's deadline when sooner). A peer that can't be
// reached in time, or doesn't offer the call yet, answers UNAVAILABLE
// (reason PEER_UNAVAILABLE) naming the peer, so the caller knows nothing was
// recorded and a retry with the same request_id is safe. Other errors of a
// peer keep their code and detail.
#ifndef HERSTEL_CASE_SERVICE_PEERS_PEER_CLIENTS_H_
#define HERSTEL_CASE_SERVICE_PEERS_PEER_CLIENTS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "herstel/follower.h"
#include "herstel/service_client.h"
#include "herstel/v1/escalation_service.grpc.pb.h"
#include "herstel/v1/mandate_service.grpc.pb.h"

namespace herstel::case_service {

class MandateClient {
 public:
  MandateClient(const TokenKey& key, std::string address, absl::Duration timeout);

  // The mandate check and reservation in one atomic call.
  absl::StatusOr<v1::CheckAndReserveResponse> CheckAndReserve(
      const v1::CheckAndReserveRequest& request, absl::Time inbound_deadline) const;
  // The mandate check alone (for decisions that spend no money).
  absl::StatusOr<v1::CheckDecisionResponse> CheckDecision(const v1::CheckDecisionRequest& request,
                                                          absl::Time inbound_deadline) const;

 private:
  const std::string address_;
  const absl::Duration timeout_;
  ServiceClient client_;
  std::unique_ptr<v1::MandateService::Stub> stub_;
};

class EscalationClient {
 public:
  EscalationClient(const TokenKey& key, std::string address, absl::Duration timeout);

  absl::StatusOr<v1::Escalation> OpenEscalation(const v1::OpenEscalationRequest& request,
                                                absl::Time inbound_deadline) const;

  // A follower of the escalation-service's events of `types`, applying each
  // with `apply` (cursor source "escalation-service"). Not started.
  std::unique_ptr<EventFollower> MakeFollower(Store& store, std::vector<std::string> types,
                                              EventFollower::ApplyEvent apply) const;

 private:
  const std::string address_;
  const absl::Duration timeout_;
  ServiceClient client_;
  std::unique_ptr<v1::EscalationService::Stub> stub_;
};

// Maps a peer's answer: OK stays OK; unreachable, timed out or unimplemented
// becomes UNAVAILABLE naming `peer`, `address` and `method`; anything else
// keeps its code and detail with the peer named in the message.
absl::Status MapPeerStatus(const grpc::Status& status, absl::string_view peer,
                           absl::string_view address, absl::string_view method);

}  // namespace herstel::case_service

#endif  // HERSTEL_CASE_SERVICE_PEERS_PEER_CLIENTS_H_
