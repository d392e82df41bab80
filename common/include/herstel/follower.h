// Following another service's event stream with a durable cursor.
//
// Events are applied in write transactions together with the new cursor, so
// after a crash the follower resumes exactly after the last event it
// applied: nothing lost, nothing counted twice. Duplicate deliveries
// (sequence at or below the cursor) are skipped. A reader thread receives
// while the follower applies; a lone live event is applied at once on its
// own. When events queue up (a rebuild, a catch-up after an outage) one
// transaction goes on taking them part by part for as long as more are
// waiting, up to a limit: the applier keeps what it derives in memory and
// writes it once, while only a few parts of events are held at any time.
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
  // Applies the events of one write transaction as they are received, part
  // by part. The follower saves the cursor after Finish in the same
  // transaction: all of it lands or none (an error from either rolls the
  // transaction back, and the events are read again from the cursor).
  class BatchApplier {
   public:
    virtual ~BatchApplier() = default;
    // Consecutive events (ascending sequences, none applied before), after
    // those of the previous call.
    virtual absl::Status Apply(absl::Span<const v1::Event> events) = 0;
    // After the last part, before the cursor is saved.
    virtual absl::Status Finish() = 0;
  };
  // The applier of one write transaction.
  using BeginBatch = std::function<std::unique_ptr<BatchApplier>(Transaction&)>;
  // How many queued events go together.
  struct Batching {
    // Events handed to Apply at once (at least 1); twice as many wait
    // received at most.
    int part = 1;
    // Events in one transaction at most (at least `part`): while more wait
    // when a part is applied, the transaction goes on with them.
    int64_t transaction = 1;
  };
  // Adds credentials (the follower's bearer token) to a fresh context.
  using PrepareContext = std::function<void(grpc::ClientContext&)>;

  // One event per transaction.
  EventFollower(Store& store, std::string source, OpenStream open, ApplyEvent apply,
                PrepareContext prepare);
  // Queued events in parts and transactions as `batching` says.
  EventFollower(Store& store, std::string source, OpenStream open, BeginBatch begin,
                PrepareContext prepare, Batching batching);
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
  // Events received but not applied yet.
  struct Inbox;

  void Run();
  // Receives `stream` on a reader thread and applies what arrives in
  // transactions until the stream ends or an apply fails (then cancels
  // `context`). Returns whether every transaction committed; `received`
  // tells whether any event arrived.
  bool FollowStream(grpc::ClientReaderInterface<v1::Event>& stream,
                    grpc::ClientContext& context, bool& received);
  // Moves up to `limit` waiting events into `part` (its applied events go
  // back to the inbox as spares first), skipping repeats of what was taken
  // before (`last_taken`); never waits.
  void TakePart(Inbox& inbox, int64_t limit, int64_t& last_taken,
                std::vector<v1::Event>& part);
  // Applies `part` and what keeps waiting after it, with the cursor, in one
  // transaction; false on failure.
  bool ApplyTransaction(Inbox& inbox, std::vector<v1::Event>& part, int64_t& last_taken);

  Store& store_;
  const std::string source_;
  const OpenStream open_;
  const BeginBatch begin_;
  const PrepareContext prepare_;
  const Batching batching_;
  std::atomic<int64_t> cursor_{0};
  std::atomic<bool> connected_{false};
  absl::Mutex mutex_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  grpc::ClientContext* active_context_ ABSL_GUARDED_BY(mutex_) = nullptr;
  std::thread thread_;
};

}  // namespace herstel

#endif  // HERSTEL_FOLLOWER_H_
