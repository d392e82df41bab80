// herstel-loadgen: a closed-loop load generator for the Herstel services.
// N callers each run one scenario's operation back to back for a set time
// (and at most --max_operations each); it prints throughput, latency
// percentiles and errors by code, per kind of operation. A benchmark, never a
// test: the figures go into docs/benchmarks.md.
//
//   herstel-loadgen --scenario=empty --address=127.0.0.1:50052
//   herstel-loadgen --scenario=mandate-reserve-commit --lines=1000
//       --address=127.0.0.1:50052 --key_file=data/token.key   (one line)
//   herstel-loadgen --scenario=suite --key_file=data/token.key --callers=16 --seconds=30
//
// Scenarios:
//   empty                    grpc.health.v1 Check: what gRPC itself costs here
//   mandate-check            MandateService/CheckDecision (a case manager, EUR 42,000)
//   mandate-reserve-commit   CheckAndReserve then CommitReservation (a pair per op)
//                            over --lines budget lines (1 = one hot line);
//                            ends by checking that no line is overspent
//   case-get                 CaseService/GetCase of cases picked at random from
//                            the first --sample cases the service lists
//   case-list                CaseService/ListCases, municipality + phase filter, page of 50
//   monitor                  ReportingService/GetMonitor for one municipality (internal view)
//   suite                    all four services at once, a weighted --mix of reads and
//                            changes (see suite.h); --*_address name the services
#include <iostream>
#include <memory>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "calls.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "load_loop.h"
#include "suite.h"

ABSL_FLAG(std::string, scenario, "empty",
          "empty | mandate-check | mandate-reserve-commit | case-get | case-list | monitor | suite");
ABSL_FLAG(std::string, address, "127.0.0.1:50052",
          "the service to load (single-service scenarios); replicas comma-separated");
ABSL_FLAG(std::string, key_file, "data/token.key", "the suite's token key, to mint callers' tokens");
ABSL_FLAG(int, callers, 16, "concurrent callers (closed loop)");
ABSL_FLAG(int, seconds, 10, "how long to run");
ABSL_FLAG(int64_t, max_operations, 1'000'000, "at most this many operations per caller");
ABSL_FLAG(int, lines, 1000, "mandate-reserve-commit: budget lines to spread over (1 = one hot line)");
ABSL_FLAG(int, channels, 4, "gRPC channels (per service) the callers share round-robin");
ABSL_FLAG(int, sample, 10000, "case-get, suite: how many case names to pick from");
ABSL_FLAG(std::string, municipality, "municipalities/eemsdelta", "case-list, monitor: the municipality");
ABSL_FLAG(std::string, mix, herstel::loadgen::kDefaultSuiteMix,
          "suite: kind=weight,... (kinds left out weigh 0); see suite.h for the kinds");
ABSL_FLAG(std::string, case_address, "127.0.0.1:50051", "suite: the case-service");
ABSL_FLAG(std::string, mandate_address, "127.0.0.1:50052", "suite: the mandate-service");
ABSL_FLAG(std::string, escalation_address, "127.0.0.1:50053", "suite: the escalation-service");
ABSL_FLAG(std::string, reporting_address, "127.0.0.1:50054", "suite: the reporting-service");
ABSL_FLAG(std::string, reference_file, HERSTEL_LOADGEN_REFERENCE_FILE,
          "suite: the case-service's municipalities.json (villages for fresh addresses)");

namespace {

using namespace herstel::loadgen;  // NOLINT: the tool's own namespace
namespace v1 = herstel::v1;

constexpr char kLineMunicipality[] = "municipalities/eemsdelta";
constexpr int64_t kCheckAmountCents = 4'200'000;
constexpr int64_t kReserveAmountCents = 100'000;

// A scenario ready to run: its kinds, its operation, and what to do after.
struct Scenario {
  std::string label;
  std::vector<std::string> kinds;
  Operation operation;
  std::function<int()> after = [] { return 0; };
};

Attempt Only(grpc::Status status) { return Attempt{0, std::move(status), ""}; }

absl::StatusOr<Scenario> EmptyScenario(const std::string& address) {
  auto pool = std::make_shared<StubPool<grpc::health::v1::Health>>(address, absl::GetFlag(FLAGS_channels));
  return Scenario{"empty", {"empty"}, [pool](int caller, int64_t) {
                    grpc::health::v1::HealthCheckResponse response;
                    return Only(Call(pool->For(caller), &grpc::health::v1::Health::Stub::Check, "",
                                     grpc::health::v1::HealthCheckRequest(), &response));
                  }};
}

absl::StatusOr<Scenario> MandateScenario(const std::string& name, const herstel::TokenKey& key, int callers,
                                         const std::string& run) {
  auto pool =
      std::make_shared<StubPool<v1::MandateService>>(absl::GetFlag(FLAGS_address), absl::GetFlag(FLAGS_channels));
  auto tokens = std::make_shared<std::vector<std::string>>();
  for (int i = 0; i < callers; ++i) {
    tokens->push_back(Mint(key, v1::ROLE_NCG_RESIDENT_CASE_MANAGER, absl::StrCat("cm-", i), "NCG"));
  }
  if (name == "mandate-check") {
    return Scenario{
        name, {name}, [pool, tokens, run](int caller, int64_t sequence) {
          return Only(CheckDecision(pool->For(caller), (*tokens)[caller], kLineMunicipality, kCheckAmountCents,
                                    absl::StrCat(run, "-check-", caller, "-", sequence)));
        }};
  }
  const std::string operator_token = Mint(key, v1::ROLE_OPERATOR, "loadgen-operator", "NCG");
  auto lines = std::make_shared<std::vector<std::string>>();
  for (int i = 0; i < std::max(1, absl::GetFlag(FLAGS_lines)); ++i) {
    v1::CreateBudgetLineRequest request;
    request.set_budget_line_id(absl::StrCat("load-", run, "-", i));
    request.set_request_id(absl::StrCat("load-", run, "-line-", i));
    v1::BudgetLine* line = request.mutable_budget_line();
    line->set_display_name("Load test line");
    line->set_source(v1::BUDGET_SOURCE_SAFETY);
    line->set_owner("NCG");
    line->set_municipality(kLineMunicipality);
    line->set_year(2026);
    line->set_ceiling_cents(1'000'000'000'000);
    v1::BudgetLine created;
    grpc::Status status =
        Call(pool->For(0), &v1::MandateService::Stub::CreateBudgetLine, operator_token, request, &created);
    if (!status.ok())
      return absl::UnavailableError(absl::StrCat("cannot create budget lines: ", status.error_message()));
    lines->push_back(created.name());
  }
  Scenario scenario{
      absl::StrCat(name, " lines=", lines->size()), {name}, [pool, tokens, lines, run](int caller, int64_t sequence) {
        bool allowed = false;
        Attempt attempt =
            Only(ReserveAndCommit(pool->For(caller), (*tokens)[caller], kLineMunicipality,
                                  (*lines)[(caller * 7919 + sequence) % lines->size()], kReserveAmountCents,
                                  absl::StrCat(run, "-", caller, "-", sequence), &allowed));
        if (attempt.status.ok() && !allowed) attempt.refusal = kReserveNotAllowed;
        return attempt;
      }};
  scenario.after = [pool, lines, operator_token] {
    int overspent = 0;
    for (const std::string& name : *lines) {
      v1::GetBudgetLineRequest request;
      request.set_name(name);
      v1::BudgetLine line;
      if (Call(pool->For(0), &v1::MandateService::Stub::GetBudgetLine, operator_token, request, &line).ok() &&
          (line.available_cents() < 0 || line.reserved_cents() + line.committed_cents() > line.ceiling_cents())) {
        ++overspent;
      }
    }
    std::cout << "  overspent lines: " << overspent << "\n";
    return overspent > 0 ? 1 : 0;
  };
  return scenario;
}

absl::StatusOr<Scenario> CaseOrMonitorScenario(const std::string& name, const herstel::TokenKey& key) {
  const std::string address = absl::GetFlag(FLAGS_address);
  const int channels = absl::GetFlag(FLAGS_channels);
  const std::string token = Mint(key, v1::ROLE_OPERATOR, "loadgen-operator", "NCG");
  const std::string municipality = absl::GetFlag(FLAGS_municipality);
  if (name == "monitor") {
    auto pool = std::make_shared<StubPool<v1::ReportingService>>(address, channels);
    return Scenario{name, {name}, [pool, token, municipality](int caller, int64_t) {
                      return Only(GetMonitor(pool->For(caller), token, municipality));
                    }};
  }
  auto pool = std::make_shared<StubPool<v1::CaseService>>(address, channels);
  if (name == "case-list") {
    return Scenario{name, {name}, [pool, token, municipality](int caller, int64_t sequence) {
                      static const char* const kPhases[] = {"PHASE_INTAKE", "PHASE_INSPECTION", "PHASE_ASSESSMENT",
                                                            "PHASE_PLAN", "PHASE_EXECUTION"};
                      return Only(ListCases(pool->For(caller), token,
                                            absl::StrCat("municipality=", municipality,
                                                         " AND phase=", kPhases[(caller + sequence) % 5])));
                    }};
  }
  absl::StatusOr<std::vector<v1::Case>> cases = ListCaseSample(pool->For(0), token, absl::GetFlag(FLAGS_sample));
  if (!cases.ok()) return cases.status();
  if (cases->empty())
    return absl::FailedPreconditionError("the case-service holds no cases; load the demo region first");
  auto names = std::make_shared<std::vector<std::string>>();
  for (const v1::Case& one : *cases) names->push_back(one.name());
  return Scenario{name, {name}, [pool, token, names](int caller, int64_t sequence) {
                    v1::Case answer;
                    return Only(GetCase(pool->For(caller), token,
                                        (*names)[(caller * 7919 + sequence * 104729) % names->size()], &answer));
                  }};
}

absl::StatusOr<Scenario> SuiteScenario(const herstel::TokenKey& key, int callers, int64_t run_seconds) {
  absl::StatusOr<std::vector<int>> weights = ParseMix(absl::GetFlag(FLAGS_mix));
  if (!weights.ok()) return weights.status();
  absl::StatusOr<herstel::demo::Region> loaded = herstel::demo::Region::Load(absl::GetFlag(FLAGS_reference_file));
  if (!loaded.ok()) return loaded.status();
  auto region = std::make_shared<herstel::demo::Region>(std::move(*loaded));
  SuiteOptions options;
  options.case_address = absl::GetFlag(FLAGS_case_address);
  options.mandate_address = absl::GetFlag(FLAGS_mandate_address);
  options.escalation_address = absl::GetFlag(FLAGS_escalation_address);
  options.reporting_address = absl::GetFlag(FLAGS_reporting_address);
  options.channels = absl::GetFlag(FLAGS_channels);
  options.case_sample = absl::GetFlag(FLAGS_sample);
  options.weights = *weights;
  options.run_number = run_seconds;
  absl::StatusOr<std::unique_ptr<Suite>> prepared = Suite::Prepare(options, key, *region, callers);
  if (!prepared.ok()) return prepared.status();
  std::shared_ptr<Suite> suite = std::move(*prepared);
  std::cout << "suite: " << suite->Describe() << "\n";
  // The suite keeps a reference to the region: the lambda keeps both alive.
  return Scenario{"suite", SuiteKindNames(),
                  [suite, region](int caller, int64_t sequence) { return suite->Run(caller, sequence); }};
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string name = absl::GetFlag(FLAGS_scenario);
  const int callers = std::max(1, absl::GetFlag(FLAGS_callers));
  const absl::Time now = absl::Now();
  const std::string run = absl::StrCat(absl::ToUnixMillis(now));

  std::unique_ptr<herstel::TokenKey> key;
  if (name != "empty") {
    absl::StatusOr<herstel::TokenKey> loaded = herstel::TokenKey::FromFile(absl::GetFlag(FLAGS_key_file));
    if (!loaded.ok()) {
      std::cerr << loaded.status() << "\n";
      return 2;
    }
    key = std::make_unique<herstel::TokenKey>(*loaded);
  }

  absl::StatusOr<Scenario> scenario = absl::InvalidArgumentError(absl::StrCat("unknown scenario '", name, "'"));
  if (name == "empty") {
    scenario = EmptyScenario(absl::GetFlag(FLAGS_address));
  } else if (name == "mandate-check" || name == "mandate-reserve-commit") {
    scenario = MandateScenario(name, *key, callers, run);
  } else if (name == "case-get" || name == "case-list" || name == "monitor") {
    scenario = CaseOrMonitorScenario(name, *key);
  } else if (name == "suite") {
    scenario = SuiteScenario(*key, callers, absl::ToUnixSeconds(now));
  }
  if (!scenario.ok()) {
    std::cerr << "herstel-loadgen: " << scenario.status().message() << "\n";
    return scenario.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }

  LoopResult result = RunClosedLoop(callers, absl::Seconds(absl::GetFlag(FLAGS_seconds)),
                                    std::max<int64_t>(1, absl::GetFlag(FLAGS_max_operations)), scenario->kinds.size(),
                                    scenario->operation);
  std::cout << FormatReport(scenario->label, callers, scenario->kinds, result);
  return scenario->after();
}
