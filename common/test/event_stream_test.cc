// The outbox stream and a follower together, over real gRPC on loopback:
// nothing lost, nothing applied twice, across reconnects and failures.
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <limits>

#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "herstel/follower.h"
#include "herstel/outbox.h"
#include "herstel/status_macros.h"
#include "herstel/status_matchers.h"
#include "herstel/v1/mandate_service.grpc.pb.h"
#include "store_backends.h"

namespace herstel {
namespace {

using ::herstel::testing::AllStoreBackends;
using ::herstel::testing::FreshStoreLocation;
using ::herstel::testing::IsOk;
using ::herstel::testing::StoreBackend;
using ::herstel::testing::StoreBackendName;

const MigrationSet kSourceSchema{"source", {}};
const MigrationSet kFollowerSchema{
    "follower", {{1, "derived", "CREATE TABLE seen (sequence INTEGER NOT NULL);"}}};

// A real WatchEvents server over a real store, on a loopback port.
class SourceServer {
 public:
  SourceServer(Store& store, const TokenKey& key, int port = 0)
      : service_(store, key, "source-service") {
    grpc::ServerBuilder builder;
    builder.AddListeningPort(absl::StrCat("127.0.0.1:", port), grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
  }
  ~SourceServer() { server_->Shutdown(std::chrono::system_clock::now()); }
  int port() const { return port_; }

 private:
  WithWatchEvents<v1::MandateService::Service> service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

class EventStreamTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/herstel-stream-test-XXXXXX";
    directory_ = mkdtemp(pattern);
    absl::StatusOr<std::string> source = FreshStoreLocation(GetParam(), directory_, "source");
    absl::StatusOr<std::string> follower = FreshStoreLocation(GetParam(), directory_, "follower");
    ASSERT_THAT(source, IsOk());
    ASSERT_THAT(follower, IsOk());
    source_location_ = *source;
    follower_location_ = *follower;
    source_ = *Store::Open(source_location_, kSourceSchema);
    follower_store_ = *Store::Open(follower_location_, kFollowerSchema);
    key_ = std::make_unique<TokenKey>(*TokenKey::FromSecret("stream-test-key-0123456789abcdef0123"));
  }
  void TearDown() override {
    follower_.reset();
    server_.reset();
    std::filesystem::remove_all(directory_);
  }

  void AppendEvents(int count) {
    for (int i = 0; i < count; ++i) {
      ASSERT_THAT(source_->Write([&](Transaction& tx) {
        return AppendEvent(tx, v1::WatchEventsRequest(), "things/1", {"r", "u"}).status();
      }),
                  IsOk());
    }
  }

  std::unique_ptr<EventFollower> MakeFollower(int port) { return MakeFollower(port, *follower_store_); }

  std::unique_ptr<EventFollower> MakeFollower(int port, Store& follower_store) {
    return std::make_unique<EventFollower>(
        follower_store, "source-service", OpenStream(port),
        [this](Transaction& tx, const v1::Event& event) { return Derive(tx, event); },
        Prepare());
  }

  // A follower that applies queued events in parts and transactions as
  // `batching` says, recording their sizes.
  std::unique_ptr<EventFollower> MakeBatchFollower(int port, EventFollower::Batching batching) {
    return std::make_unique<EventFollower>(
        *follower_store_, "source-service", OpenStream(port),
        [this](Transaction& tx) { return std::make_unique<RecordingApplier>(*this, tx); },
        Prepare(), batching);
  }

  EventFollower::OpenStream OpenStream(int port) {
    auto stub = std::shared_ptr<v1::MandateService::Stub>(v1::MandateService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials())));
    return [stub](grpc::ClientContext* context, const v1::WatchEventsRequest& request) {
      return stub->WatchEvents(context, request);
    };
  }

  EventFollower::PrepareContext Prepare() {
    Caller caller{"reporting-service", "herstel", v1::ROLE_SERVICE, {"*"},
                  absl::Now() + absl::Hours(1)};
    std::string token = key_->Mint(caller);
    return [token](grpc::ClientContext& context) {
      context.AddMetadata("authorization", "Bearer " + token);
    };
  }

  // What the followers derive from one event; fails once at `fail_at_`.
  absl::Status Derive(Transaction& tx, const v1::Event& event) {
    if (fail_at_.load() == event.sequence()) {
      fail_at_.store(-1);
      return absl::InternalError("simulated failure while deriving");
    }
    HERSTEL_ASSIGN_OR_RETURN(Statement insert, tx.Prepare("INSERT INTO seen VALUES (?)"));
    insert.Bind(1, event.sequence());
    return insert.Run();  // a second apply of one event would show in Seen()
  }

  // Derives each part's events and records the parts and the transactions
  // (how many events each committed, or -1 for one rolled back).
  class RecordingApplier : public EventFollower::BatchApplier {
   public:
    RecordingApplier(EventStreamTest& test, Transaction& tx) : test_(test), tx_(tx) {}
    absl::Status Apply(absl::Span<const v1::Event> events) override {
      test_.parts_.push_back(static_cast<int64_t>(events.size()));
      for (const v1::Event& event : events) {
        if (last_ != 0 && event.sequence() != last_ + 1) {
          return absl::InternalError(absl::StrCat("part skips from ", last_, " to ", event.sequence()));
        }
        last_ = event.sequence();
        absl::Status derived = test_.Derive(tx_, event);
        if (!derived.ok()) {
          test_.transactions_.push_back(-1);
          return derived;
        }
        ++events_;
      }
      return absl::OkStatus();
    }
    absl::Status Finish() override {
      if (test_.fail_finish_.exchange(false)) {
        test_.transactions_.push_back(-1);
        return absl::InternalError("simulated failure while writing the transaction");
      }
      test_.transactions_.push_back(events_);
      return absl::OkStatus();
    }

   private:
    EventStreamTest& test_;
    Transaction& tx_;
    int64_t last_ = 0;
    int64_t events_ = 0;
  };

  // Waits until the follower's cursor reaches `sequence`.
  void AwaitCursor(int64_t sequence) {
    absl::Time give_up = absl::Now() + absl::Seconds(20);
    while (follower_->cursor() < sequence && absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    ASSERT_EQ(follower_->cursor(), sequence);
  }

  std::vector<int64_t> Seen() {
    std::vector<int64_t> seen;
    EXPECT_THAT(follower_store_->Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(Statement query, tx.Prepare("SELECT sequence FROM seen ORDER BY 1"));
      while (true) {
        HERSTEL_ASSIGN_OR_RETURN(bool row, query.Step());
        if (!row) break;
        seen.push_back(query.ColumnInt(0));
      }
      return absl::OkStatus();
    }),
                IsOk());
    return seen;
  }

  static std::vector<int64_t> OneTo(int64_t n) {
    std::vector<int64_t> all;
    for (int64_t i = 1; i <= n; ++i) all.push_back(i);
    return all;
  }

  std::string directory_;
  std::string source_location_;
  std::string follower_location_;
  std::unique_ptr<Store> source_;
  std::unique_ptr<Store> follower_store_;
  std::unique_ptr<TokenKey> key_;
  std::unique_ptr<SourceServer> server_;
  std::unique_ptr<EventFollower> follower_;
  std::atomic<int64_t> fail_at_{-1};
  std::atomic<bool> fail_finish_{false};
  // Recorded by RecordingApplier (one follower thread applies at a time).
  std::vector<int64_t> parts_;
  std::vector<int64_t> transactions_;
};

TEST_P(EventStreamTest, FollowerAppliesBacklogAndLiveEventsExactlyOnce) {
  AppendEvents(1200);  // more than one read batch
  server_ = std::make_unique<SourceServer>(*source_, *key_);
  follower_ = MakeFollower(server_->port());
  follower_->Start();
  AwaitCursor(1200);
  AppendEvents(5);  // live, after the backlog
  AwaitCursor(1205);
  EXPECT_EQ(Seen(), OneTo(1205));
}

TEST_P(EventStreamTest, RestartedFollowerResumesFromItsStoredCursor) {
  server_ = std::make_unique<SourceServer>(*source_, *key_);
  AppendEvents(10);
  follower_ = MakeFollower(server_->port());
  follower_->Start();
  AwaitCursor(10);
  follower_.reset();  // the follower process goes away
  AppendEvents(7);
  follower_ = MakeFollower(server_->port());
  follower_->Start();
  AwaitCursor(17);
  EXPECT_EQ(Seen(), OneTo(17));
}

TEST_P(EventStreamTest, SourceDownForAWhileIsCaughtUpAfterwards) {
  server_ = std::make_unique<SourceServer>(*source_, *key_);
  int port = server_->port();
  follower_ = MakeFollower(port);
  follower_->Start();
  AppendEvents(3);
  AwaitCursor(3);
  server_.reset();  // source down; its writes go on
  AppendEvents(4);
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(follower_->cursor(), 3);
  server_ = std::make_unique<SourceServer>(*source_, *key_, port);
  AwaitCursor(7);
  EXPECT_EQ(Seen(), OneTo(7));
}

TEST_P(EventStreamTest, FailedDerivationIsRetriedAndNeverHalfApplied) {
  fail_at_.store(4);
  AppendEvents(6);
  server_ = std::make_unique<SourceServer>(*source_, *key_);
  follower_ = MakeFollower(server_->port());
  follower_->Start();
  AwaitCursor(6);
  EXPECT_EQ(Seen(), OneTo(6));
}

// A backlog is applied in parts of at most `part` events, in transactions of
// at most `transaction` events; a failure in the middle of a transaction, or
// while writing it, rolls all of it back and it is read again from the cursor.
TEST_P(EventStreamTest, QueuedEventsShareTransactionsPartByPartAndRollBackWhole) {
  AppendEvents(1000);
  fail_at_.store(650);
  fail_finish_.store(true);
  server_ = std::make_unique<SourceServer>(*source_, *key_);
  follower_ = MakeBatchFollower(server_->port(), EventFollower::Batching{10, 300});
  follower_->Start();
  AwaitCursor(1000);
  follower_.reset();
  EXPECT_EQ(Seen(), OneTo(1000));
  EXPECT_THAT(parts_, ::testing::Each(::testing::AllOf(::testing::Ge(1), ::testing::Le(10))));
  EXPECT_THAT(transactions_, ::testing::Each(::testing::Le(300)));
  // Two rolled back (the failed derivation and the failed write); the
  // committed ones add up to every event once.
  EXPECT_EQ(std::count(transactions_.begin(), transactions_.end(), -1), 2);
  int64_t committed = 0;
  for (int64_t events : transactions_) committed += std::max<int64_t>(events, 0);
  EXPECT_EQ(committed, 1000);
}

// Two replicas of a following service, each with its own follower on the one
// shared store: every event is applied once in all.
TEST_P(EventStreamTest, TwoFollowerReplicasApplyEachEventOnce) {
  absl::StatusOr<std::unique_ptr<Store>> second_store = Store::Open(follower_location_, kFollowerSchema);
  ASSERT_THAT(second_store, IsOk());
  server_ = std::make_unique<SourceServer>(*source_, *key_);
  follower_ = MakeFollower(server_->port());
  std::unique_ptr<EventFollower> second = MakeFollower(server_->port(), **second_store);
  follower_->Start();
  second->Start();
  AppendEvents(300);
  AwaitCursor(300);
  absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (second->cursor() < 300 && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(second->cursor(), 300);
  second.reset();
  EXPECT_EQ(Seen(), OneTo(300));
}

TEST_P(EventStreamTest, StreamWithTypeFilterSkipsOtherTypesButKeepsPosition) {
  ASSERT_THAT(source_->Write([&](Transaction& tx) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(AppendEvent(tx, v1::Event(), "a", {}).status());
    HERSTEL_RETURN_IF_ERROR(AppendEvent(tx, v1::WatchEventsRequest(), "b", {}).status());
    return AppendEvent(tx, v1::Event(), "c", {}).status();
  }),
              IsOk());
  server_ = std::make_unique<SourceServer>(*source_, *key_);
  auto stub = v1::MandateService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  Caller caller{"auditor-1", "ADR", v1::ROLE_AUDITOR, {"*"}, absl::Now() + absl::Hours(1)};
  context.AddMetadata("authorization", "Bearer " + key_->Mint(caller));
  v1::WatchEventsRequest request;
  request.add_types("herstel.v1.Event");
  request.set_stop_at_end(true);
  auto reader = stub->WatchEvents(&context, request);
  std::vector<std::string> resources;
  v1::Event event;
  while (reader->Read(&event)) resources.push_back(event.resource());
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_THAT(resources, ::testing::ElementsAre("a", "c"));
}

TEST_P(EventStreamTest, StreamAfterTheLargestSequenceThereCanBeEndsAtOnce) {
  // Found by the escalation fuzzer: the read window past such a cursor
  // overflowed.
  ASSERT_THAT(source_->Write([&](Transaction& tx) -> absl::Status {
    return AppendEvent(tx, v1::Event(), "a", {}).status();
  }),
              IsOk());
  server_ = std::make_unique<SourceServer>(*source_, *key_);
  auto stub = v1::MandateService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials()));
  for (int64_t after : {std::numeric_limits<int64_t>::max(),
                        std::numeric_limits<int64_t>::max() - 1, int64_t{1} << 62}) {
    grpc::ClientContext context;
    Caller caller{"auditor-1", "ADR", v1::ROLE_AUDITOR, {"*"}, absl::Now() + absl::Hours(1)};
    context.AddMetadata("authorization", "Bearer " + key_->Mint(caller));
    v1::WatchEventsRequest request;
    request.set_after_sequence(after);
    request.set_stop_at_end(true);
    auto reader = stub->WatchEvents(&context, request);
    v1::Event event;
    EXPECT_FALSE(reader->Read(&event)) << after;
    EXPECT_TRUE(reader->Finish().ok()) << after;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, EventStreamTest, ::testing::ValuesIn(AllStoreBackends()),
                         StoreBackendName);

}  // namespace
}  // namespace herstel
