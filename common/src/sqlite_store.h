// The SQLite backend of Store (see herstel/store.h): one file, one writer
// connection with group commit, a pool of reader connections.
#ifndef HERSTEL_SRC_SQLITE_STORE_H_
#define HERSTEL_SRC_SQLITE_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "herstel/store.h"

namespace herstel {

// Opens (creating if needed) the SQLite file at `path` in WAL mode with
// foreign keys on, and migrates it.
absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                                       const MigrationSet& service_migrations);

}  // namespace herstel

#endif  // HERSTEL_SRC_SQLITE_STORE_H_
