#include "store_backends.h"

#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <pqxx/pqxx>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace herstel::testing {

std::vector<StoreBackend> AllStoreBackends() {
  return {StoreBackend::kSqlite, StoreBackend::kPostgres};
}

StoreBackend StoreBackendFromEnvironment() {
  const char* backend = std::getenv("HERSTEL_TEST_STORE_BACKEND");
  return backend != nullptr && std::string(backend) == "postgres" ? StoreBackend::kPostgres
                                                                  : StoreBackend::kSqlite;
}

std::string StoreBackendName(const ::testing::TestParamInfo<StoreBackend>& info) {
  return info.param == StoreBackend::kSqlite ? "Sqlite" : "Postgres";
}

absl::StatusOr<std::string> TestPostgresBaseUri() {
  const char* file = std::getenv("HERSTEL_TEST_POSTGRES_URI_FILE");
  if (file == nullptr) file = HERSTEL_TEST_POSTGRES_URI_FILE;
  std::ifstream in(file);
  std::string uri;
  if (!std::getline(in, uri) || uri.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no PostgreSQL test server: ", file, " is missing or empty. Run the tests with ctest "
        "(its `postgres` fixture starts one), or start one with "
        "`tools/scripts/test-postgres.sh start DIR` and set HERSTEL_TEST_POSTGRES_URI_FILE=DIR/uri"));
  }
  return uri;
}

absl::StatusOr<std::string> FreshStoreLocation(StoreBackend backend, const std::string& directory,
                                               absl::string_view name) {
  if (backend == StoreBackend::kSqlite) return absl::StrCat(directory, "/", name, ".db");
  absl::StatusOr<std::string> base = TestPostgresBaseUri();
  if (!base.ok()) return base.status();
  static std::atomic<int> counter{0};
  std::string database = absl::StrCat("t", getpid(), "_", counter.fetch_add(1), "_");
  for (char c : name) {
    if (database.size() >= 60) break;
    database.push_back(std::isalnum(static_cast<unsigned char>(c)) ? absl::ascii_tolower(c) : '_');
  }
  try {
    pqxx::connection admin(absl::StrCat(*base, "/postgres"));
    pqxx::nontransaction create(admin);
    create.exec(absl::StrCat("CREATE DATABASE ", database));
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("creating test database ", database, ": ", e.what()));
  }
  return absl::StrCat(*base, "/", database);
}

absl::StatusOr<std::unique_ptr<Store>> OpenFreshStore(StoreBackend backend,
                                                      const std::string& directory,
                                                      absl::string_view name,
                                                      const MigrationSet& migrations) {
  absl::StatusOr<std::string> location = FreshStoreLocation(backend, directory, name);
  if (!location.ok()) return location.status();
  return Store::Open(*location, migrations);
}

}  // namespace herstel::testing
