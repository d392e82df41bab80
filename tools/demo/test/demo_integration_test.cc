// herstel-demo against the four real services, wired as in production: what
// the summary claims is what the services' List RPCs show, and a second run
// changes nothing (no service's event stream moves).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "harness/service_process.h"
#include "herstel/errors.h"
#include "herstel/status_matchers.h"
#include "herstel/v1/case_service.grpc.pb.h"
#include "herstel/v1/escalation_service.grpc.pb.h"
#include "herstel/v1/mandate_service.grpc.pb.h"
#include "herstel/v1/reporting_service.grpc.pb.h"
#include "nlohmann/json.hpp"

namespace herstel::testing {
namespace {

constexpr int kCases = 200;
constexpr uint64_t kSeed = 7;

struct RunResult {
  int exit_code = -1;
  std::string output;
  nlohmann::json summary;
};

// Runs herstel-demo to completion (at most `timeout`), with its output in a file.
RunResult RunDemo(const std::vector<std::string>& arguments, const std::string& directory, const std::string& name,
                  absl::Duration timeout) {
  RunResult result;
  const std::string output_path = absl::StrCat(directory, "/", name, ".out");
  const std::string summary_path = absl::StrCat(directory, "/", name, ".json");
  std::vector<std::string> argv_strings = {HERSTEL_DEMO_BINARY, "--summary_json=" + summary_path};
  argv_strings.insert(argv_strings.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  for (std::string& argument : argv_strings) argv.push_back(argument.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  const absl::Time deadline = absl::Now() + timeout;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (absl::Now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream output(output_path);
  std::stringstream text;
  text << output.rdbuf();
  result.output = text.str();
  std::ifstream summary(summary_path);
  if (summary) result.summary = nlohmann::json::parse(summary, nullptr, false);
  return result;
}

template <typename Stub, typename Request, typename Response>
absl::Status Call(Stub& stub, grpc::Status (Stub::*rpc)(grpc::ClientContext*, const Request&, Response*),
                  const std::string& token, const Request& request, Response& response) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  return FromGrpcStatus((stub.*rpc)(&context, request, &response));
}

// Every item of a List, through its pages.
template <typename Stub, typename Request, typename Response, typename Items>
auto ListAll(Stub& stub, grpc::Status (Stub::*rpc)(grpc::ClientContext*, const Request&, Response*),
             const std::string& token, Request request, Items items) {
  std::vector<std::decay_t<decltype(*items(Response()).begin())>> all;
  request.set_page_size(1000);
  while (true) {
    Response response;
    absl::Status status = Call(stub, rpc, token, request, response);
    EXPECT_THAT(status, IsOk());
    if (!status.ok()) return all;
    for (const auto& item : items(response)) all.push_back(item);
    if (response.next_page_token().empty()) return all;
    request.set_page_token(response.next_page_token());
  }
}

// The last sequence of a service's event stream.
template <typename Stub>
int64_t Head(Stub& stub, const std::string& token) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  v1::WatchEventsRequest request;
  request.set_stop_at_end(true);
  auto reader = stub.WatchEvents(&context, request);
  v1::Event event;
  int64_t head = 0;
  while (reader->Read(&event)) head = event.sequence();
  EXPECT_TRUE(reader->Finish().ok());
  return head;
}

class DemoIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mandate_ = Start(HERSTEL_MANDATE_SERVICE_BINARY, "mandate", {});
    ASSERT_NE(mandate_, nullptr);
    escalation_ = Start(HERSTEL_ESCALATION_SERVICE_BINARY, "escalation",
                        {"--mandate_address=" + mandate_->address()});
    ASSERT_NE(escalation_, nullptr);
    case_ = Start(HERSTEL_CASE_SERVICE_BINARY, "case",
                  {"--mandate_address=" + mandate_->address(), "--escalation_address=" + escalation_->address()});
    ASSERT_NE(case_, nullptr);
    reporting_ = Start(HERSTEL_REPORTING_SERVICE_BINARY, "reporting",
                       {"--case_address=" + case_->address(), "--mandate_address=" + mandate_->address(),
                        "--escalation_address=" + escalation_->address()});
    ASSERT_NE(reporting_, nullptr);
    operator_ = environment_.Token(v1::ROLE_OPERATOR, {"*"}, "test-operator");
  }

  std::unique_ptr<ServiceProcess> Start(const std::string& binary, const std::string& name,
                                        std::vector<std::string> flags) {
    auto process = environment_.StartService(binary, name, std::move(flags));
    EXPECT_TRUE(process.ok()) << process.status();
    return process.ok() ? std::move(*process) : nullptr;
  }

  std::vector<std::string> DemoArguments() const {
    return {absl::StrCat("--seed=", kSeed),
            absl::StrCat("--cases=", kCases),
            "--key_file=" + environment_.key_file(),
            "--case_address=" + case_->address(),
            "--mandate_address=" + mandate_->address(),
            "--escalation_address=" + escalation_->address(),
            "--reporting_address=" + reporting_->address(),
            "--settle_seconds=15"};
  }

  std::map<std::string, int64_t> Heads() {
    auto cases = v1::CaseService::NewStub(case_->channel());
    auto mandates = v1::MandateService::NewStub(mandate_->channel());
    auto escalations = v1::EscalationService::NewStub(escalation_->channel());
    auto reporting = v1::ReportingService::NewStub(reporting_->channel());
    return {{"case", Head(*cases, operator_)},
            {"mandate", Head(*mandates, operator_)},
            {"escalation", Head(*escalations, operator_)},
            {"reporting", Head(*reporting, operator_)}};
  }

  TestEnvironment environment_;
  std::unique_ptr<ServiceProcess> mandate_, escalation_, case_, reporting_;
  std::string operator_;
};

int64_t Total(const nlohmann::json& summary, const std::string& kind) {
  return summary["kinds"][kind]["total"].get<int64_t>();
}

TEST_F(DemoIntegrationTest, LoadsWhatItClaimsAndASecondRunChangesNothing) {
  RunResult first = RunDemo(DemoArguments(), environment_.directory(), "first", absl::Seconds(25));
  ASSERT_EQ(first.exit_code, 0) << first.output;
  ASSERT_TRUE(first.summary.is_object()) << first.output;
  const nlohmann::json& summary = first.summary;
  EXPECT_EQ(Total(summary, "cases"), kCases);
  EXPECT_EQ(summary["kinds"]["cases"]["new"].get<int64_t>(), kCases);

  auto cases = v1::CaseService::NewStub(case_->channel());
  auto mandates = v1::MandateService::NewStub(mandate_->channel());
  auto escalations = v1::EscalationService::NewStub(escalation_->channel());

  // Budget lines: safety money, regional programme, five bottleneck budgets, 15 neighbourhoods.
  auto lines = ListAll(*mandates, &v1::MandateService::Stub::ListBudgetLines, operator_, v1::ListBudgetLinesRequest(),
                       [](const v1::ListBudgetLinesResponse& r) -> const auto& { return r.budget_lines(); });
  EXPECT_EQ(static_cast<int64_t>(lines.size()), Total(summary, "budget_lines"));
  EXPECT_EQ(lines.size(), 22u);

  // Cases, in the five municipalities, with valid postcodes.
  auto all_cases = ListAll(*cases, &v1::CaseService::Stub::ListCases, operator_, v1::ListCasesRequest(),
                           [](const v1::ListCasesResponse& r) -> const auto& { return r.cases(); });
  EXPECT_EQ(static_cast<int64_t>(all_cases.size()), kCases);
  std::set<std::string> municipalities;
  for (const v1::Case& record : all_cases) municipalities.insert(record.municipality());
  EXPECT_EQ(municipalities.size(), 5u);

  // Clusters and their members.
  auto clusters = ListAll(*cases, &v1::CaseService::Stub::ListClusters, operator_, v1::ListClustersRequest(),
                          [](const v1::ListClustersResponse& r) -> const auto& { return r.clusters(); });
  int64_t members = 0;
  for (const v1::Cluster& cluster : clusters) members += cluster.case_count();
  EXPECT_EQ(static_cast<int64_t>(clusters.size()), Total(summary, "clusters"));
  EXPECT_GT(clusters.size(), 0u);
  EXPECT_EQ(members, Total(summary, "cluster_members"));

  // Bottlenecks by status.
  v1::ListBottlenecksRequest bottleneck_list;
  bottleneck_list.set_parent("cases/-");
  auto bottlenecks = ListAll(*cases, &v1::CaseService::Stub::ListBottlenecks, operator_, bottleneck_list,
                             [](const v1::ListBottlenecksResponse& r) -> const auto& { return r.bottlenecks(); });
  std::map<v1::BottleneckStatus, int64_t> bottleneck_status;
  for (const v1::Bottleneck& bottleneck : bottlenecks) ++bottleneck_status[bottleneck.status()];
  EXPECT_EQ(static_cast<int64_t>(bottlenecks.size()), Total(summary, "bottlenecks"));
  EXPECT_EQ(bottleneck_status[v1::BOTTLENECK_STATUS_ESCALATED], Total(summary, "bottlenecks_escalated"));
  EXPECT_EQ(bottleneck_status[v1::BOTTLENECK_STATUS_RESOLVED], Total(summary, "bottlenecks_resolved"));

  // Inspection requests by status.
  v1::ListInspectionRequestsRequest inspection_list;
  inspection_list.set_parent("cases/-");
  auto inspections =
      ListAll(*cases, &v1::CaseService::Stub::ListInspectionRequests, operator_, inspection_list,
              [](const v1::ListInspectionRequestsResponse& r) -> const auto& { return r.inspection_requests(); });
  std::map<v1::InspectionRequestStatus, int64_t> inspection_status;
  for (const v1::InspectionRequest& inspection : inspections) ++inspection_status[inspection.status()];
  EXPECT_EQ(static_cast<int64_t>(inspections.size()), Total(summary, "inspection_requests"));
  EXPECT_GT(inspections.size(), 0u);
  EXPECT_EQ(inspection_status[v1::INSPECTION_REQUEST_STATUS_SCHEDULED], Total(summary, "inspections_scheduled"));
  EXPECT_EQ(inspection_status[v1::INSPECTION_REQUEST_STATUS_INSPECTED], Total(summary, "inspections_inspected"));

  // Decision requests: within mandate, and escalated ones whose outcome reached the case.
  v1::ListCaseDecisionRequestsRequest decision_list;
  decision_list.set_parent("cases/-");
  auto requests =
      ListAll(*cases, &v1::CaseService::Stub::ListCaseDecisionRequests, operator_, decision_list,
              [](const v1::ListCaseDecisionRequestsResponse& r) -> const auto& { return r.decision_requests(); });
  std::map<v1::CaseDecisionRequestStatus, int64_t> request_status;
  for (const v1::CaseDecisionRequest& request : requests) ++request_status[request.status()];
  EXPECT_EQ(request_status[v1::CASE_DECISION_REQUEST_STATUS_DECIDED_WITHIN_MANDATE],
            Total(summary, "decisions_within_mandate"));
  EXPECT_EQ(static_cast<int64_t>(requests.size()),
            Total(summary, "decisions_within_mandate") + Total(summary, "decisions_escalated"));
  // Each granted escalation (also one granted a level up after "cannot decide") grants one request.
  EXPECT_EQ(request_status[v1::CASE_DECISION_REQUEST_STATUS_GRANTED], Total(summary, "decisions_granted"));
  EXPECT_EQ(request_status[v1::CASE_DECISION_REQUEST_STATUS_PARTLY_GRANTED],
            Total(summary, "decisions_partly_granted"));
  EXPECT_EQ(request_status[v1::CASE_DECISION_REQUEST_STATUS_DENIED], Total(summary, "decisions_denied"));

  // Escalations and the ladder's decisions.
  auto escalation_list =
      ListAll(*escalations, &v1::EscalationService::Stub::ListEscalations, operator_, v1::ListEscalationsRequest(),
              [](const v1::ListEscalationsResponse& r) -> const auto& { return r.escalations(); });
  EXPECT_EQ(static_cast<int64_t>(escalation_list.size()), Total(summary, "escalations"));
  std::map<v1::EscalationStatus, int64_t> escalation_status;
  for (const v1::Escalation& escalation : escalation_list) ++escalation_status[escalation.status()];
  EXPECT_EQ(escalation_status[v1::ESCALATION_STATUS_DECIDED], Total(summary, "escalations_decided"));
  EXPECT_EQ(escalation_status[v1::ESCALATION_STATUS_ACKNOWLEDGED], Total(summary, "escalations_acknowledged"));
  EXPECT_GT(escalation_status[v1::ESCALATION_STATUS_OPEN], 0);
  v1::ListEscalationDecisionsRequest decisions_list;
  decisions_list.set_parent("escalations/-");
  auto decisions = ListAll(*escalations, &v1::EscalationService::Stub::ListEscalationDecisions, operator_,
                           decisions_list,
                           [](const v1::ListEscalationDecisionsResponse& r) -> const auto& { return r.decisions(); });
  std::map<v1::EscalationDecisionOutcome, int64_t> outcomes;
  for (const v1::EscalationDecision& decision : decisions) ++outcomes[decision.outcome()];
  EXPECT_EQ(static_cast<int64_t>(decisions.size()), Total(summary, "escalation_decisions"));
  EXPECT_EQ(outcomes[v1::ESCALATION_DECISION_OUTCOME_GRANTED], Total(summary, "decisions_granted"));
  EXPECT_EQ(outcomes[v1::ESCALATION_DECISION_OUTCOME_PARTLY_GRANTED], Total(summary, "decisions_partly_granted"));
  EXPECT_EQ(outcomes[v1::ESCALATION_DECISION_OUTCOME_DENIED], Total(summary, "decisions_denied"));
  EXPECT_EQ(outcomes[v1::ESCALATION_DECISION_OUTCOME_CANNOT_DECIDE], Total(summary, "decisions_cannot_decide"));
  EXPECT_GT(outcomes[v1::ESCALATION_DECISION_OUTCOME_GRANTED], 0);
  EXPECT_GT(outcomes[v1::ESCALATION_DECISION_OUTCOME_CANNOT_DECIDE], 0);

  // Body seats that the demo's steering-group members hold.
  auto bodies = ListAll(*escalations, &v1::EscalationService::Stub::ListBodies, operator_, v1::ListBodiesRequest(),
                        [](const v1::ListBodiesResponse& r) -> const auto& { return r.bodies(); });
  int64_t seats = 0;
  for (const v1::EscalationBody& body : bodies) {
    for (const v1::EscalationBodyMember& member : body.members()) {
      for (const std::string& subject : member.subjects()) seats += subject.rfind("demo-seat-", 0) == 0;
    }
  }
  EXPECT_EQ(seats, Total(summary, "body_seats"));

  // A second run: nothing new, and no service's event stream moves.
  std::map<std::string, int64_t> before = Heads();
  RunResult second = RunDemo(DemoArguments(), environment_.directory(), "second", absl::Seconds(20));
  ASSERT_EQ(second.exit_code, 0) << second.output;
  ASSERT_TRUE(second.summary.is_object()) << second.output;
  for (const auto& [kind, count] : second.summary["kinds"].items()) {
    EXPECT_EQ(count["new"].get<int64_t>(), 0) << kind;
    EXPECT_EQ(count["total"], summary["kinds"][kind]["total"]) << kind;
  }
  EXPECT_EQ(Heads(), before);
}

}  // namespace
}  // namespace herstel::testing
