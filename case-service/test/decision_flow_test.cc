// The decision path over the real mandate-, escalation- and case-services:
// within mandate the decision is recorded with the mandate and the
// reservation; out of mandate an escalation is opened and the request waits;
// the escalation's outcome comes back through the case-service's follower
// and is applied exactly once.
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/service_process.h"
#include "herstel/errors.h"
#include "herstel/status_matchers.h"
#include "herstel/v1/case_service.grpc.pb.h"
#include "herstel/v1/escalation_service.grpc.pb.h"
#include "herstel/v1/mandate_service.grpc.pb.h"

namespace herstel::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kEemsdelta[] = "municipalities/eemsdelta";

class DecisionFlowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto mandate = environment_.StartService(MANDATE_SERVICE_BINARY, "mandate");
    ASSERT_TRUE(mandate.ok()) << mandate.status();
    mandate_ = std::move(*mandate);
    auto escalation = environment_.StartService(
        ESCALATION_SERVICE_BINARY, "escalation", {"--mandate_address=" + mandate_->address()});
    ASSERT_TRUE(escalation.ok()) << escalation.status();
    escalation_ = std::move(*escalation);
    auto cases = environment_.StartService(
        CASE_SERVICE_BINARY, "case",
        {"--mandate_address=" + mandate_->address(), "--escalation_address=" + escalation_->address()});
    ASSERT_TRUE(cases.ok()) << cases.status();
    case_ = std::move(*cases);
    case_stub_ = v1::CaseService::NewStub(case_->channel());
    mandate_stub_ = v1::MandateService::NewStub(mandate_->channel());
    escalation_stub_ = v1::EscalationService::NewStub(escalation_->channel());
  }

  std::string Token(v1::Role role, const std::string& organisation) {
    Caller caller;
    caller.subject = "u-anna";
    caller.organisation = organisation;
    caller.role = role;
    caller.municipalities = {kEemsdelta};
    caller.expires = absl::Now() + absl::Hours(1);
    return environment_.key().Mint(caller);
  }
  std::string CaseManager() { return Token(v1::ROLE_NCG_RESIDENT_CASE_MANAGER, "NCG"); }
  std::string Operator() { return environment_.Token(v1::ROLE_OPERATOR); }

  void Prepare(grpc::ClientContext& context, const std::string& token) {
    context.AddMetadata("authorization", "Bearer " + token);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }

  absl::StatusOr<v1::CaseDecisionRequest> RequestDecision(const std::string& case_name, int64_t amount_cents,
                                                          const std::string& request_id) {
    v1::CreateCaseDecisionRequestRequest request;
    request.set_parent(case_name);
    request.mutable_decision_request()->set_amount_cents(amount_cents);
    v1::CaseBudgetSplit* line = request.mutable_decision_request()->add_budget_lines();
    line->set_budget_line("budget-lines/maatwerk-eemsdelta");
    line->set_amount_cents(amount_cents);
    request.mutable_decision_request()->set_justification("extra foundation work for a farm");
    request.set_request_id(request_id);
    grpc::ClientContext context;
    Prepare(context, CaseManager());
    v1::CaseDecisionRequest response;
    absl::Status status = FromGrpcStatus(case_stub_->CreateCaseDecisionRequest(&context, request, &response));
    if (!status.ok()) return status;
    return response;
  }

  TestEnvironment environment_;
  std::unique_ptr<ServiceProcess> mandate_;
  std::unique_ptr<ServiceProcess> escalation_;
  std::unique_ptr<ServiceProcess> case_;
  std::unique_ptr<v1::CaseService::Stub> case_stub_;
  std::unique_ptr<v1::MandateService::Stub> mandate_stub_;
  std::unique_ptr<v1::EscalationService::Stub> escalation_stub_;
};

TEST_F(DecisionFlowTest, WithinMandateReservesOutOfMandateEscalatesAndTheOutcomeComesBackOnce) {
  {
    v1::CreateBudgetLineRequest line;
    line.set_budget_line_id("maatwerk-eemsdelta");
    line.mutable_budget_line()->set_display_name("Maatwerk Eemsdelta");
    line.mutable_budget_line()->set_source(v1::BUDGET_SOURCE_SAFETY);
    line.mutable_budget_line()->set_owner("NCG");
    line.mutable_budget_line()->set_municipality(kEemsdelta);
    line.mutable_budget_line()->set_year(absl::ToCivilYear(absl::Now(), absl::UTCTimeZone()).year());
    line.mutable_budget_line()->set_ceiling_cents(100'000'000);
    line.set_request_id("line-1");
    grpc::ClientContext context;
    Prepare(context, Operator());
    v1::BudgetLine created;
    grpc::Status status = mandate_stub_->CreateBudgetLine(&context, line, &created);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  v1::Case home;
  {
    v1::CreateCaseRequest request;
    request.mutable_case_()->mutable_address()->set_postcode("9919 AA");
    request.mutable_case_()->mutable_address()->set_house_number(7);
    request.mutable_case_()->set_municipality(kEemsdelta);
    request.mutable_case_()->set_risk_category(v1::RISK_CATEGORY_P50);
    request.mutable_case_()->add_tracks()->set_track(v1::TRACK_STRENGTHENING);
    request.set_request_id("case-1");
    grpc::ClientContext context;
    Prepare(context, CaseManager());
    grpc::Status status = case_stub_->CreateCase(&context, request, &home);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  // EUR 42,000: within the resident case manager's EUR 50,000 mandate.
  absl::StatusOr<v1::CaseDecisionRequest> within = RequestDecision(home.name(), 4'200'000, "decide-1");
  ASSERT_THAT(within, IsOk());
  EXPECT_EQ(within->status(), v1::CASE_DECISION_REQUEST_STATUS_DECIDED_WITHIN_MANDATE);
  EXPECT_THAT(within->mandate(), HasSubstr("mandates/"));
  EXPECT_FALSE(within->mandate_chain().empty());
  EXPECT_THAT(within->reservation(), HasSubstr("reservations/"));
  EXPECT_EQ(within->granted_amount_cents(), 4'200'000);
  absl::StatusOr<v1::CaseDecisionRequest> retried = RequestDecision(home.name(), 4'200'000, "decide-1");
  ASSERT_THAT(retried, IsOk());
  EXPECT_EQ(retried->name(), within->name());
  EXPECT_EQ(retried->reservation(), within->reservation());

  // EUR 80,000: out of mandate; an escalation opens and the request waits.
  absl::StatusOr<v1::CaseDecisionRequest> above = RequestDecision(home.name(), 8'000'000, "decide-2");
  ASSERT_THAT(above, IsOk());
  EXPECT_EQ(above->status(), v1::CASE_DECISION_REQUEST_STATUS_AWAITING_ESCALATION);
  EXPECT_THAT(above->escalation(), HasSubstr("escalations/"));
  EXPECT_NE(above->can_decide_level(), v1::ESCALATION_LEVEL_UNSPECIFIED);
  EXPECT_FALSE(above->denial_reason().empty());

  // The escalation is withdrawn; the follower applies that exactly once.
  {
    v1::WithdrawEscalationRequest withdraw;
    withdraw.set_name(above->escalation());
    withdraw.set_reason("resident found another solution");
    withdraw.set_request_id("withdraw-1");
    grpc::ClientContext context;
    Prepare(context, Operator());
    v1::Escalation withdrawn;
    grpc::Status status = escalation_stub_->WithdrawEscalation(&context, withdraw, &withdrawn);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  v1::CaseDecisionRequest applied;
  absl::Time give_up = absl::Now() + absl::Seconds(15);
  while (absl::Now() < give_up) {
    v1::GetCaseDecisionRequestRequest get;
    get.set_name(above->name());
    grpc::ClientContext context;
    Prepare(context, CaseManager());
    ASSERT_TRUE(case_stub_->GetCaseDecisionRequest(&context, get, &applied).ok());
    if (applied.status() != v1::CASE_DECISION_REQUEST_STATUS_AWAITING_ESCALATION) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(applied.status(), v1::CASE_DECISION_REQUEST_STATUS_WITHDRAWN);
  v1::ListCaseEventsRequest timeline;
  timeline.set_parent(home.name());
  timeline.set_filter("type=herstel.v1.CaseDecisionOutcomeApplied");
  v1::ListCaseEventsResponse events;
  grpc::ClientContext context;
  Prepare(context, CaseManager());
  ASSERT_TRUE(case_stub_->ListCaseEvents(&context, timeline, &events).ok());
  EXPECT_EQ(events.events_size(), 1);
}

TEST_F(DecisionFlowTest, InsufficientBudgetIsRefusedAndNothingIsRecorded) {
  v1::Case home;
  {
    v1::CreateCaseRequest request;
    request.mutable_case_()->mutable_address()->set_postcode("9919 AB");
    request.mutable_case_()->mutable_address()->set_house_number(1);
    request.mutable_case_()->set_municipality(kEemsdelta);
    request.mutable_case_()->add_tracks()->set_track(v1::TRACK_DAMAGE);
    request.set_request_id("case-2");
    grpc::ClientContext context;
    Prepare(context, CaseManager());
    ASSERT_TRUE(case_stub_->CreateCase(&context, request, &home).ok());
  }
  // No such budget line in the mandate-service.
  absl::StatusOr<v1::CaseDecisionRequest> refused = RequestDecision(home.name(), 100'000, "decide-3");
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.status().code(), absl::StatusCode::kUnavailable);
  v1::ListCaseDecisionRequestsRequest list;
  list.set_parent(home.name());
  v1::ListCaseDecisionRequestsResponse none;
  grpc::ClientContext context;
  Prepare(context, CaseManager());
  ASSERT_TRUE(case_stub_->ListCaseDecisionRequests(&context, list, &none).ok());
  EXPECT_EQ(none.decision_requests_size(), 0);
}

}  // namespace
}  // namespace herstel::testing
