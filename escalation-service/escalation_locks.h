// In-process exclusion per escalation. Every change of an escalation holds
// its lock, so DecideEscalation and RetryReservation can call the
// mandate-service between reading and recording without anyone else
// changing the escalation in between (the store's writer lock can't be held
// across a network call). Thread-safe.
#ifndef HERSTEL_ESCALATION_ESCALATION_LOCKS_H_
#define HERSTEL_ESCALATION_ESCALATION_LOCKS_H_

#include <optional>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace herstel::escalation {

class EscalationLocks {
 public:
  // Holds one escalation's lock until destroyed.
  class Hold {
   public:
    Hold(EscalationLocks* locks, std::string name) : locks_(locks), name_(std::move(name)) {}
    Hold(Hold&& other) noexcept : locks_(other.locks_), name_(std::move(other.name_)) {
      other.locks_ = nullptr;
    }
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;
    Hold& operator=(Hold&&) = delete;
    ~Hold() {
      if (locks_ != nullptr) locks_->Release(name_);
    }

   private:
    EscalationLocks* locks_;
    std::string name_;
  };

  // Waits until `name` is free and takes it.
  Hold Acquire(const std::string& name) {
    struct Free {
      const std::set<std::string>* held;
      const std::string* name;
    };
    absl::MutexLock lock(&mutex_);
    Free free{&held_, &name};
    mutex_.Await(absl::Condition(
        +[](Free* state) { return state->held->count(*state->name) == 0; }, &free));
    held_.insert(name);
    return Hold(this, name);
  }

  // Takes `name` if it is free now.
  std::optional<Hold> TryAcquire(const std::string& name) {
    absl::MutexLock lock(&mutex_);
    if (!held_.insert(name).second) return std::nullopt;
    return Hold(this, name);
  }

 private:
  void Release(const std::string& name) {
    absl::MutexLock lock(&mutex_);
    held_.erase(name);
  }

  absl::Mutex mutex_;
  std::set<std::string> held_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace herstel::escalation

#endif  // HERSTEL_ESCALATION_ESCALATION_LOCKS_H_
