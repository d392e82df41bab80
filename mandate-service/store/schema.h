// The mandate-service's tables, versioned for herstel::Store.
#ifndef HERSTEL_MANDATE_STORE_SCHEMA_H_
#define HERSTEL_MANDATE_STORE_SCHEMA_H_

#include "herstel/store.h"

namespace herstel::mandate {

// Mandates, the decision log, authorisations, budget lines with their totals
// (a CHECK constraint guards reserved + committed <= ceiling a second time),
// the journal and reservations. Resources are kept whole as protobuf blobs;
// the columns beside them exist for lookups, filters and ordering.
const MigrationSet& MandateSchema();

}  // namespace herstel::mandate

#endif  // HERSTEL_MANDATE_STORE_SCHEMA_H_
