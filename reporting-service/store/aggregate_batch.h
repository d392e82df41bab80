// Writing the aggregates of a batch of events at once, and reading counters.
//
// Counters are stored one row per (area, day) holding every counter cell of
// that day (day_counters), so a day's events in a village write one row, not
// one per metric and dimension. Stock changes are also summed per span of
// kStockSpanDays days (stock_spans), so the stock at any moment is a few span
// rows plus less than one span of days, however long the history.
//
// AggregateBatch is the AggregateSink the followers apply events to inside
// their write transaction. Counters, handover marks and case and escalation
// states are kept in memory and written once per batch by Flush(); items
// with a due time and budget balances go straight to SQL (they are rare and
// read back within a batch). Call Flush() before the transaction commits;
// the transaction makes the whole batch land or none of it. Batches of
// disjoint cases (their states apart, their counts adding up) may run on
// threads of their own over one transaction and flush one after another.
#ifndef HERSTEL_REPORTING_STORE_AGGREGATE_BATCH_H_
#define HERSTEL_REPORTING_STORE_AGGREGATE_BATCH_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "domain/aggregator.h"
#include "herstel/store.h"
#include "store/stored_aggregates.pb.h"

namespace herstel::reporting {

// Days whose stock changes share one stock_spans row (span = day / 64).
inline constexpr int64_t kStockSpanDays = 64;

// The states (entity_states) one follower committed, kept in memory across
// its transactions in their stored form, so that a transaction finds them
// without a query. They are valid only while the stored cursor is the one
// they were committed with: a transaction that rolled back, or another
// replica applying the same stream, leaves a different cursor, and they are
// dropped. The kind of state must be written by that one stream only (case
// states by the case-service's events). At most kMaxKeptStates are kept;
// past that, the rest is read from the store again. Find may be called from
// several threads at once while nothing is validated, staged or committed.
class KeptStates {
 public:
  static constexpr size_t kMaxKeptStates = 2'000'000;

  // Called in the transaction with the cursor stored before it. When the
  // stream was never applied (cursor 0), no state of the kind exists yet,
  // so every state is known here (complete).
  void ValidateAt(int64_t stored_cursor);
  // The stored form of `name`, or null when not kept.
  const std::string* Find(absl::string_view name) const;
  // Whether a name that is not kept has no state at all.
  bool complete() const { return complete_; }
  // A state the transaction writes; kept only once Commit names its cursor.
  void Stage(std::string name, std::string stored);
  // The staged writes are in the transaction, which stores `cursor`.
  void Commit(int64_t cursor);
  // Forgets every state and frees their memory: a stream that has caught up
  // reads the states of its few live events from the store.
  void Drop();

 private:
  absl::flat_hash_map<std::string, std::string> states_;
  std::vector<std::pair<std::string, std::string>> staged_;
  int64_t cursor_ = -1;  // the cursor states_ was committed with; -1: none
  bool complete_ = false;
};

class AggregateBatch : public AggregateSink {
 public:
  // `sql`, when given, is held for every use of `tx`: batches on other
  // threads may share the transaction (one at a time). `kept_cases`, when
  // given, are the case states kept across transactions (see KeptStates):
  // the batch reads them first and stages what it writes.
  explicit AggregateBatch(Transaction& tx, absl::Mutex* sql = nullptr,
                          KeptStates* kept_cases = nullptr)
      : tx_(tx), sql_(sql), kept_cases_(kept_cases) {}

  absl::Status AddCount(absl::string_view metric, const AreaKey& area, int64_t dim1,
                        int64_t dim2, int64_t dim3, int64_t day, int64_t delta) override;
  absl::Status MarkItemDay(absl::string_view kind, absl::string_view item, const AreaKey& place,
                           int64_t day) override;
  absl::StatusOr<const CaseState*> LoadCase(absl::string_view name) override;
  absl::Status SaveCase(absl::string_view name, CaseState state) override;
  absl::StatusOr<std::optional<EscalationState>> LoadEscalation(absl::string_view name) override;
  absl::Status SaveEscalation(absl::string_view name, const EscalationState& state) override;
  absl::Status OpenItem(const DueItem& item) override;
  absl::StatusOr<std::optional<int64_t>> ItemStartMicros(absl::string_view kind,
                                                         absl::string_view name) override;
  absl::Status CloseItem(absl::string_view kind, absl::string_view name,
                         int64_t end_micros) override;
  absl::Status SetItemDue(absl::string_view kind, absl::string_view name,
                          int64_t due_micros) override;
  absl::Status SaveBudgetLine(const BudgetLineInfo& line) override;
  absl::Status SaveBudgetBalance(const BudgetBalanceRow& balance, int64_t day) override;

  // Adds the counters and marks of `other` (a batch of other cases in the
  // same transaction) into this one, so they are written once; `other`
  // keeps its states. It touches no state of `other`, so `other` may run
  // FlushStates on another thread meanwhile.
  void TakeCountsOf(AggregateBatch& other);
  // Serializes the changed case states for FlushStates, without SQL: a
  // thread of its own may do it while another batch writes.
  void PrepareStates();
  // Writes the changed case and escalation states.
  absl::Status FlushStates();
  // Writes everything kept in memory; the batch is empty afterwards.
  absl::Status Flush();

 private:
  // A counter cell's identity within its row: metric (metric::IdOf) and
  // dimensions (enum values and buckets: AddCount refuses any beyond 32 bits,
  // which keeps a transaction's cells at 24 bytes).
  struct CellKey {
    int32_t metric;
    int32_t dim1;
    int32_t dim2;
    int32_t dim3;
    bool operator==(const CellKey& other) const {
      return metric == other.metric && dim1 == other.dim1 && dim2 == other.dim2 &&
             dim3 == other.dim3;
    }
    template <typename H>
    friend H AbslHashValue(H hash, const CellKey& key) {
      return H::combine(std::move(hash), key.metric, key.dim1, key.dim2, key.dim3);
    }
  };
  using Cells = absl::flat_hash_map<CellKey, int64_t>;
  // (area as numbered by AreaId, day or span).
  using RowKey = std::pair<int, int64_t>;
  // Rows keep their address (node map), so the last few rows written are
  // found again without hashing (RecentRows).
  using Rows = absl::node_hash_map<RowKey, Cells>;
  struct RecentRows {
    std::array<std::pair<RowKey, Cells*>, 4> rows{};
    int next = 0;
  };
  // The cells of row `key` in `rows`, created when new.
  static Cells& RowOf(Rows& rows, RecentRows& recent, const RowKey& key);

  // The number of `area` within this batch (areas_[number] is the area).
  // The last few areas are compared first: an event counts in the same
  // region, municipality and village many times.
  int AreaId(const AreaKey& area);
  // Adds `rows` into `table` (day_counters or stock_spans; `bucket` names
  // its day or span column).
  absl::Status MergeRows(absl::string_view table, absl::string_view bucket, const Rows& rows);
  // The states of one kind read or written in this batch, by name; those
  // `changed` are saved at Flush.
  template <typename State>
  struct CachedState {
    std::optional<State> state;
    bool changed = false;
  };
  template <typename State>
  using StateCache = absl::flat_hash_map<std::string, CachedState<State>>;
  // The state `name` as this batch knows it (null: none), read from
  // entity_states (stored as `Stored`) the first time; valid until the
  // cache next changes.
  template <typename Stored, typename State>
  absl::StatusOr<const State*> LoadCached(StateCache<State>& cache, KeptStates* kept,
                                          absl::string_view name);
  // A changed state's name and stored form.
  using SerializedState = std::pair<std::string, std::string>;
  // The changed states of `cache` (as `Stored`) in name order, appended to
  // `serialized`; they count as unchanged afterwards.
  template <typename Stored, typename State>
  static void SerializeChanged(StateCache<State>& cache, std::vector<SerializedState>& serialized);
  // Writes `serialized` to entity_states and stages them in `kept`.
  absl::Status WriteStates(std::vector<SerializedState>& serialized, KeptStates* kept);

  Transaction& tx_;
  absl::Mutex* const sql_;
  KeptStates* const kept_cases_;
  absl::flat_hash_map<AreaKey, int> area_ids_;
  std::vector<AreaKey> areas_;
  std::array<int, 4> recent_areas_{-1, -1, -1, -1};
  Rows days_;
  Rows spans_;
  RecentRows recent_days_;
  RecentRows recent_spans_;
  absl::flat_hash_set<std::tuple<std::string, std::string, std::string, int64_t, std::string>>
      marks_;
  StateCache<CaseState> cases_;
  StateCache<EscalationState> escalations_;
  std::vector<SerializedState> serialized_cases_;  // by PrepareStates
};

// One stored counter: its metric (the index in metric::kAll) and value.
struct Counter {
  int metric;
  int64_t dim1;
  int64_t dim2;
  int64_t dim3;
  int64_t value;
};

// Calls `visit(area, day, counter)` for every counter stored for a day in
// [from_day, to_day), only of `only` when set.
using CounterVisitor =
    absl::FunctionRef<void(const AreaKey& area, int64_t day, const Counter& counter)>;
absl::Status ReadDayCounters(Transaction& tx, int64_t from_day, int64_t to_day,
                             const std::optional<AreaKey>& only, CounterVisitor visit);

// Calls `visit` for changes of stock counters (metric::IsStock) that add up
// to every stock as it stood at the start of `day`: whole spans before the
// day's span (with the span's first day as `day`), then the days of its span
// before it.
absl::Status ReadStockChangesBefore(Transaction& tx, int64_t day,
                                    const std::optional<AreaKey>& only, CounterVisitor visit);

}  // namespace herstel::reporting

#endif  // HERSTEL_REPORTING_STORE_AGGREGATE_BATCH_H_
