// The figures of a period, laid out as numbered cells per area, as the
// store reads them and the publication renders (and suppresses) them.
//
// Every area (region, municipality, village) has the same dense layout for
// a period, so the suppression solver can tie an area's cells to each other
// and to the same cell of its parent area.
#ifndef HERSTEL_REPORTING_DOMAIN_FIGURES_H_
#define HERSTEL_REPORTING_DOMAIN_FIGURES_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "domain/aggregator.h"
#include "domain/calendar.h"
#include "domain/statistics.h"

namespace herstel::reporting {

inline constexpr int kTracks = 5;       // 0 = whole case / whole track, 1..4 = v1::Track
inline constexpr int kPhases = 7;       // 0 = whole track, 1..6 = v1::Phase
inline constexpr int kCategories = 5;   // v1::BottleneckCategory 0..4
inline constexpr int kLevels = 4;       // v1::EscalationLevel 0..3
inline constexpr int kOutcomes = 6;     // v1::EscalationDecisionOutcome 0..5

enum class Flow { kInflow = 0, kOutflow = 1, kStock = 2 };
enum class BottleneckCount { kRaised = 0, kSolved = 1, kOpen = 2 };
enum class EscalationCount {
  kArrived = 0,
  kDecided = 1,
  kWithinTerm = 2,
  kMovedUp = 3,
  kOpen = 4,
  kOverdue = 5,
  kDecidedLate = 6,  // decided - within term: not printed, but derivable
};
inline constexpr int kEscalationCounts = 7;

// Single counts of an area.
enum class Scalar {
  kInspectionsRequested,
  kInspectionsWaiting,
  kInspectionsWaitingPastTarget,
  kHandovers,
  kCasesWithHandover,
  kOneContactPerson,
  kNotOneContactPerson,
  kHasPlan,
  kNoPlan,
  kPlanCoversAll,
  kPlanNotCoveringAll,
  kDecisionsWithinMandate,
  kDecisionsEscalated,
  kDecisionsTotal,
  kInspectionWaitSample,
  kLeadTimeSampleAll,
  kCasesOpened,  // sum of the weekly whole-case inflow
  kCasesClosed,  // sum of the weekly whole-case outflow
  kCount,
};

// Cell numbering for a period with `weeks` ISO weeks.
class FigureLayout {
 public:
  explicit FigureLayout(int weeks);
  int weeks() const { return weeks_; }
  int size() const { return size_; }

  int Weekly(Flow flow, int week, int track, int phase) const;
  int Urgent(int track, int phase) const;
  int Get(Scalar scalar) const;
  // category == kCategories is the total over categories.
  int Bottleneck(BottleneckCount count, int category) const;
  // level == kLevels is the total over levels.
  int Escalation(EscalationCount count, int level) const;
  // outcome == kOutcomes is the level's total.
  int LevelDecision(int level, int outcome) const;
  int LeadTimeSample(int track, int phase) const;
  // category == kCategories: every category.
  int SolveTimeSample(int category) const;
  // Open cases at the end of the period (the last week's whole-case stock).
  int OpenCases() const { return Weekly(Flow::kStock, weeks_ - 1, 0, 0); }
  // Whether the public rendering publishes `cell`: every cell except the
  // weekly flows and stocks per track and phase, of which only the stock at
  // the period's end is published. Per track and phase a week holds a few
  // cases in most areas; chained week after week through the stocks, such
  // small counts pin each other whatever else is hidden, so that detail is
  // for internal callers only.
  bool IsPublic(int cell) const;

 private:
  int weeks_;
  int urgent_;
  int scalars_;
  int bottlenecks_;
  int escalations_;
  int level_decisions_;
  int lead_samples_;
  int solve_samples_;
  int size_;
};

// Histogram keys of an area.
inline int LeadTimeKey(int track, int phase) { return track * kPhases + phase; }
inline constexpr int kLeadTimeAllKey = 1000;
inline constexpr int kInspectionWaitKey = 1001;
inline int SolveTimeKey(int category) { return 1100 + category; }  // kCategories: all

struct AreaFigures {
  std::vector<int64_t> cells;  // by FigureLayout
  std::map<int, DurationHistogram> durations;
};

struct BudgetLineFigures {
  BudgetLineInfo info;
  BudgetBalanceRow balance;
};

// Everything a period's monitor, views or report need, for a set of areas.
struct PeriodFigures {
  DayPeriod period;
  std::vector<int64_t> week_start_days;  // ISO weeks overlapping the period, in order
  std::map<AreaKey, AreaFigures> areas;
  std::vector<BudgetLineFigures> budget_lines;  // balances at the end of the period
  // Backlog alerts active at the end of the period, per area (a municipality
  // counts its villages' alerts too; the region counts all). Not suppressed:
  // an alert is about a phase, not a home.
  std::map<AreaKey, int64_t> active_backlog_alerts;

  FigureLayout layout() const { return FigureLayout(static_cast<int>(week_start_days.size())); }
};

// The Mondays of the ISO weeks overlapping `period`.
std::vector<int64_t> WeeksOf(const DayPeriod& period);

// Fills derived cells (totals over categories and levels, complements,
// sample sizes) from the counted ones and the histograms.
void CompleteDerivedCells(const FigureLayout& layout, AreaFigures& area);

}  // namespace herstel::reporting

#endif  // HERSTEL_REPORTING_DOMAIN_FIGURES_H_
