#include "herstel/follower.h"

#include <algorithm>
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
    : store_(store),
      source_(std::move(source)),
      open_(std::move(open)),
      apply_(std::move(apply)),
      prepare_(std::move(prepare)) {}

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

bool EventFollower::ApplyWithCursor(const v1::Event& event) {
  absl::Status status = store_.Write([&](Transaction& tx) -> absl::Status {
    HERSTEL_ASSIGN_OR_RETURN(int64_t stored, LoadCursor(tx, source_));
    if (event.sequence() <= stored) return absl::OkStatus();  // duplicate delivery
    HERSTEL_RETURN_IF_ERROR(apply_(tx, event));
    return SaveCursor(tx, source_, event.sequence());
  });
  if (!status.ok()) {
    LogFollowerProblem(source_, absl::StrCat("event ", event.sequence(), ": ", status.ToString()));
    return false;
  }
  cursor_.store(std::max(cursor_.load(), event.sequence()));
  return true;
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
    v1::Event event;
    bool healthy = true;
    while (healthy && stream->Read(&event)) {
      connected_.store(true);
      backoff = kInitialBackoff;
      healthy = ApplyWithCursor(event);
    }
    if (healthy) {
      grpc::Status finished = stream->Finish();
      if (!finished.ok() && finished.error_code() != grpc::StatusCode::CANCELLED) {
        LogFollowerProblem(source_, finished.error_message());
      }
    } else {
      context.TryCancel();
      stream->Finish();
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
