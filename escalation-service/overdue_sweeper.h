// Runs the overdue sweep on a background thread every `interval`: each
// escalation whose term ended gets its breach recorded once (and moves up
// when the term policy says so). Stop() ends and joins the thread; the
// destructor stops it too.
#ifndef HERSTEL_ESCALATION_OVERDUE_SWEEPER_H_
#define HERSTEL_ESCALATION_OVERDUE_SWEEPER_H_

#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace herstel::escalation {

class OverdueSweeper {
 public:
  // `sweep(limit)` records up to `limit` breaches and answers how many.
  using Sweep = std::function<absl::StatusOr<int>(int limit)>;

  OverdueSweeper(Sweep sweep, absl::Duration interval);
  ~OverdueSweeper();
  OverdueSweeper(const OverdueSweeper&) = delete;
  OverdueSweeper& operator=(const OverdueSweeper&) = delete;

  void Start();
  void Stop();

 private:
  void Run();

  // At most this many breaches per batch; a full batch is followed at once by the next.
  static constexpr int kBatch = 200;
  const Sweep sweep_;
  const absl::Duration interval_;
  absl::Mutex mutex_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace herstel::escalation

#endif  // HERSTEL_ESCALATION_OVERDUE_SWEEPER_H_
