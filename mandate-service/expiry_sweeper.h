// Releases expired reservations and lapses expired authorisations on a
// background thread, a bounded batch per transaction, every `interval`.
#ifndef HERSTEL_MANDATE_EXPIRY_SWEEPER_H_
#define HERSTEL_MANDATE_EXPIRY_SWEEPER_H_

#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "herstel/store.h"

namespace herstel::mandate {

class ExpirySweeper {
 public:
  ExpirySweeper(Store& store, absl::Duration interval);
  ~ExpirySweeper();
  ExpirySweeper(const ExpirySweeper&) = delete;
  ExpirySweeper& operator=(const ExpirySweeper&) = delete;

  // Stops the thread after its current batch; idempotent.
  void Stop();

 private:
  void Run();

  Store& store_;
  const absl::Duration interval_;
  absl::Mutex mutex_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace herstel::mandate

#endif  // HERSTEL_MANDATE_EXPIRY_SWEEPER_H_
