#include "load_loop.h"

#include <algorithm>
#include <atomic>
#include <numeric>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace herstel::loadgen {
namespace {

double Percentile(const std::vector<double>& sorted, double fraction) {
  if (sorted.empty()) return 0;
  size_t index = std::min(sorted.size() - 1, static_cast<size_t>(fraction * sorted.size()));
  return sorted[index];
}

int64_t ErrorCount(const KindResult& kind) {
  int64_t count = 0;
  for (const auto& [key, n] : kind.errors) count += n;
  return count;
}

// "operations=.. throughput=../s p50=.. p95=.. p99=.. max=.." of sorted latencies.
std::string Figures(const std::vector<double>& sorted, double seconds) {
  return absl::StrFormat("operations=%d throughput=%.1f/s p50=%.3fms p95=%.3fms p99=%.3fms max=%.3fms", sorted.size(),
                         sorted.size() / seconds, Percentile(sorted, 0.50), Percentile(sorted, 0.95),
                         Percentile(sorted, 0.99), sorted.empty() ? 0 : sorted.back());
}

void AppendErrors(std::string& out, const std::string& indent, const std::map<std::string, int64_t>& errors) {
  for (const auto& [key, count] : errors) absl::StrAppend(&out, indent, "errors ", key, ": ", count, "\n");
}

}  // namespace

std::string CodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {
      "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
      "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
      "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
      "DATA_LOSS", "UNAUTHENTICATED"};
  const int index = static_cast<int>(code);
  const char* name = index >= 0 && index < 17 ? kNames[index] : "CODE";
  return absl::StrCat(name, " (", index, ")");
}

LoopResult RunClosedLoop(int callers, absl::Duration duration, int64_t max_operations_per_caller, size_t kind_count,
                         const Operation& operation) {
  std::vector<std::vector<KindResult>> per_caller(callers, std::vector<KindResult>(kind_count));
  std::atomic<bool> stop{false};
  std::atomic<int> finished{0};
  std::vector<std::thread> threads;
  const absl::Time start = absl::Now();
  for (int caller = 0; caller < callers; ++caller) {
    threads.emplace_back([&, caller] {
      for (int64_t sequence = 0; sequence < max_operations_per_caller && !stop.load(); ++sequence) {
        const absl::Time begun = absl::Now();
        Attempt attempt = operation(caller, sequence);
        KindResult& kind = per_caller[caller][attempt.kind];
        kind.latencies_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - begun));
        if (!attempt.status.ok()) {
          kind.errors[CodeName(attempt.status.error_code())]++;
        } else if (!attempt.refusal.empty()) {
          kind.errors[attempt.refusal]++;
        }
      }
      finished.fetch_add(1);
    });
  }
  // Sleep in short steps so a run whose callers all hit the count bound ends early.
  const absl::Time deadline = start + duration;
  while (absl::Now() < deadline && finished.load() < callers) {
    absl::SleepFor(std::min(absl::Milliseconds(100), deadline - absl::Now()));
  }
  stop.store(true);
  for (std::thread& thread : threads) thread.join();

  LoopResult result;
  result.elapsed = absl::Now() - start;
  result.kinds.resize(kind_count);
  for (auto& kinds : per_caller) {
    for (size_t k = 0; k < kind_count; ++k) {
      KindResult& into = result.kinds[k];
      into.latencies_ms.insert(into.latencies_ms.end(), kinds[k].latencies_ms.begin(), kinds[k].latencies_ms.end());
      for (const auto& [key, count] : kinds[k].errors) into.errors[key] += count;
    }
  }
  return result;
}

std::string FormatReport(const std::string& scenario, int callers, const std::vector<std::string>& kind_names,
                         LoopResult& result) {
  const double seconds = absl::ToDoubleSeconds(result.elapsed);
  std::vector<double> all;
  std::map<std::string, int64_t> all_errors;
  int kinds_run = 0;
  for (KindResult& kind : result.kinds) {
    std::sort(kind.latencies_ms.begin(), kind.latencies_ms.end());
    all.insert(all.end(), kind.latencies_ms.begin(), kind.latencies_ms.end());
    for (const auto& [key, count] : kind.errors) all_errors[key] += count;
    if (!kind.latencies_ms.empty()) ++kinds_run;
  }
  std::sort(all.begin(), all.end());
  std::string out =
      absl::StrFormat("scenario=%s callers=%d seconds=%.1f %s\n", scenario, callers, seconds, Figures(all, seconds));
  if (kinds_run <= 1) {
    AppendErrors(out, "  ", all_errors);
    return out;
  }
  // "ops" is the share of operations, "time" the share of the callers' time.
  const double all_ms = std::max(1e-9, std::accumulate(all.begin(), all.end(), 0.0));
  absl::StrAppendFormat(&out, "  %-18s %8s %6s %6s %9s %9s %9s %9s %9s %7s\n", "kind", "ops", "ops%", "time%", "ops/s",
                        "p50 ms", "p95 ms", "p99 ms", "max ms", "errors");
  auto row = [&](const std::string& name, const std::vector<double>& sorted, int64_t errors) {
    absl::StrAppendFormat(&out, "  %-18s %8d %5.1f%% %5.1f%% %9.1f %9.3f %9.3f %9.3f %9.3f %7d\n", name, sorted.size(),
                          100.0 * sorted.size() / std::max<size_t>(1, all.size()),
                          100.0 * std::accumulate(sorted.begin(), sorted.end(), 0.0) / all_ms, sorted.size() / seconds,
                          Percentile(sorted, 0.50), Percentile(sorted, 0.95), Percentile(sorted, 0.99),
                          sorted.empty() ? 0 : sorted.back(), errors);
  };
  for (size_t k = 0; k < result.kinds.size(); ++k) {
    const KindResult& kind = result.kinds[k];
    if (kind.latencies_ms.empty()) continue;
    row(kind_names[k], kind.latencies_ms, ErrorCount(kind));
    AppendErrors(out, "      ", kind.errors);
  }
  int64_t total_errors = 0;
  for (const auto& [key, count] : all_errors) total_errors += count;
  row("total", all, total_errors);
  return out;
}

}  // namespace herstel::loadgen
