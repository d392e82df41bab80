#include "domain/calendar.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "herstel/errors.h"

namespace herstel::escalation {

absl::CivilDay EasterSunday(int year) {
  const int a = year % 19;
  const int b = year / 100;
  const int c = year % 100;
  const int d = b / 4;
  const int e = b % 4;
  const int f = (b + 8) / 25;
  const int g = (b - f + 1) / 3;
  const int h = (19 * a + b - d - g + 15) % 30;
  const int i = c / 4;
  const int k = c % 4;
  const int l = (32 + 2 * e + 2 * i - h - k) % 7;
  const int m = (a + 11 * h + 22 * l) / 451;
  const int month = (h + l - 7 * m + 114) / 31;
  const int day = (h + l - 7 * m + 114) % 31 + 1;
  return absl::CivilDay(year, month, day);
}

std::vector<absl::CivilDay> DutchPublicHolidays(int year) {
  const absl::CivilDay easter = EasterSunday(year);
  absl::CivilDay kings_day(year, 4, 27);
  if (absl::GetWeekday(kings_day) == absl::Weekday::sunday) kings_day = absl::CivilDay(year, 4, 26);
  std::vector<absl::CivilDay> days = {
      absl::CivilDay(year, 1, 1),   // Nieuwjaarsdag
      easter - 2,                   // Goede Vrijdag
      easter,                       // Eerste Paasdag
      easter + 1,                   // Tweede Paasdag
      kings_day,                    // Koningsdag
      absl::CivilDay(year, 5, 5),   // Bevrijdingsdag
      easter + 39,                  // Hemelvaartsdag
      easter + 49,                  // Eerste Pinksterdag
      easter + 50,                  // Tweede Pinksterdag
      absl::CivilDay(year, 12, 25), // Eerste Kerstdag
      absl::CivilDay(year, 12, 26), // Tweede Kerstdag
  };
  std::sort(days.begin(), days.end());
  return days;
}

absl::StatusOr<absl::CivilDay> ParseDay(const std::string& text, const std::string& field) {
  absl::CivilDay day;
  if (text.size() != 10 || !absl::ParseCivilTime(text, &day) ||
      absl::FormatCivilTime(day) != text) {
    return FieldError(field, absl::StrCat("'", text, "' is not a date written as YYYY-MM-DD"));
  }
  return day;
}

WorkingDayCalendar::WorkingDayCalendar(std::set<absl::CivilDay> extra_closed_days,
                                       absl::TimeZone zone)
    : extra_closed_days_(std::move(extra_closed_days)), zone_(zone) {}

absl::StatusOr<absl::TimeZone> WorkingDayCalendar::AmsterdamZone() {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone("Europe/Amsterdam", &zone)) {
    return absl::FailedPreconditionError(
        "time zone Europe/Amsterdam is not available; install the tzdata package");
  }
  return zone;
}

bool WorkingDayCalendar::IsHoliday(absl::CivilDay day) const {
  std::vector<absl::CivilDay> holidays = DutchPublicHolidays(static_cast<int>(day.year()));
  return std::binary_search(holidays.begin(), holidays.end(), day);
}

bool WorkingDayCalendar::IsWorkingDay(absl::CivilDay day) const {
  absl::Weekday weekday = absl::GetWeekday(day);
  if (weekday == absl::Weekday::saturday || weekday == absl::Weekday::sunday) return false;
  if (extra_closed_days_.count(day) > 0) return false;
  return !IsHoliday(day);
}

absl::CivilDay WorkingDayCalendar::DayOf(absl::Time time) const {
  return absl::ToCivilDay(time, zone_);
}

absl::Time WorkingDayCalendar::StartOf(absl::CivilDay day) const {
  return absl::FromCivil(day, zone_);
}


int WorkingDayCalendar::WorkingDaysBetween(absl::CivilDay from, absl::CivilDay to) const {
  int count = 0;
  for (absl::CivilDay day = from; day < to; ++day) {
    if (IsWorkingDay(day)) ++count;
  }
  return count;
}

absl::Time WorkingDayCalendar::DueTime(absl::Time start, int working_days) const {
  absl::CivilDay day = DayOf(start);
  int counted = 0;
  while (counted < working_days) {
    ++day;
    if (IsWorkingDay(day)) ++counted;
  }
  return StartOf(day + 1);
}

}  // namespace herstel::escalation
