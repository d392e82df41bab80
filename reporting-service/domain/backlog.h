// Backlog (stuwmeer) detection: a phase whose stock grew for N consecutive
// complete ISO weeks raises an alert; the alert stays active while the stock
// grows or holds, and is cleared in the first week the stock shrinks.
// A week of equal stock keeps an active alert but breaks a run that has not
// raised one yet.
#ifndef HERSTEL_REPORTING_DOMAIN_BACKLOG_H_
#define HERSTEL_REPORTING_DOMAIN_BACKLOG_H_

#include <cstdint>

namespace herstel::reporting {

// What is remembered per series (area, track, phase) between weeks.
struct BacklogSeriesState {
  int64_t last_week_start_day = 0;  // Monday of the last week evaluated
  int64_t last_stock = 0;           // stock at the end of that week
  int32_t growth_weeks = 0;         // consecutive growth weeks of the current run
  int64_t run_start_week_day = 0;   // Monday of the first growth week of the run
  int64_t run_start_stock = 0;      // stock before the first growth week
  bool alert_active = false;
};

enum class BacklogChange { kNone, kRaised, kCleared, kContinued };

// Advances `state` by one complete week ending with `stock` and says what
// happened to the alert. `backlog_weeks` is N (>= 2).
BacklogChange AdvanceBacklogWeek(BacklogSeriesState& state, int64_t week_start_day, int64_t stock,
                                 int32_t backlog_weeks);

}  // namespace herstel::reporting

#endif  // HERSTEL_REPORTING_DOMAIN_BACKLOG_H_
