#include <atomic>
#include <cstdlib>
#include <thread>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "herstel/errors.h"
#include "herstel/event_notifier.h"
#include "herstel/follower.h"
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
using ::herstel::testing::IsOkAndHolds;
using ::herstel::testing::StatusIs;
using ::herstel::testing::StoreBackend;
using ::herstel::testing::StoreBackendName;
using ::testing::AnyOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const MigrationSet kWidgets{
    "widgets",
    {{1, "widgets", "CREATE TABLE widgets (name TEXT PRIMARY KEY, count INTEGER NOT NULL);"},
     {2, "widget colour", "ALTER TABLE widgets ADD COLUMN colour TEXT NOT NULL DEFAULT 'red';"}}};

class StoreTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/herstel-store-test-XXXXXX";
    directory_ = mkdtemp(pattern);
    absl::StatusOr<std::string> location = FreshStoreLocation(GetParam(), directory_, "store");
    ASSERT_THAT(location, IsOk());
    path_ = *location;
    store_ = Open(kWidgets);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(directory_);
  }

  std::unique_ptr<Store> Open(const MigrationSet& set) {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path_, set);
    EXPECT_THAT(store, IsOk());
    return store.ok() ? std::move(*store) : nullptr;
  }

  absl::Status AddWidget(Transaction& tx, absl::string_view name, int64_t count) {
    HERSTEL_ASSIGN_OR_RETURN(Statement insert,
                             tx.Prepare("INSERT INTO widgets (name, count) VALUES (?, ?)"));
    insert.Bind(1, name).Bind(2, count);
    return insert.Run();
  }

  int64_t CountWidgets() {
    int64_t count = -1;
    EXPECT_THAT(store_->Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(Statement query, tx.Prepare("SELECT COUNT(*) FROM widgets"));
      HERSTEL_RETURN_IF_ERROR(query.Step().status());
      count = query.ColumnInt(0);
      return absl::OkStatus();
    }),
                IsOk());
    return count;
  }

  std::vector<v1::Event> AllEvents() {
    std::vector<v1::Event> events;
    EXPECT_THAT(store_->Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(events, ReadEvents(tx, 0, 1000, {}));
      return absl::OkStatus();
    }),
                IsOk());
    return events;
  }

  std::string directory_;
  std::string path_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreTest, MigrationsApplyOnceAndRecordTheirVersion) {
  EXPECT_THAT(store_->SchemaVersion("widgets"), IsOkAndHolds(2));
  EXPECT_THAT(store_->SchemaVersion("plumbing"), IsOkAndHolds(1));
  ASSERT_THAT(store_->Write([&](Transaction& tx) { return AddWidget(tx, "a", 1); }), IsOk());
  store_.reset();
  store_ = Open(kWidgets);  // reopening applies nothing again and keeps the data
  EXPECT_EQ(CountWidgets(), 1);
  EXPECT_THAT(store_->SchemaVersion("widgets"), IsOkAndHolds(2));
}

TEST_P(StoreTest, OlderBinaryRefusesNewerSchema) {
  store_.reset();
  MigrationSet older{"widgets", {kWidgets.migrations[0]}};
  EXPECT_THAT(Store::Open(path_, older),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("version 2")));
}

TEST_P(StoreTest, MisnumberedMigrationsAreRefused) {
  store_.reset();
  MigrationSet gap{"other", {{2, "skips one", "SELECT 1;"}}};
  EXPECT_THAT(Store::Open(path_, gap),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("numbered 1, 2, 3")));
}

TEST_P(StoreTest, FailedMigrationLeavesNoTrace) {
  store_.reset();
  MigrationSet broken{"widgets",
                      {kWidgets.migrations[0], kWidgets.migrations[1],
                       {3, "broken", "CREATE TABLE gadgets (x INTEGER); SELECT nonsense FROM nowhere;"}}};
  EXPECT_FALSE(Store::Open(path_, broken).ok());
  store_ = Open(kWidgets);
  EXPECT_THAT(store_->SchemaVersion("widgets"), IsOkAndHolds(2));
  EXPECT_THAT(store_->Read([](Transaction& tx) { return tx.Execute("SELECT * FROM gadgets"); }),
              StatusIs(absl::StatusCode::kInternal,
                       AnyOf(HasSubstr("no such table"), HasSubstr("does not exist"))));
}

TEST_P(StoreTest, FailedWorkRollsBackEverything) {
  absl::Status status = store_->Write([&](Transaction& tx) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(AddWidget(tx, "a", 1));
    v1::WatchEventsRequest payload;
    HERSTEL_RETURN_IF_ERROR(AppendEvent(tx, payload, "widgets/a", {}).status());
    return absl::FailedPreconditionError("rule broken");
  });
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(CountWidgets(), 0);
  EXPECT_TRUE(AllEvents().empty());
}

TEST_P(StoreTest, OutboxEventsAreDenseOrderedAndTyped) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_THAT(store_->Write([&](Transaction& tx) -> absl::Status {
      std::string name = "w" + std::to_string(i);
      HERSTEL_RETURN_IF_ERROR(AddWidget(tx, name, i));
      v1::WatchEventsRequest payload;
      payload.set_after_sequence(i);
      return AppendEvent(tx, payload, "widgets/" + name, {"req-" + name, "u-1"}).status();
    }),
                IsOk());
  }
  // A rolled-back write must not leave a hole in the sequence.
  EXPECT_FALSE(store_->Write([&](Transaction& tx) -> absl::Status {
                 HERSTEL_RETURN_IF_ERROR(AppendEvent(tx, v1::Event(), "x", {}).status());
                 return absl::AbortedError("no");
               }).ok());
  ASSERT_THAT(store_->Write([&](Transaction& tx) {
    return AppendEvent(tx, v1::Event(), "widgets/w3", {}).status();
  }),
              IsOk());

  std::vector<v1::Event> events = AllEvents();
  ASSERT_EQ(events.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(events[i].sequence(), i + 1);
  EXPECT_EQ(events[0].type(), "herstel.v1.WatchEventsRequest");
  EXPECT_EQ(events[3].type(), "herstel.v1.Event");
  EXPECT_EQ(events[1].resource(), "widgets/w1");
  EXPECT_EQ(events[1].request_id(), "req-w1");
  v1::WatchEventsRequest payload;
  ASSERT_TRUE(events[2].payload().UnpackTo(&payload));
  EXPECT_EQ(payload.after_sequence(), 2);
  EXPECT_EQ(store_->notifier().latest_sequence(), 4);

  std::vector<v1::Event> filtered;
  ASSERT_THAT(store_->Read([&](Transaction& tx) -> absl::Status {
    HERSTEL_ASSIGN_OR_RETURN(filtered, ReadEvents(tx, 1, 10, {"herstel.v1.WatchEventsRequest"}));
    return absl::OkStatus();
  }),
              IsOk());
  ASSERT_EQ(filtered.size(), 2u);
  EXPECT_EQ(filtered[0].sequence(), 2);
}

TEST_P(StoreTest, NotifierKnowsTheLatestSequenceAfterReopen) {
  ASSERT_THAT(store_->Write([&](Transaction& tx) {
    return AppendEvent(tx, v1::Event(), "x", {}).status();
  }),
              IsOk());
  store_.reset();
  store_ = Open(kWidgets);
  EXPECT_EQ(store_->notifier().latest_sequence(), 1);
}

class IdempotencyTest : public StoreTest {
 protected:
  // Adds a widget and answers with an event naming how many widgets exist.
  absl::Status AddOnce(absl::string_view request_id, absl::string_view widget, v1::Event& answer,
                       int* runs) {
    v1::Event request;
    request.set_request_id(std::string(request_id));
    request.set_resource(std::string(widget));
    return RunIdempotent(*store_, "/test.Widgets/Add", request_id, request, answer,
                         [&](Transaction& tx) -> absl::Status {
                           ++*runs;
                           HERSTEL_RETURN_IF_ERROR(AddWidget(tx, widget, 1));
                           answer.set_resource(std::string(widget));
                           answer.set_sequence(*runs);
                           return absl::OkStatus();
                         });
  }
};

TEST_P(IdempotencyTest, RetryReturnsTheFirstAnswerAndChangesNothing) {
  int runs = 0;
  v1::Event first, second;
  ASSERT_THAT(AddOnce("r-1", "a", first, &runs), IsOk());
  ASSERT_THAT(AddOnce("r-1", "a", second, &runs), IsOk());
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(second.SerializeAsString(), first.SerializeAsString());
  EXPECT_EQ(CountWidgets(), 1);
}

TEST_P(IdempotencyTest, ReusedRequestIdForAnotherRequestIsRefused) {
  int runs = 0;
  v1::Event answer;
  ASSERT_THAT(AddOnce("r-1", "a", answer, &runs), IsOk());
  absl::Status reused = AddOnce("r-1", "b", answer, &runs);
  EXPECT_THAT(reused, StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("r-1")));
  EXPECT_EQ(GetErrorDetail(reused)->reason(), "REQUEST_ID_REUSED");
  EXPECT_EQ(CountWidgets(), 1);
}

TEST_P(IdempotencyTest, FailedMutationIsNotRemembered) {
  int runs = 0;
  v1::Event answer;
  ASSERT_THAT(store_->Write([&](Transaction& tx) { return AddWidget(tx, "a", 1); }), IsOk());
  EXPECT_THAT(AddOnce("r-2", "a", answer, &runs), StatusIs(absl::StatusCode::kAborted));
  // PostgreSQL tries a duplicate key a few times (a concurrent writer may
  // have caused it), so count the runs after the failure.
  int runs_after_failure = runs;
  ASSERT_THAT(store_->Write([&](Transaction& tx) { return tx.Execute("DELETE FROM widgets"); }),
              IsOk());
  EXPECT_THAT(AddOnce("r-2", "a", answer, &runs), IsOk());
  EXPECT_EQ(runs, runs_after_failure + 1);
}

TEST_P(IdempotencyTest, RequestIdIsRequiredAndBounded) {
  int runs = 0;
  v1::Event answer;
  EXPECT_THAT(AddOnce("", "a", answer, &runs),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("request_id")));
  EXPECT_THAT(AddOnce(std::string(200, 'x'), "a", answer, &runs),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most 128")));
  EXPECT_EQ(runs, 0);
}

TEST_P(StoreTest, CursorIsStoredWithTheDerivedChange) {
  ASSERT_THAT(store_->Write([&](Transaction& tx) -> absl::Status {
    EXPECT_THAT(LoadCursor(tx, "case-service"), IsOkAndHolds(0));
    HERSTEL_RETURN_IF_ERROR(AddWidget(tx, "derived", 1));
    return SaveCursor(tx, "case-service", 41);
  }),
              IsOk());
  // A failure after saving the cursor rolls the cursor back too.
  EXPECT_FALSE(store_->Write([&](Transaction& tx) -> absl::Status {
                 HERSTEL_RETURN_IF_ERROR(SaveCursor(tx, "case-service", 42));
                 return AddWidget(tx, "derived", 1);  // duplicate key
               }).ok());
  ASSERT_THAT(store_->Read([&](Transaction& tx) -> absl::Status {
    EXPECT_THAT(LoadCursor(tx, "case-service"), IsOkAndHolds(41));
    return absl::OkStatus();
  }),
              IsOk());
}

TEST_P(StoreTest, ConcurrentWritesKeepTheirOwnOutcomeWhenGroupCommitted) {
  constexpr int kThreads = 8;
  constexpr int kWritesPerThread = 60;
  std::atomic<int> succeeded{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWritesPerThread; ++i) {
        bool should_fail = (t + i) % 3 == 0;
        absl::Status status = store_->Write([&](Transaction& tx) -> absl::Status {
          HERSTEL_RETURN_IF_ERROR(AddWidget(tx, absl::StrCat("w-", t, "-", i), i));
          HERSTEL_RETURN_IF_ERROR(AppendEvent(tx, v1::Event(), absl::StrCat("widgets/", t, "-", i), {}).status());
          if (should_fail) return absl::FailedPreconditionError("this one breaks a rule");
          return absl::OkStatus();
        });
        EXPECT_EQ(status.ok(), !should_fail) << status;
        if (status.ok()) ++succeeded;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(CountWidgets(), succeeded.load());
  std::vector<v1::Event> events = AllEvents();
  ASSERT_EQ(static_cast<int>(events.size()), succeeded.load());
  for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].sequence(), static_cast<int64_t>(i + 1));
  EXPECT_EQ(store_->notifier().latest_sequence(), succeeded.load());
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::ValuesIn(AllStoreBackends()),
                         StoreBackendName);
INSTANTIATE_TEST_SUITE_P(Backends, IdempotencyTest, ::testing::ValuesIn(AllStoreBackends()),
                         StoreBackendName);

TEST(EventNotifierTest, WakesWaitersOnPublishAndClose) {
  EventNotifier notifier;
  notifier.Publish(3);
  EXPECT_EQ(notifier.WaitForEventAfter(2, absl::Seconds(5)), 3);
  EXPECT_EQ(notifier.WaitForEventAfter(3, absl::Milliseconds(10)), 3);
  std::thread closer([&] { notifier.Close(); });
  notifier.WaitForEventAfter(3, absl::Seconds(30));
  closer.join();
  EXPECT_TRUE(notifier.closed());
}

}  // namespace
}  // namespace herstel
