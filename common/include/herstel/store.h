// The store every service keeps its state in: versioned migrations applied
// at start, and transactions that commit whole or not at all. Two backends
// sit behind one API, chosen by the location given to Store::Open:
//
// - SQLite (a file path): one file in WAL mode for a single process.
//   Concurrent writes are group-committed: one caller leads and runs every
//   queued write in one SQLite transaction, each inside its own savepoint, so
//   they commit together while each keeps its own all-or-nothing outcome.
//   Reads run on a small pool of reader connections, each a snapshot.
// - PostgreSQL (`postgres://` or `postgresql://` URI): a pool of connections
//   per process, one database shared by several replicas of a service. Every
//   write is a SERIALIZABLE transaction that first takes the store's write
//   lock, so writes of all replicas run one at a time and each sees every
//   write committed before it; rules checked inside a write (a budget
//   ceiling, a request id seen before) hold across replicas. A write that
//   still fails on a serialization failure, deadlock or concurrent unique-key
//   clash is run again whole. Reads are REPEATABLE READ snapshots beside the
//   writers. Migrations run under an advisory lock, so two replicas starting
//   at once apply each migration once.
//
// A write callback may therefore run more than once on PostgreSQL: it must
// only touch the transaction and its own outputs. SQL is written once in a
// portable subset (SQLite syntax with `?`/`?N` parameters, INTEGER, BLOB,
// `INSERT OR IGNORE`, `WITHOUT ROWID`); the PostgreSQL backend translates it.
// Prepared statements are cached per connection.
#ifndef HERSTEL_STORE_H_
#define HERSTEL_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace herstel {

class EventNotifier;

// What a backend implements for one prepared statement (see Statement).
class StatementBackend {
 public:
  virtual ~StatementBackend() = default;
  virtual void BindInt(int index, int64_t value) = 0;
  virtual void BindText(int index, absl::string_view text) = 0;
  virtual void BindBlob(int index, absl::string_view bytes) = 0;
  virtual void BindNull(int index) = 0;
  virtual absl::StatusOr<bool> Step() = 0;
  virtual int64_t ColumnInt(int column) const = 0;
  virtual std::string ColumnText(int column) const = 0;
  virtual std::string ColumnBlob(int column) const = 0;
  virtual bool ColumnIsNull(int column) const = 0;
  // Forgets rows and bindings so the statement can be used again.
  virtual void Reset() = 0;
};

// A prepared statement borrowed from the connection's cache; reset and
// unbound when it goes out of scope. Parameters are 1-based, columns 0-based.
class Statement {
 public:
  explicit Statement(StatementBackend* backend) : backend_(backend) {}
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
  StatementBackend* backend_;
};

// What a backend implements for one open transaction (see Transaction).
class TransactionBackend {
 public:
  virtual ~TransactionBackend() = default;
  virtual absl::StatusOr<StatementBackend*> Prepare(absl::string_view sql) = 0;
  virtual absl::Status Execute(absl::string_view sql) = 0;
  virtual int64_t LastInsertRowId() = 0;
  virtual int64_t ChangedRows() = 0;
};

// What a callback of Store::Write or Store::Read works with.
class Transaction {
 public:
  explicit Transaction(TransactionBackend& backend) : backend_(backend) {}

  // A cached prepared statement for `sql`; INTERNAL when it does not compile.
  absl::StatusOr<Statement> Prepare(absl::string_view sql);
  // Runs one or more statements without parameters.
  absl::Status Execute(absl::string_view sql);
  // Key given to the last row inserted into a table whose key is an
  // INTEGER PRIMARY KEY filled in by the store.
  int64_t LastInsertRowId() const;
  // Number of rows changed by the last statement.
  int64_t ChangedRows() const;
  // Called by the outbox: the transaction appended an event with `sequence`.
  void NoteEventAppended(int64_t sequence) { last_event_sequence_ = sequence; }
  std::optional<int64_t> last_event_sequence() const { return last_event_sequence_; }

 private:
  TransactionBackend& backend_;
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

// `location` as it may be logged: a PostgreSQL URI's password replaced by ***.
std::string StoreLocationForLogs(absl::string_view location);

class Store {
 public:
  // Opens the store at `location`: a PostgreSQL URI (`postgres://` or
  // `postgresql://`, one database per service) or else a SQLite file path,
  // created if needed. Applies the shared plumbing tables (outbox, request
  // ids, cursors) and `service_migrations`. FAILED_PRECONDITION when the
  // store has a newer schema than this binary knows; UNAVAILABLE when it
  // cannot be reached.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& location,
                                                     const MigrationSet& service_migrations);
  virtual ~Store();

  // Runs `work` as one atomic write: kept on OK, undone otherwise. Returns
  // work's status, or the commit error. Must not be called from inside a
  // Write or Read callback.
  virtual absl::Status Write(const std::function<absl::Status(Transaction&)>& work) = 0;
  // Runs `work` in one consistent read snapshot that sees every write
  // committed before it began. `work` must not write.
  virtual absl::Status Read(const std::function<absl::Status(Transaction&)>& work) = 0;

  // Wakes WatchEvents streams when a committed transaction of this process
  // appended events (streams also poll, for events of other replicas).
  EventNotifier& notifier() { return *notifier_; }

  // Latest applied migration version of `component`, 0 when none.
  absl::StatusOr<int> SchemaVersion(absl::string_view component);

 protected:
  Store();
  // Applies the plumbing and service migrations not yet applied, each in its
  // own write, and primes the notifier with the last event sequence.
  absl::Status Migrate(const MigrationSet& service_migrations);

 private:
  absl::Status MigrateSet(const MigrationSet& set);

  std::unique_ptr<EventNotifier> notifier_;
};

}  // namespace herstel

#endif  // HERSTEL_STORE_H_
