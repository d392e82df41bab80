// The PostgreSQL backend of Store (see herstel/store.h): a pool of
// connections to one database, SERIALIZABLE writes retried whole on a
// serialization failure, and SQL translated from the portable subset.
#ifndef HERSTEL_SRC_POSTGRES_STORE_H_
#define HERSTEL_SRC_POSTGRES_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "herstel/store.h"

namespace herstel {

// Connects to the database named by the libpq URI `uri` and migrates it
// under an advisory lock, so replicas starting together migrate once.
absl::StatusOr<std::unique_ptr<Store>> OpenPostgresStore(const std::string& uri,
                                                         const MigrationSet& service_migrations);

// The PostgreSQL form of portable SQL. Parameters `?`/`?N` become `$1`,
// `$2`... in the order they first appear (PostgreSQL cannot type a parameter
// the SQL never uses, which SQLite allows), each followed by `casts[N-1]`
// (for example "::int8"; empty for none).
// Rewrites INTEGER, BLOB, REAL, INTEGER PRIMARY KEY, WITHOUT ROWID,
// INSERT OR IGNORE and VIRTUAL (generated columns), and drops INDEXED BY
// hints, outside string literals. Exposed for its unit test.
std::string TranslateSqlForPostgres(absl::string_view sql,
                                    const std::vector<std::string>& casts = {});

}  // namespace herstel

#endif  // HERSTEL_SRC_POSTGRES_STORE_H_
