#include "herstel/event_notifier.h"

#include <algorithm>

namespace herstel {

void EventNotifier::Publish(int64_t sequence) {
  absl::MutexLock lock(&mutex_);
  latest_sequence_ = std::max(latest_sequence_, sequence);
}

void EventNotifier::Close() {
  absl::MutexLock lock(&mutex_);
  closed_ = true;
}

int64_t EventNotifier::WaitForEventAfter(int64_t sequence, absl::Duration timeout) {
  absl::MutexLock lock(&mutex_);
  auto ready = [this, sequence]() ABSL_SHARED_LOCKS_REQUIRED(mutex_) {
    return closed_ || latest_sequence_ > sequence;
  };
  mutex_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  return latest_sequence_;
}

bool EventNotifier::closed() const {
  absl::MutexLock lock(&mutex_);
  return closed_;
}

int64_t EventNotifier::latest_sequence() const {
  absl::MutexLock lock(&mutex_);
  return latest_sequence_;
}

}  // namespace herstel
