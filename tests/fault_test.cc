// Faults across the suite, with all four real services wired as in
// production: a peer that is down, and a follower that crashes under load.
#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "harness/service_process.h"
#include "herstel/errors.h"
#include "herstel/status_matchers.h"
#include "herstel/v1/case_service.grpc.pb.h"
#include "herstel/v1/mandate_service.grpc.pb.h"
#include "herstel/v1/reporting_service.grpc.pb.h"

namespace herstel::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kEemsdelta[] = "municipalities/eemsdelta";
constexpr char kLine[] = "budget-lines/knelpunt-eemsdelta";

template <typename Stub, typename Request, typename Response, typename Method>
absl::Status Call(Stub& stub, Method method, const std::string& token, const Request& request,
                  Response& response, absl::Duration deadline = absl::Seconds(10)) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  return FromGrpcStatus((stub.*method)(&context, request, &response));
}

class FaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mandate_ = Start(HERSTEL_MANDATE_SERVICE_BINARY, "mandate", {});
    case_ = Start(HERSTEL_CASE_SERVICE_BINARY, "case",
                  {"--mandate_address=" + mandate_->address(), "--escalation_address=127.0.0.1:1",
                   "--peer_timeout_ms=1000"});
    operator_ = environment_.Token(v1::ROLE_OPERATOR, {"*"}, "ops-1");
    Caller manager{"cm-1", "NCG", v1::ROLE_NCG_RESIDENT_CASE_MANAGER, {kEemsdelta}, absl::Now() + absl::Hours(1)};
    case_manager_ = environment_.key().Mint(manager);
    mandates_ = v1::MandateService::NewStub(mandate_->channel());
    cases_ = v1::CaseService::NewStub(case_->channel());
    v1::CreateBudgetLineRequest line;
    line.set_budget_line_id("knelpunt-eemsdelta");
    line.set_request_id("fault-line");
    line.mutable_budget_line()->set_display_name("Knelpuntenbudget Eemsdelta");
    line.mutable_budget_line()->set_source(v1::BUDGET_SOURCE_BOTTLENECK_BUDGET);
    line.mutable_budget_line()->set_owner(kEemsdelta);
    line.mutable_budget_line()->set_municipality(kEemsdelta);
    line.mutable_budget_line()->set_year(2026);
    line.mutable_budget_line()->set_ceiling_cents(1'000'000'000);
    v1::BudgetLine created;
    ASSERT_THAT(Call(*mandates_, &v1::MandateService::Stub::CreateBudgetLine, operator_, line, created), IsOk());
  }

  std::unique_ptr<ServiceProcess> Start(const std::string& binary, const std::string& name,
                                        std::vector<std::string> flags) {
    auto process = environment_.StartService(binary, name, std::move(flags));
    EXPECT_TRUE(process.ok()) << process.status();
    return process.ok() ? std::move(*process) : nullptr;
  }

  absl::StatusOr<v1::Case> CreateCase(int house_number) {
    v1::CreateCaseRequest create;
    create.set_request_id(absl::StrCat("case-", house_number));
    v1::Case* home = create.mutable_case_();
    home->mutable_address()->set_postcode("9932 AB");
    home->mutable_address()->set_house_number(house_number);
    home->mutable_address()->set_street("Oude Schans");
    home->mutable_address()->set_town("Delfzijl");
    home->set_municipality(kEemsdelta);
    home->set_village("municipalities/eemsdelta/villages/delfzijl");
    home->set_risk_category(v1::RISK_CATEGORY_P90);
    home->add_tracks()->set_track(v1::TRACK_STRENGTHENING);
    v1::Case created;
    absl::Status status = Call(*cases_, &v1::CaseService::Stub::CreateCase, case_manager_, create, created);
    if (!status.ok()) return status;
    return created;
  }

  absl::Status AskWithinMandate(const std::string& case_name, const std::string& request_id,
                                v1::CaseDecisionRequest& answer) {
    v1::CreateCaseDecisionRequestRequest request;
    request.set_parent(case_name);
    request.set_request_id(request_id);
    v1::CaseDecisionRequest* ask = request.mutable_decision_request();
    ask->set_kind(v1::DECISION_KIND_CUSTOM_SOLUTION);
    ask->set_amount_cents(1'000'000);
    v1::CaseBudgetSplit* split = ask->add_budget_lines();
    split->set_budget_line(kLine);
    split->set_amount_cents(1'000'000);
    ask->set_justification("Maatwerk");
    return Call(*cases_, &v1::CaseService::Stub::CreateCaseDecisionRequest, case_manager_, request, answer);
  }

  int CountDecisionRequests() {
    v1::ListCaseDecisionRequestsRequest list;
    list.set_parent("cases/-");
    list.set_page_size(1000);
    v1::ListCaseDecisionRequestsResponse response;
    EXPECT_THAT(Call(*cases_, &v1::CaseService::Stub::ListCaseDecisionRequests, operator_, list, response), IsOk());
    return response.decision_requests_size();
  }

  TestEnvironment environment_;
  std::unique_ptr<ServiceProcess> mandate_, case_;
  std::unique_ptr<v1::MandateService::Stub> mandates_;
  std::unique_ptr<v1::CaseService::Stub> cases_;
  std::string operator_, case_manager_;
};

TEST_F(FaultTest, MandateServiceDownGivesUnavailableInTimeRecordsNothingAndRecovers) {
  absl::StatusOr<v1::Case> home = CreateCase(1);
  ASSERT_THAT(home, IsOk());
  ASSERT_TRUE(mandate_->Terminate(absl::Seconds(5)).ok());

  v1::CaseDecisionRequest answer;
  absl::Status down = AskWithinMandate(home->name(), "while-down", answer);
  EXPECT_THAT(down, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("mandate")));
  EXPECT_EQ(CountDecisionRequests(), 0);

  ASSERT_THAT(mandate_->Restart(), IsOk());
  // Same request_id after recovery: now decided, exactly once.
  absl::Status recovered;
  for (absl::Time give_up = absl::Now() + absl::Seconds(15); absl::Now() < give_up;) {
    recovered = AskWithinMandate(home->name(), "while-down", answer);
    if (recovered.code() != absl::StatusCode::kUnavailable) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  ASSERT_THAT(recovered, IsOk());
  EXPECT_EQ(answer.status(), v1::CASE_DECISION_REQUEST_STATUS_DECIDED_WITHIN_MANDATE);
  EXPECT_EQ(CountDecisionRequests(), 1);
  v1::GetBudgetLineRequest get;
  get.set_name(kLine);
  v1::BudgetLine line;
  ASSERT_THAT(Call(*mandates_, &v1::MandateService::Stub::GetBudgetLine, operator_, get, line), IsOk());
  EXPECT_EQ(line.reserved_cents(), 1'000'000);
}

TEST_F(FaultTest, ReportingKilledDuringLoadCatchesUpToAnIndependentCount) {
  auto reporting = Start(HERSTEL_REPORTING_SERVICE_BINARY, "reporting",
                         {"--case_address=" + case_->address(), "--mandate_address=" + mandate_->address(),
                          "--escalation_address=127.0.0.1:1"});
  ASSERT_NE(reporting, nullptr);
  constexpr int kCases = 40;
  std::atomic<int> created{0}, decided{0};
  std::thread load([&] {
    for (int i = 1; i <= kCases; ++i) {
      absl::StatusOr<v1::Case> home = CreateCase(100 + i);
      if (!home.ok()) continue;
      ++created;
      v1::CaseDecisionRequest answer;
      if (i % 2 == 0 && AskWithinMandate(home->name(), absl::StrCat("load-", i), answer).ok()) ++decided;
    }
  });
  absl::SleepFor(absl::Milliseconds(150));
  reporting->Kill();  // kill -9 in the middle of the load
  load.join();
  ASSERT_EQ(created.load(), kCases);
  ASSERT_EQ(decided.load(), kCases / 2);
  ASSERT_THAT(reporting->Restart(), IsOk());

  auto stub = v1::ReportingService::NewStub(reporting->channel());
  v1::GetMonitorRequest request;
  request.mutable_scope()->set_municipality(kEemsdelta);
  v1::Monitor monitor;
  int64_t in_intake = -1;
  for (absl::Time give_up = absl::Now() + absl::Seconds(20); absl::Now() < give_up;) {
    ASSERT_THAT(Call(*stub, &v1::ReportingService::Stub::GetMonitor, operator_, request, monitor), IsOk());
    in_intake = 0;
    for (const auto& count : monitor.phase_counts()) {
      if (count.track() == v1::TRACK_STRENGTHENING && count.phase() == v1::PHASE_INTAKE) {
        in_intake += count.cases().value();
      }
    }
    if (in_intake == kCases && monitor.decisions().within_mandate().value() == kCases / 2) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_EQ(in_intake, kCases);
  EXPECT_EQ(monitor.decisions().within_mandate().value(), kCases / 2);
}

}  // namespace
}  // namespace herstel::testing
