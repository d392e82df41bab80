// Malformed requests for any RPC, built by reflection on its request
// descriptor, as raw bytes ready for CallWithBytes:
//   - the empty request (every field missing);
//   - every string and bytes field (nested messages and repeated fields
//     included, up to a small depth) set to 1 MiB;
//   - every string field set to invalid UTF-8 (the serializer would refuse
//     it, so a same-length placeholder is serialized and then overwritten);
//   - every int32 field (page_size among them) at 2^31-1, -1 and -2^31;
//   - every int64 field at -1, INT64_MAX and INT64_MIN;
//   - every enum field at an unknown number (999);
//   - every top-level field sent with the wrong wire type;
//   - garbage bytes that are no protobuf message at all.
// Each request starts from `base` (e.g. stop_at_end=true for a stream that
// would otherwise follow live events), so only the named field is wrong.
#ifndef HERSTEL_TESTS_ROBUSTNESS_MALFORMED_CORPUS_H_
#define HERSTEL_TESTS_ROBUSTNESS_MALFORMED_CORPUS_H_

#include <string>
#include <vector>

#include "google/protobuf/message.h"

namespace herstel::robustness {

struct MalformedRequest {
  std::string kind;   // "empty", "huge string", "invalid utf-8", "int32", ...
  std::string label;  // e.g. "mandate.holder.role=999"
  std::string bytes;  // the request on the wire
  bool parseable;     // false for bytes protobuf's C++ parser refuses (garbage, invalid UTF-8)
};

inline constexpr size_t kHugeStringBytes = 1 << 20;

// The corpus for `base`'s type. `base` is usually empty.
std::vector<MalformedRequest> BuildMalformedCorpus(const google::protobuf::Message& base);

// `base` for a method: empty, except stop_at_end=true when the request has
// such a field (server streams that would otherwise never end).
void PrepareBaseRequest(google::protobuf::Message& request);

}  // namespace herstel::robustness

#endif  // HERSTEL_TESTS_ROBUSTNESS_MALFORMED_CORPUS_H_
