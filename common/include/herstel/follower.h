// Following another service's event stream with a durable cursor.
//
// Events are applied in write transactions together with the new cursor, so
// after a crash the follower resumes exactly after the last event it
// applied: nothing lost, nothing counted twice. Duplicate deliveries
// (sequence at or below the cursor) are skipped. A reader thread receives
// while the follower applies; when events queue up (a rebuild, a catch-up
// after an outage) up to `max_batch` of them share one transaction, and a
// lone live event is applied at once on its own.
#ifndef HERSTEL_FOLLOWER_H_
#define HERSTEL_FOLLOWER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/sync_stream.h"
#include "herstel/store.h"
#include "herstel/v1/common.pb.h"

namespace herstel {

// The stored cursor of `source`, 0 when it has never been saved.
absl::StatusOr<int64_t> LoadCursor(Transaction& tx, absl::string_view source);
// Stores `sequence` as the cursor of `source`.
absl::Status SaveCursor(Transaction& tx, absl::string_view source, int64_t sequence);

class EventFollower {
 public:
  // Opens the source's WatchEvents stream; the context already carries the
  // follower's token and is owned by the caller.
  using OpenStream = std::function<std::unique_ptr<grpc::ClientReaderInterface<v1::Event>>(
      grpc::ClientContext*, const v1::WatchEventsRequest&)>;
  // Applies one event inside the transaction that also advances the cursor.
  // An error rolls both back; the event is retried after a pause.
  using ApplyEvent = std::function<absl::Status(Transaction&, const v1::Event&)>;
  // Applies consecutive events (ascending sequences, none applied before)
  // inside the transaction that also advances the cursor past the last.
  using ApplyBatch = std::function<absl::Status(Transaction&, absl::Span<const v1::Event>)>;
  // Adds credentials (the follower's bearer token) to a fresh context.
  using PrepareContext = std::function<void(grpc::ClientContext&)>;

  // One event per transaction.
  EventFollower(Store& store, std::string source, OpenStream open, ApplyEvent apply,
                PrepareContext prepare);
  // Up to `max_batch` (at least 1) queued events per transaction.
  EventFollower(Store& store, std::string source, OpenStream open, ApplyBatch apply,
                PrepareContext prepare, int max_batch);
  ~EventFollower();
  EventFollower(const EventFollower&) = delete;
  EventFollower& operator=(const EventFollower&) = delete;

  // Starts following on a background thread; reconnects with backoff.
  void Start();
  // Stops and joins the thread.
  void Stop();
  // Cursor applied so far (thread-safe).
  int64_t cursor() const { return cursor_.load(); }
  // Whether the stream is currently connected.
  bool connected() const { return connected_.load(); }

 private:
  void Run();
  // Receives `stream` on a reader thread and applies what arrives in
  // batches until the stream ends or an apply fails (then cancels
  // `context`). Returns whether every batch applied; `received` tells
  // whether any event arrived.
  bool FollowStream(grpc::ClientReaderInterface<v1::Event>& stream,
                    grpc::ClientContext& context, bool& received);
  // Applies `batch` with its cursor in one transaction; false on failure.
  bool ApplyWithCursor(const std::vector<v1::Event>& batch);

  Store& store_;
  const std::string source_;
  const OpenStream open_;
  const ApplyBatch apply_;
  const PrepareContext prepare_;
  const size_t max_batch_;
  std::atomic<int64_t> cursor_{0};
  std::atomic<bool> connected_{false};
  absl::Mutex mutex_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  grpc::ClientContext* active_context_ ABSL_GUARDED_BY(mutex_) = nullptr;
  std::thread thread_;
};

}  // namespace herstel

#endif  // HERSTEL_FOLLOWER_H_
