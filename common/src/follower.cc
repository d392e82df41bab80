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

namespace {

// The one-event constructor's applier: each event on its own.
class EachEventApplier : public EventFollower::BatchApplier {
 public:
  EachEventApplier(Transaction& tx, const EventFollower::ApplyEvent& apply)
      : tx_(tx), apply_(apply) {}
  absl::Status Apply(absl::Span<const v1::Event> events) override {
    for (const v1::Event& event : events) HERSTEL_RETURN_IF_ERROR(apply_(tx_, event));
    return absl::OkStatus();
  }
  absl::Status Finish() override { return absl::OkStatus(); }

 private:
  Transaction& tx_;
  const EventFollower::ApplyEvent& apply_;
};

}  // namespace

struct EventFollower::Inbox {
  absl::Mutex mutex;
  std::deque<v1::Event> events ABSL_GUARDED_BY(mutex);
  // Applied events handed back for the reader to read into again: parsing
  // into a used message reuses its memory instead of allocating anew.
  std::vector<v1::Event> spare ABSL_GUARDED_BY(mutex);
  bool ended ABSL_GUARDED_BY(mutex) = false;
  bool abandoned ABSL_GUARDED_BY(mutex) = false;
};

EventFollower::EventFollower(Store& store, std::string source, OpenStream open,
                             ApplyEvent apply, PrepareContext prepare)
    : EventFollower(
          store, std::move(source), std::move(open),
          [apply = std::move(apply)](Transaction& tx) -> std::unique_ptr<BatchApplier> {
            return std::make_unique<EachEventApplier>(tx, apply);
          },
          std::move(prepare), Batching{}) {}

EventFollower::EventFollower(Store& store, std::string source, OpenStream open,
                             BeginBatch begin, PrepareContext prepare, Batching batching)
    : store_(store),
      source_(std::move(source)),
      open_(std::move(open)),
      begin_(std::move(begin)),
      prepare_(std::move(prepare)),
      batching_{std::max(1, batching.part),
                std::max<int64_t>(std::max(1, batching.part), batching.transaction)} {}

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

void EventFollower::TakePart(Inbox& inbox, int64_t limit, int64_t& last_taken,
                             std::vector<v1::Event>& part) {
  absl::MutexLock lock(&inbox.mutex);
  for (v1::Event& applied : part) {
    if (inbox.spare.size() >= static_cast<size_t>(batching_.part)) break;
    inbox.spare.push_back(std::move(applied));
  }
  part.clear();
  while (!inbox.events.empty() && static_cast<int64_t>(part.size()) < limit) {
    // A stream delivers ascending sequences; anything else is a repeat.
    if (inbox.events.front().sequence() > last_taken) {
      last_taken = inbox.events.front().sequence();
      part.push_back(std::move(inbox.events.front()));
    }
    inbox.events.pop_front();
  }
}

bool EventFollower::ApplyTransaction(Inbox& inbox, std::vector<v1::Event>& part,
                                     int64_t& last_taken) {
  const int64_t first = part.front().sequence();
  int64_t last_applied = 0;
  int64_t reached = 0;  // the last event applied or already applied before
  int runs = 0;
  absl::Status status = store_.Write([&](Transaction& tx) -> absl::Status {
    // The parts are gone once applied, so a transaction the store runs
    // again (PostgreSQL, after a conflict) gives up and reads them again.
    if (++runs > 1) {
      return absl::AbortedError("the store ran the transaction again; reading from the cursor");
    }
    HERSTEL_ASSIGN_OR_RETURN(int64_t stored, LoadCursor(tx, source_));
    std::unique_ptr<BatchApplier> applier = begin_(tx);
    int64_t applied = 0;
    while (!part.empty()) {
      auto fresh = std::find_if(part.begin(), part.end(),
                                [&](const v1::Event& event) { return event.sequence() > stored; });
      if (fresh != part.end()) {  // before it: duplicate deliveries
        HERSTEL_RETURN_IF_ERROR(applier->Apply(absl::MakeConstSpan(&*fresh, part.end() - fresh)));
        applied += part.end() - fresh;
        last_applied = part.back().sequence();
      }
      reached = part.back().sequence();
      if (applied >= batching_.transaction) break;
      TakePart(inbox, std::min<int64_t>(batching_.part, batching_.transaction - applied),
               last_taken, part);
    }
    if (last_applied == 0) return absl::OkStatus();
    HERSTEL_RETURN_IF_ERROR(applier->Finish());
    return SaveCursor(tx, source_, last_applied);
  });
  if (!status.ok()) {
    LogFollowerProblem(source_, absl::StrCat("events from ", first, ": ", status.ToString()));
    return false;
  }
  cursor_.store(std::max(cursor_.load(), reached));
  return true;
}

bool EventFollower::FollowStream(grpc::ClientReaderInterface<v1::Event>& stream,
                                 grpc::ClientContext& context, bool& received) {
  // At most two parts wait, so memory stays bounded however far behind the
  // follower is.
  Inbox inbox;
  const size_t capacity = 2 * static_cast<size_t>(batching_.part);
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
      if (!inbox.spare.empty()) {
        event = std::move(inbox.spare.back());
        inbox.spare.pop_back();
      }
    }
    absl::MutexLock lock(&inbox.mutex);
    inbox.ended = true;
  });
  bool healthy = true;
  int64_t last_taken = 0;
  std::vector<v1::Event> part;
  while (true) {
    {
      absl::MutexLock lock(&inbox.mutex);
      auto ready = [&]() ABSL_SHARED_LOCKS_REQUIRED(inbox.mutex) {
        return inbox.ended || !inbox.events.empty();
      };
      inbox.mutex.Await(absl::Condition(&ready));
      if (inbox.events.empty()) break;  // the stream ended
    }
    received = true;
    TakePart(inbox, batching_.part, last_taken, part);
    if (part.empty()) continue;
    if (!ApplyTransaction(inbox, part, last_taken)) {
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
