// The embedded store: one SQLite file in WAL mode, versioned migrations
// applied at start, and transactions that commit whole or not at all.
//
// Every write runs inside Store::Write: its changes commit when the callback
// returns OK and roll back otherwise, so a failed rule never leaves half a
// change behind. Concurrent writes are group-committed: one caller leads and
// runs every queued write in one SQLite transaction, each inside its own
// savepoint, so they commit together (one commit instead of many) while each
// keeps its own all-or-nothing outcome; writes stay strictly serial. Reads run on
// a small pool of reader connections, each a consistent snapshot (WAL lets
// them proceed beside the writer). Prepared statements are cached per
// connection.
#ifndef HERSTEL_STORE_H_
#define HERSTEL_STORE_H_

#include <cstdint>
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

struct sqlite3;
struct sqlite3_stmt;

namespace herstel {

class EventNotifier;

// A prepared statement borrowed from the connection's cache; reset and
// unbound when it goes out of scope. Parameters are 1-based, columns 0-based.
class Statement {
 public:
  Statement(sqlite3_stmt* statement, sqlite3* db) : statement_(statement), db_(db) {}
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;

  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, absl::string_view text);
  Statement& Bind(int index, const char* text) { return Bind(index, absl::string_view(text)); }
  Statement& BindBlob(int index, absl::string_view bytes);
  Statement& BindNull(int index);

  // Advances; true when a row is ready, false when done, error on failure.
  absl::StatusOr<bool> Step();
  // Runs a statement that returns no rows.
  absl::Status Run();

  int64_t ColumnInt(int column) const;
  std::string ColumnText(int column) const;
  std::string ColumnBlob(int column) const;
  bool ColumnIsNull(int column) const;

 private:
  sqlite3_stmt* statement_;
  sqlite3* db_;
};

// What a callback of Store::Write or Store::Read works with.
class Transaction {
 public:
  // A cached prepared statement for `sql`; INTERNAL when it does not compile.
  absl::StatusOr<Statement> Prepare(absl::string_view sql);
  // Runs one or more statements without parameters.
  absl::Status Execute(absl::string_view sql);
  // Rowid of the last INSERT on this connection.
  int64_t LastInsertRowId() const;
  // Number of rows changed by the last statement.
  int64_t ChangedRows() const;
  // Called by the outbox: the transaction appended an event with `sequence`.
  void NoteEventAppended(int64_t sequence) { last_event_sequence_ = sequence; }

 private:
  friend class Store;
  explicit Transaction(class Connection* connection) : connection_(connection) {}
  class Connection* connection_;
  std::optional<int64_t> last_event_sequence_;
};

// One schema change. Versions of a component start at 1 and increase by 1.
struct Migration {
  int version;
  absl::string_view description;
  absl::string_view sql;
};

// The migrations of one component ("plumbing", "case-service", ...).
struct MigrationSet {
  absl::string_view component;
  std::vector<Migration> migrations;
};

class Store {
 public:
  // Opens (creating if needed) the SQLite file at `path`, turns on WAL and
  // foreign keys, and applies the shared plumbing tables (outbox, request ids,
  // cursors) and `service_migrations`. FAILED_PRECONDITION when the file has
  // a newer schema than this binary knows.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& path,
                                                     const MigrationSet& service_migrations);
  ~Store();

  // Runs `work` as one atomic write: kept on OK, undone otherwise. Returns
  // work's status, or the commit error. Must not be called from inside a
  // Write or Read callback.
  absl::Status Write(const std::function<absl::Status(Transaction&)>& work);
  // Runs `work` in one consistent read snapshot that sees every write
  // committed before it began. `work` must not write.
  absl::Status Read(const std::function<absl::Status(Transaction&)>& work);

  // Wakes WatchEvents streams when a committed transaction appended events.
  EventNotifier& notifier() { return *notifier_; }

  // Latest applied migration version of `component`, 0 when none.
  absl::StatusOr<int> SchemaVersion(absl::string_view component);

 private:
  // A reader connection and the lock that gives it to one Read at a time.
  struct Reader {
    absl::Mutex mutex;
    std::unique_ptr<class Connection> connection ABSL_GUARDED_BY(mutex);
  };

  // A write waiting for (or being run by) the batch leader.
  struct PendingWrite {
    const std::function<absl::Status(Transaction&)>* work;
    absl::Status status;
    bool done = false;
  };
  static constexpr size_t kMaxWriteBatch = 128;

  Store(std::unique_ptr<class Connection> connection);
  absl::Status Migrate(const MigrationSet& set);
  absl::Status OpenReaders(const std::string& path);

  absl::Mutex queue_mutex_;
  std::vector<PendingWrite*> queue_ ABSL_GUARDED_BY(queue_mutex_);
  bool leader_active_ ABSL_GUARDED_BY(queue_mutex_) = false;

  absl::Mutex mutex_;
  std::unique_ptr<class Connection> connection_ ABSL_GUARDED_BY(mutex_);
  // Empty until the schema is migrated; reads use the writer until then.
  std::vector<std::unique_ptr<Reader>> readers_;
  std::atomic<size_t> next_reader_{0};
  std::unique_ptr<EventNotifier> notifier_;
};

}  // namespace herstel

#endif  // HERSTEL_STORE_H_
