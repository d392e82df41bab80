// A period's last publication is served at once; a stale one is refreshed in
// the background, and only a period never published makes its caller wait.
#include "published_periods.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace herstel::reporting {
namespace {

// Publishes whatever `cursors` holds at the time, counting its calls.
class FakePublisher {
 public:
  PublishedPeriods::Publisher Function() {
    return [this](const PeriodKey&) -> absl::StatusOr<PublishedPeriod> {
      calls_.fetch_add(1);
      absl::SleepFor(delay_);
      PublishedPeriod published;
      absl::MutexLock lock(&mutex_);
      published.cursors = cursors_;
      return published;
    };
  }
  void Move(const std::string& cursors) {
    absl::MutexLock lock(&mutex_);
    cursors_ = cursors;
  }
  int calls() const { return calls_.load(); }
  void set_delay(absl::Duration delay) { delay_ = delay; }

 private:
  absl::Mutex mutex_;
  std::string cursors_ ABSL_GUARDED_BY(mutex_) = "a=1;";
  std::atomic<int> calls_{0};
  absl::Duration delay_ = absl::ZeroDuration();
};

const PeriodKey kYear{{20089, 20454}, 10};

// Asks Latest until it answers `cursors` (bounded: 10 s).
std::string AwaitLatest(PublishedPeriods& periods, const std::string& now,
                        const std::string& cursors) {
  std::string answered;
  for (absl::Time give_up = absl::Now() + absl::Seconds(10); absl::Now() < give_up;) {
    answered = periods.Latest(kYear, now)->cursors;
    if (answered == cursors) break;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return answered;
}

TEST(PublishedPeriodsTest, TheFirstQuestionPublishesAndTheNextAreAnsweredFromIt) {
  FakePublisher publisher;
  PublishedPeriods periods(publisher.Function(), 4);
  EXPECT_EQ(periods.Latest(kYear, "a=1;")->cursors, "a=1;");
  EXPECT_EQ(periods.Latest(kYear, "a=1;")->cursors, "a=1;");
  EXPECT_EQ(periods.Fresh(kYear, "a=1;")->cursors, "a=1;");
  EXPECT_EQ(publisher.calls(), 1);
}

TEST(PublishedPeriodsTest, AStalePublicationIsServedWhileTheNextIsPublishedInTheBackground) {
  FakePublisher publisher;
  PublishedPeriods periods(publisher.Function(), 4);
  ASSERT_EQ(periods.Latest(kYear, "a=1;")->cursors, "a=1;");
  publisher.set_delay(absl::Milliseconds(100));
  publisher.Move("a=2;");
  EXPECT_EQ(periods.Latest(kYear, "a=2;")->cursors, "a=1;");  // at once, as of a=1
  EXPECT_EQ(AwaitLatest(periods, "a=2;", "a=2;"), "a=2;");
  EXPECT_EQ(publisher.calls(), 2);  // one background publication, however often asked
}

TEST(PublishedPeriodsTest, FreshPublishesWhenTheCursorsMoved) {
  FakePublisher publisher;
  PublishedPeriods periods(publisher.Function(), 4);
  ASSERT_EQ(periods.Latest(kYear, "a=1;")->cursors, "a=1;");
  publisher.Move("a=3;");
  EXPECT_EQ(periods.Fresh(kYear, "a=3;")->cursors, "a=3;");
  EXPECT_EQ(periods.Latest(kYear, "a=3;")->cursors, "a=3;");
}

TEST(PublishedPeriodsTest, CallersAskingForANewPeriodTogetherShareOnePublication) {
  FakePublisher publisher;
  publisher.set_delay(absl::Milliseconds(200));
  PublishedPeriods periods(publisher.Function(), 4);
  std::vector<std::thread> callers;
  std::atomic<int> answered{0};
  for (int caller = 0; caller < 8; ++caller) {
    callers.emplace_back([&] {
      if (periods.Latest(kYear, "a=1;").ok()) answered.fetch_add(1);
    });
  }
  for (std::thread& caller : callers) caller.join();
  EXPECT_EQ(answered.load(), 8);
  EXPECT_EQ(publisher.calls(), 1);
}

TEST(PublishedPeriodsTest, KeepsOnlyTheMostRecentlyAskedPeriods) {
  FakePublisher publisher;
  PublishedPeriods periods(publisher.Function(), 2);
  for (int year = 0; year < 3; ++year) {
    ASSERT_TRUE(periods.Latest({{20089 + 365 * year, 20454 + 365 * year}, 10}, "a=1;").ok());
  }
  ASSERT_TRUE(periods.Latest({{20089 + 365 * 2, 20454 + 365 * 2}, 10}, "a=1;").ok());
  EXPECT_EQ(publisher.calls(), 3);
  ASSERT_TRUE(periods.Latest(kYear, "a=1;").ok());  // dropped: published again
  EXPECT_EQ(publisher.calls(), 4);
}

TEST(PublishedPeriodsTest, StandingPeriodsArePublishedWithoutBeingAskedAndAgainWhenEventsArrive) {
  FakePublisher publisher;
  const PeriodKey last_year{{20089 - 365, 20089}, 10};
  std::atomic<int> checks{0};
  absl::Mutex mutex;
  std::string cursors = "a=1;";
  StandingPeriods standing{[&] {
                             checks.fetch_add(1);
                             return std::vector<PeriodKey>{kYear, last_year};
                           },
                           [&]() -> absl::StatusOr<std::string> {
                             absl::MutexLock lock(&mutex);
                             return cursors;
                           },
                           absl::Milliseconds(20)};
  PublishedPeriods periods(publisher.Function(), 4, standing);
  auto await_calls = [&](int calls) {
    for (absl::Time give_up = absl::Now() + absl::Seconds(10);
         publisher.calls() < calls && absl::Now() < give_up;) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    return publisher.calls();
  };
  ASSERT_EQ(await_calls(2), 2);
  // Asked now, both are answered from what the background published.
  EXPECT_EQ(periods.Latest(kYear, "a=1;")->cursors, "a=1;");
  EXPECT_EQ(periods.Fresh(last_year, "a=1;")->cursors, "a=1;");
  // Nothing arrived: several checks later nothing was published again.
  const int checks_before = checks.load();
  for (absl::Time give_up = absl::Now() + absl::Seconds(10);
       checks.load() < checks_before + 3 && absl::Now() < give_up;) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(publisher.calls(), 2);
  // Events arrived: both are published again, unasked.
  publisher.Move("a=2;");
  {
    absl::MutexLock lock(&mutex);
    cursors = "a=2;";
  }
  ASSERT_EQ(await_calls(4), 4);
  EXPECT_EQ(AwaitLatest(periods, "a=2;", "a=2;"), "a=2;");
  EXPECT_EQ(publisher.calls(), 4);
}

}  // namespace
}  // namespace herstel::reporting
