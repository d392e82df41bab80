// escalation_bench: the overdue benchmark of the escalation-service (issue 5:
// "100,000 open escalations: finding the overdue ones at a moment must cost
// per overdue item, not per open item; a sweep <= 100 ms, List overdue page
// p99 <= 20 ms"). A benchmark, not a test: it is not registered with ctest.
//
//  BM_Sweep          one overdue sweep at the moment, as the OverdueSweeper
//                    thread runs it (EscalationGrpcService::SweepOverdue in
//                    batches of 200: find the candidates in the index of
//                    unbreached running due times, then record each breach
//                    in its own write transaction with its event), on a
//                    fresh copy of the store each iteration.
//  BM_FindOverdue    the finding part alone: every breach candidate at the
//                    moment (EscalationStore::BreachCandidates), read-only.
//  BM_ListOverdueStore   ListEscalations(overdue=true), first page of 50, at
//                    the store (no gRPC), on the store after the sweep.
//  BM_ListOverdueGrpc    the same call through the real escalation-service
//                    process over loopback gRPC (token checked, filter
//                    parsed, 50 escalations mapped and serialised).
//
// Args: open = running escalations (the overdue ones included), overdue =
// how many of them are overdue at the moment; auto = auto-escalation on for
// levels 1 and 2 (a breach then also moves the escalation up); order 0 =
// the default order (create_time desc), 1 = order_by "due_time".
// Latency benchmarks report p50_ms / p99_ms / max_ms over their iterations.
// ESCALATION_BENCH_DIR=<folder> keeps the generated stores there for re-runs.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench_dataset.h"
#include "benchmark/benchmark.h"
#include "domain/policies.h"
#include "grpcpp/client_context.h"
#include "harness/service_process.h"
#include "herstel/v1/escalation_service.grpc.pb.h"
#include "store/escalation_store.h"

namespace herstel::escalation::bench {
namespace {

using Clock = std::chrono::steady_clock;

// CPU time of the calling thread, in ms (the sweep's writes run on it: the
// store's group commit lets the caller lead its own write).
double ThreadCpuMilliseconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

double MillisecondsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Nearest-rank percentile of `samples` (sorted in place).
double Percentile(std::vector<double>& samples, double fraction) {
  std::sort(samples.begin(), samples.end());
  const size_t rank = static_cast<size_t>(std::ceil(fraction * static_cast<double>(samples.size())));
  return samples[std::max<size_t>(rank, 1) - 1];
}

void ReportLatencies(benchmark::State& state, std::vector<double>& milliseconds) {
  if (milliseconds.empty()) return;
  state.counters["p50_ms"] = Percentile(milliseconds, 0.50);
  state.counters["p99_ms"] = Percentile(milliseconds, 0.99);
  state.counters["max_ms"] = milliseconds.back();
}

DatasetShape ShapeOf(const benchmark::State& state) {
  return DatasetShape{static_cast<int>(state.range(0)), static_cast<int>(state.range(1))};
}

// Auto-escalation on for levels 1 and 2 (level 3 is the top and may not).
absl::Status TurnOnAutoEscalation(Store& store) {
  return store.Write([](Transaction& tx) -> absl::Status {
    TermPolicy policy = DefaultTermPolicy();
    for (LevelTerm& term : policy.levels) {
      term.auto_escalate = term.level != v1::ESCALATION_LEVEL_REGIONAL_CONSULTATION;
    }
    policy.etag = NewEtag();
    return EscalationStore::PutTermPolicy(tx, policy);
  });
}

void BM_Sweep(benchmark::State& state) {
  const DatasetShape shape = ShapeOf(state);
  const bool auto_escalate = state.range(2) != 0;
  absl::StatusOr<std::string> fresh = FreshStore(shape);
  if (!fresh.ok()) {
    state.SkipWithError(fresh.status().ToString().c_str());
    return;
  }
  const std::string work = DataFolder() + "/sweep-work.db";
  std::vector<double> milliseconds;
  std::vector<double> cpu_milliseconds;
  for (auto _ : state) {
    // Untimed: a fresh copy, so every iteration finds the same breaches.
    absl::Status copied = CopyStore(*fresh, work);
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(work, EscalationMigrations());
    if (copied.ok() && store.ok() && auto_escalate) copied = TurnOnAutoEscalation(**store);
    if (!copied.ok() || !store.ok()) {
      state.SkipWithError(!copied.ok() ? copied.ToString().c_str() : store.status().ToString().c_str());
      break;
    }
    FixedClock clock(SweepMoment());
    std::unique_ptr<EscalationGrpcService> service = NewService(**store, clock);

    const Clock::time_point start = Clock::now();
    const double cpu_start = ThreadCpuMilliseconds();
    absl::StatusOr<int> recorded = SweepAll(*service);
    const double elapsed = MillisecondsSince(start);
    cpu_milliseconds.push_back(ThreadCpuMilliseconds() - cpu_start);
    state.SetIterationTime(elapsed / 1000.0);
    milliseconds.push_back(elapsed);
    if (!recorded.ok() || *recorded != shape.overdue_count) {
      state.SkipWithError(recorded.ok() ? "the sweep recorded the wrong number of breaches"
                                        : recorded.status().ToString().c_str());
      break;
    }
  }
  ReportLatencies(state, milliseconds);
  if (!milliseconds.empty()) {
    // The CPU column of a manual-time benchmark also counts the untimed copy;
    // sweep_cpu_ms is the sweep's own thread CPU.
    state.counters["sweep_cpu_ms"] = Percentile(cpu_milliseconds, 0.50);
    state.counters["us_per_overdue"] = 1000.0 * Percentile(milliseconds, 0.50) /
                                       std::max(1, shape.overdue_count);
  }
}
BENCHMARK(BM_Sweep)
    ->ArgNames({"open", "overdue", "auto"})
    ->Args({100'000, 100, 0})
    ->Args({100'000, 1'000, 0})
    ->Args({100'000, 10'000, 0})
    ->Args({10'000, 100, 0})
    ->Args({10'000, 1'000, 0})
    ->Args({100'000, 1'000, 1})
    ->Iterations(7)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

void BM_FindOverdue(benchmark::State& state) {
  const DatasetShape shape = ShapeOf(state);
  absl::StatusOr<std::string> fresh = FreshStore(shape);
  const std::string work = DataFolder() + "/find-work.db";
  absl::Status copied = fresh.ok() ? CopyStore(*fresh, work) : fresh.status();
  absl::StatusOr<std::unique_ptr<Store>> store =
      copied.ok() ? Store::Open(work, EscalationMigrations()) : copied;
  if (!store.ok()) {
    state.SkipWithError(store.status().ToString().c_str());
    return;
  }
  std::vector<double> milliseconds;
  for (auto _ : state) {
    const Clock::time_point start = Clock::now();
    size_t found = 0;
    absl::Status read = (*store)->Read([&](Transaction& tx) -> absl::Status {
      absl::StatusOr<std::vector<Escalation>> due =
          EscalationStore::BreachCandidates(tx, SweepMoment(), shape.open_count);
      if (!due.ok()) return due.status();
      found = due->size();
      return absl::OkStatus();
    });
    milliseconds.push_back(MillisecondsSince(start));
    if (!read.ok() || found != static_cast<size_t>(shape.overdue_count)) {
      state.SkipWithError(read.ok() ? "found the wrong number of candidates" : read.ToString().c_str());
      break;
    }
  }
  ReportLatencies(state, milliseconds);
}
BENCHMARK(BM_FindOverdue)
    ->ArgNames({"open", "overdue"})
    ->Args({100'000, 100})
    ->Args({100'000, 1'000})
    ->Args({100'000, 10'000})
    ->Args({10'000, 100})
    ->Args({10'000, 1'000})
    ->Unit(benchmark::kMillisecond);

void BM_ListOverdueStore(benchmark::State& state) {
  const DatasetShape shape = ShapeOf(state);
  absl::StatusOr<std::string> swept = SweptStore(shape);
  const std::string work = DataFolder() + "/list-work.db";
  absl::Status copied = swept.ok() ? CopyStore(*swept, work) : swept.status();
  absl::StatusOr<std::unique_ptr<Store>> store =
      copied.ok() ? Store::Open(work, EscalationMigrations()) : copied;
  if (!store.ok()) {
    state.SkipWithError(store.status().ToString().c_str());
    return;
  }
  EscalationQuery query;
  query.overdue = true;
  query.now = SweepMoment();
  query.limit = 50;
  query.order_by_due_time = state.range(2) != 0;
  const size_t expected = static_cast<size_t>(std::min(50, shape.overdue_count));
  std::vector<double> milliseconds;
  for (auto _ : state) {
    const Clock::time_point start = Clock::now();
    size_t listed = 0;
    absl::Status read = (*store)->Read([&](Transaction& tx) -> absl::Status {
      absl::StatusOr<Page<Escalation>> page = EscalationStore::ListEscalations(tx, query);
      if (!page.ok()) return page.status();
      listed = page->items.size();
      return absl::OkStatus();
    });
    milliseconds.push_back(MillisecondsSince(start));
    if (!read.ok() || listed != expected) {
      state.SkipWithError(read.ok() ? "listed the wrong number of escalations" : read.ToString().c_str());
      break;
    }
  }
  ReportLatencies(state, milliseconds);
}
BENCHMARK(BM_ListOverdueStore)
    ->ArgNames({"open", "overdue", "order"})
    ->Args({100'000, 100, 0})
    ->Args({100'000, 1'000, 0})
    ->Args({10'000, 1'000, 0})
    ->Args({100'000, 100, 1})
    ->Args({100'000, 1'000, 1})
    ->Iterations(1'000)
    ->Unit(benchmark::kMillisecond);

void BM_ListOverdueGrpc(benchmark::State& state) {
  const DatasetShape shape = ShapeOf(state);
  absl::StatusOr<std::string> swept = SweptStore(shape);
  if (!swept.ok()) {
    state.SkipWithError(swept.status().ToString().c_str());
    return;
  }
  // The harness starts the binary with --store=<its folder>/escalation/store.db.
  testing::TestEnvironment environment;
  const std::string folder = environment.directory() + "/escalation";
  std::filesystem::create_directories(folder);
  const std::string clock_file = environment.directory() + "/now.txt";
  {
    std::ofstream out(clock_file);
    out << SweepMomentText() << "\n";
  }
  absl::Status copied = CopyStore(*swept, folder + "/store.db");
  absl::StatusOr<std::unique_ptr<testing::ServiceProcess>> process =
      copied.ok() ? environment.StartService(ESCALATION_SERVICE_BINARY, "escalation",
                                             {"--clock_file=" + clock_file, "--bodies_file=",
                                              "--mandate_address=127.0.0.1:1",
                                              "--sweep_interval_ms=3600000"})
                  : copied;
  if (!process.ok()) {
    state.SkipWithError(process.status().ToString().c_str());
    return;
  }
  std::unique_ptr<v1::EscalationService::Stub> stub =
      v1::EscalationService::NewStub((*process)->channel());
  const std::string authorization =
      "Bearer " + environment.Token(v1::ROLE_NATIONAL_COORDINATOR, {"*"}, "ncg-bench");
  v1::ListEscalationsRequest request;
  request.set_filter("overdue=true");
  request.set_page_size(50);
  if (state.range(2) != 0) request.set_order_by("due_time");
  const int expected = std::min(50, shape.overdue_count);
  auto call = [&]() -> grpc::Status {
    grpc::ClientContext context;
    context.AddMetadata("authorization", authorization);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::ListEscalationsResponse response;
    grpc::Status status = stub->ListEscalations(&context, request, &response);
    if (status.ok() && response.escalations_size() != expected) {
      return grpc::Status(grpc::StatusCode::INTERNAL, "listed the wrong number of escalations");
    }
    return status;
  };
  for (int i = 0; i < 20; ++i) call();  // connection set up, caches warm
  std::vector<double> milliseconds;
  for (auto _ : state) {
    const Clock::time_point start = Clock::now();
    grpc::Status status = call();
    milliseconds.push_back(MillisecondsSince(start));
    if (!status.ok()) {
      state.SkipWithError(status.error_message().c_str());
      break;
    }
  }
  ReportLatencies(state, milliseconds);
  (*process)->Terminate(absl::Seconds(10)).IgnoreError();
}
BENCHMARK(BM_ListOverdueGrpc)
    ->ArgNames({"open", "overdue", "order"})
    ->Args({100'000, 100, 0})
    ->Args({100'000, 1'000, 0})
    ->Args({10'000, 1'000, 0})
    ->Args({100'000, 100, 1})
    ->Args({100'000, 1'000, 1})
    ->Iterations(2'000)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace herstel::escalation::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("sweep_moment", herstel::escalation::bench::SweepMomentText());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  herstel::escalation::bench::RemoveDataFolderUnlessKept();
  return 0;
}
