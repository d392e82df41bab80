// herstel-demo: fills a running suite with the demo region, deterministic
// from --seed: the five Groningen municipalities with real village names,
// valid addresses, --cases cases (a few hundred to a million) with realistic
// risk categories, tracks, phases, flags and waiting times, clusters,
// bottlenecks, inspection requests, budget lines with ceilings, decision
// requests within and above mandate and escalations the ladder acts on.
// Safe to run again: a second run with the same flags changes nothing.
//
//   herstel-demo --key_file=data/token.key --seed=1 --cases=300
//
// Exit status: 0 done; 1 a call failed (the method, the request_id, the
// status and the service's error detail are printed); 2 bad flags.
#include <fstream>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "loader.h"
#include "region.h"

ABSL_FLAG(uint64_t, seed, 1, "seed of everything generated; the same seed gives the same region");
ABSL_FLAG(int64_t, cases, 300, "number of cases, 1 to 1,000,000 (the up command loads 300)");
ABSL_FLAG(std::string, key_file, "data/token.key", "the suite's token key, to mint the callers' tokens");
ABSL_FLAG(std::string, case_address, "127.0.0.1:50051", "the case-service");
ABSL_FLAG(std::string, mandate_address, "127.0.0.1:50052", "the mandate-service");
ABSL_FLAG(std::string, escalation_address, "127.0.0.1:50053", "the escalation-service");
ABSL_FLAG(std::string, reporting_address, "127.0.0.1:50054",
          "the reporting-service, waited for until it has followed everything; empty: don't wait");
ABSL_FLAG(std::string, reference_file, "",
          "the case-service's municipalities.json (default: the one in the source tree, else "
          "case-service/reference/municipalities.json from the working directory)");
ABSL_FLAG(std::string, as_of, "",
          "RFC 3339 moment the region's waiting times are counted back from (default 2026-11-01T00:00:00Z, "
          "or the start of today when that is earlier)");
ABSL_FLAG(int, parallel, 4, "concurrent callers for independent per-case changes");
ABSL_FLAG(int, timeout_ms, 60000, "deadline of each call in milliseconds");
ABSL_FLAG(int, settle_seconds, 60, "how long to wait for the followers to catch up at the end");
ABSL_FLAG(std::string, summary_json, "", "also write the summary as JSON to this file");
ABSL_FLAG(bool, cases_only, false,
          "import the cases and stop (for measuring BulkImportCases): no other steps, no waiting "
          "for the followers");

namespace {

constexpr int64_t kMaxCases = 1'000'000;

std::string DefaultReferenceFile() {
  const std::string in_tree = HERSTEL_DEMO_REFERENCE_FILE;
  if (std::ifstream(in_tree).good()) return in_tree;
  return "case-service/reference/municipalities.json";
}

// A fixed moment keeps the generated times (and so the requests) the same
// from run to run; a machine whose clock is earlier gets today instead.
absl::Time DefaultAsOf() {
  absl::Time fixed = absl::FromCivil(absl::CivilSecond(2026, 11, 1, 0, 0, 0), absl::UTCTimeZone());
  absl::Time today = absl::FromCivil(absl::ToCivilDay(absl::Now(), absl::UTCTimeZone()), absl::UTCTimeZone());
  return std::min(fixed, today);
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Fills a running Herstel suite with the demo region (safe to run again).");
  absl::ParseCommandLine(argc, argv);

  herstel::demo::LoaderOptions options;
  options.seed = absl::GetFlag(FLAGS_seed);
  options.cases = absl::GetFlag(FLAGS_cases);
  options.key_file = absl::GetFlag(FLAGS_key_file);
  options.case_address = absl::GetFlag(FLAGS_case_address);
  options.mandate_address = absl::GetFlag(FLAGS_mandate_address);
  options.escalation_address = absl::GetFlag(FLAGS_escalation_address);
  options.reporting_address = absl::GetFlag(FLAGS_reporting_address);
  options.parallel_callers = absl::GetFlag(FLAGS_parallel);
  options.call_timeout = absl::Milliseconds(absl::GetFlag(FLAGS_timeout_ms));
  options.settle_timeout = absl::Seconds(absl::GetFlag(FLAGS_settle_seconds));
  options.cases_only = absl::GetFlag(FLAGS_cases_only);
  if (options.cases < 1 || options.cases > kMaxCases) {
    std::cerr << "herstel-demo: --cases must be between 1 and " << kMaxCases << "\n";
    return 2;
  }
  if (options.parallel_callers < 1 || options.call_timeout <= absl::ZeroDuration()) {
    std::cerr << "herstel-demo: --parallel and --timeout_ms must be positive\n";
    return 2;
  }
  if (absl::GetFlag(FLAGS_as_of).empty()) {
    options.as_of = DefaultAsOf();
  } else {
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, absl::GetFlag(FLAGS_as_of), &options.as_of, &error) ||
        options.as_of > absl::Now()) {
      std::cerr << "herstel-demo: --as_of must be an RFC 3339 time not in the future"
                << (error.empty() ? "" : ": " + error) << "\n";
      return 2;
    }
  }
  std::string reference_file = absl::GetFlag(FLAGS_reference_file);
  if (reference_file.empty()) reference_file = DefaultReferenceFile();

  absl::StatusOr<herstel::demo::Region> region = herstel::demo::Region::Load(reference_file);
  if (!region.ok()) {
    std::cerr << "herstel-demo: " << region.status().message() << "\n";
    return 1;
  }
  std::cout << "herstel-demo: seed " << options.seed << ", " << options.cases << " cases, as of "
            << absl::FormatTime("%Y-%m-%d", options.as_of, absl::UTCTimeZone()) << " (case "
            << options.case_address << ", mandate " << options.mandate_address << ", escalation "
            << options.escalation_address << ")" << std::endl;
  absl::StatusOr<herstel::demo::Summary> summary = herstel::demo::LoadDemo(*region, options);
  if (!summary.ok()) {
    std::cerr << "herstel-demo: " << summary.status().message() << "\n";
    return 1;
  }
  std::cout << summary->ToText();
  const std::string summary_json = absl::GetFlag(FLAGS_summary_json);
  if (!summary_json.empty()) {
    std::ofstream out(summary_json);
    out << summary->ToJson(options.seed, options.cases) << "\n";
    if (!out) {
      std::cerr << "herstel-demo: cannot write " << summary_json << "\n";
      return 1;
    }
  }
  return 0;
}
