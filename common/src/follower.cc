#include "herstel/follower.h"

#include <algorithm>
#include <deque>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "herstel/status_macros.h"
#include "nlohmann/json.hpp"

namespace herstel {
namespace {

constexpr absl::Duration kInitialBackoff = absl::Milliseconds(100);
constexpr absl::Duration kMaximumBackoff = absl::Seconds(5);

void LogFollowerProblem(absl::string_view source, absl::string_view what) {
  nlohmann::json line = {{"follower", source}, {"problem", what}};
  std::cerr << line.dump() << std::endl;
}

}  // namespace

absl::StatusOr<int64_t> LoadCursor(Transaction& tx, absl::string_view source) {
  HERSTEL_ASSIGN_OR_RETURN(Statement query,
                           tx.Prepare("SELECT sequence FROM consumer_cursors WHERE source = ?"));
  query.Bind(1, source);
  HERSTEL_ASSIGN_OR_RETURN(bool found, query.Step());
  return found ? query.ColumnInt(0) : 0;
}

absl::Status SaveCursor(Transaction& tx, absl::string_view source, int64_t sequence) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement upsert,
      tx.Prepare("INSERT INTO consumer_cursors (source, sequence) VALUES (?, ?) "
                 "ON CONFLICT (source) DO UPDATE SET sequence = excluded.sequence"));
  upsert.Bind(1, source).Bind(2, sequence);
  return upsert.Run();
}

EventFollower::EventFollower(Store& store, std::string source, OpenStream open,
                             ApplyEvent apply, PrepareContext prepare)
    : EventFollower(
          store, std::move(source), std::move(open),
          [apply = std::move(apply)](Transaction& tx,
                                     absl::Span<const v1::Event> events) -> absl::Status {
            for (const v1::Event& event : events) HERSTEL_RETURN_IF_ERROR(apply(tx, event));
            return absl::OkStatus();
          },
          std::move(prepare), 1) {}

EventFollower::EventFollower(Store& store, std::string source, OpenStream open,
                             ApplyBatch apply, PrepareContext prepare, int max_batch)
    : store_(store),
      source_(std::move(source)),
      open_(std::move(open)),
      apply_(std::move(apply)),
      prepare_(std::move(prepare)),
      max_batch_(static_cast<size_t>(std::max(1, max_batch))) {}

EventFollower::~EventFollower() { Stop(); }

void EventFollower::Start() {
  absl::Status loaded = store_.Read([&](Transaction& tx) -> absl::Status {
    HERSTEL_ASSIGN_OR_RETURN(int64_t cursor, LoadCursor(tx, source_));
    cursor_.store(cursor);
    return absl::OkStatus();
  });
  if (!loaded.ok()) LogFollowerProblem(source_, loaded.ToString());
  thread_ = std::thread([this] { Run(); });
}

void EventFollower::Stop() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
    if (active_context_ != nullptr) active_context_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
}

bool EventFollower::ApplyWithCursor(const std::vector<v1::Event>& batch) {
  absl::Status status = store_.Write([&](Transaction& tx) -> absl::Status {
    HERSTEL_ASSIGN_OR_RETURN(int64_t stored, LoadCursor(tx, source_));
    auto fresh = std::find_if(batch.begin(), batch.end(),
                              [&](const v1::Event& event) { return event.sequence() > stored; });
    if (fresh == batch.end()) return absl::OkStatus();  // duplicate delivery
    HERSTEL_RETURN_IF_ERROR(apply_(tx, absl::MakeConstSpan(&*fresh, batch.end() - fresh)));
    return SaveCursor(tx, source_, batch.back().sequence());
  });
  if (!status.ok()) {
    LogFollowerProblem(source_, absl::StrCat("events ", batch.front().sequence(), "..",
                                             batch.back().sequence(), ": ", status.ToString()));
    return false;
  }
  cursor_.store(std::max(cursor_.load(), batch.back().sequence()));
  return true;
}

bool EventFollower::FollowStream(grpc::ClientReaderInterface<v1::Event>& stream,
                                 grpc::ClientContext& context, bool& received) {
  // Events received but not applied yet; at most `capacity` wait (the next
  // batch and one more), so memory stays bounded however far behind the
  // follower is.
  struct Inbox {
    absl::Mutex mutex;
    std::deque<v1::Event> events ABSL_GUARDED_BY(mutex);
    bool ended ABSL_GUARDED_BY(mutex) = false;
    bool abandoned ABSL_GUARDED_BY(mutex) = false;
  } inbox;
  const size_t capacity = 2 * max_batch_;
  std::thread reader([&] {
    v1::Event event;
    while (stream.Read(&event)) {
      connected_.store(true);
      absl::MutexLock lock(&inbox.mutex);
      auto room = [&]() ABSL_SHARED_LOCKS_REQUIRED(inbox.mutex) {
        return inbox.abandoned || inbox.events.size() < capacity;
      };
      inbox.mutex.Await(absl::Condition(&room));
      if (inbox.abandoned) break;
      inbox.events.push_back(std::move(event));
    }
    absl::MutexLock lock(&inbox.mutex);
    inbox.ended = true;
  });
  bool healthy = true;
  int64_t last_taken = 0;
  std::vector<v1::Event> batch;
  while (true) {
    batch.clear();
    {
      absl::MutexLock lock(&inbox.mutex);
      auto ready = [&]() ABSL_SHARED_LOCKS_REQUIRED(inbox.mutex) {
        return inbox.ended || !inbox.events.empty();
      };
      inbox.mutex.Await(absl::Condition(&ready));
      if (inbox.events.empty()) break;  // the stream ended
      while (!inbox.events.empty() && batch.size() < max_batch_) {
        // A stream delivers ascending sequences; anything else is a repeat.
        if (inbox.events.front().sequence() > last_taken) {
          last_taken = inbox.events.front().sequence();
          batch.push_back(std::move(inbox.events.front()));
        }
        inbox.events.pop_front();
      }
    }
    received = true;
    if (batch.empty()) continue;
    if (!ApplyWithCursor(batch)) {
      healthy = false;
      {
        absl::MutexLock lock(&inbox.mutex);
        inbox.abandoned = true;
      }
      context.TryCancel();
      break;
    }
  }
  reader.join();
  return healthy;
}

void EventFollower::Run() {
  absl::Duration backoff = kInitialBackoff;
  while (true) {
    grpc::ClientContext context;
    prepare_(context);
    {
      absl::MutexLock lock(&mutex_);
      if (stopping_) return;
      active_context_ = &context;
    }
    v1::WatchEventsRequest request;
    request.set_after_sequence(cursor_.load());
    std::unique_ptr<grpc::ClientReaderInterface<v1::Event>> stream = open_(&context, request);
    bool received = false;
    bool healthy = FollowStream(*stream, context, received);
    if (received) backoff = kInitialBackoff;
    grpc::Status finished = stream->Finish();
    if (healthy && !finished.ok() && finished.error_code() != grpc::StatusCode::CANCELLED) {
      LogFollowerProblem(source_, finished.error_message());
    }
    connected_.store(false);
    absl::MutexLock lock(&mutex_);
    active_context_ = nullptr;
    if (stopping_) return;
    auto stopping = [this]() ABSL_SHARED_LOCKS_REQUIRED(mutex_) { return stopping_; };
    mutex_.AwaitWithTimeout(absl::Condition(&stopping), backoff);
    if (stopping_) return;
    backoff = std::min(backoff * 2, kMaximumBackoff);
  }
}

}  // namespace herstel
