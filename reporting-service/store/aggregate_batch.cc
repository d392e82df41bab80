#include "store/aggregate_batch.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "herstel/status_macros.h"

namespace herstel::reporting {
namespace {

CaseState FromStored(const store::StoredCase& stored) {
  CaseState state;
  state.municipality = stored.municipality();
  state.village = stored.village();
  state.risk_category = stored.risk_category();
  state.has_contact_person = stored.has_contact_person();
  state.has_plan = stored.has_plan();
  state.plan_tracks.insert(stored.plan_tracks().begin(), stored.plan_tracks().end());
  for (const store::StoredCase::Track& track : stored.tracks()) {
    state.tracks[track.track()] = {track.phase(), track.active(), track.enter_micros()};
  }
  return state;
}

// Fills `stored` (cleared first; reused, so its storage is too).
void ToStored(const CaseState& state, store::StoredCase& stored) {
  stored.Clear();
  stored.set_municipality(state.municipality);
  stored.set_village(state.village);
  stored.set_risk_category(state.risk_category);
  stored.set_has_contact_person(state.has_contact_person);
  stored.set_has_plan(state.has_plan);
  for (int track : state.plan_tracks) stored.add_plan_tracks(track);
  for (const auto& [number, track_state] : state.tracks) {
    store::StoredCase::Track& track = *stored.add_tracks();
    track.set_track(number);
    track.set_phase(track_state.phase);
    track.set_active(track_state.active);
    track.set_enter_micros(track_state.enter_micros);
  }
}

EscalationState FromStored(const store::StoredEscalation& stored) {
  return {stored.level(),
          {stored.municipalities().begin(), stored.municipalities().end()},
          stored.open()};
}

void ToStored(const EscalationState& state, store::StoredEscalation& stored) {
  stored.Clear();
  stored.set_level(state.level);
  for (const std::string& municipality : state.municipalities) {
    stored.add_municipalities(municipality);
  }
  stored.set_open(state.open);
}

// Numbers per stored counter in DayCounters.cells.
constexpr int kCounterNumbers = 5;

// Parses a stored row of `table` into `row`; `area` and `number` (its day
// or span) name it in the error.
absl::Status ParseRow(absl::string_view bytes, absl::string_view table, const AreaKey& area,
                      int64_t number, store::DayCounters& row) {
  if (!row.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) ||
      row.cells_size() % kCounterNumbers != 0) {
    return absl::DataLossError(absl::StrCat("stored ", table, " of '", area.municipality, "/",
                                            area.village, "' ", number, " cannot be read"));
  }
  return absl::OkStatus();
}

// Reads `query` (columns municipality, village, day or span, cells) of
// `table` and visits each counter that `keep` accepts; a span's day is its
// first day.
template <typename Keep>
absl::Status VisitRows(Statement& query, absl::string_view table, int64_t days_per_bucket,
                       Keep keep, CounterVisitor visit) {
  store::DayCounters row;
  AreaKey area;
  while (true) {
    HERSTEL_ASSIGN_OR_RETURN(bool found, query.Step());
    if (!found) return absl::OkStatus();
    area.municipality = query.ColumnText(0);
    area.village = query.ColumnText(1);
    const int64_t number = query.ColumnInt(2);
    HERSTEL_RETURN_IF_ERROR(ParseRow(query.ColumnBlob(3), table, area, number, row));
    const int64_t day = number * days_per_bucket;
    for (int at = 0; at < row.cells_size(); at += kCounterNumbers) {
      const Counter counter{static_cast<int>(row.cells(at)), row.cells(at + 1),
                            row.cells(at + 2), row.cells(at + 3), row.cells(at + 4)};
      if (keep(counter)) visit(area, day, counter);
    }
  }
}

std::string AreaCondition(const std::optional<AreaKey>& only, int first_parameter) {
  return only.has_value() ? absl::StrCat(" AND municipality = ?", first_parameter,
                                         " AND village = ?", first_parameter + 1)
                          : std::string();
}

}  // namespace

void KeptStates::ValidateAt(int64_t stored_cursor) {
  staged_.clear();
  if (stored_cursor == cursor_) return;
  states_.clear();
  cursor_ = stored_cursor;
  complete_ = stored_cursor == 0;
}

const std::string* KeptStates::Find(absl::string_view name) const {
  auto found = states_.find(name);
  return found == states_.end() ? nullptr : &found->second;
}

void KeptStates::Stage(std::string name, std::string stored) {
  staged_.emplace_back(std::move(name), std::move(stored));
}

void KeptStates::Commit(int64_t cursor) {
  for (auto& [name, stored] : staged_) states_[std::move(name)] = std::move(stored);
  staged_.clear();
  cursor_ = cursor;
  if (states_.size() > kMaxKeptStates) {
    states_.clear();
    complete_ = false;
  }
}

void KeptStates::Drop() {
  states_ = {};
  staged_ = {};
  cursor_ = -1;
  complete_ = false;
}

int AggregateBatch::AreaId(const AreaKey& area) {
  for (int recent : recent_areas_) {
    if (recent >= 0 && areas_[recent] == area) return recent;
  }
  auto [known, added] = area_ids_.try_emplace(area, static_cast<int>(areas_.size()));
  if (added) areas_.push_back(area);
  std::rotate(recent_areas_.rbegin(), recent_areas_.rbegin() + 1, recent_areas_.rend());
  recent_areas_[0] = known->second;
  return known->second;
}

absl::Status AggregateBatch::AddCount(absl::string_view metric, const AreaKey& area, int64_t dim1,
                                      int64_t dim2, int64_t dim3, int64_t day, int64_t delta) {
  static const std::array<bool, metric::kCount> is_stock = [] {
    std::array<bool, metric::kCount> stock{};
    for (int id = 0; id < metric::kCount; ++id) stock[id] = metric::IsStock(metric::kAll[id]);
    return stock;
  }();
  const int metric_id = metric::IdOf(metric);
  if (metric_id < 0) {
    return absl::InvalidArgumentError(absl::StrCat("'", metric, "' is not a known metric"));
  }
  const int area_id = AreaId(area);
  for (int64_t dim : {dim1, dim2, dim3}) {
    if (dim != static_cast<int32_t>(dim)) {
      return absl::InvalidArgumentError(
          absl::StrCat("dimension ", dim, " of '", metric, "' does not fit 32 bits"));
    }
  }
  const CellKey cell{metric_id, static_cast<int32_t>(dim1), static_cast<int32_t>(dim2),
                     static_cast<int32_t>(dim3)};
  if (is_stock[metric_id]) {
    RowOf(spans_, recent_spans_, RowKey{area_id, day / kStockSpanDays})[cell] += delta;
  }
  RowOf(days_, recent_days_, RowKey{area_id, day})[cell] += delta;
  return absl::OkStatus();
}

void AggregateBatch::TakeCountsOf(AggregateBatch& other) {
  for (auto [rows, other_rows, recent] : {std::tuple(&days_, &other.days_, &recent_days_),
                                          std::tuple(&spans_, &other.spans_, &recent_spans_)}) {
    for (const auto& [key, cells] : *other_rows) {
      Cells& mine = RowOf(*rows, *recent, RowKey{AreaId(other.areas_[key.first]), key.second});
      for (const auto& [cell, delta] : cells) mine[cell] += delta;
    }
    other_rows->clear();
  }
  other.recent_days_ = {};
  other.recent_spans_ = {};
  marks_.merge(other.marks_);
  other.marks_.clear();
}

AggregateBatch::Cells& AggregateBatch::RowOf(Rows& rows, RecentRows& recent, const RowKey& key) {
  for (const auto& [recent_key, cells] : recent.rows) {
    if (cells != nullptr && recent_key == key) return *cells;
  }
  Cells& cells = rows[key];
  recent.rows[recent.next] = {key, &cells};
  recent.next = (recent.next + 1) % static_cast<int>(recent.rows.size());
  return cells;
}

absl::Status AggregateBatch::MarkItemDay(absl::string_view kind, absl::string_view item,
                                         const AreaKey& place, int64_t day) {
  marks_.emplace(std::string(kind), place.municipality, place.village, day, std::string(item));
  return absl::OkStatus();
}

absl::StatusOr<const CaseState*> AggregateBatch::LoadCase(absl::string_view name) {
  return LoadCached<store::StoredCase>(cases_, kept_cases_, name);
}

absl::Status AggregateBatch::SaveCase(absl::string_view name, CaseState state) {
  cases_[name] = {std::move(state), true};
  return absl::OkStatus();
}

absl::StatusOr<std::optional<EscalationState>> AggregateBatch::LoadEscalation(
    absl::string_view name) {
  HERSTEL_ASSIGN_OR_RETURN(const EscalationState* state,
                           LoadCached<store::StoredEscalation>(escalations_, nullptr, name));
  return state != nullptr ? std::optional<EscalationState>(*state) : std::nullopt;
}

absl::Status AggregateBatch::SaveEscalation(absl::string_view name,
                                            const EscalationState& state) {
  escalations_[name] = {state, true};
  return absl::OkStatus();
}

absl::Status AggregateBatch::OpenItem(const DueItem& item) {
  absl::MutexLockMaybe lock(sql_);
  std::vector<std::string> municipalities = item.municipalities;
  if (municipalities.empty()) municipalities.push_back("");
  for (const std::string& municipality : municipalities) {
    HERSTEL_ASSIGN_OR_RETURN(
        Statement insert,
        tx_.Prepare("INSERT INTO due_items (kind, name, municipality, village, dim1, "
                    "start_micros, due_micros, end_micros) VALUES (?, ?, ?, ?, ?, ?, ?, NULL) "
                    "ON CONFLICT (kind, name, municipality) DO UPDATE SET village = "
                    "excluded.village, dim1 = excluded.dim1, start_micros = "
                    "excluded.start_micros, due_micros = excluded.due_micros, end_micros = NULL"));
    insert.Bind(1, item.kind).Bind(2, item.name).Bind(3, municipality);
    insert.Bind(4, municipalities.size() == 1 ? item.village : "");
    insert.Bind(5, item.dim1).Bind(6, item.start_micros).Bind(7, item.due_micros);
    HERSTEL_RETURN_IF_ERROR(insert.Run());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<int64_t>> AggregateBatch::ItemStartMicros(absl::string_view kind,
                                                                       absl::string_view name) {
  absl::MutexLockMaybe lock(sql_);
  HERSTEL_ASSIGN_OR_RETURN(
      Statement query,
      tx_.Prepare("SELECT start_micros FROM due_items WHERE kind = ? AND name = ? LIMIT 1"));
  query.Bind(1, kind).Bind(2, name);
  HERSTEL_ASSIGN_OR_RETURN(bool found, query.Step());
  if (!found) return std::optional<int64_t>();
  return std::optional<int64_t>(query.ColumnInt(0));
}

absl::Status AggregateBatch::CloseItem(absl::string_view kind, absl::string_view name,
                                       int64_t end_micros) {
  absl::MutexLockMaybe lock(sql_);
  HERSTEL_ASSIGN_OR_RETURN(Statement update,
                           tx_.Prepare("UPDATE due_items SET end_micros = ? WHERE kind = ? AND "
                                       "name = ? AND end_micros IS NULL"));
  update.Bind(1, end_micros).Bind(2, kind).Bind(3, name);
  return update.Run();
}

absl::Status AggregateBatch::SetItemDue(absl::string_view kind, absl::string_view name,
                                        int64_t due_micros) {
  absl::MutexLockMaybe lock(sql_);
  HERSTEL_ASSIGN_OR_RETURN(
      Statement update,
      tx_.Prepare("UPDATE due_items SET due_micros = ? WHERE kind = ? AND name = ?"));
  update.Bind(1, due_micros).Bind(2, kind).Bind(3, name);
  return update.Run();
}

absl::Status AggregateBatch::SaveBudgetLine(const BudgetLineInfo& line) {
  absl::MutexLockMaybe lock(sql_);
  HERSTEL_ASSIGN_OR_RETURN(
      Statement upsert,
      tx_.Prepare("INSERT INTO budget_lines (name, display_name, source, municipality, year) "
                  "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET display_name = "
                  "excluded.display_name, source = excluded.source, municipality = "
                  "excluded.municipality, year = excluded.year"));
  upsert.Bind(1, line.name).Bind(2, line.display_name).Bind(3, line.source);
  upsert.Bind(4, line.municipality).Bind(5, line.year);
  return upsert.Run();
}

absl::Status AggregateBatch::SaveBudgetBalance(const BudgetBalanceRow& balance, int64_t day) {
  absl::MutexLockMaybe lock(sql_);
  HERSTEL_ASSIGN_OR_RETURN(
      Statement upsert,
      tx_.Prepare("INSERT INTO budget_balances (name, day, ceiling_cents, reserved_cents, "
                  "committed_cents, available_cents) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT "
                  "(name, day) DO UPDATE SET ceiling_cents = excluded.ceiling_cents, "
                  "reserved_cents = excluded.reserved_cents, committed_cents = "
                  "excluded.committed_cents, available_cents = excluded.available_cents"));
  upsert.Bind(1, balance.budget_line).Bind(2, day).Bind(3, balance.ceiling_cents);
  upsert.Bind(4, balance.reserved_cents).Bind(5, balance.committed_cents);
  upsert.Bind(6, balance.available_cents);
  return upsert.Run();
}

void AggregateBatch::PrepareStates() {
  SerializeChanged<store::StoredCase>(cases_, serialized_cases_);
}

absl::Status AggregateBatch::FlushStates() {
  PrepareStates();
  std::vector<SerializedState> escalations;
  SerializeChanged<store::StoredEscalation>(escalations_, escalations);
  absl::MutexLockMaybe lock(sql_);
  HERSTEL_RETURN_IF_ERROR(WriteStates(serialized_cases_, kept_cases_));
  return WriteStates(escalations, nullptr);
}

absl::Status AggregateBatch::Flush() {
  HERSTEL_RETURN_IF_ERROR(FlushStates());
  absl::MutexLockMaybe lock(sql_);
  HERSTEL_RETURN_IF_ERROR(MergeRows("day_counters", "day", days_));
  HERSTEL_RETURN_IF_ERROR(MergeRows("stock_spans", "span", spans_));
  days_.clear();
  spans_.clear();
  recent_days_ = {};
  recent_spans_ = {};
  for (const auto& [kind, municipality, village, day, item] : marks_) {
    HERSTEL_ASSIGN_OR_RETURN(Statement insert,
                             tx_.Prepare("INSERT OR IGNORE INTO item_days (kind, municipality, "
                                         "village, day, item) VALUES (?, ?, ?, ?, ?)"));
    insert.Bind(1, kind).Bind(2, municipality).Bind(3, village).Bind(4, day).Bind(5, item);
    HERSTEL_RETURN_IF_ERROR(insert.Run());
  }
  marks_.clear();
  return absl::OkStatus();
}

absl::Status AggregateBatch::MergeRows(absl::string_view table, absl::string_view bucket,
                                       const Rows& rows) {
  // In the table's key order (area, then day or span): each B-tree page is
  // visited once in a row instead of at random.
  std::vector<int> area_rank(areas_.size());
  {
    std::vector<int> by_key(areas_.size());
    for (size_t id = 0; id < areas_.size(); ++id) by_key[id] = static_cast<int>(id);
    std::sort(by_key.begin(), by_key.end(), [&](int a, int b) { return areas_[a] < areas_[b]; });
    for (size_t rank = 0; rank < by_key.size(); ++rank) area_rank[by_key[rank]] = static_cast<int>(rank);
  }
  std::vector<const Rows::value_type*> in_order;
  in_order.reserve(rows.size());
  for (const Rows::value_type& row : rows) in_order.push_back(&row);
  std::sort(in_order.begin(), in_order.end(), [&](const auto* a, const auto* b) {
    return std::pair(area_rank[a->first.first], a->first.second) <
           std::pair(area_rank[b->first.first], b->first.second);
  });
  const std::string select = absl::StrCat("SELECT cells FROM ", table, " WHERE municipality = ? "
                                          "AND village = ? AND ", bucket, " = ?");
  const std::string upsert_row = absl::StrCat(
      "INSERT INTO ", table, " (municipality, village, ", bucket, ", cells) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (municipality, village, ", bucket, ") DO UPDATE SET cells = excluded.cells");
  store::DayCounters row;
  absl::flat_hash_set<CellKey> stored_cells;
  for (const Rows::value_type* row_change : in_order) {
    const auto& [key, changes] = *row_change;
    const auto& [area_id, number] = key;
    const AreaKey& area = areas_[area_id];
    HERSTEL_ASSIGN_OR_RETURN(Statement query, tx_.Prepare(select));
    query.Bind(1, area.municipality).Bind(2, area.village).Bind(3, number);
    HERSTEL_ASSIGN_OR_RETURN(bool found, query.Step());
    row.Clear();
    stored_cells.clear();
    google::protobuf::RepeatedField<int64_t>& cells = *row.mutable_cells();
    if (found) {
      // A row written before (by an earlier batch): its cells take their change.
      HERSTEL_RETURN_IF_ERROR(ParseRow(query.ColumnBlob(0), table, area, number, row));
      for (int at = 0; at < cells.size(); at += kCounterNumbers) {
        // Stored cells came from AddCount, so they fit CellKey.
        const CellKey cell{static_cast<int32_t>(cells[at]), static_cast<int32_t>(cells[at + 1]),
                           static_cast<int32_t>(cells[at + 2]), static_cast<int32_t>(cells[at + 3])};
        stored_cells.insert(cell);
        auto change = changes.find(cell);
        if (change != changes.end()) cells[at + 4] += change->second;
      }
    }
    for (const auto& [cell, delta] : changes) {
      if (stored_cells.contains(cell)) continue;
      for (int64_t value : {int64_t{cell.metric}, int64_t{cell.dim1}, int64_t{cell.dim2},
                            int64_t{cell.dim3}, delta}) {
        cells.Add(value);
      }
    }
    HERSTEL_ASSIGN_OR_RETURN(Statement upsert, tx_.Prepare(upsert_row));
    upsert.Bind(1, area.municipality).Bind(2, area.village).Bind(3, number);
    upsert.BindBlob(4, row.SerializeAsString());
    HERSTEL_RETURN_IF_ERROR(upsert.Run());
  }
  return absl::OkStatus();
}

template <typename Stored, typename State>
absl::StatusOr<const State*> AggregateBatch::LoadCached(StateCache<State>& cache,
                                                        KeptStates* kept,
                                                        absl::string_view name) {
  auto known = cache.find(name);
  if (known != cache.end()) {
    return known->second.state.has_value() ? &*known->second.state : nullptr;
  }
  const std::string* bytes = kept != nullptr ? kept->Find(name) : nullptr;
  std::string queried;
  if (bytes == nullptr && (kept == nullptr || !kept->complete())) {
    absl::MutexLockMaybe lock(sql_);
    HERSTEL_ASSIGN_OR_RETURN(Statement query,
                             tx_.Prepare("SELECT state FROM entity_states WHERE name = ?"));
    query.Bind(1, name);
    HERSTEL_ASSIGN_OR_RETURN(bool found, query.Step());
    if (found) {
      queried = query.ColumnBlob(0);
      bytes = &queried;
    }
  }
  std::optional<State> state;
  if (bytes != nullptr) {
    Stored stored;
    if (!stored.ParseFromString(*bytes)) {
      return absl::DataLossError(absl::StrCat("stored state of ", name, " cannot be read"));
    }
    state = FromStored(stored);
  }
  auto added = cache.try_emplace(name).first;
  added->second.state = std::move(state);
  return added->second.state.has_value() ? &*added->second.state : nullptr;
}

template <typename Stored, typename State>
void AggregateBatch::SerializeChanged(StateCache<State>& cache,
                                      std::vector<SerializedState>& serialized) {
  const size_t first = serialized.size();
  Stored stored;
  for (auto& [name, cached] : cache) {
    if (!cached.changed) continue;
    ToStored(*cached.state, stored);
    serialized.emplace_back(name, stored.SerializeAsString());
    cached.changed = false;
  }
  // In key order, as MergeRows.
  std::sort(serialized.begin() + first, serialized.end(),
            [](const SerializedState& a, const SerializedState& b) { return a.first < b.first; });
}

absl::Status AggregateBatch::WriteStates(std::vector<SerializedState>& serialized,
                                         KeptStates* kept) {
  for (auto& [name, bytes] : serialized) {
    HERSTEL_ASSIGN_OR_RETURN(
        Statement upsert,
        tx_.Prepare("INSERT INTO entity_states (name, state) VALUES (?, ?) ON CONFLICT (name) DO "
                    "UPDATE SET state = excluded.state"));
    upsert.Bind(1, name).BindBlob(2, bytes);
    HERSTEL_RETURN_IF_ERROR(upsert.Run());
    if (kept != nullptr) kept->Stage(std::move(name), std::move(bytes));
  }
  serialized.clear();
  return absl::OkStatus();
}

namespace {

// Visits the cells `keep` accepts of day_counters rows in [from_day, to_day).
template <typename Keep>
absl::Status VisitDays(Transaction& tx, int64_t from_day, int64_t to_day,
                       const std::optional<AreaKey>& only, Keep keep, CounterVisitor visit) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement query,
      tx.Prepare(absl::StrCat("SELECT municipality, village, day, cells FROM day_counters "
                              "WHERE day >= ?1 AND day < ?2",
                              AreaCondition(only, 3))));
  query.Bind(1, from_day).Bind(2, to_day);
  if (only.has_value()) query.Bind(3, only->municipality).Bind(4, only->village);
  return VisitRows(query, "day_counters", 1, keep, visit);
}

}  // namespace

absl::Status ReadDayCounters(Transaction& tx, int64_t from_day, int64_t to_day,
                             const std::optional<AreaKey>& only, CounterVisitor visit) {
  return VisitDays(
      tx, from_day, to_day, only, [](const Counter&) { return true; }, visit);
}

absl::Status ReadStockChangesBefore(Transaction& tx, int64_t day,
                                    const std::optional<AreaKey>& only, CounterVisitor visit) {
  const int64_t span = day / kStockSpanDays;
  HERSTEL_ASSIGN_OR_RETURN(
      Statement spans,
      tx.Prepare(absl::StrCat("SELECT municipality, village, span, cells FROM stock_spans "
                              "WHERE span < ?1",
                              AreaCondition(only, 2))));
  spans.Bind(1, span);
  if (only.has_value()) spans.Bind(2, only->municipality).Bind(3, only->village);
  HERSTEL_RETURN_IF_ERROR(VisitRows(
      spans, "stock_spans", kStockSpanDays, [](const Counter&) { return true; }, visit));
  return VisitDays(
      tx, span * kStockSpanDays, day, only,
      [](const Counter& counter) { return metric::IsStock(metric::NameOf(counter.metric)); },
      visit);
}

}  // namespace herstel::reporting
