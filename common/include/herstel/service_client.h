// Calls one service makes to another on its own behalf: a channel to the
// peer and a fresh `service` role token (signed with the suite's key) plus a
// deadline on every call, so an unreachable peer answers UNAVAILABLE or
// DEADLINE_EXCEEDED in time instead of hanging.
#ifndef HERSTEL_SERVICE_CLIENT_H_
#define HERSTEL_SERVICE_CLIENT_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "herstel/identity.h"

namespace herstel {

class ServiceClient {
 public:
  // `self` is the calling service's name (the token's subject); `address`
  // is the peer's host:port.
  ServiceClient(const TokenKey& key, std::string self, const std::string& address);

  // Adds the bearer token and a deadline of `timeout` from now (or the
  // inbound call's deadline when that is sooner) to `context`.
  void Prepare(grpc::ClientContext& context, absl::Duration timeout,
               absl::Time inbound_deadline = absl::InfiniteFuture()) const;

  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

 private:
  const TokenKey& key_;
  const std::string self_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace herstel

#endif  // HERSTEL_SERVICE_CLIENT_H_
