// Loads the demo region into a running suite over gRPC: budget lines, body
// seats, cases (BulkImportCases, 1000 rows a message), clusters, bottlenecks,
// inspection requests, decision requests and what the ladder does with the
// escalated ones; then waits until the followers (case-service outcomes,
// reporting-service) have caught up.
//
// Contract:
// - Safe to run again: every step first reads what exists (List/Get) and only
//   makes what is missing, and every change carries a request_id derived from
//   the seed and the item, so a retry or a second run changes nothing.
// - Tokens are minted from the suite's key file: an operator, the cases'
//   contact persons (scoped to their municipality), a case manager per
//   municipality for clusters, and a steering-group member per body seat.
// - The first failing call ends the run: its status carries the method, the
//   request_id, the code, the message and the service's error detail.
// - One exception: a case-service started without --mandate_address or
//   --escalation_address (PEER_NOT_CONFIGURED) can make no decision requests
//   and escalate nothing; those steps are left out and Summary::warnings says
//   so and how to wire it.
#ifndef HERSTEL_TOOLS_DEMO_LOADER_H_
#define HERSTEL_TOOLS_DEMO_LOADER_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "region.h"

namespace herstel::demo {

struct LoaderOptions {
  std::string case_address;
  std::string mandate_address;
  std::string escalation_address;
  std::string reporting_address;  // empty: don't wait for the reporting-service
  std::string key_file;
  uint64_t seed = 1;
  int64_t cases = 300;
  absl::Time as_of;
  int parallel_callers = 4;                           // for independent per-case changes
  absl::Duration call_timeout = absl::Seconds(60);    // per unary call
  absl::Duration settle_timeout = absl::Seconds(60);  // waiting for followers
  // Only the cases (for measuring the import): no budget lines, bodies,
  // clusters, requests or escalations, and no waiting for the followers.
  bool cases_only = false;
};

// One kind of thing the demo holds: how many exist now, how many this run made or changed.
struct KindCount {
  std::string key;    // "cases", for the JSON summary
  std::string label;  // "cases", for people
  int64_t total = 0;
  int64_t changed = 0;
};

struct Summary {
  std::vector<KindCount> kinds;
  int64_t imported_cases = 0;
  absl::Duration import_time;
  absl::Duration elapsed;
  std::vector<std::pair<std::string, absl::Duration>> steps;  // time per step, in order
  // Steps left out because the suite is not wired for them, with the fix.
  std::vector<std::string> warnings;

  const KindCount* Find(const std::string& key) const;
  // The table printed at the end of a run.
  std::string ToText() const;
  // {"seed": .., "cases": .., "kinds": {"cases": {"total": .., "new": ..}, ...}, ...}
  std::string ToJson(uint64_t seed, int64_t cases) const;
};

// Runs every step against the services named in `options`.
absl::StatusOr<Summary> LoadDemo(const Region& region, const LoaderOptions& options);

}  // namespace herstel::demo

#endif  // HERSTEL_TOOLS_DEMO_LOADER_H_
