// Percentiles from bounded histograms, trends, and the calendar.
#include "domain/statistics.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "domain/calendar.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace herstel::reporting {
namespace {

// The nearest-rank percentile of exact values, computed directly.
double ExactPercentileDays(std::vector<absl::Duration> values, double percent) {
  std::sort(values.begin(), values.end());
  size_t rank = static_cast<size_t>(std::ceil(percent / 100.0 * values.size()));
  rank = std::max<size_t>(rank, 1);
  return BucketLowerDays(DurationBucket(values[rank - 1]));
}

TEST(StatisticsTest, BucketsKeepATenthOfADayBelowAHundredDays) {
  EXPECT_EQ(BucketLowerDays(DurationBucket(absl::Hours(24 * 42) + absl::Hours(3))), 42.1);
  EXPECT_EQ(BucketLowerDays(DurationBucket(absl::Hours(24 * 250) + absl::Hours(20))), 250.0);
  EXPECT_EQ(BucketLowerDays(DurationBucket(absl::Hours(24 * 800))), 790.0);
  EXPECT_EQ(DurationBucket(-absl::Hours(5)), 0);
  EXPECT_LT(DurationBucket(absl::Hours(24 * 365 * 500)), kDurationBuckets);
}

TEST(StatisticsTest, PercentilesEqualTheNearestRankOfTheExactValues) {
  std::mt19937 random(7);
  for (int round = 0; round < 50; ++round) {
    std::vector<absl::Duration> values;
    DurationHistogram histogram;
    int count = 1 + static_cast<int>(random() % 200);
    for (int i = 0; i < count; ++i) {
      absl::Duration value = absl::Minutes(static_cast<int64_t>(random() % (60 * 24 * 900)));
      values.push_back(value);
      histogram[DurationBucket(value)] += 1;
    }
    EXPECT_EQ(SampleSize(histogram), count);
    EXPECT_EQ(*PercentileDays(histogram, 50), ExactPercentileDays(values, 50)) << round;
    EXPECT_EQ(*PercentileDays(histogram, 90), ExactPercentileDays(values, 90)) << round;
  }
}

TEST(StatisticsTest, MedianAndNinetiethOfAKnownSample) {
  DurationHistogram histogram;
  for (int days : {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}) histogram[DurationBucket(absl::Hours(24 * days))]++;
  EXPECT_EQ(*PercentileDays(histogram, 50), 5.0);
  EXPECT_EQ(*PercentileDays(histogram, 90), 9.0);
  EXPECT_FALSE(PercentileDays(DurationHistogram(), 50).has_value());
}

TEST(StatisticsTest, TrendFollowsPolarityAndTheStableBand) {
  auto higher = v1::INDICATOR_POLARITY_HIGHER_IS_BETTER;
  auto lower = v1::INDICATOR_POLARITY_LOWER_IS_BETTER;
  EXPECT_EQ(Trend(higher, 90, 80, 2), v1::INDICATOR_TREND_IMPROVING);
  EXPECT_EQ(Trend(lower, 90, 80, 2), v1::INDICATOR_TREND_WORSENING);
  EXPECT_EQ(Trend(lower, 70, 80, 2), v1::INDICATOR_TREND_IMPROVING);
  EXPECT_EQ(Trend(higher, 81, 80, 2), v1::INDICATOR_TREND_STABLE);  // 1.25% change
  EXPECT_EQ(Trend(higher, 102, 100, 2), v1::INDICATOR_TREND_STABLE);  // exactly 2%
  EXPECT_EQ(Trend(higher, 82, 80, 2), v1::INDICATOR_TREND_IMPROVING);  // 2.5%
  EXPECT_EQ(Trend(higher, 0, 0, 2), v1::INDICATOR_TREND_STABLE);
  EXPECT_EQ(Trend(higher, 1, 0, 2), v1::INDICATOR_TREND_IMPROVING);
  EXPECT_EQ(Trend(higher, std::nullopt, 3, 2), v1::INDICATOR_TREND_NOT_COMPARABLE);
  EXPECT_EQ(Trend(higher, 3, std::nullopt, 2), v1::INDICATOR_TREND_NOT_COMPARABLE);
}

TEST(CalendarTest, IsoWeeksAndAmsterdamDays) {
  absl::TimeZone amsterdam;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/Amsterdam", &amsterdam));
  absl::Time monday = absl::FromCivil(absl::CivilDay(2025, 2, 10), amsterdam);
  EXPECT_EQ(IsoWeekName(DayNumber(monday)), "2025-W07");
  EXPECT_EQ(IsoWeekName(DayNumber(monday + absl::Hours(24 * 6 + 23))), "2025-W07");
  EXPECT_EQ(WeekStartDay(DayNumber(monday + absl::Hours(50))), DayNumber(monday));
  // 29 December 2025 belongs to ISO week 1 of 2026; 1 January 2021 to 2020-W53.
  EXPECT_EQ(IsoWeekName(DayNumber(absl::FromCivil(absl::CivilDay(2025, 12, 29), amsterdam))),
            "2026-W01");
  EXPECT_EQ(IsoWeekName(DayNumber(absl::FromCivil(absl::CivilDay(2021, 1, 1), amsterdam))),
            "2020-W53");
  // 23:30 UTC on 31 December is already 1 January in Amsterdam.
  absl::Time late = absl::FromCivil(absl::CivilSecond(2024, 12, 31, 23, 30, 0), absl::UTCTimeZone());
  EXPECT_EQ(YearOf(late), 2025);
  EXPECT_EQ(DayStart(DayNumber(late)), YearStart(2025));
}

TEST(CalendarTest, PeriodsCoverWholeDaysAndThePreviousPeriodIsAsLong) {
  absl::Time start = YearStart(2025) + absl::Hours(5);
  DayPeriod period = ToDayPeriod(start, start + absl::Hours(24 * 7));
  EXPECT_EQ(period.length_days(), 8);  // the partial eighth day is included
  EXPECT_EQ(period.Previous().end_day, period.start_day);
  EXPECT_EQ(period.Previous().length_days(), 8);
}

}  // namespace
}  // namespace herstel::reporting
