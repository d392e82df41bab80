// Working days, Dutch public holidays and Easter.
#include "domain/calendar.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "herstel/status_matchers.h"

namespace herstel::escalation {
namespace {

using ::testing::Contains;
using ::testing::Not;

absl::TimeZone Amsterdam() { return *WorkingDayCalendar::AmsterdamZone(); }

absl::Time Local(int y, int m, int d, int hh = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, 0, 0), Amsterdam());
}

TEST(EasterTest, ComputusMatchesKnownDates) {
  EXPECT_EQ(EasterSunday(2000), absl::CivilDay(2000, 4, 23));
  EXPECT_EQ(EasterSunday(2019), absl::CivilDay(2019, 4, 21));
  EXPECT_EQ(EasterSunday(2024), absl::CivilDay(2024, 3, 31));
  EXPECT_EQ(EasterSunday(2025), absl::CivilDay(2025, 4, 20));
  EXPECT_EQ(EasterSunday(2026), absl::CivilDay(2026, 4, 5));
  EXPECT_EQ(EasterSunday(2038), absl::CivilDay(2038, 4, 25));  // latest possible
  EXPECT_EQ(EasterSunday(2285), absl::CivilDay(2285, 3, 22));  // earliest possible
}

TEST(HolidayTest, ListsTheElevenDutchHolidaysOf2026) {
  std::vector<absl::CivilDay> expected = {
      absl::CivilDay(2026, 1, 1),   absl::CivilDay(2026, 4, 3),  absl::CivilDay(2026, 4, 5),
      absl::CivilDay(2026, 4, 6),   absl::CivilDay(2026, 4, 27), absl::CivilDay(2026, 5, 5),
      absl::CivilDay(2026, 5, 14),  absl::CivilDay(2026, 5, 24), absl::CivilDay(2026, 5, 25),
      absl::CivilDay(2026, 12, 25), absl::CivilDay(2026, 12, 26)};
  EXPECT_EQ(DutchPublicHolidays(2026), expected);
}

TEST(HolidayTest, KingsDayMovesToSaturdayWhenTheTwentySeventhIsASunday) {
  EXPECT_THAT(DutchPublicHolidays(2025), Contains(absl::CivilDay(2025, 4, 26)));
  EXPECT_THAT(DutchPublicHolidays(2025), Not(Contains(absl::CivilDay(2025, 4, 27))));
  EXPECT_THAT(DutchPublicHolidays(2031), Contains(absl::CivilDay(2031, 4, 26)));
}

TEST(HolidayTest, LiberationDayIsOffEveryYear) {
  WorkingDayCalendar calendar({}, Amsterdam());
  EXPECT_FALSE(calendar.IsWorkingDay(absl::CivilDay(2026, 5, 5)));  // Tuesday, not a lustrum year
  EXPECT_FALSE(calendar.IsWorkingDay(absl::CivilDay(2025, 5, 5)));  // Monday, lustrum year
}

TEST(WorkingDayTest, WeekendsHolidaysAndClosureDaysAreNotWorkingDays) {
  WorkingDayCalendar calendar({absl::CivilDay(2026, 3, 4)}, Amsterdam());
  EXPECT_TRUE(calendar.IsWorkingDay(absl::CivilDay(2026, 3, 2)));    // Monday
  EXPECT_FALSE(calendar.IsWorkingDay(absl::CivilDay(2026, 3, 7)));   // Saturday
  EXPECT_FALSE(calendar.IsWorkingDay(absl::CivilDay(2026, 3, 8)));   // Sunday
  EXPECT_FALSE(calendar.IsWorkingDay(absl::CivilDay(2026, 3, 4)));   // closure day
  EXPECT_FALSE(calendar.IsWorkingDay(absl::CivilDay(2026, 5, 14)));  // Hemelvaartsdag
  EXPECT_EQ(calendar.WorkingDaysBetween(absl::CivilDay(2026, 3, 2), absl::CivilDay(2026, 3, 9)), 4);
}

TEST(DueTimeTest, TheEntryDayDoesNotCountAndTheTermEndsAtLocalMidnight) {
  WorkingDayCalendar calendar({}, Amsterdam());
  // Entered Monday 2 March 2026: Tue..Fri and Monday 9 March are five working days.
  EXPECT_EQ(calendar.DueTime(Local(2026, 3, 2, 10), 5), Local(2026, 3, 10));
}

TEST(DueTimeTest, SkipsGoodFridayAndEasterMonday) {
  WorkingDayCalendar calendar({}, Amsterdam());
  // Thursday 2 April 2026; 3 and 6 April are holidays: Tue 7, Wed 8, Thu 9.
  EXPECT_EQ(calendar.DueTime(Local(2026, 4, 2, 15), 3), Local(2026, 4, 10));
}

TEST(DueTimeTest, SkipsKingsDayAndChristmas) {
  WorkingDayCalendar calendar({}, Amsterdam());
  EXPECT_EQ(calendar.DueTime(Local(2026, 4, 24, 9), 2), Local(2026, 4, 30));
  EXPECT_EQ(calendar.DueTime(Local(2025, 12, 24, 9), 2), Local(2025, 12, 31));
}

TEST(DueTimeTest, ThirtyWorkingDaysWithoutHolidaysAreSixWeeks) {
  WorkingDayCalendar calendar({}, Amsterdam());
  EXPECT_EQ(calendar.DueTime(Local(2026, 9, 7, 9), 30), Local(2026, 10, 20));
}

TEST(DueTimeTest, AClosureDayAddsADay) {
  WorkingDayCalendar calendar({absl::CivilDay(2026, 3, 4)}, Amsterdam());
  EXPECT_EQ(calendar.DueTime(Local(2026, 3, 2, 10), 5), Local(2026, 3, 11));
}

TEST(ParseDayTest, AcceptsOnlyYearMonthDay) {
  EXPECT_THAT(ParseDay("2026-03-04", "d"), testing::IsOkAndHolds(absl::CivilDay(2026, 3, 4)));
  EXPECT_THAT(ParseDay("2026-3-4", "d"), testing::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseDay("2026-02-30", "d"), testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace herstel::escalation
