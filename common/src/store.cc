#include "herstel/store.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "herstel/event_notifier.h"
#include "herstel/status_macros.h"
#include "postgres_store.h"
#include "sqlite_store.h"

namespace herstel {
namespace {

// Tables every service has: the outbox, remembered request ids and the
// cursors of the streams it follows.
const MigrationSet& PlumbingMigrations() {
  static const MigrationSet* set = new MigrationSet{
      "plumbing",
      {{1, "outbox, idempotent requests, consumer cursors", R"sql(
CREATE TABLE outbox_events (
  sequence INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  resource TEXT NOT NULL,
  commit_time_micros INTEGER NOT NULL,
  payload BLOB NOT NULL,
  request_id TEXT NOT NULL,
  actor TEXT NOT NULL
);
CREATE TABLE idempotent_requests (
  request_id TEXT PRIMARY KEY,
  method TEXT NOT NULL,
  request_sha256 BLOB NOT NULL,
  response BLOB NOT NULL,
  created_micros INTEGER NOT NULL
);
CREATE TABLE consumer_cursors (
  source TEXT PRIMARY KEY,
  sequence INTEGER NOT NULL
);
)sql"}}};
  return *set;
}

// Latest applied migration version of `component` as `tx` sees it.
absl::StatusOr<int> AppliedVersion(Transaction& tx, absl::string_view component) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement query,
      tx.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE component = ?"));
  query.Bind(1, component);
  HERSTEL_RETURN_IF_ERROR(query.Step().status());
  return static_cast<int>(query.ColumnInt(0));
}

}  // namespace

Statement::~Statement() {
  if (backend_ != nullptr) backend_->Reset();
}

Statement::Statement(Statement&& other) noexcept : backend_(other.backend_) {
  other.backend_ = nullptr;
}

Statement& Statement::Bind(int index, int64_t value) {
  backend_->BindInt(index, value);
  return *this;
}

Statement& Statement::Bind(int index, absl::string_view text) {
  backend_->BindText(index, text);
  return *this;
}

Statement& Statement::BindBlob(int index, absl::string_view bytes) {
  backend_->BindBlob(index, bytes);
  return *this;
}

Statement& Statement::BindNull(int index) {
  backend_->BindNull(index);
  return *this;
}

absl::StatusOr<bool> Statement::Step() { return backend_->Step(); }

absl::Status Statement::Run() {
  HERSTEL_ASSIGN_OR_RETURN(bool has_row, Step());
  (void)has_row;
  return absl::OkStatus();
}

int64_t Statement::ColumnInt(int column) const { return backend_->ColumnInt(column); }
std::string Statement::ColumnText(int column) const { return backend_->ColumnText(column); }
std::string Statement::ColumnBlob(int column) const { return backend_->ColumnBlob(column); }
bool Statement::ColumnIsNull(int column) const { return backend_->ColumnIsNull(column); }

absl::StatusOr<Statement> Transaction::Prepare(absl::string_view sql) {
  HERSTEL_ASSIGN_OR_RETURN(StatementBackend * statement, backend_.Prepare(sql));
  return Statement(statement);
}

absl::Status Transaction::Execute(absl::string_view sql) { return backend_.Execute(sql); }

int64_t Transaction::LastInsertRowId() const { return backend_.LastInsertRowId(); }

int64_t Transaction::ChangedRows() const { return backend_.ChangedRows(); }

std::string StoreLocationForLogs(absl::string_view location) {
  size_t scheme = location.find("://");
  size_t at = location.rfind('@');
  if (scheme == location.npos || at == location.npos) return std::string(location);
  size_t colon = location.find(':', scheme + 3);
  if (colon == location.npos || colon > at) return std::string(location);
  return absl::StrCat(location.substr(0, colon + 1), "***", location.substr(at));
}

Store::Store() : notifier_(std::make_unique<EventNotifier>()) {}

Store::~Store() = default;

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& location,
                                                   const MigrationSet& service_migrations) {
  if (absl::StartsWith(location, "postgres://") || absl::StartsWith(location, "postgresql://")) {
    return OpenPostgresStore(location, service_migrations);
  }
  return OpenSqliteStore(location, service_migrations);
}

absl::StatusOr<int> Store::SchemaVersion(absl::string_view component) {
  int version = 0;
  HERSTEL_RETURN_IF_ERROR(Read([&](Transaction& tx) -> absl::Status {
    HERSTEL_ASSIGN_OR_RETURN(version, AppliedVersion(tx, component));
    return absl::OkStatus();
  }));
  return version;
}

absl::Status Store::Migrate(const MigrationSet& service_migrations) {
  HERSTEL_RETURN_IF_ERROR(Write([](Transaction& tx) {
    return tx.Execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "  component TEXT NOT NULL, version INTEGER NOT NULL, description TEXT NOT NULL,"
        "  applied_micros INTEGER NOT NULL, PRIMARY KEY (component, version));");
  }));
  HERSTEL_RETURN_IF_ERROR(MigrateSet(PlumbingMigrations()));
  HERSTEL_RETURN_IF_ERROR(MigrateSet(service_migrations));
  return Read([&](Transaction& tx) -> absl::Status {
    HERSTEL_ASSIGN_OR_RETURN(Statement last,
                             tx.Prepare("SELECT COALESCE(MAX(sequence), 0) FROM outbox_events"));
    HERSTEL_RETURN_IF_ERROR(last.Step().status());
    notifier_->Publish(last.ColumnInt(0));
    return absl::OkStatus();
  });
}

absl::Status Store::MigrateSet(const MigrationSet& set) {
  HERSTEL_ASSIGN_OR_RETURN(int current, SchemaVersion(set.component));
  int known = 0;
  for (const Migration& migration : set.migrations) {
    if (migration.version != known + 1) {
      return absl::InternalError(absl::StrCat("migrations of ", set.component,
                                              " must be numbered 1, 2, 3...; found ",
                                              migration.version, " after ", known));
    }
    known = migration.version;
  }
  if (current > known) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the store's ", set.component, " schema is at version ", current,
        " but this binary knows only up to ", known, "; run a newer binary"));
  }
  for (const Migration& migration : set.migrations) {
    if (migration.version <= current) continue;
    HERSTEL_RETURN_IF_ERROR(Write([&](Transaction& tx) -> absl::Status {
      // Looked at again inside the write: another process opening the same
      // store may have applied it meanwhile.
      HERSTEL_ASSIGN_OR_RETURN(int applied, AppliedVersion(tx, set.component));
      if (applied >= migration.version) return absl::OkStatus();
      HERSTEL_RETURN_IF_ERROR(tx.Execute(migration.sql));
      HERSTEL_ASSIGN_OR_RETURN(
          Statement record,
          tx.Prepare("INSERT INTO schema_migrations (component, version, description, "
                     "applied_micros) VALUES (?, ?, ?, ?)"));
      record.Bind(1, set.component)
          .Bind(2, migration.version)
          .Bind(3, migration.description)
          .Bind(4, absl::ToUnixMicros(absl::Now()));
      return record.Run();
    }));
  }
  return absl::OkStatus();
}

}  // namespace herstel
