// Idempotent mutations by request_id: the first answer is stored in the same
// transaction as the change, and a retry with the same request_id gets that
// answer back without changing anything again.
//
// A failed mutation is not remembered (its transaction rolls back), so a
// retry after an error is tried afresh. Reusing a request_id for a different
// request is refused with ALREADY_EXISTS (reason REQUEST_ID_REUSED).
#ifndef HERSTEL_IDEMPOTENCY_H_
#define HERSTEL_IDEMPOTENCY_H_

#include <functional>
#include <string_view>

#include "absl/strings/string_view.h"
#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "herstel/store.h"

namespace herstel {

// Longest request_id accepted.
inline constexpr size_t kMaxRequestIdLength = 128;

// INVALID_ARGUMENT naming `request_id` when it is empty or too long.
absl::Status ValidateRequestId(absl::string_view request_id);

// Runs `mutation` (which fills `response`) in one write transaction unless
// `request_id` was seen before, in which case `response` is the first answer.
// `method` is the full RPC name; it and `request` fingerprint the request.
absl::Status RunIdempotent(Store& store, absl::string_view method, absl::string_view request_id,
                           const google::protobuf::Message& request,
                           google::protobuf::Message& response,
                           const std::function<absl::Status(Transaction&)>& mutation);

}  // namespace herstel

#endif  // HERSTEL_IDEMPOTENCY_H_
