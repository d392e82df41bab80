#include "sqlite_store.h"

#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
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

class SqliteStatement : public StatementBackend {
 public:
  SqliteStatement(sqlite3_stmt* statement, sqlite3* db) : statement_(statement), db_(db) {}
  ~SqliteStatement() override { sqlite3_finalize(statement_); }

  void BindInt(int index, int64_t value) override {
    sqlite3_bind_int64(statement_, index, value);
  }
  void BindText(int index, absl::string_view text) override {
    sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()),
                      SQLITE_TRANSIENT);
  }
  void BindBlob(int index, absl::string_view bytes) override {
    sqlite3_bind_blob(statement_, index, bytes.data(), static_cast<int>(bytes.size()),
                      SQLITE_TRANSIENT);
  }
  void BindNull(int index) override { sqlite3_bind_null(statement_, index); }

  absl::StatusOr<bool> Step() override {
    int result = sqlite3_step(statement_);
    if (result == SQLITE_ROW) return true;
    if (result == SQLITE_DONE) return false;
    return SqliteError(db_, absl::StrCat("running `", sqlite3_sql(statement_), "`"));
  }

  int64_t ColumnInt(int column) const override {
    return sqlite3_column_int64(statement_, column);
  }
  std::string ColumnText(int column) const override {
    const unsigned char* text = sqlite3_column_text(statement_, column);
    if (text == nullptr) return "";
    return std::string(reinterpret_cast<const char*>(text),
                       sqlite3_column_bytes(statement_, column));
  }
  std::string ColumnBlob(int column) const override {
    const void* bytes = sqlite3_column_blob(statement_, column);
    if (bytes == nullptr) return "";
    return std::string(static_cast<const char*>(bytes), sqlite3_column_bytes(statement_, column));
  }
  bool ColumnIsNull(int column) const override {
    return sqlite3_column_type(statement_, column) == SQLITE_NULL;
  }
  void Reset() override {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }

 private:
  sqlite3_stmt* statement_;
  sqlite3* db_;
};

// A SQLite connection with its statement cache.
class SqliteConnection : public TransactionBackend {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  ~SqliteConnection() override {
    cache_.clear();
    sqlite3_close_v2(db_);
  }

  absl::StatusOr<StatementBackend*> Prepare(absl::string_view sql) override {
    auto it = cache_.find(sql);
    if (it != cache_.end()) return it->second.get();
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                           SQLITE_PREPARE_PERSISTENT, &statement, nullptr) != SQLITE_OK) {
      return SqliteError(db_, absl::StrCat("preparing `", sql, "`"));
    }
    auto& cached = cache_[sql];
    cached = std::make_unique<SqliteStatement>(statement, db_);
    return cached.get();
  }

  absl::Status Execute(absl::string_view sql) override {
    char* error = nullptr;
    std::string text(sql);
    if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      absl::Status status = SqliteError(db_, "executing SQL");
      sqlite3_free(error);
      return status;
    }
    return absl::OkStatus();
  }

  int64_t LastInsertRowId() override { return sqlite3_last_insert_rowid(db_); }
  int64_t ChangedRows() override { return sqlite3_changes64(db_); }

 private:
  sqlite3* db_;
  // Found by the SQL text as given, without copying it.
  absl::flat_hash_map<std::string, std::unique_ptr<SqliteStatement>> cache_;
};

// Pages the writer keeps between transactions (KiB): the pages a batch of
// writes reads and changes stay at hand instead of being read again.
constexpr int64_t kWriterCacheKib = 64 * 1024;

absl::StatusOr<std::unique_ptr<SqliteConnection>> OpenConnection(const std::string& path,
                                                                int flags) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    absl::Status status = absl::UnavailableError(
        absl::StrCat("cannot open store ", path, ": ", sqlite3_errmsg(db)));
    sqlite3_close_v2(db);
    return status;
  }
  sqlite3_busy_timeout(db, 5000);
  return std::make_unique<SqliteConnection>(db);
}

class SqliteStore : public Store {
 public:
  explicit SqliteStore(std::unique_ptr<SqliteConnection> connection)
      : connection_(std::move(connection)) {}

  absl::Status Open(const std::string& path, const MigrationSet& service_migrations) {
    {
      absl::MutexLock lock(&mutex_);
      HERSTEL_RETURN_IF_ERROR(connection_->Execute(
          absl::StrCat("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA "
                       "foreign_keys=ON; PRAGMA cache_size=-",
                       kWriterCacheKib, ";")));
    }
    HERSTEL_RETURN_IF_ERROR(Migrate(service_migrations));
    return OpenReaders(path);
  }

  absl::Status Write(const std::function<absl::Status(Transaction&)>& work) override;
  absl::Status Read(const std::function<absl::Status(Transaction&)>& work) override;

 private:
  // A reader connection and the lock that gives it to one Read at a time.
  struct Reader {
    absl::Mutex mutex;
    std::unique_ptr<SqliteConnection> connection ABSL_GUARDED_BY(mutex);
  };

  // A write waiting for (or being run by) the batch leader.
  struct PendingWrite {
    const std::function<absl::Status(Transaction&)>* work;
    absl::Status status;
    bool done = false;
  };
  static constexpr size_t kMaxWriteBatch = 128;
  static constexpr int kReaders = 4;

  absl::Status OpenReaders(const std::string& path);
  // Runs `batch` in one SQLite transaction, each write in its own savepoint;
  // returns the last event sequence a kept write appended.
  std::optional<int64_t> CommitBatch(const std::vector<PendingWrite*>& batch);

  absl::Mutex queue_mutex_;
  std::vector<PendingWrite*> queue_ ABSL_GUARDED_BY(queue_mutex_);
  bool leader_active_ ABSL_GUARDED_BY(queue_mutex_) = false;

  absl::Mutex mutex_;
  std::unique_ptr<SqliteConnection> connection_ ABSL_GUARDED_BY(mutex_);
  // Empty until the schema is migrated; reads use the writer until then.
  std::vector<std::unique_ptr<Reader>> readers_;
  std::atomic<size_t> next_reader_{0};
};

absl::Status SqliteStore::Write(const std::function<absl::Status(Transaction&)>& work) {
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

  std::optional<int64_t> appended = CommitBatch(batch);
  if (appended.has_value()) notifier().Publish(*appended);

  absl::MutexLock lock(&queue_mutex_);
  for (PendingWrite* write : batch) write->done = true;
  leader_active_ = false;
  return pending.status;
}

std::optional<int64_t> SqliteStore::CommitBatch(const std::vector<PendingWrite*>& batch) {
  absl::MutexLock lock(&mutex_);
  absl::Status begun = connection_->Execute("BEGIN IMMEDIATE");
  if (!begun.ok()) {
    for (PendingWrite* write : batch) write->status = begun;
    return std::nullopt;
  }
  std::optional<int64_t> appended;
  bool any_succeeded = false;
  for (PendingWrite* write : batch) {
    // Each write in its own savepoint: one failing leaves the others whole.
    write->status = connection_->Execute("SAVEPOINT herstel_write");
    if (!write->status.ok()) continue;
    Transaction tx(*connection_);
    write->status = (*write->work)(tx);
    if (write->status.ok()) {
      connection_->Execute("RELEASE herstel_write").IgnoreError();
      any_succeeded = true;
      if (tx.last_event_sequence().has_value()) appended = tx.last_event_sequence();
    } else {
      connection_->Execute("ROLLBACK TO herstel_write").IgnoreError();
      connection_->Execute("RELEASE herstel_write").IgnoreError();
    }
  }
  if (!any_succeeded) {
    connection_->Execute("ROLLBACK").IgnoreError();
    return std::nullopt;
  }
  absl::Status committed = connection_->Execute("COMMIT");
  if (committed.ok()) return appended;
  connection_->Execute("ROLLBACK").IgnoreError();
  for (PendingWrite* write : batch) {
    if (write->status.ok()) write->status = committed;
  }
  return std::nullopt;
}

absl::Status SqliteStore::Read(const std::function<absl::Status(Transaction&)>& work) {
  auto run = [&work](SqliteConnection& connection) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(connection.Execute("BEGIN"));
    Transaction tx(connection);
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

absl::Status SqliteStore::OpenReaders(const std::string& path) {
  for (int i = 0; i < kReaders; ++i) {
    HERSTEL_ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> connection,
                             OpenConnection(path, SQLITE_OPEN_READONLY));
    auto reader = std::make_unique<Reader>();
    absl::MutexLock lock(&reader->mutex);
    reader->connection = std::move(connection);
    readers_.push_back(std::move(reader));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                                       const MigrationSet& service_migrations) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ignored;
  if (!parent.empty()) std::filesystem::create_directories(parent, ignored);
  HERSTEL_ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> connection,
                           OpenConnection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  auto store = std::make_unique<SqliteStore>(std::move(connection));
  HERSTEL_RETURN_IF_ERROR(store->Open(path, service_migrations));
  return store;
}

}  // namespace herstel
