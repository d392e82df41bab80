// Benchmark data of the escalation-service: real SQLite store files filled
// through the service's own store code (EscalationStore::PutEscalation, the
// default bodies through body_loader) with `open_count` running escalations
// (open or acknowledged, levels 1-3, five municipalities, due times from the
// working-day calendar) of which exactly `overdue_count` are overdue at
// SweepMoment(). Deterministic from a fixed seed. Each shape is built once
// per process (or once per folder when ESCALATION_BENCH_DIR names a folder
// that keeps them) and copied for every run that changes it.
//
// Also: the in-process service the sweep runs on, and SweepAll, the loop the
// OverdueSweeper thread runs at one moment (batches until one is not full).
#ifndef HERSTEL_ESCALATION_BENCH_BENCH_DATASET_H_
#define HERSTEL_ESCALATION_BENCH_BENCH_DATASET_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "domain/clock.h"
#include "escalation_grpc_service.h"
#include "herstel/identity.h"
#include "herstel/store.h"

namespace herstel::escalation::bench {

struct DatasetShape {
  int open_count = 0;     // running escalations, the overdue ones included
  int overdue_count = 0;  // of which overdue at SweepMoment()
};

// Tuesday 16 June 2026, 10:00 in Europe/Amsterdam: the moment of the sweep.
absl::Time SweepMoment();
// The same moment as RFC 3339, for the service's --clock_file.
std::string SweepMomentText();

// The folder holding the store files (created on first use).
const std::string& DataFolder();
// Removes the folder unless ESCALATION_BENCH_DIR chose it (kept for re-runs).
void RemoveDataFolderUnlessKept();

// Path of a store file with `shape`, nothing swept yet.
absl::StatusOr<std::string> FreshStore(const DatasetShape& shape);
// Path of the same data after one sweep at SweepMoment(): every breach
// recorded, as in a service that has been running (what List reads).
absl::StatusOr<std::string> SweptStore(const DatasetShape& shape);
// Copies a closed store file to `to` (dropping a stale -wal/-shm beside it).
absl::Status CopyStore(const std::string& from, const std::string& to);

// A clock fixed at one moment.
class FixedClock : public Clock {
 public:
  explicit FixedClock(absl::Time now) : now_(now) {}
  absl::Time Now() const override { return now_; }

 private:
  const absl::Time now_;
};

// The key the in-process services sign with (the sweep verifies no token).
const TokenKey& BenchKey();
// The real service object over `store`; its mandate gateway points at a
// closed port (the sweep never calls the mandate-service).
std::unique_ptr<EscalationGrpcService> NewService(Store& store, const Clock& clock);
// One sweep at the clock's moment, as OverdueSweeper::Run does it: batches of
// kSweepBatch until a batch records fewer. Answers the breaches recorded.
inline constexpr int kSweepBatch = 200;  // OverdueSweeper::kBatch
absl::StatusOr<int> SweepAll(EscalationGrpcService& service);

}  // namespace herstel::escalation::bench

#endif  // HERSTEL_ESCALATION_BENCH_BENCH_DATASET_H_
