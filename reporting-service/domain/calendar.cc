#include "domain/calendar.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"

namespace herstel::reporting {
namespace {

const absl::TimeZone& Amsterdam() {
  static const absl::TimeZone* zone = [] {
    auto* loaded = new absl::TimeZone();
    // Without tzdata the fixed winter offset is the closest honest answer.
    if (!absl::LoadTimeZone("Europe/Amsterdam", loaded)) *loaded = absl::FixedTimeZone(3600);
    return loaded;
  }();
  return *zone;
}

const absl::CivilDay kEpochDay(1970, 1, 1);

absl::CivilDay ToCivil(int64_t day) { return kEpochDay + day; }

}  // namespace

int64_t DayNumber(absl::Time time) {
  return absl::ToCivilDay(time, Amsterdam()) - kEpochDay;
}

absl::Time DayStart(int64_t day) { return absl::FromCivil(ToCivil(day), Amsterdam()); }

int64_t WeekStartDay(int64_t day) {
  absl::CivilDay civil = ToCivil(day);
  return absl::PrevWeekday(civil + 1, absl::Weekday::monday) - kEpochDay;
}

std::string IsoWeekName(int64_t day) {
  // The ISO year and week are those of the week's Thursday.
  absl::CivilDay thursday = ToCivil(WeekStartDay(day) + 3);
  int week = (absl::GetYearDay(thursday) - 1) / 7 + 1;
  return absl::StrFormat("%04d-W%02d", thursday.year(), week);
}

absl::Time YearStart(int year) {
  return absl::FromCivil(absl::CivilDay(year, 1, 1), Amsterdam());
}

int YearOf(absl::Time time) {
  return static_cast<int>(absl::ToCivilYear(time, Amsterdam()).year());
}

DayPeriod ToDayPeriod(absl::Time start, absl::Time end) {
  int64_t start_day = DayNumber(start);
  int64_t end_day = DayNumber(end - absl::Microseconds(1)) + 1;
  return {start_day, std::max(end_day, start_day + 1)};
}

}  // namespace herstel::reporting
