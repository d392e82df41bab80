// The common shape of a gRPC handler: authenticate the caller, run the domain
// work, map its absl::Status to the wire once.
#ifndef HERSTEL_RPC_H_
#define HERSTEL_RPC_H_

#include <string_view>
#include <utility>

#include "grpcpp/server_context.h"
#include "herstel/errors.h"
#include "herstel/identity.h"

namespace herstel {

// Calls `work(const Caller&) -> absl::Status` for an authenticated caller;
// UNAUTHENTICATED (with why) otherwise. `domain` names the service in errors.
template <typename Work>
grpc::Status ServeAuthenticated(const grpc::ServerContextBase& context, const TokenKey& key,
                                absl::string_view domain, Work&& work) {
  absl::StatusOr<Caller> caller = AuthenticateCall(context, key);
  if (!caller.ok()) return ToGrpcStatus(caller.status(), domain);
  return ToGrpcStatus(std::forward<Work>(work)(*caller), domain);
}

}  // namespace herstel

#endif  // HERSTEL_RPC_H_
