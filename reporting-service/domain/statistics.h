// Duration statistics from bounded histograms, and trends.
//
// A duration is kept as a histogram bucket, never as a list of events, so
// memory grows with the number of aggregates. Buckets are a tenth of a day
// below 100 days, one day below 730 days, 30 days beyond (capped at 100
// years): at most kDurationBuckets buckets. A percentile is the nearest-rank
// percentile of the bucketed values and is reported as its bucket's lower
// bound in days, so it equals the nearest-rank percentile of the exact
// durations rounded down to the bucket's resolution.
#ifndef HERSTEL_REPORTING_DOMAIN_STATISTICS_H_
#define HERSTEL_REPORTING_DOMAIN_STATISTICS_H_

#include <cstdint>
#include <map>
#include <optional>

#include "absl/time/time.h"
#include "herstel/v1/reporting_service.pb.h"

namespace herstel::reporting {

inline constexpr int kDurationBuckets = 2823;

// Bucket of a duration (negative durations count as zero).
int DurationBucket(absl::Duration duration);
// Lower bound, in days, of `bucket`.
double BucketLowerDays(int bucket);

// Bucket -> number of durations in it.
using DurationHistogram = std::map<int, int64_t>;

int64_t SampleSize(const DurationHistogram& histogram);
// Nearest-rank `percent` percentile (0 < percent <= 100) in days; nullopt
// when the histogram is empty.
std::optional<double> PercentileDays(const DurationHistogram& histogram, double percent);

// How `current` moved against `previous` given which direction is good:
// STABLE within `stable_band_percent` relative change (from zero: only equal
// is stable), NOT_COMPARABLE when either value is missing.
v1::IndicatorTrend Trend(v1::IndicatorPolarity polarity, std::optional<double> current,
                         std::optional<double> previous, double stable_band_percent);

}  // namespace herstel::reporting

#endif  // HERSTEL_REPORTING_DOMAIN_STATISTICS_H_
