#include "overdue_sweeper.h"

#include <iostream>

namespace herstel::escalation {

OverdueSweeper::OverdueSweeper(Sweep sweep, absl::Duration interval)
    : sweep_(std::move(sweep)), interval_(interval) {}

OverdueSweeper::~OverdueSweeper() { Stop(); }

void OverdueSweeper::Start() { thread_ = std::thread([this] { Run(); }); }

void OverdueSweeper::Stop() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void OverdueSweeper::Run() {
  while (true) {
    absl::StatusOr<int> recorded = sweep_(kBatch);
    if (!recorded.ok()) {
      std::cerr << "{\"service\":\"escalation-service\",\"event\":\"overdue_sweep_failed\","
                   "\"code\":\""
                << absl::StatusCodeToString(recorded.status().code()) << "\"}" << std::endl;
    }
    const bool full_batch = recorded.ok() && *recorded == kBatch;
    absl::MutexLock lock(&mutex_);
    if (!full_batch) {
      mutex_.AwaitWithTimeout(absl::Condition(&stopping_), interval_);
    }
    if (stopping_) return;
  }
}

}  // namespace herstel::escalation
