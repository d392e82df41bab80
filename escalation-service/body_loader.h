// The default bodies of the ladder, loaded on the first start of an empty
// store from a JSON file the operator can change: {"bodies":
// [CreateBodyRequest, ...]} in protobuf's JSON mapping. Every entry passes the
// same rules as CreateBody; one bad entry loads none.
#ifndef HERSTEL_ESCALATION_BODY_LOADER_H_
#define HERSTEL_ESCALATION_BODY_LOADER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "herstel/store.h"

namespace herstel::escalation {

// Loads `path` when the store holds no body yet; answers how many bodies
// were created (0 when there were bodies already).
absl::StatusOr<int> LoadDefaultBodiesIfEmpty(Store& store, const std::string& path, absl::Time now);

}  // namespace herstel::escalation

#endif  // HERSTEL_ESCALATION_BODY_LOADER_H_
