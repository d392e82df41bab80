// The clock file that tests and drills use to drive time.
#include "domain/clock.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace herstel::escalation {
namespace {

std::string ClockPath() {
  return (std::filesystem::temp_directory_path() / absl::StrCat("escalation-clock-", ::getpid()))
      .string();
}

TEST(FileClockTest, ReadsTheTimeFromTheFileOnEveryCall) {
  const std::string path = ClockPath();
  FileClock clock(path);
  std::ofstream(path) << "2026-04-16T10:00:00+02:00\n";
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(1776326400));
  std::ofstream(path) << "2026-04-17T00:00:00Z";
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(1776384000));
  std::filesystem::remove(path);
}

TEST(FileClockTest, UsesTheSystemTimeWhileTheFileIsAbsentOrUnreadable) {
  const std::string path = ClockPath();
  std::filesystem::remove(path);
  FileClock clock(path);
  EXPECT_LT(absl::AbsDuration(clock.Now() - absl::Now()), absl::Seconds(5));
  std::ofstream(path) << "next tuesday";
  EXPECT_LT(absl::AbsDuration(clock.Now() - absl::Now()), absl::Seconds(5));
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace herstel::escalation
