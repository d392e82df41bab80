// The scenario of issue 8 over the four real processes, wired as in
// production: a resident case manager in Eemsdelta grants EUR 42,000 within
// mandate; asks EUR 80,000 and is told who can decide (an escalation opens);
// the local steering group records that it can't decide; the administrative
// consultation grants EUR 70,000; the money is reserved; the case shows the
// outcome; the monitor counts one decision within mandate and one escalated;
// the yearly report shows it with small counts suppressed.
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

namespace herstel::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kEemsdelta[] = "municipalities/eemsdelta";
constexpr char kLine[] = "budget-lines/knelpunt-eemsdelta";
constexpr absl::Duration kPatience = absl::Seconds(20);

template <typename Stub, typename Request, typename Response, typename Method>
absl::Status Call(Stub& stub, Method method, const std::string& token, const Request& request,
                  Response& response) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  return FromGrpcStatus((stub.*method)(&context, request, &response));
}

class EndToEndScenarioTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mandate_ = Start(HERSTEL_MANDATE_SERVICE_BINARY, "mandate", {});
    escalation_ = Start(HERSTEL_ESCALATION_SERVICE_BINARY, "escalation",
                        {"--mandate_address=" + mandate_->address()});
    case_ = Start(HERSTEL_CASE_SERVICE_BINARY, "case",
                  {"--mandate_address=" + mandate_->address(),
                   "--escalation_address=" + escalation_->address()});
    reporting_ = Start(HERSTEL_REPORTING_SERVICE_BINARY, "reporting",
                       {"--case_address=" + case_->address(), "--mandate_address=" + mandate_->address(),
                        "--escalation_address=" + escalation_->address()});
    operator_ = environment_.Token(v1::ROLE_OPERATOR, {"*"}, "ops-1");
    Caller manager{"cm-eemsdelta-1", "NCG", v1::ROLE_NCG_RESIDENT_CASE_MANAGER, {kEemsdelta},
                   absl::Now() + absl::Hours(1)};
    case_manager_ = environment_.key().Mint(manager);
  }

  std::unique_ptr<ServiceProcess> Start(const std::string& binary, const std::string& name,
                                        std::vector<std::string> flags) {
    auto process = environment_.StartService(binary, name, std::move(flags));
    EXPECT_TRUE(process.ok()) << process.status();
    return process.ok() ? std::move(*process) : nullptr;
  }

  v1::CaseDecisionRequest AskFor(v1::CaseService::Stub& cases, const std::string& case_name,
                                 int64_t amount_cents, const std::string& request_id) {
    v1::CreateCaseDecisionRequestRequest request;
    request.set_parent(case_name);
    request.set_request_id(request_id);
    v1::CaseDecisionRequest* ask = request.mutable_decision_request();
    ask->set_kind(v1::DECISION_KIND_CUSTOM_SOLUTION);
    ask->set_track(v1::TRACK_STRENGTHENING);
    ask->set_amount_cents(amount_cents);
    v1::CaseBudgetSplit* split = ask->add_budget_lines();
    split->set_budget_line(kLine);
    split->set_amount_cents(amount_cents);
    ask->set_justification("Funderingsherstel als maatwerk bij versterking");
    v1::CaseDecisionRequest answer;
    EXPECT_THAT(Call(cases, &v1::CaseService::Stub::CreateCaseDecisionRequest, case_manager_, request, answer),
                IsOk());
    return answer;
  }

  TestEnvironment environment_;
  std::unique_ptr<ServiceProcess> mandate_, escalation_, case_, reporting_;
  std::string operator_, case_manager_;
};

TEST_F(EndToEndScenarioTest, FromTheKitchenTableToTheAdministrativeConsultationAndBack) {
  ASSERT_TRUE(mandate_ && escalation_ && case_ && reporting_);
  auto mandates = v1::MandateService::NewStub(mandate_->channel());
  auto escalations = v1::EscalationService::NewStub(escalation_->channel());
  auto cases = v1::CaseService::NewStub(case_->channel());
  auto reporting = v1::ReportingService::NewStub(reporting_->channel());
  const int year = static_cast<int>(absl::ToCivilYear(absl::Now(), absl::UTCTimeZone()).year());

  // The municipality's bottleneck budget: EUR 1,000,000.
  v1::CreateBudgetLineRequest line;
  line.set_budget_line_id("knelpunt-eemsdelta");
  line.set_request_id("e2e-line");
  line.mutable_budget_line()->set_display_name("Knelpuntenbudget Eemsdelta");
  line.mutable_budget_line()->set_source(v1::BUDGET_SOURCE_BOTTLENECK_BUDGET);
  line.mutable_budget_line()->set_owner(kEemsdelta);
  line.mutable_budget_line()->set_municipality(kEemsdelta);
  line.mutable_budget_line()->set_year(year);
  line.mutable_budget_line()->set_ceiling_cents(100'000'000);
  v1::BudgetLine created_line;
  ASSERT_THAT(Call(*mandates, &v1::MandateService::Stub::CreateBudgetLine, operator_, line, created_line), IsOk());

  // One home in Appingedam.
  v1::CreateCaseRequest create;
  create.set_request_id("e2e-case");
  v1::Case* home = create.mutable_case_();
  home->mutable_address()->set_postcode("9901 AB");
  home->mutable_address()->set_house_number(12);
  home->mutable_address()->set_street("Dijkstraat");
  home->mutable_address()->set_town("Appingedam");
  home->set_municipality(kEemsdelta);
  home->set_village("municipalities/eemsdelta/villages/appingedam");
  home->set_risk_category(v1::RISK_CATEGORY_P50);
  home->add_tracks()->set_track(v1::TRACK_STRENGTHENING);
  v1::Case the_case;
  ASSERT_THAT(Call(*cases, &v1::CaseService::Stub::CreateCase, case_manager_, create, the_case), IsOk());

  // EUR 42,000: within the case manager's mandate of EUR 50,000.
  v1::CaseDecisionRequest within = AskFor(*cases, the_case.name(), 4'200'000, "e2e-42k");
  EXPECT_EQ(within.status(), v1::CASE_DECISION_REQUEST_STATUS_DECIDED_WITHIN_MANDATE);
  EXPECT_EQ(within.mandate(), "mandates/ncg-maatwerk-bewonersbegeleiders");
  EXPECT_THAT(within.reservation(), HasSubstr("reservations/"));

  // EUR 80,000: denied, with the level that can decide; an escalation opens.
  v1::CaseDecisionRequest above = AskFor(*cases, the_case.name(), 8'000'000, "e2e-80k");
  EXPECT_EQ(above.status(), v1::CASE_DECISION_REQUEST_STATUS_AWAITING_ESCALATION);
  EXPECT_EQ(above.can_decide_level(), v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP);
  EXPECT_THAT(above.denial_reason(), HasSubstr("EUR 50.000,00"));
  ASSERT_THAT(above.escalation(), HasSubstr("escalations/"));

  v1::GetEscalationRequest get_escalation;
  get_escalation.set_name(above.escalation());
  v1::Escalation escalation;
  ASSERT_THAT(Call(*escalations, &v1::EscalationService::Stub::GetEscalation, operator_, get_escalation, escalation),
              IsOk());
  EXPECT_EQ(escalation.level(), v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP);
  EXPECT_EQ(escalation.amount_asked_cents(), 8'000'000);

  // The local steering group records that it can't decide: up one level.
  v1::DecideEscalationRequest cannot;
  cannot.set_name(escalation.name());
  cannot.set_body(escalation.body());
  cannot.set_outcome(v1::ESCALATION_DECISION_OUTCOME_CANNOT_DECIDE);
  cannot.set_rationale("Het bedrag past niet binnen het knelpuntenbudget van dit jaar");
  for (const char* member : {"eemsdelta", "ncg", "img"}) cannot.add_present_members(member);
  cannot.set_request_id("e2e-cannot");
  v1::EscalationDecision local;
  ASSERT_THAT(Call(*escalations, &v1::EscalationService::Stub::DecideEscalation, operator_, cannot, local), IsOk());
  ASSERT_THAT(Call(*escalations, &v1::EscalationService::Stub::GetEscalation, operator_, get_escalation, escalation),
              IsOk());
  EXPECT_EQ(escalation.level(), v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION);

  // The administrative consultation grants EUR 70,000 of the 80,000.
  v1::DecideEscalationRequest grant;
  grant.set_name(escalation.name());
  grant.set_body(escalation.body());
  grant.set_outcome(v1::ESCALATION_DECISION_OUTCOME_PARTLY_GRANTED);
  grant.set_amount_cents(7'000'000);
  grant.set_rationale("Maatwerk toegekend tot EUR 70.000");
  grant.add_present_members("rijk");
  grant.add_present_members("eemsdelta");
  grant.set_request_id("e2e-grant");
  v1::EscalationDecision decision;
  ASSERT_THAT(Call(*escalations, &v1::EscalationService::Stub::DecideEscalation, operator_, grant, decision), IsOk());
  EXPECT_EQ(decision.spendable_status(), v1::ESCALATION_SPENDABLE_STATUS_SPENDABLE)
      << decision.reservation_error().ShortDebugString();
  ASSERT_THAT(decision.reservation(), HasSubstr("reservations/"));

  // The budget is reserved: 42,000 + 70,000.
  v1::GetBudgetLineRequest get_line;
  get_line.set_name(kLine);
  ASSERT_THAT(Call(*mandates, &v1::MandateService::Stub::GetBudgetLine, operator_, get_line, created_line), IsOk());
  EXPECT_EQ(created_line.reserved_cents(), 4'200'000 + 7'000'000);

  // The case shows the outcome, applied from the escalation-service's events.
  v1::GetCaseDecisionRequestRequest get_request;
  get_request.set_name(above.name());
  v1::CaseDecisionRequest outcome;
  for (absl::Time give_up = absl::Now() + kPatience; absl::Now() < give_up;) {
    ASSERT_THAT(Call(*cases, &v1::CaseService::Stub::GetCaseDecisionRequest, case_manager_, get_request, outcome),
                IsOk());
    if (outcome.status() != v1::CASE_DECISION_REQUEST_STATUS_AWAITING_ESCALATION) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(outcome.status(), v1::CASE_DECISION_REQUEST_STATUS_PARTLY_GRANTED);
  EXPECT_EQ(outcome.granted_amount_cents(), 7'000'000);
  EXPECT_EQ(outcome.decided_level(), v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION);
  EXPECT_EQ(outcome.reservation(), decision.reservation());

  // The monitor: one decision within mandate, one escalated.
  v1::GetMonitorRequest monitor_request;
  monitor_request.mutable_scope()->set_municipality(kEemsdelta);
  v1::Monitor monitor;
  for (absl::Time give_up = absl::Now() + kPatience; absl::Now() < give_up;) {
    ASSERT_THAT(Call(*reporting, &v1::ReportingService::Stub::GetMonitor, operator_, monitor_request, monitor),
                IsOk());
    if (monitor.decisions().within_mandate().value() == 1 && monitor.decisions().escalated().value() == 1) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_EQ(monitor.decisions().within_mandate().value(), 1);
  EXPECT_EQ(monitor.decisions().escalated().value(), 1);
  EXPECT_TRUE(monitor.exact());

  // The yearly report is public: the small counts are hidden.
  v1::GenerateAnnualReportRequest report_request;
  report_request.set_year(year);
  report_request.set_request_id("e2e-report");
  v1::AnnualReport report;
  ASSERT_THAT(Call(*reporting, &v1::ReportingService::Stub::GenerateAnnualReport, operator_, report_request, report),
              IsOk());
  EXPECT_THAT(report.markdown(), HasSubstr("<10"));
  EXPECT_THAT(report.html(), HasSubstr("&lt;10"));
  EXPECT_FALSE(report.tables().empty());
  // No table publishes the exact count of one.
  for (const auto& table : report.tables()) {
    EXPECT_THAT(table.csv(), ::testing::Not(HasSubstr(",1\n"))) << table.name();
  }
}

}  // namespace
}  // namespace herstel::testing
