// A libFuzzer harness for one service, in process: the service class over a
// temporary store, served by a gRPC server in this process on a loopback
// port, each fuzz input sent as raw request bytes to one of the service's
// RPCs (every RPC the descriptor lists; see fuzz_input.h for the input
// layout). The handler
// therefore sees exactly what a remote caller could send: authentication,
// validation, filter parsing, page tokens and the domain behind them.
//
// A finding aborts (so libFuzzer keeps the input): a call that answers
// UNKNOWN, answers INTERNAL to a request the protobuf parser accepts, does
// not answer within its deadline, or answers an error after appending an
// event (nothing stored may change on an error). Crashes and sanitizer
// reports abort by themselves.
#ifndef HERSTEL_TESTS_ROBUSTNESS_FUZZ_SERVICE_FUZZER_H_
#define HERSTEL_TESTS_ROBUSTNESS_FUZZ_SERVICE_FUZZER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "grpcpp/impl/service_type.h"
#include "herstel/identity.h"
#include "herstel/store.h"

namespace herstel::robustness {

// Builds the services to fuzz over `store` (already migrated), loading any
// default data the binary would load at start.
using ServiceFactory =
    std::function<std::vector<std::unique_ptr<grpc::Service>>(Store& store, const TokenKey& key)>;

// Runs one input against the service, creating it on first use. Call from
// LLVMFuzzerTestOneInput; always returns 0.
int FuzzServiceOnce(const std::string& grpc_service, const MigrationSet& migrations,
                    const ServiceFactory& factory, const uint8_t* data, size_t size);

}  // namespace herstel::robustness

#endif  // HERSTEL_TESTS_ROBUSTNESS_FUZZ_SERVICE_FUZZER_H_
