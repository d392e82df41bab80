// Several replicas on one store: two Store objects opened on the same
// location stand for two service processes. What must hold: the outbox
// stays dense and in commit order for a follower, and a request id is
// honoured once across replicas. Runs on both backends.
#include <atomic>
#include <filesystem>
#include <random>
#include <thread>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "herstel/idempotency.h"
#include "herstel/outbox.h"
#include "herstel/status_macros.h"
#include "herstel/status_matchers.h"
#include "herstel/store.h"
#include "store_backends.h"

namespace herstel {
namespace {

using ::herstel::testing::AllStoreBackends;
using ::herstel::testing::FreshStoreLocation;
using ::herstel::testing::IsOk;
using ::herstel::testing::StoreBackend;
using ::herstel::testing::StoreBackendName;

const MigrationSet kCounters{
    "counters", {{1, "counters", "CREATE TABLE counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL);"}}};

class ReplicaTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/herstel-replica-test-XXXXXX";
    directory_ = mkdtemp(pattern);
    absl::StatusOr<std::string> location = FreshStoreLocation(GetParam(), directory_, "replicas");
    ASSERT_THAT(location, IsOk());
    for (auto& replica : replicas_) {
      absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(*location, kCounters);
      ASSERT_THAT(store, IsOk());
      replica = std::move(*store);
    }
  }
  void TearDown() override {
    for (auto& replica : replicas_) replica.reset();
    std::filesystem::remove_all(directory_);
  }

  absl::StatusOr<std::vector<v1::Event>> EventsAfter(Store& store, int64_t sequence) {
    std::vector<v1::Event> events;
    HERSTEL_RETURN_IF_ERROR(store.Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(events, ReadEvents(tx, sequence, 1000, {}));
      return absl::OkStatus();
    }));
    return events;
  }

  std::string directory_;
  std::unique_ptr<Store> replicas_[2];
};

// The classic outbox gap: a writer takes sequence N and has not committed
// yet when a second writer appends. If the second could commit N+1 first, a
// follower reading "after N-1" would see N+1, move its cursor past N and
// never see N. Here the first writer is held open while the second runs.
TEST_P(ReplicaTest, LaterWriterCannotCommitPastAnUncommittedSequence) {
  absl::Notification first_appended, release_first;
  std::thread first([&] {
    EXPECT_THAT(replicas_[0]->Write([&](Transaction& tx) -> absl::Status {
      HERSTEL_RETURN_IF_ERROR(AppendEvent(tx, v1::Event(), "first", {}).status());
      if (!first_appended.HasBeenNotified()) first_appended.Notify();
      release_first.WaitForNotification();
      return absl::OkStatus();
    }),
                IsOk());
  });
  first_appended.WaitForNotification();
  std::atomic<bool> second_done{false};
  std::thread second([&] {
    EXPECT_THAT(replicas_[1]->Write([&](Transaction& tx) {
      return AppendEvent(tx, v1::Event(), "second", {}).status();
    }),
                IsOk());
    second_done.store(true);
  });
  absl::SleepFor(absl::Milliseconds(300));
  // While the first is open nothing is visible, and the second waits.
  absl::StatusOr<std::vector<v1::Event>> during = EventsAfter(*replicas_[1], 0);
  ASSERT_THAT(during, IsOk());
  EXPECT_TRUE(during->empty());
  EXPECT_FALSE(second_done.load());
  release_first.Notify();
  first.join();
  second.join();
  absl::StatusOr<std::vector<v1::Event>> after = EventsAfter(*replicas_[0], 0);
  ASSERT_THAT(after, IsOk());
  ASSERT_EQ(after->size(), 2u);
  EXPECT_EQ((*after)[0].sequence(), 1);
  EXPECT_EQ((*after)[0].resource(), "first");
  EXPECT_EQ((*after)[1].sequence(), 2);
  EXPECT_EQ((*after)[1].resource(), "second");
}

// Writers on both replicas append with random pauses inside their
// transactions while a follower polls with a cursor: it must see every
// sequence exactly once, in order.
TEST_P(ReplicaTest, FollowerPollingDuringConcurrentAppendsSkipsAndRepeatsNothing) {
  constexpr int kWritersPerReplica = 3;
  constexpr int kAppendsPerWriter = 40;
  constexpr int kTotal = 2 * kWritersPerReplica * kAppendsPerWriter;
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int replica = 0; replica < 2; ++replica) {
    for (int w = 0; w < kWritersPerReplica; ++w) {
      writers.emplace_back([&, replica, w] {
        std::minstd_rand random(replica * 100 + w);
        for (int i = 0; i < kAppendsPerWriter; ++i) {
          absl::Status status = replicas_[replica]->Write([&](Transaction& tx) -> absl::Status {
            HERSTEL_RETURN_IF_ERROR(
                AppendEvent(tx, v1::Event(), absl::StrCat(replica, "/", w, "/", i), {}).status());
            absl::SleepFor(absl::Microseconds(random() % 2000));
            return absl::OkStatus();
          });
          if (!status.ok()) {
            ++failures;
            ADD_FAILURE() << status;
          }
        }
      });
    }
  }
  std::vector<int64_t> seen;
  int64_t cursor = 0;
  absl::Time give_up = absl::Now() + absl::Seconds(60);
  while (cursor < kTotal && absl::Now() < give_up && failures.load() == 0) {
    absl::StatusOr<std::vector<v1::Event>> batch = EventsAfter(*replicas_[seen.size() % 2], cursor);
    ASSERT_THAT(batch, IsOk());
    for (const v1::Event& event : *batch) {
      seen.push_back(event.sequence());
      cursor = event.sequence();
    }
    absl::SleepFor(absl::Milliseconds(1));
  }
  for (auto& writer : writers) writer.join();
  ASSERT_EQ(failures.load(), 0);
  ASSERT_EQ(static_cast<int>(seen.size()), kTotal);
  for (int i = 0; i < kTotal; ++i) ASSERT_EQ(seen[i], i + 1) << "at position " << i;
}

// The same request id sent to both replicas at once changes things once,
// and every caller gets the one answer.
TEST_P(ReplicaTest, RequestIdIsHonouredOnceAcrossReplicas) {
  constexpr int kCallers = 8;
  std::atomic<int> runs{0};
  std::vector<std::string> answers(kCallers);
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      v1::Event request, answer;
      request.set_resource("counters/visits");
      absl::Status status = RunIdempotent(
          *replicas_[c % 2], "/test.Counters/Increment", "same-request", request, answer,
          [&](Transaction& tx) -> absl::Status {
            ++runs;
            HERSTEL_ASSIGN_OR_RETURN(
                Statement bump,
                tx.Prepare("INSERT INTO counters (name, n) VALUES ('visits', 1) "
                           "ON CONFLICT (name) DO UPDATE SET n = counters.n + 1"));
            HERSTEL_RETURN_IF_ERROR(bump.Run());
            answer.set_resource(absl::StrCat("replica ", c % 2, " caller ", c));
            return absl::OkStatus();
          });
      EXPECT_THAT(status, IsOk());
      answers[c] = answer.resource();
    });
  }
  for (auto& caller : callers) caller.join();
  for (const std::string& answer : answers) EXPECT_EQ(answer, answers[0]);
  int64_t visits = -1;
  ASSERT_THAT(replicas_[0]->Read([&](Transaction& tx) -> absl::Status {
    HERSTEL_ASSIGN_OR_RETURN(Statement query, tx.Prepare("SELECT n FROM counters WHERE name = 'visits'"));
    HERSTEL_RETURN_IF_ERROR(query.Step().status());
    visits = query.ColumnInt(0);
    return absl::OkStatus();
  }),
              IsOk());
  EXPECT_EQ(visits, 1) << "mutation ran " << runs.load() << " times in all";
}

// Replicas starting together on a new store: both open it, and each
// migration is applied once.
TEST_P(ReplicaTest, ReplicasStartingTogetherMigrateOnce) {
  if (GetParam() == StoreBackend::kSqlite) {
    // Processes creating one SQLite file at the same moment can see "database
    // is locked" while it switches to WAL: SQLite stores serve one process.
    GTEST_SKIP() << "replicas starting together run on PostgreSQL";
  }
  absl::StatusOr<std::string> location = FreshStoreLocation(GetParam(), directory_, "fresh");
  ASSERT_THAT(location, IsOk());
  const MigrationSet kThreeSteps{
      "steps",
      {{1, "one", "CREATE TABLE one (a INTEGER);"},
       {2, "two", "CREATE TABLE two (b INTEGER);"},
       {3, "three", "ALTER TABLE one ADD COLUMN c TEXT;"}}};
  constexpr int kReplicas = 4;
  std::vector<absl::StatusOr<std::unique_ptr<Store>>> opened(kReplicas);
  std::vector<std::thread> starting;
  for (int i = 0; i < kReplicas; ++i) {
    starting.emplace_back([&, i] { opened[i] = Store::Open(*location, kThreeSteps); });
  }
  for (auto& thread : starting) thread.join();
  for (auto& store : opened) ASSERT_THAT(store, IsOk());
  int64_t applied = -1;
  ASSERT_THAT((*opened[0])->Read([&](Transaction& tx) -> absl::Status {
    HERSTEL_ASSIGN_OR_RETURN(
        Statement count, tx.Prepare("SELECT COUNT(*) FROM schema_migrations WHERE component = ?"));
    count.Bind(1, "steps");
    HERSTEL_RETURN_IF_ERROR(count.Step().status());
    applied = count.ColumnInt(0);
    return absl::OkStatus();
  }),
              IsOk());
  EXPECT_EQ(applied, 3);
}

INSTANTIATE_TEST_SUITE_P(Backends, ReplicaTest, ::testing::ValuesIn(AllStoreBackends()),
                         StoreBackendName);

}  // namespace
}  // namespace herstel
