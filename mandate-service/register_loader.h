// The default mandate register, loaded on the first start of an empty store
// from a JSON file the operator can change: {"mandates": [GrantMandateRequest,
// ...]} in protobuf's JSON mapping, parents before their sub-mandates.
// Every entry passes the same rules as GrantMandate; one bad entry loads none.
#ifndef HERSTEL_MANDATE_REGISTER_LOADER_H_
#define HERSTEL_MANDATE_REGISTER_LOADER_H_

#include <string>

#include "absl/status/statusor.h"
#include "herstel/store.h"

namespace herstel::mandate {

// Loads `path` when the store holds no mandate yet; returns how many mandates
// were granted (0 when the register was already there).
absl::StatusOr<int> LoadDefaultRegisterIfEmpty(Store& store, const std::string& path);

}  // namespace herstel::mandate

#endif  // HERSTEL_MANDATE_REGISTER_LOADER_H_
