// Backlog detection: N consecutive growth weeks raise, a shrinking week clears.
#include "domain/backlog.h"

#include <vector>

#include "gtest/gtest.h"

namespace herstel::reporting {
namespace {

std::vector<BacklogChange> Changes(const std::vector<int64_t>& stocks, int32_t weeks) {
  BacklogSeriesState state;
  std::vector<BacklogChange> changes;
  int64_t monday = 0;
  for (int64_t stock : stocks) {
    changes.push_back(AdvanceBacklogWeek(state, monday, stock, weeks));
    monday += 7;
  }
  return changes;
}

constexpr BacklogChange kNone = BacklogChange::kNone;
constexpr BacklogChange kRaised = BacklogChange::kRaised;
constexpr BacklogChange kCleared = BacklogChange::kCleared;
constexpr BacklogChange kContinued = BacklogChange::kContinued;

TEST(BacklogTest, RaisedAfterNConsecutiveGrowthWeeks) {
  EXPECT_EQ(Changes({1, 2, 3, 4}, 4), (std::vector{kNone, kNone, kNone, kRaised}));
  EXPECT_EQ(Changes({1, 2, 3}, 3), (std::vector{kNone, kNone, kRaised}));
}

TEST(BacklogTest, AFlatOrShrinkingWeekBreaksARunBeforeItRaises) {
  EXPECT_EQ(Changes({1, 2, 2, 3, 4}, 3), (std::vector{kNone, kNone, kNone, kNone, kNone}));
  EXPECT_EQ(Changes({1, 2, 1, 2, 3, 4}, 3),
            (std::vector{kNone, kNone, kNone, kNone, kNone, kRaised}));
}

TEST(BacklogTest, AnActiveAlertHoldsWhileFlatAndClearsWhenTheStockShrinks) {
  EXPECT_EQ(Changes({1, 2, 3, 3, 4, 2, 3}, 3),
            (std::vector{kNone, kNone, kRaised, kContinued, kContinued, kCleared, kNone}));
}

TEST(BacklogTest, TheRunRemembersWhereItStarted) {
  BacklogSeriesState state;
  AdvanceBacklogWeek(state, 0, 5, 2);
  AdvanceBacklogWeek(state, 7, 5, 2);
  AdvanceBacklogWeek(state, 14, 8, 2);
  EXPECT_EQ(AdvanceBacklogWeek(state, 21, 9, 2), kRaised);
  EXPECT_EQ(state.run_start_week_day, 14);
  EXPECT_EQ(state.run_start_stock, 5);
  EXPECT_EQ(state.growth_weeks, 2);
  EXPECT_EQ(AdvanceBacklogWeek(state, 28, 12, 2), kContinued);
  EXPECT_EQ(state.growth_weeks, 3);
}

}  // namespace
}  // namespace herstel::reporting
