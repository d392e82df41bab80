// Calls any RPC of any service by its full name with protobuf's JSON mapping,
// using the descriptors compiled into this binary (the Herstel API, health
// and reflection). Unary, client-, server- and bidi-streaming methods all go
// through one generic call: every request is sent, then every answer read.
#ifndef HERSTEL_TOOLS_JSON_CALL_H_
#define HERSTEL_TOOLS_JSON_CALL_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"

namespace herstel::tools {

struct JsonCallResult {
  std::vector<std::string> responses_json;  // one JSON document per answer
  absl::Status status;                      // the RPC's final status, with detail
};

// Calls `method` ("herstel.v1.CaseService/GetCase" or with a leading '/')
// on `channel`. `requests_json` is one JSON object, or for a client- or
// bidi-streaming method a JSON array of objects. INVALID_ARGUMENT (before any
// call) when the method is unknown or the JSON does not fit the request type.
absl::StatusOr<JsonCallResult> CallWithJson(const std::shared_ptr<grpc::Channel>& channel,
                                            const std::string& method,
                                            const std::string& requests_json,
                                            const std::string& bearer_token,
                                            std::optional<absl::Duration> timeout);

// Full names of every service compiled in, each with its methods.
std::vector<std::string> DescribeKnownServices();

// JSON of an error detail carried by `status`, or "" when it has none.
std::string ErrorDetailJson(const absl::Status& status);

}  // namespace herstel::tools

#endif  // HERSTEL_TOOLS_JSON_CALL_H_
