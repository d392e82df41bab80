// Wakes event-stream readers when new events are committed, and tells them
// when the server is shutting down. Thread-safe.
#ifndef HERSTEL_EVENT_NOTIFIER_H_
#define HERSTEL_EVENT_NOTIFIER_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace herstel {

class EventNotifier {
 public:
  // Records that events up to `sequence` are committed and wakes waiters.
  void Publish(int64_t sequence);
  // Wakes every waiter for good: the server is shutting down.
  void Close();
  // Blocks until an event after `sequence` is committed, Close is called or
  // `timeout` passes. Returns the latest committed sequence.
  int64_t WaitForEventAfter(int64_t sequence, absl::Duration timeout);
  bool closed() const;
  int64_t latest_sequence() const;

 private:
  mutable absl::Mutex mutex_;
  int64_t latest_sequence_ ABSL_GUARDED_BY(mutex_) = 0;
  bool closed_ ABSL_GUARDED_BY(mutex_) = false;
};

}  // namespace herstel

#endif  // HERSTEL_EVENT_NOTIFIER_H_
