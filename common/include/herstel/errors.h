// Errors as values, with the project's own detail (herstel.v1.ErrorDetail).
//
// The domain returns absl::Status; a detail rides along as a payload. At the
// gRPC boundary ToGrpcStatus maps it once: the code is kept (UNKNOWN becomes
// INTERNAL, so callers never see UNKNOWN) and the detail travels in the
// `grpc-status-details-bin` trailer inside a google.rpc.Status-compatible
// herstel.v1.RpcStatus. Clients turn it back with FromGrpcStatus.
#ifndef HERSTEL_ERRORS_H_
#define HERSTEL_ERRORS_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/status/status.h"
#include "grpcpp/support/status.h"
#include "herstel/v1/common.pb.h"

namespace herstel {

// Type URL under which the detail is stored in an absl::Status payload.
inline constexpr absl::string_view kErrorDetailTypeUrl =
    "type.googleapis.com/herstel.v1.ErrorDetail";

// Returns `status` with `detail` attached (replacing any earlier detail).
absl::Status WithDetail(absl::Status status, const v1::ErrorDetail& detail);

// Returns the detail attached to `status`, if any.
std::optional<v1::ErrorDetail> GetErrorDetail(const absl::Status& status);

// A domain error: `code` with a stable `reason` (UPPER_SNAKE_CASE), a message
// a person can act on, and optional facts worth showing.
absl::Status DomainError(absl::StatusCode code, absl::string_view reason,
                         absl::string_view message,
                         const std::map<std::string, std::string>& metadata = {});

// INVALID_ARGUMENT naming one field and the rule it breaks.
absl::Status FieldError(absl::string_view field, absl::string_view rule);

// Collects every broken rule of a request, then answers one INVALID_ARGUMENT
// listing them all (or OK when nothing was added).
class FieldViolations {
 public:
  // Records that `field` breaks `rule`.
  void Add(absl::string_view field, absl::string_view rule);
  // Records a violation when `condition` is false; returns `condition`.
  bool Require(bool condition, absl::string_view field, absl::string_view rule);
  bool empty() const { return violations_.empty(); }
  // OK when empty; else INVALID_ARGUMENT whose message names every field.
  absl::Status ToStatus() const;

 private:
  std::vector<std::pair<std::string, std::string>> violations_;
};

// Maps a domain status to the wire, stamping `domain` (the service name) into
// the detail. OK maps to OK.
grpc::Status ToGrpcStatus(const absl::Status& status, absl::string_view domain);

// Maps a wire status back, keeping the detail when the trailer carries one.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace herstel

#endif  // HERSTEL_ERRORS_H_
