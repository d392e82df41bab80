// The layout of a service fuzz input, shared by the fuzz targets and the
// seed maker:
//   byte 0  the RPC, as an index into the service's methods (modulo their count)
//   byte 1  the caller: a herstel.v1.Role number (modulo 10); 0 = no token
//   byte 2  bit 0: replace page_token by one bound to the request's own query
//           (taken from a first page of size 1), so the bytes after the
//           token's query digest reach the service's keyset decoding
//   rest    the request message on the wire (any bytes)
#ifndef HERSTEL_TESTS_ROBUSTNESS_FUZZ_FUZZ_INPUT_H_
#define HERSTEL_TESTS_ROBUSTNESS_FUZZ_FUZZ_INPUT_H_

#include <cstddef>

namespace herstel::robustness {

inline constexpr size_t kFuzzHeaderBytes = 3;
inline constexpr int kFuzzRoleCount = 10;
inline constexpr int kFuzzForgePageToken = 1;

}  // namespace herstel::robustness

#endif  // HERSTEL_TESTS_ROBUSTNESS_FUZZ_FUZZ_INPUT_H_
