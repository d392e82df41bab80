#include "herstel/service_client.h"

#include <algorithm>

#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace herstel {
namespace {

constexpr absl::Duration kTokenLifetime = absl::Minutes(5);

}  // namespace

ServiceClient::ServiceClient(const TokenKey& key, std::string self, const std::string& address)
    : key_(key),
      self_(std::move(self)),
      channel_(grpc::CreateChannel(address, grpc::InsecureChannelCredentials())) {}

void ServiceClient::Prepare(grpc::ClientContext& context, absl::Duration timeout,
                            absl::Time inbound_deadline) const {
  Caller caller;
  caller.subject = self_;
  caller.organisation = "herstel";
  caller.role = v1::ROLE_SERVICE;
  caller.municipalities = {"*"};
  caller.expires = absl::Now() + kTokenLifetime;
  context.AddMetadata("authorization", "Bearer " + key_.Mint(caller));
  context.set_deadline(absl::ToChronoTime(std::min(absl::Now() + timeout, inbound_deadline)));
}

}  // namespace herstel
