// Store backends for parameterised store tests: a store test suite is
// instantiated over AllStoreBackends(), so SQLite and PostgreSQL run the
// same tests and can't drift apart.
//
// PostgreSQL tests use the throwaway server that ctest starts as the
// `postgres` fixture (tools/scripts/test-postgres.sh); its base URI is in
// build/test-postgres/uri, or the file named by HERSTEL_TEST_POSTGRES_URI_FILE.
// Each store gets a database of its own. Run outside ctest, start a server:
//   tools/scripts/test-postgres.sh start /tmp/pg
//   HERSTEL_TEST_POSTGRES_URI_FILE=/tmp/pg/uri ./some_test
#ifndef HERSTEL_TESTING_STORE_BACKENDS_H_
#define HERSTEL_TESTING_STORE_BACKENDS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "herstel/store.h"

namespace herstel::testing {

enum class StoreBackend { kSqlite, kPostgres };

std::vector<StoreBackend> AllStoreBackends();

// PostgreSQL when the environment variable HERSTEL_TEST_STORE_BACKEND is
// "postgres", else SQLite: lets ctest run a whole integration suite a second
// time on PostgreSQL (see herstel_add_postgres_run in the top CMakeLists.txt).
StoreBackend StoreBackendFromEnvironment();

// "Sqlite" or "Postgres", for test names.
std::string StoreBackendName(const ::testing::TestParamInfo<StoreBackend>& info);

// The test server's base URI (`postgresql://user@host:port`), or an error
// saying how to start one.
absl::StatusOr<std::string> TestPostgresBaseUri();

// A location for Store::Open naming a new, empty store: a file `name`.db in
// `directory` for SQLite, a new database on the test server for PostgreSQL.
absl::StatusOr<std::string> FreshStoreLocation(StoreBackend backend, const std::string& directory,
                                               absl::string_view name);

// Store::Open on a FreshStoreLocation with `migrations`.
absl::StatusOr<std::unique_ptr<Store>> OpenFreshStore(StoreBackend backend,
                                                      const std::string& directory,
                                                      absl::string_view name,
                                                      const MigrationSet& migrations);

}  // namespace herstel::testing

#endif  // HERSTEL_TESTING_STORE_BACKENDS_H_
