// The closed loop of herstel-loadgen and its report.
//
// Contract:
// - RunClosedLoop starts `callers` threads; each runs `operation` back to back
//   until `duration` has passed or it has run `max_operations_per_caller`
//   operations, whichever comes first. Every operation says which kind it was
//   (an index into the kind names) and how it ended; the loop times it.
// - An operation never throws for a refusal: a gRPC error is recorded under
//   its code, a refusal carried in an OK answer (e.g. allowed=false) under the
//   `refusal` text. Neither stops the run.
// - FormatReport prints one line per kind that ran (throughput, p50/p95/p99,
//   max, share of operations and of the callers' time) with its errors by code
//   below it, and a total line when more than one kind ran. Percentiles are
//   nearest-rank over every operation of the kind.
#ifndef HERSTEL_TOOLS_LOADGEN_LOAD_LOOP_H_
#define HERSTEL_TOOLS_LOADGEN_LOAD_LOOP_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "grpcpp/support/status.h"

namespace herstel::loadgen {

// How one operation ended.
struct Attempt {
  int kind = 0;         // index into the scenario's kind names
  grpc::Status status;  // the status of its last call
  std::string refusal;  // non-empty: OK answer that refused (counted like an error)
};

// One operation of a scenario for (caller, sequence); sequence counts from 0 per caller.
using Operation = std::function<Attempt(int caller, int64_t sequence)>;

// What one kind of operation measured.
struct KindResult {
  std::vector<double> latencies_ms;       // one per operation, sorted by FormatReport's caller
  std::map<std::string, int64_t> errors;  // "INVALID_ARGUMENT (3)" or a refusal -> count
};

struct LoopResult {
  std::vector<KindResult> kinds;  // indexed like the kind names
  absl::Duration elapsed;
};

LoopResult RunClosedLoop(int callers, absl::Duration duration, int64_t max_operations_per_caller, size_t kind_count,
                         const Operation& operation);

// "scenario=... callers=..." header, then the lines described above.
std::string FormatReport(const std::string& scenario, int callers, const std::vector<std::string>& kind_names,
                         LoopResult& result);

// "FAILED_PRECONDITION (9)": the key errors are counted under.
std::string CodeName(grpc::StatusCode code);

}  // namespace herstel::loadgen

#endif  // HERSTEL_TOOLS_LOADGEN_LOAD_LOOP_H_
