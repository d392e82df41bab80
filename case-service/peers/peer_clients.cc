#include "peers/peer_clients.h"

#include "absl/strings/str_cat.h"
#include "herstel/errors.h"

namespace herstel::case_service {
namespace {

// Event streams stay open; only the connection attempt is bounded.
constexpr absl::Duration kFollowerTokenLifetime = absl::Hours(24 * 365);

}  // namespace

absl::Status MapPeerStatus(const grpc::Status& status, absl::string_view peer,
                           absl::string_view address, absl::string_view method) {
  if (status.ok()) return absl::OkStatus();
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::UNIMPLEMENTED:
    case grpc::StatusCode::CANCELLED:
      return DomainError(
          absl::StatusCode::kUnavailable, "PEER_UNAVAILABLE",
          absl::StrCat(peer, " at ", address, " did not answer ", method, " (",
                       status.error_code() == grpc::StatusCode::UNIMPLEMENTED
                           ? "it does not offer this call yet"
                           : status.error_message(),
                       "); nothing was recorded, retry later with the same request_id"),
          {{"peer", std::string(peer)}, {"peer_address", std::string(address)}});
    default:
      break;
  }
  absl::Status mapped = FromGrpcStatus(status);
  absl::Status named(mapped.code(), absl::StrCat(peer, ": ", mapped.message()));
  if (std::optional<v1::ErrorDetail> detail = GetErrorDetail(mapped)) {
    return WithDetail(named, *detail);
  }
  return named;
}

MandateClient::MandateClient(const TokenKey& key, std::string address, absl::Duration timeout)
    : address_(std::move(address)),
      timeout_(timeout),
      client_(key, "case-service", address_),
      stub_(v1::MandateService::NewStub(client_.channel())) {}

absl::StatusOr<v1::CheckAndReserveResponse> MandateClient::CheckAndReserve(
    const v1::CheckAndReserveRequest& request, absl::Time inbound_deadline) const {
  grpc::ClientContext context;
  client_.Prepare(context, timeout_, inbound_deadline);
  v1::CheckAndReserveResponse response;
  grpc::Status status = stub_->CheckAndReserve(&context, request, &response);
  if (absl::Status mapped = MapPeerStatus(status, "mandate-service", address_, "CheckAndReserve");
      !mapped.ok()) {
    return mapped;
  }
  return response;
}

absl::StatusOr<v1::CheckDecisionResponse> MandateClient::CheckDecision(
    const v1::CheckDecisionRequest& request, absl::Time inbound_deadline) const {
  grpc::ClientContext context;
  client_.Prepare(context, timeout_, inbound_deadline);
  v1::CheckDecisionResponse response;
  grpc::Status status = stub_->CheckDecision(&context, request, &response);
  if (absl::Status mapped = MapPeerStatus(status, "mandate-service", address_, "CheckDecision");
      !mapped.ok()) {
    return mapped;
  }
  return response;
}

EscalationClient::EscalationClient(const TokenKey& key, std::string address,
                                   absl::Duration timeout)
    : address_(std::move(address)),
      timeout_(timeout),
      client_(key, "case-service", address_),
      stub_(v1::EscalationService::NewStub(client_.channel())) {}

absl::StatusOr<v1::Escalation> EscalationClient::OpenEscalation(
    const v1::OpenEscalationRequest& request, absl::Time inbound_deadline) const {
  grpc::ClientContext context;
  client_.Prepare(context, timeout_, inbound_deadline);
  v1::Escalation response;
  grpc::Status status = stub_->OpenEscalation(&context, request, &response);
  if (absl::Status mapped =
          MapPeerStatus(status, "escalation-service", address_, "OpenEscalation");
      !mapped.ok()) {
    return mapped;
  }
  return response;
}

std::unique_ptr<EventFollower> EscalationClient::MakeFollower(
    Store& store, std::vector<std::string> types, EventFollower::ApplyEvent apply) const {
  v1::EscalationService::Stub* stub = stub_.get();
  const ServiceClient* client = &client_;
  return std::make_unique<EventFollower>(
      store, "escalation-service",
      [stub, types](grpc::ClientContext* context, const v1::WatchEventsRequest& request) {
        v1::WatchEventsRequest filtered = request;
        for (const std::string& type : types) filtered.add_types(type);
        return stub->WatchEvents(context, filtered);
      },
      std::move(apply),
      [client](grpc::ClientContext& context) {
        client->Prepare(context, kFollowerTokenLifetime);
      });
}

}  // namespace herstel::case_service
