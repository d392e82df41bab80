#include "herstel/store.h"

#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "herstel/event_notifier.h"
#include "herstel/status_macros.h"

namespace herstel {
namespace {

absl::Status SqliteError(sqlite3* db, absl::string_view what) {
  int code = sqlite3_extended_errcode(db);
  std::string message = absl::StrCat(what, ": ", sqlite3_errmsg(db));
  if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED) {
    return absl::UnavailableError(message);
  }
  if ((code & 0xff) == SQLITE_CONSTRAINT) return absl::AbortedError(message);
  return absl::InternalError(message);
}

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

}  // namespace

// A SQLite connection with its statement cache.
class Connection {
 public:
  explicit Connection(sqlite3* db) : db_(db) {}
  ~Connection() {
    for (auto& [sql, statement] : cache_) sqlite3_finalize(statement);
    sqlite3_close_v2(db_);
  }
  sqlite3* db() const { return db_; }

  absl::StatusOr<Statement> Prepare(absl::string_view sql) {
    auto it = cache_.find(std::string(sql));
    if (it != cache_.end()) return Statement(it->second, db_);
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                           SQLITE_PREPARE_PERSISTENT, &statement, nullptr) != SQLITE_OK) {
      return SqliteError(db_, absl::StrCat("preparing `", sql, "`"));
    }
    cache_.emplace(std::string(sql), statement);
    return Statement(statement, db_);
  }

  absl::Status Execute(absl::string_view sql) {
    char* error = nullptr;
    std::string text(sql);
    if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      absl::Status status = SqliteError(db_, "executing SQL");
      sqlite3_free(error);
      return status;
    }
    return absl::OkStatus();
  }

 private:
  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

Statement::~Statement() {
  if (statement_ == nullptr) return;
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

Statement::Statement(Statement&& other) noexcept
    : statement_(other.statement_), db_(other.db_) {
  other.statement_ = nullptr;
}

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(statement_, index, value);
  return *this;
}

Statement& Statement::Bind(int index, absl::string_view text) {
  sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()),
                    SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::BindBlob(int index, absl::string_view bytes) {
  sqlite3_bind_blob(statement_, index, bytes.data(), static_cast<int>(bytes.size()),
                    SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(statement_, index);
  return *this;
}

absl::StatusOr<bool> Statement::Step() {
  int result = sqlite3_step(statement_);
  if (result == SQLITE_ROW) return true;
  if (result == SQLITE_DONE) return false;
  return SqliteError(db_, absl::StrCat("running `", sqlite3_sql(statement_), "`"));
}

absl::Status Statement::Run() {
  HERSTEL_ASSIGN_OR_RETURN(bool has_row, Step());
  (void)has_row;
  return absl::OkStatus();
}

int64_t Statement::ColumnInt(int column) const {
  return sqlite3_column_int64(statement_, column);
}

std::string Statement::ColumnText(int column) const {
  const unsigned char* text = sqlite3_column_text(statement_, column);
  if (text == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(text),
                     sqlite3_column_bytes(statement_, column));
}

std::string Statement::ColumnBlob(int column) const {
  const void* bytes = sqlite3_column_blob(statement_, column);
  if (bytes == nullptr) return "";
  return std::string(static_cast<const char*>(bytes), sqlite3_column_bytes(statement_, column));
}

bool Statement::ColumnIsNull(int column) const {
  return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}

absl::StatusOr<Statement> Transaction::Prepare(absl::string_view sql) {
  return connection_->Prepare(sql);
}

absl::Status Transaction::Execute(absl::string_view sql) { return connection_->Execute(sql); }

int64_t Transaction::LastInsertRowId() const {
  return sqlite3_last_insert_rowid(connection_->db());
}

int64_t Transaction::ChangedRows() const { return sqlite3_changes64(connection_->db()); }

Store::Store(std::unique_ptr<Connection> connection)
    : connection_(std::move(connection)), notifier_(std::make_unique<EventNotifier>()) {}

Store::~Store() = default;

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path,
                                                   const MigrationSet& service_migrations) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    absl::Status status = absl::UnavailableError(
        absl::StrCat("cannot open store ", path, ": ", sqlite3_errmsg(db)));
    sqlite3_close_v2(db);
    return status;
  }
  auto connection = std::make_unique<Connection>(db);
  sqlite3_busy_timeout(db, 5000);
  HERSTEL_RETURN_IF_ERROR(connection->Execute(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      "  component TEXT NOT NULL, version INTEGER NOT NULL, description TEXT NOT NULL,"
      "  applied_micros INTEGER NOT NULL, PRIMARY KEY (component, version));"));
  std::unique_ptr<Store> store(new Store(std::move(connection)));
  HERSTEL_RETURN_IF_ERROR(store->Migrate(PlumbingMigrations()));
  HERSTEL_RETURN_IF_ERROR(store->Migrate(service_migrations));
  HERSTEL_RETURN_IF_ERROR(store->OpenReaders(path));
  HERSTEL_RETURN_IF_ERROR(store->Read([&](Transaction& tx) -> absl::Status {
    HERSTEL_ASSIGN_OR_RETURN(Statement last,
                             tx.Prepare("SELECT COALESCE(MAX(sequence), 0) FROM outbox_events"));
    HERSTEL_RETURN_IF_ERROR(last.Step().status());
    store->notifier_->Publish(last.ColumnInt(0));
    return absl::OkStatus();
  }));
  return store;
}

absl::StatusOr<int> Store::SchemaVersion(absl::string_view component) {
  int version = 0;
  HERSTEL_RETURN_IF_ERROR(Read([&](Transaction& tx) -> absl::Status {
    HERSTEL_ASSIGN_OR_RETURN(
        Statement query,
        tx.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE component = ?"));
    query.Bind(1, component);
    HERSTEL_RETURN_IF_ERROR(query.Step().status());
    version = static_cast<int>(query.ColumnInt(0));
    return absl::OkStatus();
  }));
  return version;
}

absl::Status Store::Migrate(const MigrationSet& set) {
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

absl::Status Store::Write(const std::function<absl::Status(Transaction&)>& work) {
  PendingWrite pending{&work, absl::OkStatus(), false};
  std::vector<PendingWrite*> batch;
  {
    absl::MutexLock lock(&queue_mutex_);
    queue_.push_back(&pending);
    auto done_or_free = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mutex_) {
      return pending.done || !leader_active_;
    };
    queue_mutex_.Await(absl::Condition(&done_or_free));
    if (pending.done) return pending.status;
    // This caller leads: it commits everything queued so far as one batch.
    leader_active_ = true;
    size_t count = std::min(queue_.size(), kMaxWriteBatch);
    batch.assign(queue_.begin(), queue_.begin() + count);
    queue_.erase(queue_.begin(), queue_.begin() + count);
  }

  std::optional<int64_t> appended;
  {
    absl::MutexLock lock(&mutex_);
    absl::Status begun = connection_->Execute("BEGIN IMMEDIATE");
    bool any_succeeded = false;
    for (PendingWrite* write : batch) {
      if (!begun.ok()) {
        write->status = begun;
        continue;
      }
      // Each write in its own savepoint: one failing leaves the others whole.
      write->status = connection_->Execute("SAVEPOINT herstel_write");
      if (!write->status.ok()) continue;
      Transaction tx(connection_.get());
      write->status = (*write->work)(tx);
      if (write->status.ok()) {
        connection_->Execute("RELEASE herstel_write").IgnoreError();
        any_succeeded = true;
        if (tx.last_event_sequence_.has_value()) appended = tx.last_event_sequence_;
      } else {
        connection_->Execute("ROLLBACK TO herstel_write").IgnoreError();
        connection_->Execute("RELEASE herstel_write").IgnoreError();
      }
    }
    if (begun.ok()) {
      absl::Status committed = any_succeeded ? connection_->Execute("COMMIT") : absl::OkStatus();
      if (!any_succeeded) connection_->Execute("ROLLBACK").IgnoreError();
      if (!committed.ok()) {
        connection_->Execute("ROLLBACK").IgnoreError();
        appended.reset();
        for (PendingWrite* write : batch) {
          if (write->status.ok()) write->status = committed;
        }
      }
    }
  }
  if (appended.has_value()) notifier_->Publish(*appended);

  absl::MutexLock lock(&queue_mutex_);
  for (PendingWrite* write : batch) write->done = true;
  leader_active_ = false;
  return pending.status;
}

absl::Status Store::Read(const std::function<absl::Status(Transaction&)>& work) {
  auto run = [&work](Connection& connection) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(connection.Execute("BEGIN"));
    Transaction tx(&connection);
    absl::Status status = work(tx);
    connection.Execute("COMMIT").IgnoreError();
    return status;
  };
  if (readers_.empty()) {
    absl::MutexLock lock(&mutex_);
    return run(*connection_);
  }
  // Take the first idle reader, starting from a rotating position; if all are
  // busy, wait for the one at that position.
  size_t start = next_reader_.fetch_add(1) % readers_.size();
  for (size_t i = 0; i < readers_.size(); ++i) {
    Reader& reader = *readers_[(start + i) % readers_.size()];
    if (reader.mutex.TryLock()) {
      absl::Status status = run(*reader.connection);
      reader.mutex.Unlock();
      return status;
    }
  }
  Reader& reader = *readers_[start];
  absl::MutexLock lock(&reader.mutex);
  return run(*reader.connection);
}

absl::Status Store::OpenReaders(const std::string& path) {
  constexpr int kReaders = 4;
  for (int i = 0; i < kReaders; ++i) {
    sqlite3* db = nullptr;
    int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
      absl::Status status = absl::UnavailableError(
          absl::StrCat("cannot open a reader on ", path, ": ", sqlite3_errmsg(db)));
      sqlite3_close_v2(db);
      return status;
    }
    sqlite3_busy_timeout(db, 5000);
    auto reader = std::make_unique<Reader>();
    absl::MutexLock lock(&reader->mutex);
    reader->connection = std::make_unique<Connection>(db);
    readers_.push_back(std::move(reader));
  }
  return absl::OkStatus();
}

}  // namespace herstel
