// Working days for escalation terms: Monday to Friday in Europe/Amsterdam,
// minus Dutch public holidays and configured closure days.
//
// Public holidays (algemeen erkende feestdagen plus Bevrijdingsdag):
// Nieuwjaarsdag (1 Jan), Goede Vrijdag, Eerste and Tweede Paasdag, Koningsdag
// (27 Apr, or 26 Apr when the 27th is a Sunday), Bevrijdingsdag (5 May,
// EVERY year: the Rijk's collective agreement gives it off every year, so
// the ladder's government bodies do not meet then), Hemelvaartsdag (Easter +
// 39), Eerste and Tweede Pinksterdag (Easter + 49, + 50), Eerste and Tweede
// Kerstdag (25, 26 Dec). Easter is computed with the Gregorian computus
// (anonymous algorithm of Meeus/Jones/Butcher).
//
// Counting a term: the day a level is entered does not count; the term ends
// (due time) at midnight, Amsterdam time, after its last working day.
#ifndef HERSTEL_ESCALATION_DOMAIN_CALENDAR_H_
#define HERSTEL_ESCALATION_DOMAIN_CALENDAR_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace herstel::escalation {

// Easter Sunday of `year` (Gregorian calendar).
absl::CivilDay EasterSunday(int year);

// The Dutch public holidays of `year`, in date order, as listed above.
std::vector<absl::CivilDay> DutchPublicHolidays(int year);

// Parses "YYYY-MM-DD"; INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<absl::CivilDay> ParseDay(const std::string& text, const std::string& field);

class WorkingDayCalendar {
 public:
  // `extra_closed_days` are non-working days besides weekends and holidays.
  // `zone` is Europe/Amsterdam in the service (tests may pass UTC).
  WorkingDayCalendar(std::set<absl::CivilDay> extra_closed_days, absl::TimeZone zone);

  // Loads Europe/Amsterdam; FAILED_PRECONDITION when tzdata is missing.
  static absl::StatusOr<absl::TimeZone> AmsterdamZone();

  bool IsWorkingDay(absl::CivilDay day) const;
  // The local calendar day of `time`.
  absl::CivilDay DayOf(absl::Time time) const;
  // Midnight at the start of `day`, local time.
  absl::Time StartOf(absl::CivilDay day) const;
  // Working days d with from <= d < to (0 when to <= from).
  int WorkingDaysBetween(absl::CivilDay from, absl::CivilDay to) const;
  // The end of the `working_days`-th working day after the day of `start`:
  // midnight (local) following that day. 0 days: midnight after `start`'s day.
  absl::Time DueTime(absl::Time start, int working_days) const;

 private:
  bool IsHoliday(absl::CivilDay day) const;

  std::set<absl::CivilDay> extra_closed_days_;
  absl::TimeZone zone_;
};

}  // namespace herstel::escalation

#endif  // HERSTEL_ESCALATION_DOMAIN_CALENDAR_H_
