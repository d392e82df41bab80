// The reporting-service's own store: aggregates derived from the followed
// event streams (see domain/aggregator.h), backlog alerts, yearly reports,
// settings and per-source progress. It never reads another service's
// database; everything here is rebuilt by following the streams from 0.
#ifndef HERSTEL_REPORTING_STORE_REPORTING_STORE_H_
#define HERSTEL_REPORTING_STORE_REPORTING_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "domain/aggregator.h"
#include "domain/backlog.h"
#include "domain/figures.h"
#include "domain/suppression.h"
#include "herstel/follower.h"
#include "herstel/store.h"
#include "herstel/v1/reporting_service.pb.h"
#include "store/aggregate_batch.h"

namespace herstel::reporting {

// The schema, component "reporting-service".
const MigrationSet& ReportingMigrations();

// Sources followed, in the order they are reported.
inline constexpr const char* kSources[] = {"case-service", "mandate-service",
                                           "escalation-service"};

// How the followers group queued events of a source (a rebuild, a catch-up;
// a live event goes at once): parts of 5,000, and one transaction goes on
// for as long as more wait, up to a million. A transaction keeps what it
// derives in memory (AggregateBatch: counter rows, case and escalation
// states) and writes it once, so each day's counter rows and each case's
// state are written about once per transaction instead of once per part.
// Memory is bounded by the aggregates one transaction touches (plus the
// case-service's KeptStates, one per case), not by its events. The store's
// write lock is held for the whole transaction: about seven seconds during a
// rebuild at full size, when other writes (backlog evaluation, stored
// suppression patterns) wait; reads do not. Half a million events per
// transaction measured 5 % slower and 20 % smaller; two million, 3 % faster
// and 80 % larger (docs/benchmarks/reporting.md, round 6).
inline constexpr EventFollower::Batching kFollowerBatching{5000, 1000000};

// Whether the follower of `source` keeps case states across its
// transactions (KeptStates): the case-service's, the one stream that writes
// them.
bool KeepsCaseStates(absl::string_view source);

// Applies events of `source` inside `tx` (the follower's transaction, which
// also stores the cursor), part by part; Finish writes the aggregates and
// records the source's progress. For the case-service, `kept_cases` (owned
// by its follower, used by no one else) keeps the case states across
// transactions; see KeptStates.
std::unique_ptr<EventFollower::BatchApplier> BeginSourceEvents(
    Transaction& tx, std::string source, KeptStates* kept_cases = nullptr);
// The same for `events` at once (consecutive, ascending).
absl::Status ApplySourceEvents(Transaction& tx, absl::string_view source,
                               absl::Span<const v1::Event> events,
                               KeptStates* kept_cases = nullptr);

struct SourceProgress {
  std::string source;
  int64_t cursor = 0;
  int64_t last_commit_micros = 0;
  int64_t last_apply_micros = 0;
};
absl::StatusOr<std::vector<SourceProgress>> LoadSourceProgress(Transaction& tx);

// Reads the figures of `period` for every area (when `only` is unset) or
// for the one area `only`.
absl::StatusOr<PeriodFigures> LoadPeriodFigures(Transaction& tx, const DayPeriod& period,
                                                const std::optional<AreaKey>& only);

// Settings (defaults until first changed).
absl::StatusOr<v1::ReportingSettings> LoadSettings(Transaction& tx);
absl::Status SaveSettings(Transaction& tx, const v1::ReportingSettings& settings);

// Backlog alerts.
absl::StatusOr<std::optional<v1::BacklogAlert>> LoadBacklogAlert(Transaction& tx, int64_t id);
struct BacklogAlertQuery {
  std::optional<std::string> municipality;
  std::optional<std::string> village;
  int track = 0;
  int phase = 0;
  int status = 0;  // v1::BacklogAlertStatus, 0 = any
  // Keyset: alerts strictly after (raise_micros, id) in newest-first order.
  std::optional<std::pair<int64_t, int64_t>> after;
  int limit = 50;
};
// Newest raise_time first, then highest id. Each entry: (raise_micros, id, alert).
struct ListedAlert {
  int64_t raise_micros;
  int64_t id;
  v1::BacklogAlert alert;
};
absl::StatusOr<std::vector<ListedAlert>> ListBacklogAlerts(Transaction& tx,
                                                           const BacklogAlertQuery& query);
// Alerts active at `at` in `area` (a municipality also covers its villages;
// the region covers all).
absl::StatusOr<std::vector<v1::BacklogAlert>> ActiveBacklogAlerts(Transaction& tx,
                                                                  const AreaKey& area,
                                                                  absl::Time at);
// Evaluates every complete ISO week before `now` not evaluated yet, raising
// and clearing alerts (with their events). Returns the number of changes.
absl::StatusOr<int> EvaluateBacklogs(Transaction& tx, absl::Time now, int32_t backlog_weeks);

// Public suppression patterns of periods (see SuppressionDigest). Load
// gives nullopt when none is stored for the period and threshold or the
// stored one was solved for other figures (`digest` differs). Save keeps
// one per period and threshold and the kKeptSuppressionPatterns most
// recently saved overall.
inline constexpr int kKeptSuppressionPatterns = 64;
absl::StatusOr<std::optional<std::vector<CellSuppression>>> LoadSuppressionPattern(
    Transaction& tx, const DayPeriod& period, int64_t threshold, absl::string_view digest);
absl::Status SaveSuppressionPattern(Transaction& tx, const DayPeriod& period, int64_t threshold,
                                    absl::string_view digest,
                                    const std::vector<CellSuppression>& pattern,
                                    absl::Time saved);

// Yearly reports.
absl::StatusOr<std::optional<v1::AnnualReport>> LoadAnnualReport(Transaction& tx, int32_t year);
absl::Status SaveAnnualReport(Transaction& tx, const v1::AnnualReport& report);
// Reports with year < before_year (all when 0), newest first, bodies left out.
absl::StatusOr<std::vector<v1::AnnualReport>> ListAnnualReports(Transaction& tx,
                                                                std::optional<int32_t> year,
                                                                int32_t before_year, int limit);

// Operator gauges.
struct OperatorFigures {
  int64_t active_backlog_alerts = 0;
  std::vector<std::pair<int, int64_t>> overdue_escalations_per_level;
  std::vector<std::pair<std::string, int64_t>> budget_left_cents_per_line;
};
absl::StatusOr<OperatorFigures> LoadOperatorFigures(Transaction& tx, absl::Time now);

}  // namespace herstel::reporting

#endif  // HERSTEL_REPORTING_STORE_REPORTING_STORE_H_
