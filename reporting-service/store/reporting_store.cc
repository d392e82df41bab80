#include "store/reporting_store.h"

#include <array>
#include <map>
#include <thread>

#include "absl/functional/function_ref.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "herstel/follower.h"
#include "herstel/outbox.h"
#include "herstel/status_macros.h"
#include "store/aggregate_batch.h"
#include "store/stored_aggregates.pb.h"

namespace herstel::reporting {
namespace {

using google::protobuf::util::TimeUtil;

constexpr absl::string_view kSchema = R"sql(
CREATE TABLE counters (
  municipality TEXT NOT NULL, village TEXT NOT NULL, day INTEGER NOT NULL, metric TEXT NOT NULL,
  dim1 INTEGER NOT NULL, dim2 INTEGER NOT NULL, dim3 INTEGER NOT NULL, value INTEGER NOT NULL,
  PRIMARY KEY (municipality, village, day, metric, dim1, dim2, dim3)) WITHOUT ROWID;
CREATE INDEX counters_by_day ON counters (day);
CREATE TABLE item_days (
  kind TEXT NOT NULL, municipality TEXT NOT NULL, village TEXT NOT NULL, day INTEGER NOT NULL,
  item TEXT NOT NULL,
  PRIMARY KEY (kind, municipality, village, day, item)) WITHOUT ROWID;
CREATE TABLE entity_states (name TEXT PRIMARY KEY, state TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE due_items (
  kind TEXT NOT NULL, name TEXT NOT NULL, municipality TEXT NOT NULL, village TEXT NOT NULL,
  dim1 INTEGER NOT NULL, start_micros INTEGER NOT NULL, due_micros INTEGER NOT NULL,
  end_micros INTEGER,
  PRIMARY KEY (kind, name, municipality)) WITHOUT ROWID;
CREATE TABLE budget_lines (
  name TEXT PRIMARY KEY, display_name TEXT NOT NULL, source TEXT NOT NULL,
  municipality TEXT NOT NULL, year INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE budget_balances (
  name TEXT NOT NULL, day INTEGER NOT NULL, ceiling_cents INTEGER NOT NULL,
  reserved_cents INTEGER NOT NULL, committed_cents INTEGER NOT NULL,
  available_cents INTEGER NOT NULL,
  PRIMARY KEY (name, day)) WITHOUT ROWID;
CREATE TABLE source_progress (
  source TEXT PRIMARY KEY, last_commit_micros INTEGER NOT NULL,
  last_apply_micros INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE backlog_series (
  municipality TEXT NOT NULL, village TEXT NOT NULL, track INTEGER NOT NULL,
  phase INTEGER NOT NULL, last_week_day INTEGER NOT NULL, last_stock INTEGER NOT NULL,
  growth_weeks INTEGER NOT NULL, run_start_week_day INTEGER NOT NULL,
  run_start_stock INTEGER NOT NULL, alert_id INTEGER NOT NULL,
  PRIMARY KEY (municipality, village, track, phase)) WITHOUT ROWID;
CREATE TABLE backlog_alerts (
  id INTEGER PRIMARY KEY, municipality TEXT NOT NULL, village TEXT NOT NULL,
  track INTEGER NOT NULL, phase INTEGER NOT NULL, consecutive_weeks INTEGER NOT NULL,
  first_growth_week_day INTEGER NOT NULL, stock_at_start INTEGER NOT NULL,
  stock_now INTEGER NOT NULL, active INTEGER NOT NULL, raise_micros INTEGER NOT NULL,
  clear_micros INTEGER);
CREATE INDEX backlog_alerts_by_raise ON backlog_alerts (raise_micros DESC, id DESC);
CREATE TABLE backlog_evaluation (
  id INTEGER PRIMARY KEY CHECK (id = 1), evaluated_through_week_day INTEGER NOT NULL);
CREATE TABLE settings (id INTEGER PRIMARY KEY CHECK (id = 1), settings BLOB NOT NULL);
CREATE TABLE annual_reports (
  year INTEGER PRIMARY KEY, revision INTEGER NOT NULL, report BLOB NOT NULL);
)sql";

// Counters move from one row per (area, day, metric, dimensions) to one row
// per (area, day) plus stock sums per span of days (store/aggregate_batch.h),
// and states from JSON to protobuf. Everything derived only from the
// followed streams is emptied and its cursors reset, so the followers
// rebuild it; alerts, their evaluation, reports and settings are kept.
constexpr absl::string_view kDayRowsSchema = R"sql(
DROP TABLE counters;
CREATE TABLE day_counters (
  municipality TEXT NOT NULL, village TEXT NOT NULL, day INTEGER NOT NULL, cells BLOB NOT NULL,
  PRIMARY KEY (municipality, village, day)) WITHOUT ROWID;
CREATE INDEX day_counters_by_day ON day_counters (day);
CREATE TABLE stock_spans (
  municipality TEXT NOT NULL, village TEXT NOT NULL, span INTEGER NOT NULL, cells BLOB NOT NULL,
  PRIMARY KEY (municipality, village, span)) WITHOUT ROWID;
DROP TABLE entity_states;
CREATE TABLE entity_states (name TEXT PRIMARY KEY, state BLOB NOT NULL) WITHOUT ROWID;
)sql";

// Empties everything derived only from the followed streams and resets
// their cursors, so the followers rebuild it (after migrations 2 and 4).
constexpr absl::string_view kRebuildFromStreams = R"sql(
DELETE FROM day_counters;
DELETE FROM stock_spans;
DELETE FROM entity_states;
DELETE FROM item_days;
DELETE FROM due_items;
DELETE FROM budget_lines;
DELETE FROM budget_balances;
DELETE FROM source_progress;
DELETE FROM consumer_cursors WHERE source IN ('case-service', 'mandate-service',
  'escalation-service');
)sql";

// Alerts active at a moment are found by when they were cleared (or not
// yet): most alerts of a long history were cleared long before.
constexpr absl::string_view kAlertsByClearSchema = R"sql(
CREATE INDEX backlog_alerts_by_clear ON backlog_alerts (clear_micros, municipality, village);
)sql";

// Public suppression patterns, so a period whose figures did not change is
// not solved again (after a restart either).
constexpr absl::string_view kPublishedPatternsSchema = R"sql(
CREATE TABLE published_patterns (
  start_day INTEGER NOT NULL, end_day INTEGER NOT NULL, threshold INTEGER NOT NULL,
  saved_micros INTEGER NOT NULL, pattern BLOB NOT NULL,
  PRIMARY KEY (start_day, end_day, threshold));
CREATE INDEX published_patterns_by_age ON published_patterns (saved_micros);
)sql";

// ---------------------------------------------------------------------------
// Reading a period.
// ---------------------------------------------------------------------------

enum class MetricUse { kWeeklyStock, kWeeklyFlow, kEndStock, kPeriodCount, kHistogram };

struct MetricReading {
  MetricUse use;
  Flow flow = Flow::kStock;
};

// How each metric (by its number, metric::IdOf) is read into a period's
// figures; nullopt for a metric a period does not read.
const std::array<std::optional<MetricReading>, metric::kCount>& Readings() {
  static const auto* readings = [] {
    auto* by_id = new std::array<std::optional<MetricReading>, metric::kCount>();
    auto set = [by_id](absl::string_view name, MetricReading reading) {
      (*by_id)[metric::IdOf(name)] = reading;
    };
    // Stocks are read as they stand at the period's end (metric::IsStock
    // says which), all but the phase stock itself, which is read per week.
    for (absl::string_view name : metric::kAll) {
      if (metric::IsStock(name)) set(name, {MetricUse::kEndStock});
    }
    set(metric::kStock, {MetricUse::kWeeklyStock, Flow::kStock});
    set(metric::kInflow, {MetricUse::kWeeklyFlow, Flow::kInflow});
    set(metric::kOutflow, {MetricUse::kWeeklyFlow, Flow::kOutflow});
    for (absl::string_view name :
         {metric::kHandover, metric::kInspectionRequested, metric::kBottleneckRaised,
          metric::kBottleneckSolved, metric::kEscalationArrived, metric::kEscalationDecided,
          metric::kEscalationWithinTerm, metric::kEscalationMovedUp,
          metric::kDecisionWithinMandate, metric::kDecisionEscalated, metric::kLevelDecision}) {
      set(name, {MetricUse::kPeriodCount});
    }
    for (absl::string_view name :
         {metric::kLeadTime, metric::kInspectionWait, metric::kBottleneckSolveTime}) {
      set(name, {MetricUse::kHistogram});
    }
    return by_id;
  }();
  return *readings;
}

bool InRange(int64_t value, int64_t limit) { return value >= 0 && value < limit; }

// The cell of a counter row that is summed over the whole period or up to
// its end; -1 when the row has no cell (unknown dimensions).
int CellOf(const FigureLayout& layout, absl::string_view name, int64_t dim1, int64_t dim2) {
  auto level_ok = InRange(dim1, kLevels);
  if (name == metric::kUrgent) {
    return InRange(dim1, kTracks) && InRange(dim2, kPhases) ? layout.Urgent(dim1, dim2) : -1;
  }
  if (name == metric::kOneContact) return layout.Get(Scalar::kOneContactPerson);
  if (name == metric::kHasPlan) return layout.Get(Scalar::kHasPlan);
  if (name == metric::kCoversAll) return layout.Get(Scalar::kPlanCoversAll);
  if (name == metric::kHandover) return layout.Get(Scalar::kHandovers);
  if (name == metric::kInspectionRequested) return layout.Get(Scalar::kInspectionsRequested);
  if (name == metric::kDecisionWithinMandate) return layout.Get(Scalar::kDecisionsWithinMandate);
  if (name == metric::kDecisionEscalated) return layout.Get(Scalar::kDecisionsEscalated);
  if (name == metric::kBottleneckOpen || name == metric::kBottleneckRaised ||
      name == metric::kBottleneckSolved) {
    if (!InRange(dim1, kCategories)) return -1;
    BottleneckCount count = name == metric::kBottleneckOpen     ? BottleneckCount::kOpen
                            : name == metric::kBottleneckRaised ? BottleneckCount::kRaised
                                                                : BottleneckCount::kSolved;
    return layout.Bottleneck(count, dim1);
  }
  if (!level_ok) return -1;
  if (name == metric::kEscalationOpen) return layout.Escalation(EscalationCount::kOpen, dim1);
  if (name == metric::kEscalationArrived) return layout.Escalation(EscalationCount::kArrived, dim1);
  if (name == metric::kEscalationDecided) return layout.Escalation(EscalationCount::kDecided, dim1);
  if (name == metric::kEscalationWithinTerm) {
    return layout.Escalation(EscalationCount::kWithinTerm, dim1);
  }
  if (name == metric::kEscalationMovedUp) return layout.Escalation(EscalationCount::kMovedUp, dim1);
  if (name == metric::kLevelDecision) {
    return InRange(dim2, kOutcomes) ? layout.LevelDecision(dim1, dim2) : -1;
  }
  return -1;
}

int HistogramKeyOf(absl::string_view name, int64_t dim1, int64_t dim2) {
  if (name == metric::kLeadTime) {
    return InRange(dim1, kTracks) && InRange(dim2, kPhases) ? LeadTimeKey(dim1, dim2) : -1;
  }
  if (name == metric::kInspectionWait) return kInspectionWaitKey;
  return InRange(dim1, kCategories) ? SolveTimeKey(dim1) : -1;
}

absl::Status LoadCounters(Transaction& tx, PeriodFigures& figures,
                          const std::optional<AreaKey>& only) {
  const FigureLayout layout = figures.layout();
  const int64_t start = figures.period.start_day;
  const int64_t first_week = figures.week_start_days.front();
  std::map<AreaKey, std::array<int64_t, kTracks * kPhases>> stock_before;
  auto area_of = [&](const AreaKey& key) -> AreaFigures& {
    AreaFigures& area = figures.areas[key];
    if (area.cells.empty()) area.cells.assign(layout.size(), 0);
    return area;
  };
  AreaKey key;
  AreaFigures* area = nullptr;
  int64_t week_of_day = -1;  // the day `week` was computed for
  int week = 0;
  auto add = [&](const AreaKey& where, int64_t day, const Counter& counter) {
    const absl::string_view name = metric::NameOf(counter.metric);
    if (name.empty()) return;
    const std::optional<MetricReading>& reading = Readings()[counter.metric];
    if (!reading.has_value()) return;
    if (area == nullptr || !(where == key)) {
      key = where;
      area = &area_of(key);
    }
    const int64_t dim1 = counter.dim1;
    const int64_t dim2 = counter.dim2;
    const int64_t value = counter.value;
    bool in_period = day >= start;
    if (day != week_of_day) {
      week = static_cast<int>((WeekStartDay(std::max(day, start)) - first_week) / 7);
      week_of_day = day;
    }
    switch (reading->use) {
      case MetricUse::kWeeklyStock:
        if (!InRange(dim1, kTracks) || !InRange(dim2, kPhases)) break;
        if (in_period) {
          area->cells[layout.Weekly(Flow::kStock, week, dim1, dim2)] += value;
        } else {
          stock_before[key][dim1 * kPhases + dim2] += value;
        }
        break;
      case MetricUse::kWeeklyFlow:
        if (!in_period || !InRange(dim1, kTracks) || !InRange(dim2, kPhases)) break;
        area->cells[layout.Weekly(reading->flow, week, dim1, dim2)] += value;
        break;
      case MetricUse::kEndStock: {
        int cell = CellOf(layout, name, dim1, dim2);
        if (cell >= 0) area->cells[cell] += value;
        break;
      }
      case MetricUse::kPeriodCount: {
        int cell = CellOf(layout, name, dim1, dim2);
        if (in_period && cell >= 0) area->cells[cell] += value;
        break;
      }
      case MetricUse::kHistogram: {
        int histogram = HistogramKeyOf(name, dim1, dim2);
        if (in_period && histogram >= 0) {
          area->durations[histogram][static_cast<int>(counter.dim3)] += value;
        }
        break;
      }
    }
  };
  // Before the period only the stocks matter (their running sums); then the
  // period's own days.
  HERSTEL_RETURN_IF_ERROR(ReadStockChangesBefore(tx, start, only, add));
  HERSTEL_RETURN_IF_ERROR(ReadDayCounters(tx, start, figures.period.end_day, only, add));
  if (only.has_value()) area_of(*only);
  // Weekly stocks: what was there before the period plus the changes so far.
  for (auto& [where, figures_of_area] : figures.areas) {
    const auto before = stock_before.find(where);
    for (int track = 0; track < kTracks; ++track) {
      for (int phase = 0; phase < kPhases; ++phase) {
        int64_t running = before == stock_before.end() ? 0 : before->second[track * kPhases + phase];
        for (int week = 0; week < layout.weeks(); ++week) {
          int64_t& cell = figures_of_area.cells[layout.Weekly(Flow::kStock, week, track, phase)];
          running += cell;
          cell = running;
        }
      }
    }
  }
  return absl::OkStatus();
}

absl::Status LoadDueItems(Transaction& tx, PeriodFigures& figures,
                          const std::optional<AreaKey>& only) {
  const FigureLayout layout = figures.layout();
  const int64_t at = absl::ToUnixMicros(DayStart(figures.period.end_day));
  auto add = [&](const AreaKey& key, const std::string& kind, int64_t dim1, int64_t open,
                 int64_t overdue) {
    if (only.has_value() && !(*only == key)) return;
    auto found = figures.areas.find(key);
    if (found == figures.areas.end()) return;  // an area without counters has no items either
    std::vector<int64_t>& cells = found->second.cells;
    if (kind == kInspectionItem) {
      cells[layout.Get(Scalar::kInspectionsWaiting)] += open;
      cells[layout.Get(Scalar::kInspectionsWaitingPastTarget)] += overdue;
    } else if (kind == kEscalationItem && InRange(dim1, kLevels)) {
      cells[layout.Escalation(EscalationCount::kOverdue, dim1)] += overdue;
    }
  };
  // Municipalities and villages: one row per municipality an item concerns.
  HERSTEL_ASSIGN_OR_RETURN(
      Statement per_row,
      tx.Prepare("SELECT municipality, village, kind, dim1, COUNT(*), "
                 "SUM(CASE WHEN due_micros < ? THEN 1 ELSE 0 END) FROM due_items WHERE "
                 "start_micros < ? AND (end_micros IS NULL OR end_micros >= ?) "
                 "GROUP BY municipality, village, kind, dim1"));
  per_row.Bind(1, at).Bind(2, at).Bind(3, at);
  while (true) {
    HERSTEL_ASSIGN_OR_RETURN(bool row, per_row.Step());
    if (!row) break;
    std::string municipality = per_row.ColumnText(0);
    std::string village = per_row.ColumnText(1);
    std::string kind = per_row.ColumnText(2);
    int64_t dim1 = per_row.ColumnInt(3);
    int64_t open = per_row.ColumnInt(4);
    int64_t overdue = per_row.ColumnInt(5);
    if (municipality.empty()) continue;
    add({municipality, ""}, kind, dim1, open, overdue);
    if (!village.empty()) add({municipality, village}, kind, dim1, open, overdue);
  }
  // The region counts each item once.
  HERSTEL_ASSIGN_OR_RETURN(
      Statement region,
      tx.Prepare("SELECT kind, dim1, COUNT(DISTINCT name), COUNT(DISTINCT CASE WHEN due_micros "
                 "< ? THEN name END) FROM due_items WHERE start_micros < ? AND (end_micros IS "
                 "NULL OR end_micros >= ?) GROUP BY kind, dim1"));
  region.Bind(1, at).Bind(2, at).Bind(3, at);
  while (true) {
    HERSTEL_ASSIGN_OR_RETURN(bool row, region.Step());
    if (!row) break;
    add({"", ""}, region.ColumnText(0), region.ColumnInt(1), region.ColumnInt(2),
        region.ColumnInt(3));
  }
  return absl::OkStatus();
}

// Cases with a handover in the period. The marks are kept at each case's
// place (MarkItemDay); a municipality and the region count the distinct
// cases over their places, so a case that moved villages counts once.
absl::Status LoadHandoverCases(Transaction& tx, PeriodFigures& figures,
                               const std::optional<AreaKey>& only) {
  struct Level {
    absl::string_view area_columns;  // municipality and village of the area
    absl::string_view places;        // which places are areas of this level
    absl::string_view group_by;
    bool wanted;
  };
  const bool all = !only.has_value();
  const Level levels[] = {
      {"municipality, village", " AND village <> ''", " GROUP BY municipality, village",
       all || !only->village.empty()},
      {"municipality, ''", " AND municipality <> ''", " GROUP BY municipality",
       all || (!only->municipality.empty() && only->village.empty())},
      {"'', ''", "", "", all || only->municipality.empty()},
  };
  const int cell = figures.layout().Get(Scalar::kCasesWithHandover);
  for (const Level& level : levels) {
    if (!level.wanted) continue;
    HERSTEL_ASSIGN_OR_RETURN(
        Statement query,
        tx.Prepare(absl::StrCat("SELECT ", level.area_columns, ", COUNT(DISTINCT item) FROM "
                                "item_days WHERE kind = ? AND day >= ? AND day < ?",
                                level.places, level.group_by)));
    query.Bind(1, kHandoverCaseMark).Bind(2, figures.period.start_day);
    query.Bind(3, figures.period.end_day);
    while (true) {
      HERSTEL_ASSIGN_OR_RETURN(bool row, query.Step());
      if (!row) break;
      auto found = figures.areas.find(AreaKey{query.ColumnText(0), query.ColumnText(1)});
      if (found == figures.areas.end()) continue;
      found->second.cells[cell] = query.ColumnInt(2);
    }
  }
  return absl::OkStatus();
}

absl::Status LoadBudgetLines(Transaction& tx, PeriodFigures& figures) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement query,
      tx.Prepare("SELECT l.name, l.display_name, l.source, l.municipality, l.year, "
                 "b.ceiling_cents, b.reserved_cents, b.committed_cents, b.available_cents "
                 "FROM budget_lines l JOIN budget_balances b ON b.name = l.name AND b.day = "
                 "(SELECT MAX(day) FROM budget_balances WHERE name = l.name AND day < ?) "
                 "ORDER BY l.name"));
  query.Bind(1, figures.period.end_day);
  while (true) {
    HERSTEL_ASSIGN_OR_RETURN(bool row, query.Step());
    if (!row) break;
    BudgetLineFigures line;
    line.info = {query.ColumnText(0), query.ColumnText(1), query.ColumnText(2),
                 query.ColumnText(3), static_cast<int32_t>(query.ColumnInt(4))};
    line.balance = {line.info.name, query.ColumnInt(5), query.ColumnInt(6), query.ColumnInt(7),
                    query.ColumnInt(8)};
    figures.budget_lines.push_back(std::move(line));
  }
  return absl::OkStatus();
}

absl::Status LoadActiveAlertCounts(Transaction& tx, PeriodFigures& figures) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement query,
      tx.Prepare("SELECT municipality, village, COUNT(*) FROM backlog_alerts INDEXED BY "
                 "backlog_alerts_by_clear WHERE raise_micros < ?1 AND (clear_micros IS NULL OR "
                 "clear_micros >= ?1) GROUP BY municipality, village"));
  query.Bind(1, absl::ToUnixMicros(DayStart(figures.period.end_day)));
  while (true) {
    HERSTEL_ASSIGN_OR_RETURN(bool row, query.Step());
    if (!row) break;
    std::string municipality = query.ColumnText(0);
    std::string village = query.ColumnText(1);
    int64_t count = query.ColumnInt(2);
    figures.active_backlog_alerts[{"", ""}] += count;
    figures.active_backlog_alerts[{municipality, ""}] += count;
    if (!village.empty()) figures.active_backlog_alerts[{municipality, village}] += count;
  }
  return absl::OkStatus();
}

v1::BacklogAlert AlertFromRow(Statement& row) {
  // Columns: id, municipality, village, track, phase, consecutive_weeks,
  // first_growth_week_day, stock_at_start, stock_now, active, raise_micros, clear_micros.
  v1::BacklogAlert alert;
  alert.set_name(absl::StrCat("backlog-alerts/", row.ColumnInt(0)));
  alert.set_municipality(row.ColumnText(1));
  alert.set_village(row.ColumnText(2));
  alert.set_track(static_cast<v1::Track>(row.ColumnInt(3)));
  alert.set_phase(static_cast<v1::Phase>(row.ColumnInt(4)));
  alert.set_consecutive_weeks(static_cast<int32_t>(row.ColumnInt(5)));
  alert.set_first_growth_week(IsoWeekName(row.ColumnInt(6)));
  alert.mutable_stock_at_start()->set_value(row.ColumnInt(7));
  alert.mutable_stock_now()->set_value(row.ColumnInt(8));
  alert.set_status(row.ColumnInt(9) != 0 ? v1::BACKLOG_ALERT_STATUS_ACTIVE
                                         : v1::BACKLOG_ALERT_STATUS_CLEARED);
  *alert.mutable_raise_time() = TimeUtil::MicrosecondsToTimestamp(row.ColumnInt(10));
  if (!row.ColumnIsNull(11)) {
    *alert.mutable_clear_time() = TimeUtil::MicrosecondsToTimestamp(row.ColumnInt(11));
  }
  return alert;
}

constexpr absl::string_view kAlertColumns =
    "id, municipality, village, track, phase, consecutive_weeks, first_growth_week_day, "
    "stock_at_start, stock_now, active, raise_micros, clear_micros";

}  // namespace

const MigrationSet& ReportingMigrations() {
  static const std::string* day_rows = new std::string(absl::StrCat(kDayRowsSchema,
                                                                     kRebuildFromStreams));
  static const MigrationSet* migrations =
      new MigrationSet{"reporting-service",
                       {{1, "aggregates, alerts, reports, settings", kSchema},
                        {2, "counters per area and day, rebuilt from the streams",
                         *day_rows},
                        {3, "public suppression patterns per period", kPublishedPatternsSchema},
                        // Counters as numbers (metric::kAll's index, not the name);
                        // alerts, reports, settings and stored patterns are kept.
                        {4, "counters as numbers, rebuilt from the streams",
                         kRebuildFromStreams},
                        {5, "alerts by when they were cleared", kAlertsByClearSchema},
                        // Handover marks at each case's place only (three per
                        // handover before: one per area).
                        {6, "item marks at their place, rebuilt from the streams",
                         kRebuildFromStreams}}};
  return *migrations;
}

namespace {

// Events of different cases are independent: their states are apart and
// their counts add up. So the events of a transaction are applied in
// kApplyShards shards by case, each with its own AggregateBatch, and a large
// part's shards run on threads of their own (the machine's two cores); the
// batches take turns on the transaction. In Finish the other batches write
// their states while the first adds up their counters; the first then
// writes the counters once. Events not about a case all go to the first
// shard, in order.
constexpr int kApplyShards = 2;
// Parts smaller than this (live events) are applied on the follower's
// thread alone, and transactions smaller than this do not keep case states.
constexpr size_t kParallelPart = 256;

class SourceEventsApplier : public EventFollower::BatchApplier {
 public:
  SourceEventsApplier(Transaction& tx, std::string source, KeptStates* kept_cases)
      : tx_(tx), source_(std::move(source)), kept_cases_(kept_cases) {
    for (int shard = 0; shard < kApplyShards; ++shard) {
      shards_.push_back(std::make_unique<AggregateBatch>(tx, &sql_, kept_cases));
    }
  }

  absl::Status Apply(absl::Span<const v1::Event> events) override {
    if (events.empty()) return absl::OkStatus();
    if (kept_cases_ != nullptr && last_sequence_ == 0) {
      HERSTEL_ASSIGN_OR_RETURN(int64_t stored_cursor, LoadCursor(tx_, source_));
      kept_cases_->ValidateAt(stored_cursor);
    }
    std::array<std::vector<const v1::Event*>, kApplyShards> routed;
    for (const v1::Event& event : events) routed[ShardOf(event)].push_back(&event);
    HERSTEL_RETURN_IF_ERROR(OnShards(events.size() >= kParallelPart, [&](int shard) {
      for (const v1::Event* event : routed[shard]) {
        HERSTEL_RETURN_IF_ERROR(ApplyEvent(*event, *shards_[shard]));
      }
      return absl::OkStatus();
    }));
    events_ += events.size();
    last_sequence_ = events.back().sequence();
    last_commit_micros_ = TimeUtil::TimestampToMicroseconds(events.back().commit_time());
    return absl::OkStatus();
  }

  absl::Status Finish() override {
    // The other shards write their states while the first adds up their
    // counts and serializes its own states (no SQL); then the first writes
    // everything else once.
    HERSTEL_RETURN_IF_ERROR(OnShards(events_ >= kParallelPart, [&](int shard) {
      if (shard != 0) return shards_[shard]->FlushStates();
      for (int other = 1; other < kApplyShards; ++other) shards_[0]->TakeCountsOf(*shards_[other]);
      shards_[0]->PrepareStates();
      return absl::OkStatus();
    }));
    HERSTEL_RETURN_IF_ERROR(shards_[0]->Flush());
    if (!last_commit_micros_.has_value()) return absl::OkStatus();
    // The transaction stores this cursor next; if it does not commit, the
    // next one finds another stored cursor and drops the kept states. They
    // are kept only while catching up: a small transaction is live events.
    if (kept_cases_ != nullptr) {
      if (events_ >= kParallelPart) {
        kept_cases_->Commit(last_sequence_);
      } else {
        kept_cases_->Drop();
      }
    }
    HERSTEL_ASSIGN_OR_RETURN(
        Statement progress,
        tx_.Prepare("INSERT INTO source_progress (source, last_commit_micros, last_apply_micros) "
                    "VALUES (?, ?, ?) ON CONFLICT (source) DO UPDATE SET last_commit_micros = "
                    "excluded.last_commit_micros, last_apply_micros = excluded.last_apply_micros"));
    progress.Bind(1, source_).Bind(2, *last_commit_micros_).Bind(3, absl::ToUnixMicros(absl::Now()));
    return progress.Run();
  }

 private:
  // Runs `work` for every shard, on a thread each (the first on this one)
  // when `in_parallel`, else one after another; the first error.
  static absl::Status OnShards(bool in_parallel, absl::FunctionRef<absl::Status(int)> work) {
    std::array<absl::Status, kApplyShards> done;
    if (!in_parallel) {
      for (int shard = 0; shard < kApplyShards; ++shard) done[shard] = work(shard);
    } else {
      std::vector<std::thread> threads;
      for (int shard = 1; shard < kApplyShards; ++shard) {
        threads.emplace_back([&, shard] { done[shard] = work(shard); });
      }
      done[0] = work(0);
      for (std::thread& thread : threads) thread.join();
    }
    for (const absl::Status& status : done) HERSTEL_RETURN_IF_ERROR(status);
    return absl::OkStatus();
  }

  // The shard of the case `event` is about ("cases/12" of
  // "cases/12/bottlenecks/3"), the first for events not about a case.
  static int ShardOf(const v1::Event& event) {
    const std::string case_name = CaseOf(event.resource());
    if (case_name.empty()) return 0;
    return static_cast<int>(absl::Hash<std::string>()(case_name) % kApplyShards);
  }

  Transaction& tx_;
  const std::string source_;
  KeptStates* const kept_cases_;
  absl::Mutex sql_;
  std::vector<std::unique_ptr<AggregateBatch>> shards_;
  size_t events_ = 0;
  int64_t last_sequence_ = 0;
  std::optional<int64_t> last_commit_micros_;
};

}  // namespace

bool KeepsCaseStates(absl::string_view source) { return source == kSources[0]; }

std::unique_ptr<EventFollower::BatchApplier> BeginSourceEvents(Transaction& tx,
                                                               std::string source,
                                                               KeptStates* kept_cases) {
  return std::make_unique<SourceEventsApplier>(tx, std::move(source), kept_cases);
}

absl::Status ApplySourceEvents(Transaction& tx, absl::string_view source,
                               absl::Span<const v1::Event> events, KeptStates* kept_cases) {
  SourceEventsApplier applier(tx, std::string(source), kept_cases);
  HERSTEL_RETURN_IF_ERROR(applier.Apply(events));
  return applier.Finish();
}

absl::StatusOr<std::vector<SourceProgress>> LoadSourceProgress(Transaction& tx) {
  std::vector<SourceProgress> progress;
  for (const char* source : kSources) {
    SourceProgress& entry = progress.emplace_back();
    entry.source = source;
    HERSTEL_ASSIGN_OR_RETURN(Statement cursor,
                             tx.Prepare("SELECT sequence FROM consumer_cursors WHERE source = ?"));
    cursor.Bind(1, source);
    HERSTEL_ASSIGN_OR_RETURN(bool has_cursor, cursor.Step());
    if (has_cursor) entry.cursor = cursor.ColumnInt(0);
    HERSTEL_ASSIGN_OR_RETURN(
        Statement times, tx.Prepare("SELECT last_commit_micros, last_apply_micros FROM "
                                    "source_progress WHERE source = ?"));
    times.Bind(1, source);
    HERSTEL_ASSIGN_OR_RETURN(bool has_times, times.Step());
    if (has_times) {
      entry.last_commit_micros = times.ColumnInt(0);
      entry.last_apply_micros = times.ColumnInt(1);
    }
  }
  return progress;
}

absl::StatusOr<PeriodFigures> LoadPeriodFigures(Transaction& tx, const DayPeriod& period,
                                                const std::optional<AreaKey>& only) {
  PeriodFigures figures;
  figures.period = period;
  figures.week_start_days = WeeksOf(period);
  // The region always exists, so an empty store still answers with zeros.
  if (!only.has_value()) figures.areas[AreaKey{}].cells.assign(figures.layout().size(), 0);
  HERSTEL_RETURN_IF_ERROR(LoadCounters(tx, figures, only));
  HERSTEL_RETURN_IF_ERROR(LoadDueItems(tx, figures, only));
  HERSTEL_RETURN_IF_ERROR(LoadHandoverCases(tx, figures, only));
  HERSTEL_RETURN_IF_ERROR(LoadBudgetLines(tx, figures));
  HERSTEL_RETURN_IF_ERROR(LoadActiveAlertCounts(tx, figures));
  const FigureLayout layout = figures.layout();
  for (auto& [key, area] : figures.areas) CompleteDerivedCells(layout, area);
  return figures;
}

absl::StatusOr<v1::ReportingSettings> LoadSettings(Transaction& tx) {
  HERSTEL_ASSIGN_OR_RETURN(Statement query, tx.Prepare("SELECT settings FROM settings"));
  HERSTEL_ASSIGN_OR_RETURN(bool found, query.Step());
  v1::ReportingSettings settings;
  if (found) {
    if (!settings.ParseFromString(query.ColumnBlob(0))) {
      return absl::DataLossError("stored reporting settings cannot be read");
    }
    return settings;
  }
  settings.set_name("reporting-settings");
  settings.set_suppression_threshold(10);
  settings.set_backlog_weeks(4);
  settings.set_stable_band_percent(2.0);
  settings.set_etag("0");
  return settings;
}

absl::Status SaveSettings(Transaction& tx, const v1::ReportingSettings& settings) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement upsert,
      tx.Prepare("INSERT INTO settings (id, settings) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET "
                 "settings = excluded.settings"));
  upsert.BindBlob(1, settings.SerializeAsString());
  return upsert.Run();
}

absl::StatusOr<std::optional<v1::BacklogAlert>> LoadBacklogAlert(Transaction& tx, int64_t id) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement query,
      tx.Prepare(absl::StrCat("SELECT ", kAlertColumns, " FROM backlog_alerts WHERE id = ?")));
  query.Bind(1, id);
  HERSTEL_ASSIGN_OR_RETURN(bool found, query.Step());
  if (!found) return std::optional<v1::BacklogAlert>();
  return std::optional<v1::BacklogAlert>(AlertFromRow(query));
}

absl::StatusOr<std::vector<ListedAlert>> ListBacklogAlerts(Transaction& tx,
                                                           const BacklogAlertQuery& query) {
  std::string sql = absl::StrCat("SELECT ", kAlertColumns, " FROM backlog_alerts WHERE 1 = 1");
  if (query.municipality.has_value()) absl::StrAppend(&sql, " AND municipality = ?1");
  if (query.village.has_value()) absl::StrAppend(&sql, " AND village = ?2");
  if (query.track != 0) absl::StrAppend(&sql, " AND track = ?3");
  if (query.phase != 0) absl::StrAppend(&sql, " AND phase = ?4");
  if (query.status != 0) absl::StrAppend(&sql, " AND active = ?5");
  if (query.after.has_value()) {
    absl::StrAppend(&sql, " AND (raise_micros < ?6 OR (raise_micros = ?6 AND id < ?7))");
  }
  absl::StrAppend(&sql, " ORDER BY raise_micros DESC, id DESC LIMIT ?8");
  HERSTEL_ASSIGN_OR_RETURN(Statement statement, tx.Prepare(sql));
  if (query.municipality.has_value()) statement.Bind(1, *query.municipality);
  if (query.village.has_value()) statement.Bind(2, *query.village);
  if (query.track != 0) statement.Bind(3, query.track);
  if (query.phase != 0) statement.Bind(4, query.phase);
  if (query.status != 0) {
    statement.Bind(5, query.status == v1::BACKLOG_ALERT_STATUS_ACTIVE ? 1 : 0);
  }
  if (query.after.has_value()) statement.Bind(6, query.after->first).Bind(7, query.after->second);
  statement.Bind(8, query.limit);
  std::vector<ListedAlert> alerts;
  while (true) {
    HERSTEL_ASSIGN_OR_RETURN(bool row, statement.Step());
    if (!row) break;
    alerts.push_back({statement.ColumnInt(10), statement.ColumnInt(0), AlertFromRow(statement)});
  }
  return alerts;
}

absl::StatusOr<std::vector<v1::BacklogAlert>> ActiveBacklogAlerts(Transaction& tx,
                                                                  const AreaKey& area,
                                                                  absl::Time at) {
  std::string sql = absl::StrCat(
      "SELECT ", kAlertColumns,
      " FROM backlog_alerts INDEXED BY backlog_alerts_by_clear WHERE raise_micros < ?1 AND "
      "(clear_micros IS NULL OR clear_micros >= ?1)");
  if (!area.municipality.empty()) absl::StrAppend(&sql, " AND municipality = ?2");
  if (!area.village.empty()) absl::StrAppend(&sql, " AND village = ?3");
  absl::StrAppend(&sql, " ORDER BY raise_micros DESC, id DESC LIMIT 1000");
  HERSTEL_ASSIGN_OR_RETURN(Statement statement, tx.Prepare(sql));
  statement.Bind(1, absl::ToUnixMicros(at));
  if (!area.municipality.empty()) statement.Bind(2, area.municipality);
  if (!area.village.empty()) statement.Bind(3, area.village);
  std::vector<v1::BacklogAlert> alerts;
  while (true) {
    HERSTEL_ASSIGN_OR_RETURN(bool row, statement.Step());
    if (!row) break;
    v1::BacklogAlert alert = AlertFromRow(statement);
    // As it stood at `at`: active then, even when cleared since.
    alert.set_status(v1::BACKLOG_ALERT_STATUS_ACTIVE);
    alert.clear_clear_time();
    alerts.push_back(std::move(alert));
  }
  return alerts;
}

absl::StatusOr<int> EvaluateBacklogs(Transaction& tx, absl::Time now, int32_t backlog_weeks) {
  const int64_t last_complete_week = WeekStartDay(DayNumber(now)) - 7;
  int64_t evaluated_through = 0;
  {
    HERSTEL_ASSIGN_OR_RETURN(
        Statement query, tx.Prepare("SELECT evaluated_through_week_day FROM backlog_evaluation"));
    HERSTEL_ASSIGN_OR_RETURN(bool found, query.Step());
    if (found) {
      evaluated_through = query.ColumnInt(0);
    } else {
      HERSTEL_ASSIGN_OR_RETURN(Statement first, tx.Prepare("SELECT MIN(day) FROM day_counters"));
      HERSTEL_RETURN_IF_ERROR(first.Step().status());
      if (first.ColumnIsNull(0)) return 0;
      evaluated_through = WeekStartDay(first.ColumnInt(0)) - 7;
    }
  }
  if (evaluated_through >= last_complete_week) return 0;

  using SeriesKey = std::tuple<std::string, std::string, int, int>;
  struct Series {
    BacklogSeriesState state;
    int64_t alert_id = 0;
    std::map<int64_t, int64_t> deltas;  // week start day -> change
  };
  std::map<SeriesKey, Series> series;
  {
    HERSTEL_ASSIGN_OR_RETURN(
        Statement query,
        tx.Prepare("SELECT municipality, village, track, phase, last_week_day, last_stock, "
                   "growth_weeks, run_start_week_day, run_start_stock, alert_id FROM "
                   "backlog_series"));
    while (true) {
      HERSTEL_ASSIGN_OR_RETURN(bool row, query.Step());
      if (!row) break;
      Series& entry = series[{query.ColumnText(0), query.ColumnText(1),
                              static_cast<int>(query.ColumnInt(2)),
                              static_cast<int>(query.ColumnInt(3))}];
      entry.state = {query.ColumnInt(4), query.ColumnInt(5),
                     static_cast<int32_t>(query.ColumnInt(6)), query.ColumnInt(7),
                     query.ColumnInt(8), query.ColumnInt(9) != 0};
      entry.alert_id = query.ColumnInt(9);
    }
  }
  const int stock = metric::IdOf(metric::kStock);
  HERSTEL_RETURN_IF_ERROR(ReadDayCounters(
      tx, evaluated_through + 7, last_complete_week + 7, std::nullopt,
      [&](const AreaKey& area, int64_t day, const Counter& counter) {
        if (counter.metric != stock || area.municipality.empty() || counter.dim1 <= 0 ||
            counter.dim2 <= 0) {
          return;
        }
        Series& entry = series[{area.municipality, area.village, static_cast<int>(counter.dim1),
                                static_cast<int>(counter.dim2)}];
        entry.deltas[WeekStartDay(day)] += counter.value;
      }));
  int changes = 0;
  for (auto& [key, entry] : series) {
    const auto& [municipality, village, track, phase] = key;
    for (int64_t week = evaluated_through + 7; week <= last_complete_week; week += 7) {
      auto delta = entry.deltas.find(week);
      int64_t stock = entry.state.last_stock + (delta == entry.deltas.end() ? 0 : delta->second);
      BacklogChange change = AdvanceBacklogWeek(entry.state, week, stock, backlog_weeks);
      int64_t at_micros = absl::ToUnixMicros(DayStart(week + 7));
      if (change == BacklogChange::kRaised) {
        HERSTEL_ASSIGN_OR_RETURN(
            Statement insert,
            tx.Prepare("INSERT INTO backlog_alerts (municipality, village, track, phase, "
                       "consecutive_weeks, first_growth_week_day, stock_at_start, stock_now, "
                       "active, raise_micros, clear_micros) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, "
                       "?, NULL)"));
        insert.Bind(1, municipality).Bind(2, village).Bind(3, track).Bind(4, phase);
        insert.Bind(5, entry.state.growth_weeks).Bind(6, entry.state.run_start_week_day);
        insert.Bind(7, entry.state.run_start_stock).Bind(8, stock).Bind(9, at_micros);
        HERSTEL_RETURN_IF_ERROR(insert.Run());
        entry.alert_id = tx.LastInsertRowId();
        v1::BacklogAlertRaised raised;
        raised.set_backlog_alert(absl::StrCat("backlog-alerts/", entry.alert_id));
        raised.set_municipality(municipality);
        raised.set_village(village);
        raised.set_track(static_cast<v1::Track>(track));
        raised.set_phase(static_cast<v1::Phase>(phase));
        raised.set_consecutive_weeks(entry.state.growth_weeks);
        HERSTEL_RETURN_IF_ERROR(
            AppendEvent(tx, raised, raised.backlog_alert(), {"", "reporting-service"}).status());
        ++changes;
      } else if (change == BacklogChange::kContinued || change == BacklogChange::kCleared) {
        bool cleared = change == BacklogChange::kCleared;
        HERSTEL_ASSIGN_OR_RETURN(
            Statement update,
            tx.Prepare("UPDATE backlog_alerts SET consecutive_weeks = ?, stock_now = ?, active = "
                       "?, clear_micros = ? WHERE id = ?"));
        update.Bind(2, stock).Bind(3, cleared ? 0 : 1).Bind(5, entry.alert_id);
        if (cleared) {
          update.Bind(4, at_micros);
        } else {
          update.BindNull(4);
        }
        // Growth weeks of the run; a clearing week resets the run, so keep the count.
        HERSTEL_ASSIGN_OR_RETURN(std::optional<v1::BacklogAlert> existing,
                                 LoadBacklogAlert(tx, entry.alert_id));
        int32_t weeks = cleared && existing.has_value() ? existing->consecutive_weeks()
                                                        : entry.state.growth_weeks;
        update.Bind(1, weeks);
        HERSTEL_RETURN_IF_ERROR(update.Run());
        if (cleared) {
          v1::BacklogAlertCleared event;
          event.set_backlog_alert(absl::StrCat("backlog-alerts/", entry.alert_id));
          event.set_municipality(municipality);
          event.set_village(village);
          event.set_track(static_cast<v1::Track>(track));
          event.set_phase(static_cast<v1::Phase>(phase));
          event.set_consecutive_weeks(weeks);
          HERSTEL_RETURN_IF_ERROR(
              AppendEvent(tx, event, event.backlog_alert(), {"", "reporting-service"}).status());
          entry.alert_id = 0;
          ++changes;
        }
      }
    }
    HERSTEL_ASSIGN_OR_RETURN(
        Statement save,
        tx.Prepare("INSERT INTO backlog_series (municipality, village, track, phase, "
                   "last_week_day, last_stock, growth_weeks, run_start_week_day, "
                   "run_start_stock, alert_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON "
                   "CONFLICT (municipality, village, track, phase) DO UPDATE SET last_week_day = "
                   "excluded.last_week_day, last_stock = "
                   "excluded.last_stock, growth_weeks = excluded.growth_weeks, "
                   "run_start_week_day = excluded.run_start_week_day, run_start_stock = "
                   "excluded.run_start_stock, alert_id = excluded.alert_id"));
    save.Bind(1, municipality).Bind(2, village).Bind(3, track).Bind(4, phase);
    save.Bind(5, entry.state.last_week_start_day).Bind(6, entry.state.last_stock);
    save.Bind(7, entry.state.growth_weeks).Bind(8, entry.state.run_start_week_day);
    save.Bind(9, entry.state.run_start_stock).Bind(10, entry.alert_id);
    HERSTEL_RETURN_IF_ERROR(save.Run());
  }
  HERSTEL_ASSIGN_OR_RETURN(
      Statement mark,
      tx.Prepare("INSERT INTO backlog_evaluation (id, evaluated_through_week_day) VALUES (1, ?) "
                 "ON CONFLICT (id) DO UPDATE SET evaluated_through_week_day = "
                 "excluded.evaluated_through_week_day"));
  mark.Bind(1, last_complete_week);
  HERSTEL_RETURN_IF_ERROR(mark.Run());
  return changes;
}

absl::StatusOr<std::optional<std::vector<CellSuppression>>> LoadSuppressionPattern(
    Transaction& tx, const DayPeriod& period, int64_t threshold, absl::string_view digest) {
  HERSTEL_ASSIGN_OR_RETURN(Statement query,
                           tx.Prepare("SELECT pattern FROM published_patterns WHERE start_day = "
                                      "? AND end_day = ? AND threshold = ?"));
  query.Bind(1, period.start_day).Bind(2, period.end_day).Bind(3, threshold);
  HERSTEL_ASSIGN_OR_RETURN(bool found, query.Step());
  if (!found) return std::nullopt;
  auto unreadable = [&](absl::string_view why) {
    return absl::DataLossError(absl::StrCat("the stored suppression pattern of days ",
                                            period.start_day, "-", period.end_day, " ", why));
  };
  store::StoredPattern stored;
  if (!stored.ParseFromString(query.ColumnBlob(0))) return unreadable("cannot be read");
  if (stored.digest() != digest) return std::nullopt;
  std::vector<CellSuppression> pattern(stored.cells(), CellSuppression::kNone);
  uint64_t cell = 0;
  for (uint64_t entry : stored.hidden()) {
    cell += entry >> 2;
    if (cell >= pattern.size()) return unreadable("names a cell past its end");
    if ((entry & 3) == 0) return unreadable("hides a cell without saying how");
    pattern[cell] = static_cast<CellSuppression>(entry & 3);
  }
  return pattern;
}

absl::Status SaveSuppressionPattern(Transaction& tx, const DayPeriod& period, int64_t threshold,
                                    absl::string_view digest,
                                    const std::vector<CellSuppression>& pattern,
                                    absl::Time saved) {
  store::StoredPattern stored;
  stored.set_digest(std::string(digest));
  stored.set_cells(static_cast<uint32_t>(pattern.size()));
  uint64_t previous = 0;
  for (uint64_t cell = 0; cell < pattern.size(); ++cell) {
    if (pattern[cell] == CellSuppression::kNone) continue;
    stored.add_hidden(((cell - previous) << 2) | static_cast<uint64_t>(pattern[cell]));
    previous = cell;
  }
  HERSTEL_ASSIGN_OR_RETURN(
      Statement upsert,
      tx.Prepare("INSERT INTO published_patterns (start_day, end_day, threshold, saved_micros, "
                 "pattern) VALUES (?, ?, ?, ?, ?) ON CONFLICT (start_day, end_day, threshold) "
                 "DO UPDATE SET saved_micros = excluded.saved_micros, pattern = "
                 "excluded.pattern"));
  upsert.Bind(1, period.start_day).Bind(2, period.end_day).Bind(3, threshold);
  upsert.Bind(4, absl::ToUnixMicros(saved)).BindBlob(5, stored.SerializeAsString());
  HERSTEL_RETURN_IF_ERROR(upsert.Run());
  HERSTEL_ASSIGN_OR_RETURN(
      Statement prune,
      tx.Prepare("DELETE FROM published_patterns WHERE saved_micros < (SELECT saved_micros FROM "
                 "published_patterns ORDER BY saved_micros DESC LIMIT 1 OFFSET ?)"));
  prune.Bind(1, kKeptSuppressionPatterns - 1);
  return prune.Run();
}

absl::StatusOr<std::optional<v1::AnnualReport>> LoadAnnualReport(Transaction& tx, int32_t year) {
  HERSTEL_ASSIGN_OR_RETURN(Statement query,
                           tx.Prepare("SELECT report FROM annual_reports WHERE year = ?"));
  query.Bind(1, year);
  HERSTEL_ASSIGN_OR_RETURN(bool found, query.Step());
  if (!found) return std::optional<v1::AnnualReport>();
  v1::AnnualReport report;
  if (!report.ParseFromString(query.ColumnBlob(0))) {
    return absl::DataLossError(absl::StrCat("stored report of ", year, " cannot be read"));
  }
  return std::optional<v1::AnnualReport>(std::move(report));
}

absl::Status SaveAnnualReport(Transaction& tx, const v1::AnnualReport& report) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement upsert,
      tx.Prepare("INSERT INTO annual_reports (year, revision, report) VALUES (?, ?, ?) ON "
                 "CONFLICT (year) DO UPDATE SET revision = excluded.revision, report = excluded.report"));
  upsert.Bind(1, report.year()).Bind(2, report.revision()).BindBlob(3, report.SerializeAsString());
  return upsert.Run();
}

absl::StatusOr<std::vector<v1::AnnualReport>> ListAnnualReports(Transaction& tx,
                                                                std::optional<int32_t> year,
                                                                int32_t before_year, int limit) {
  std::string sql = "SELECT report FROM annual_reports WHERE 1 = 1";
  if (year.has_value()) sql += " AND year = ?1";
  if (before_year > 0) sql += " AND year < ?2";
  sql += " ORDER BY year DESC LIMIT ?3";
  HERSTEL_ASSIGN_OR_RETURN(Statement query, tx.Prepare(sql));
  if (year.has_value()) query.Bind(1, *year);
  if (before_year > 0) query.Bind(2, before_year);
  query.Bind(3, limit);
  std::vector<v1::AnnualReport> reports;
  while (true) {
    HERSTEL_ASSIGN_OR_RETURN(bool row, query.Step());
    if (!row) break;
    v1::AnnualReport& report = reports.emplace_back();
    if (!report.ParseFromString(query.ColumnBlob(0))) {
      return absl::DataLossError("a stored yearly report cannot be read");
    }
    report.clear_markdown();
    report.clear_html();
    report.clear_tables();
  }
  return reports;
}

absl::StatusOr<OperatorFigures> LoadOperatorFigures(Transaction& tx, absl::Time now) {
  OperatorFigures figures;
  int64_t now_micros = absl::ToUnixMicros(now);
  {
    HERSTEL_ASSIGN_OR_RETURN(Statement query,
                             tx.Prepare("SELECT COUNT(*) FROM backlog_alerts WHERE active = 1"));
    HERSTEL_RETURN_IF_ERROR(query.Step().status());
    figures.active_backlog_alerts = query.ColumnInt(0);
  }
  {
    HERSTEL_ASSIGN_OR_RETURN(
        Statement query,
        tx.Prepare("SELECT dim1, COUNT(DISTINCT name) FROM due_items WHERE kind = ? AND "
                   "end_micros IS NULL AND due_micros < ? GROUP BY dim1 ORDER BY dim1"));
    query.Bind(1, kEscalationItem).Bind(2, now_micros);
    while (true) {
      HERSTEL_ASSIGN_OR_RETURN(bool row, query.Step());
      if (!row) break;
      figures.overdue_escalations_per_level.emplace_back(static_cast<int>(query.ColumnInt(0)),
                                                         query.ColumnInt(1));
    }
  }
  {
    HERSTEL_ASSIGN_OR_RETURN(
        Statement query,
        tx.Prepare("SELECT b.name, b.available_cents FROM budget_balances b WHERE b.day = "
                   "(SELECT MAX(day) FROM budget_balances WHERE name = b.name) ORDER BY b.name"));
    while (true) {
      HERSTEL_ASSIGN_OR_RETURN(bool row, query.Step());
      if (!row) break;
      figures.budget_left_cents_per_line.emplace_back(query.ColumnText(0), query.ColumnInt(1));
    }
  }
  return figures;
}

}  // namespace herstel::reporting
