#include "expiry_sweeper.h"

#include "herstel/observability.h"
#include "ledger_operations.h"
#include "nlohmann/json.hpp"

namespace herstel::mandate {
namespace {

constexpr int kBatchSize = 200;

}  // namespace

ExpirySweeper::ExpirySweeper(Store& store, absl::Duration interval)
    : store_(store), interval_(interval), thread_([this] { Run(); }) {}

ExpirySweeper::~ExpirySweeper() { Stop(); }

void ExpirySweeper::Stop() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void ExpirySweeper::Run() {
  while (true) {
    {
      absl::MutexLock lock(&mutex_);
      auto stopping = [this]() ABSL_SHARED_LOCKS_REQUIRED(mutex_) { return stopping_; };
      mutex_.AwaitWithTimeout(absl::Condition(&stopping), interval_);
      if (stopping_) return;
    }
    int handled = kBatchSize;
    while (handled == kBatchSize) {
      handled = 0;
      absl::Status status = store_.Write([&](Transaction& tx) -> absl::Status {
        absl::StatusOr<int> count = ExpireDue(tx, absl::Now(), kBatchSize);
        if (!count.ok()) return count.status();
        handled = *count;
        return absl::OkStatus();
      });
      if (!status.ok()) {
        WriteLogLine(nlohmann::json{{"service", "mandate-service"}, {"event", "expiry_sweep_failed"},
                                    {"error", status.ToString()}}.dump());
        break;
      }
    }
  }
}

}  // namespace herstel::mandate
