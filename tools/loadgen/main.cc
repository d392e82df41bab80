// herstel-loadgen: a closed-loop load generator for the Herstel services.
// N callers each run one scenario's operation back to back for a set time;
// it prints throughput, latency percentiles and errors by code. A benchmark,
// never a test: the figures go into docs/benchmarks.md.
//
//   herstel-loadgen --scenario=empty --address=127.0.0.1:50052
//   herstel-loadgen --scenario=mandate-reserve-commit --lines=1000
//       --address=127.0.0.1:50052 --key_file=data/token.key   (one line)
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
#include <algorithm>
#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "herstel/identity.h"
#include "herstel/v1/case_service.grpc.pb.h"
#include "herstel/v1/mandate_service.grpc.pb.h"
#include "herstel/v1/reporting_service.grpc.pb.h"

ABSL_FLAG(std::string, scenario, "empty",
          "empty | mandate-check | mandate-reserve-commit | case-get | case-list | monitor");
ABSL_FLAG(std::string, address, "127.0.0.1:50052", "the service to load");
ABSL_FLAG(std::string, key_file, "data/token.key", "the suite's token key, to mint callers' tokens");
ABSL_FLAG(int, callers, 16, "concurrent callers (closed loop)");
ABSL_FLAG(int, seconds, 10, "how long to run");
ABSL_FLAG(int, lines, 1000, "mandate-reserve-commit: budget lines to spread over (1 = one hot line)");
ABSL_FLAG(int, channels, 4, "gRPC channels the callers share round-robin");
ABSL_FLAG(int, sample, 10000, "case-get: how many case names to pick from");
ABSL_FLAG(std::string, municipality, "municipalities/eemsdelta", "case-list, monitor: the municipality");

namespace {

using herstel::v1::MandateService;

constexpr char kMunicipality[] = "municipalities/eemsdelta";

struct Outcome {
  std::vector<double> latencies_ms;
  std::map<std::string, int64_t> errors;
};

std::string Mint(const herstel::TokenKey& key, herstel::v1::Role role, const std::string& subject,
                 const std::string& organisation) {
  herstel::Caller caller{subject, organisation, role, {"*"}, absl::Now() + absl::Hours(2)};
  return key.Mint(caller);
}

// One operation of a scenario; returns the gRPC status of its last call.
using Operation = std::function<grpc::Status(int caller, int64_t sequence)>;

double Percentile(std::vector<double>& sorted, double fraction) {
  if (sorted.empty()) return 0;
  size_t index = std::min(sorted.size() - 1, static_cast<size_t>(fraction * sorted.size()));
  return sorted[index];
}

void Report(const std::string& scenario, int callers, absl::Duration elapsed, std::vector<Outcome>& outcomes) {
  std::vector<double> all;
  std::map<std::string, int64_t> errors;
  for (auto& outcome : outcomes) {
    all.insert(all.end(), outcome.latencies_ms.begin(), outcome.latencies_ms.end());
    for (auto& [code, count] : outcome.errors) errors[code] += count;
  }
  std::sort(all.begin(), all.end());
  double seconds = absl::ToDoubleSeconds(elapsed);
  std::cout << absl::StrFormat(
      "scenario=%s callers=%d seconds=%.1f operations=%d throughput=%.0f/s p50=%.3fms p95=%.3fms "
      "p99=%.3fms max=%.3fms\n",
      scenario, callers, seconds, all.size(), all.size() / seconds, Percentile(all, 0.50),
      Percentile(all, 0.95), Percentile(all, 0.99), all.empty() ? 0 : all.back());
  for (auto& [code, count] : errors) std::cout << "  errors " << code << ": " << count << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string scenario = absl::GetFlag(FLAGS_scenario);
  const int callers = absl::GetFlag(FLAGS_callers);
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < std::max(1, absl::GetFlag(FLAGS_channels)); ++i) {
    grpc::ChannelArguments arguments;
    arguments.SetInt("grpc.channel_id", i);  // distinct channels, distinct connections
    channels.push_back(grpc::CreateCustomChannel(absl::GetFlag(FLAGS_address),
                                                 grpc::InsecureChannelCredentials(), arguments));
  }
  auto channel_of = [&](int caller) { return channels[caller % channels.size()]; };

  std::unique_ptr<herstel::TokenKey> key;
  if (scenario != "empty") {
    absl::StatusOr<herstel::TokenKey> loaded = herstel::TokenKey::FromFile(absl::GetFlag(FLAGS_key_file));
    if (!loaded.ok()) {
      std::cerr << loaded.status() << "\n";
      return 2;
    }
    key = std::make_unique<herstel::TokenKey>(*loaded);
  }
  const std::string run = absl::StrCat(absl::ToUnixMillis(absl::Now()));

  Operation operation;
  std::vector<std::string> lines;
  std::string operator_token, service_token;
  if (scenario == "empty") {
    operation = [&](int caller, int64_t) {
      auto stub = grpc::health::v1::Health::NewStub(channel_of(caller));
      grpc::ClientContext context;
      grpc::health::v1::HealthCheckRequest request;
      grpc::health::v1::HealthCheckResponse response;
      return stub->Check(&context, request, &response);
    };
  } else if (scenario == "mandate-check" || scenario == "mandate-reserve-commit") {
    operator_token = Mint(*key, herstel::v1::ROLE_OPERATOR, "loadgen-operator", "NCG");
    service_token = Mint(*key, herstel::v1::ROLE_SERVICE, "loadgen", "herstel");
    int line_count = scenario == "mandate-check" ? 0 : std::max(1, absl::GetFlag(FLAGS_lines));
    auto stub = MandateService::NewStub(channels[0]);
    for (int i = 0; i < line_count; ++i) {
      herstel::v1::CreateBudgetLineRequest request;
      request.set_budget_line_id(absl::StrCat("load-", run, "-", i));
      request.set_request_id(absl::StrCat("load-", run, "-line-", i));
      auto* line = request.mutable_budget_line();
      line->set_display_name("Load test line");
      line->set_source(herstel::v1::BUDGET_SOURCE_SAFETY);
      line->set_owner("NCG");
      line->set_municipality(kMunicipality);
      line->set_year(2026);
      line->set_ceiling_cents(1'000'000'000'000);
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + operator_token);
      herstel::v1::BudgetLine created;
      grpc::Status status = stub->CreateBudgetLine(&context, request, &created);
      if (!status.ok()) {
        std::cerr << "cannot create budget lines: " << status.error_message() << "\n";
        return 1;
      }
      lines.push_back(created.name());
    }
    std::vector<std::string> tokens;
    for (int i = 0; i < callers; ++i) {
      tokens.push_back(Mint(*key, herstel::v1::ROLE_NCG_RESIDENT_CASE_MANAGER, absl::StrCat("cm-", i), "NCG"));
    }
    if (scenario == "mandate-check") {
      operation = [&, tokens](int caller, int64_t sequence) {
        auto stub = MandateService::NewStub(channel_of(caller));
        grpc::ClientContext context;
        context.AddMetadata("authorization", "Bearer " + tokens[caller]);
        herstel::v1::CheckDecisionRequest request;
        request.set_kind(herstel::v1::DECISION_KIND_CUSTOM_SOLUTION);
        request.set_amount_cents(4'200'000);
        request.set_municipality(kMunicipality);
        request.set_request_id(absl::StrCat(run, "-check-", caller, "-", sequence));
        herstel::v1::CheckDecisionResponse response;
        return stub->CheckDecision(&context, request, &response);
      };
    } else {
      operation = [&, tokens](int caller, int64_t sequence) {
        auto stub = MandateService::NewStub(channel_of(caller));
        herstel::v1::CheckAndReserveRequest reserve;
        reserve.set_kind(herstel::v1::DECISION_KIND_CUSTOM_SOLUTION);
        reserve.set_municipality(kMunicipality);
        auto* part = reserve.add_lines();
        part->set_budget_line(lines[(caller * 7919 + sequence) % lines.size()]);
        part->set_amount_cents(100'000);
        reserve.set_reference("loadgen");
        reserve.set_request_id(absl::StrCat(run, "-reserve-", caller, "-", sequence));
        herstel::v1::CheckAndReserveResponse reserved;
        grpc::ClientContext reserve_context;
        reserve_context.AddMetadata("authorization", "Bearer " + tokens[caller]);
        grpc::Status status = stub->CheckAndReserve(&reserve_context, reserve, &reserved);
        if (!status.ok() || !reserved.result().allowed()) return status;
        herstel::v1::CommitReservationRequest commit;
        commit.set_name(reserved.reservation().name());
        commit.set_request_id(absl::StrCat(run, "-commit-", caller, "-", sequence));
        herstel::v1::Reservation committed;
        grpc::ClientContext commit_context;
        commit_context.AddMetadata("authorization", "Bearer " + tokens[caller]);
        return stub->CommitReservation(&commit_context, commit, &committed);
      };
    }
  } else if (scenario == "case-get" || scenario == "case-list" || scenario == "monitor") {
    operator_token = Mint(*key, herstel::v1::ROLE_OPERATOR, "loadgen-operator", "NCG");
    std::vector<std::string> cases;
    if (scenario == "case-get") {
      auto stub = herstel::v1::CaseService::NewStub(channels[0]);
      herstel::v1::ListCasesRequest list;
      list.set_page_size(1000);
      list.set_order_by("create_time");
      while (static_cast<int>(cases.size()) < absl::GetFlag(FLAGS_sample)) {
        grpc::ClientContext context;
        context.AddMetadata("authorization", "Bearer " + operator_token);
        herstel::v1::ListCasesResponse page;
        grpc::Status status = stub->ListCases(&context, list, &page);
        if (!status.ok()) {
          std::cerr << "cannot list cases: " << status.error_message() << "\n";
          return 1;
        }
        for (const auto& one : page.cases()) cases.push_back(one.name());
        if (page.next_page_token().empty()) break;
        list.set_page_token(page.next_page_token());
      }
      if (cases.empty()) {
        std::cerr << "the case-service holds no cases; load the demo region first\n";
        return 1;
      }
    }
    const std::string municipality = absl::GetFlag(FLAGS_municipality);
    if (scenario == "case-get") {
      operation = [&, cases](int caller, int64_t sequence) {
        auto stub = herstel::v1::CaseService::NewStub(channel_of(caller));
        grpc::ClientContext context;
        context.AddMetadata("authorization", "Bearer " + operator_token);
        herstel::v1::GetCaseRequest request;
        request.set_name(cases[(caller * 7919 + sequence * 104729) % cases.size()]);
        herstel::v1::Case response;
        return stub->GetCase(&context, request, &response);
      };
    } else if (scenario == "case-list") {
      operation = [&, municipality](int caller, int64_t sequence) {
        static const char* const kPhases[] = {"PHASE_INTAKE", "PHASE_INSPECTION", "PHASE_ASSESSMENT",
                                              "PHASE_PLAN", "PHASE_EXECUTION"};
        auto stub = herstel::v1::CaseService::NewStub(channel_of(caller));
        grpc::ClientContext context;
        context.AddMetadata("authorization", "Bearer " + operator_token);
        herstel::v1::ListCasesRequest request;
        request.set_page_size(50);
        request.set_filter(absl::StrCat("municipality=", municipality, " AND phase=",
                                        kPhases[(caller + sequence) % 5]));
        herstel::v1::ListCasesResponse response;
        return stub->ListCases(&context, request, &response);
      };
    } else {
      operation = [&, municipality](int caller, int64_t) {
        auto stub = herstel::v1::ReportingService::NewStub(channel_of(caller));
        grpc::ClientContext context;
        context.AddMetadata("authorization", "Bearer " + operator_token);
        herstel::v1::GetMonitorRequest request;
        request.mutable_scope()->set_municipality(municipality);
        herstel::v1::Monitor response;
        return stub->GetMonitor(&context, request, &response);
      };
    }
  } else {
    std::cerr << "unknown scenario '" << scenario << "'\n";
    return 2;
  }

  std::vector<Outcome> outcomes(callers);
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  absl::Time start = absl::Now();
  for (int caller = 0; caller < callers; ++caller) {
    threads.emplace_back([&, caller] {
      for (int64_t sequence = 0; !stop.load(); ++sequence) {
        absl::Time begun = absl::Now();
        grpc::Status status = operation(caller, sequence);
        outcomes[caller].latencies_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - begun));
        if (!status.ok()) outcomes[caller].errors[absl::StrCat("code ", status.error_code())]++;
      }
    });
  }
  absl::SleepFor(absl::Seconds(absl::GetFlag(FLAGS_seconds)));
  stop.store(true);
  for (auto& thread : threads) thread.join();
  absl::Duration elapsed = absl::Now() - start;
  Report(absl::StrCat(scenario, lines.empty() ? "" : absl::StrCat(" lines=", lines.size())), callers, elapsed,
         outcomes);

  if (!lines.empty()) {
    auto stub = MandateService::NewStub(channels[0]);
    int overspent = 0;
    for (const std::string& name : lines) {
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + operator_token);
      herstel::v1::GetBudgetLineRequest request;
      request.set_name(name);
      herstel::v1::BudgetLine line;
      if (stub->GetBudgetLine(&context, request, &line).ok() &&
          (line.available_cents() < 0 || line.reserved_cents() + line.committed_cents() > line.ceiling_cents())) {
        ++overspent;
      }
    }
    std::cout << "  overspent lines: " << overspent << "\n";
    if (overspent > 0) return 1;
  }
  return 0;
}
