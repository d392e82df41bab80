#include "herstel/idempotency.h"

#include <openssl/sha.h>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "herstel/errors.h"
#include "herstel/status_macros.h"

namespace herstel {
namespace {

std::string Fingerprint(absl::string_view method, const google::protobuf::Message& request) {
  std::string bytes(method);
  bytes.push_back('\0');
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    request.SerializeToCodedStream(&coded);
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

}  // namespace

absl::Status ValidateRequestId(absl::string_view request_id) {
  if (request_id.empty()) {
    return FieldError("request_id", "is required on every change, so a retry is safe; "
                                    "use a fresh UUID per intended change");
  }
  if (request_id.size() > kMaxRequestIdLength) {
    return FieldError("request_id",
                      absl::StrCat("must be at most ", kMaxRequestIdLength, " characters"));
  }
  return absl::OkStatus();
}

absl::Status RunIdempotent(Store& store, absl::string_view method, absl::string_view request_id,
                           const google::protobuf::Message& request,
                           google::protobuf::Message& response,
                           const std::function<absl::Status(Transaction&)>& mutation) {
  HERSTEL_RETURN_IF_ERROR(ValidateRequestId(request_id));
  std::string fingerprint = Fingerprint(method, request);
  return store.Write([&](Transaction& tx) -> absl::Status {
    HERSTEL_ASSIGN_OR_RETURN(
        Statement lookup,
        tx.Prepare("SELECT request_sha256, response FROM idempotent_requests WHERE request_id = ?"));
    lookup.Bind(1, request_id);
    HERSTEL_ASSIGN_OR_RETURN(bool seen, lookup.Step());
    if (seen) {
      if (lookup.ColumnBlob(0) != fingerprint) {
        return DomainError(absl::StatusCode::kAlreadyExists, "REQUEST_ID_REUSED",
                           absl::StrCat("request_id '", request_id,
                                        "' was already used for a different request; "
                                        "use a fresh request_id for a new change"));
      }
      if (!response.ParseFromString(lookup.ColumnBlob(1))) {
        return absl::InternalError("stored answer for this request_id cannot be read");
      }
      return absl::OkStatus();
    }
    HERSTEL_RETURN_IF_ERROR(mutation(tx));
    HERSTEL_ASSIGN_OR_RETURN(
        Statement remember,
        tx.Prepare("INSERT INTO idempotent_requests (request_id, method, request_sha256, "
                   "response, created_micros) VALUES (?, ?, ?, ?, ?)"));
    remember.Bind(1, request_id)
        .Bind(2, method)
        .BindBlob(3, fingerprint)
        .BindBlob(4, response.SerializeAsString())
        .Bind(5, absl::ToUnixMicros(absl::Now()));
    return remember.Run();
  });
}

}  // namespace herstel
