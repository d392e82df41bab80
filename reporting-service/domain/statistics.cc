#include "domain/statistics.h"

#include <algorithm>
#include <cmath>

namespace herstel::reporting {
namespace {

constexpr int64_t kTenthsLimit = 1000;  // tenths of a day: below 100 days
constexpr int64_t kDailyLimitDays = 730;
constexpr int64_t kMonthlyWidthDays = 30;
constexpr int64_t kCapDays = 36500;
constexpr int kFirstDailyBucket = static_cast<int>(kTenthsLimit);
constexpr int kFirstMonthlyBucket = kFirstDailyBucket + static_cast<int>(kDailyLimitDays - 100);

}  // namespace

int DurationBucket(absl::Duration duration) {
  int64_t tenths = std::max<int64_t>(0, absl::ToInt64Milliseconds(duration) / 8640000);
  if (tenths < kTenthsLimit) return static_cast<int>(tenths);
  int64_t days = std::min(tenths / 10, kCapDays);
  if (days < kDailyLimitDays) return kFirstDailyBucket + static_cast<int>(days - 100);
  return kFirstMonthlyBucket + static_cast<int>((days - kDailyLimitDays) / kMonthlyWidthDays);
}

double BucketLowerDays(int bucket) {
  if (bucket < kFirstDailyBucket) return bucket / 10.0;
  if (bucket < kFirstMonthlyBucket) return 100.0 + (bucket - kFirstDailyBucket);
  return static_cast<double>(kDailyLimitDays + (bucket - kFirstMonthlyBucket) * kMonthlyWidthDays);
}

int64_t SampleSize(const DurationHistogram& histogram) {
  int64_t total = 0;
  for (const auto& [bucket, count] : histogram) total += count;
  return total;
}

std::optional<double> PercentileDays(const DurationHistogram& histogram, double percent) {
  int64_t total = SampleSize(histogram);
  if (total == 0) return std::nullopt;
  int64_t rank = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(percent / 100.0 * total - 1e-9)));
  int64_t seen = 0;
  for (const auto& [bucket, count] : histogram) {
    seen += count;
    if (seen >= rank) return BucketLowerDays(bucket);
  }
  return BucketLowerDays(histogram.rbegin()->first);
}

v1::IndicatorTrend Trend(v1::IndicatorPolarity polarity, std::optional<double> current,
                         std::optional<double> previous, double stable_band_percent) {
  if (!current.has_value() || !previous.has_value() ||
      polarity == v1::INDICATOR_POLARITY_UNSPECIFIED) {
    return v1::INDICATOR_TREND_NOT_COMPARABLE;
  }
  double change = *current - *previous;
  bool stable = *previous == 0
                    ? change == 0
                    : std::abs(change) * 100.0 <= stable_band_percent * std::abs(*previous);
  if (stable) return v1::INDICATOR_TREND_STABLE;
  bool up_is_good = polarity == v1::INDICATOR_POLARITY_HIGHER_IS_BETTER;
  return (change > 0) == up_is_good ? v1::INDICATOR_TREND_IMPROVING
                                    : v1::INDICATOR_TREND_WORSENING;
}

}  // namespace herstel::reporting
