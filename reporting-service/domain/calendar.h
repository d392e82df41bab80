// Calendar rules of the monitor: every figure is kept per Amsterdam calendar
// day, weeks are ISO weeks (Monday start) in Europe/Amsterdam time, and a
// period [start, end) is widened to whole days: it covers the day of start
// up to and including the day of the last instant before end.
#ifndef HERSTEL_REPORTING_DOMAIN_CALENDAR_H_
#define HERSTEL_REPORTING_DOMAIN_CALENDAR_H_

#include <cstdint>
#include <string>

#include "absl/time/time.h"

namespace herstel::reporting {

// Days since 1970-01-01 of the Amsterdam calendar day holding `time`.
int64_t DayNumber(absl::Time time);
// Midnight (Amsterdam) starting `day`.
absl::Time DayStart(int64_t day);
// The Monday of the ISO week holding `day`.
int64_t WeekStartDay(int64_t day);
// "2025-W07" for the ISO week holding `day`.
std::string IsoWeekName(int64_t day);
// 1 January 00:00 (Amsterdam) of `year`.
absl::Time YearStart(int year);
// Calendar year (Amsterdam) of `time`.
int YearOf(absl::Time time);

// A period as whole days: [start_day, end_day).
struct DayPeriod {
  int64_t start_day = 0;
  int64_t end_day = 0;
  int64_t length_days() const { return end_day - start_day; }
  // The equally long period just before this one.
  DayPeriod Previous() const { return {start_day - length_days(), start_day}; }
};

// The whole days covering [start, end); at least one day.
DayPeriod ToDayPeriod(absl::Time start, absl::Time end);

}  // namespace herstel::reporting

#endif  // HERSTEL_REPORTING_DOMAIN_CALENDAR_H_
