// Calls any RPC with raw request bytes through grpc::GenericStub, so a test
// or a fuzz target can send what the C++ serializer would refuse (invalid
// UTF-8, wrong wire types, garbage), and herstelctl's JSON calls ride on it.
// Every request is written, the client half-closes, then every answer is
// read until the final status. The call ends by its answer, or at `deadline`
// when one is given.
#ifndef HERSTEL_TOOLS_RAW_CALL_H_
#define HERSTEL_TOOLS_RAW_CALL_H_

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "grpcpp/channel.h"
#include "grpcpp/support/status.h"

namespace herstel::tools {

struct RawCallResult {
  grpc::Status status;
  std::vector<std::string> responses;  // serialized answers, in order
};

// `path` is "/package.Service/Method". `bearer_token` may be empty.
RawCallResult CallWithBytes(const std::shared_ptr<grpc::Channel>& channel, const std::string& path,
                            const std::vector<std::string>& requests, const std::string& bearer_token,
                            std::optional<std::chrono::milliseconds> deadline);

}  // namespace herstel::tools

#endif  // HERSTEL_TOOLS_RAW_CALL_H_
