#include "domain/backlog.h"

namespace herstel::reporting {

BacklogChange AdvanceBacklogWeek(BacklogSeriesState& state, int64_t week_start_day, int64_t stock,
                                 int32_t backlog_weeks) {
  int64_t previous = state.last_stock;
  state.last_week_start_day = week_start_day;
  state.last_stock = stock;
  if (stock > previous) {
    if (state.growth_weeks == 0) {
      state.run_start_week_day = week_start_day;
      state.run_start_stock = previous;
    }
    ++state.growth_weeks;
    if (state.alert_active) return BacklogChange::kContinued;
    if (state.growth_weeks >= backlog_weeks) {
      state.alert_active = true;
      return BacklogChange::kRaised;
    }
    return BacklogChange::kNone;
  }
  if (stock < previous) {
    bool was_active = state.alert_active;
    state.alert_active = false;
    state.growth_weeks = 0;
    return was_active ? BacklogChange::kCleared : BacklogChange::kNone;
  }
  // Equal: an active alert holds; a run without an alert is broken.
  if (state.alert_active) return BacklogChange::kContinued;
  state.growth_weeks = 0;
  return BacklogChange::kNone;
}

}  // namespace herstel::reporting
