// The escalation-service as a real process, with the real mandate-service:
// the ladder from opening to a spendable grant, refusals with their
// reasons, authentication and roles, idempotent retries, the event stream,
// and terms driven by the clock file.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "harness/service_process.h"
#include "herstel/errors.h"
#include "herstel/status_matchers.h"
#include "herstel/v1/escalation_service.grpc.pb.h"
#include "herstel/v1/mandate_service.grpc.pb.h"

namespace herstel::escalation {
namespace {

using ::herstel::testing::IsOk;
using ::herstel::testing::StatusIs;
using ::herstel::testing::TestEnvironment;
using ::herstel::testing::ServiceProcess;
using ::testing::Contains;
using ::testing::HasSubstr;

using Stub = v1::EscalationService::Stub;

std::string Reason(const absl::Status& status) {
  std::optional<v1::ErrorDetail> detail = GetErrorDetail(status);
  return detail.has_value() ? detail->reason() : "";
}

template <typename Response, typename StubType, typename Request>
absl::StatusOr<Response> Call(StubType& stub,
                              grpc::Status (StubType::*method)(grpc::ClientContext*, const Request&,
                                                               Response*),
                              const Request& request, const std::string& token) {
  grpc::ClientContext context;
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(15));
  Response response;
  grpc::Status status = (stub.*method)(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

class EscalationIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    environment_ = new TestEnvironment();
    clock_file_ = new std::string(environment_->directory() + "/clock");
    SetClock("2026-03-02T09:00:00+01:00");
    absl::StatusOr<std::unique_ptr<ServiceProcess>> mandate =
        environment_->StartService(MANDATE_SERVICE_BINARY, "mandate");
    ASSERT_TRUE(mandate.ok()) << mandate.status();
    mandate_ = mandate->release();
    absl::StatusOr<std::unique_ptr<ServiceProcess>> escalation = environment_->StartService(
        ESCALATION_SERVICE_BINARY, "escalation",
        {"--clock_file=" + *clock_file_, "--mandate_address=" + mandate_->address(),
         "--sweep_interval_ms=100", "--bodies_file="});
    ASSERT_TRUE(escalation.ok()) << escalation.status();
    escalation_ = escalation->release();
    stub_ = v1::EscalationService::NewStub(escalation_->channel()).release();
    mandate_stub_ = v1::MandateService::NewStub(mandate_->channel()).release();
    CreateBodies(*stub_);
    CreateBudgetLines();
  }

  static void TearDownTestSuite() {
    delete stub_;
    delete mandate_stub_;
    delete escalation_;
    delete mandate_;
    delete clock_file_;
    delete environment_;
  }

  // Writes the service's clock atomically (write, then rename).
  static void SetClock(const std::string& rfc3339) {
    const std::string temporary = *clock_file_ + ".tmp";
    std::ofstream(temporary) << rfc3339 << "\n";
    std::rename(temporary.c_str(), clock_file_->c_str());
  }

  static std::string Operator() { return environment_->Token(v1::ROLE_OPERATOR, {"*"}, "ops-1"); }
  static std::string CaseManager() {
    return environment_->Token(v1::ROLE_NCG_RESIDENT_CASE_MANAGER, {"municipalities/eemsdelta"},
                               "cm-1");
  }
  static std::string SteeringMember() {
    return environment_->Token(v1::ROLE_STEERING_GROUP_MEMBER, {"*"}, "sg-ncg");
  }

  static v1::EscalationBodyMember Seat(const std::string& id, v1::BodyOrganisationKind kind,
                                       bool voting, const std::string& municipality = "") {
    v1::EscalationBodyMember member;
    member.set_member_id(id);
    member.set_organisation_kind(kind);
    member.set_organisation(id);
    member.set_municipality(municipality);
    member.set_voting(voting);
    member.add_subjects("sg-" + id);
    return member;
  }

  static void CreateBodies(Stub& stub) {
    v1::CreateBodyRequest local;
    local.set_body_id("sg-eemsdelta");
    local.set_request_id("body-1");
    v1::EscalationBody* body = local.mutable_body();
    body->set_display_name("Lokale stuurgroep Eemsdelta");
    body->set_level(v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP);
    body->add_municipalities("municipalities/eemsdelta");
    *body->add_members() = Seat("eemsdelta", v1::BODY_ORGANISATION_KIND_MUNICIPALITY, true,
                                "municipalities/eemsdelta");
    *body->add_members() = Seat("ncg", v1::BODY_ORGANISATION_KIND_NCG, true);
    *body->add_members() = Seat("img", v1::BODY_ORGANISATION_KIND_IMG, true);
    body->mutable_quorum()->add_required_kinds(v1::BODY_ORGANISATION_KIND_MUNICIPALITY);
    ASSERT_THAT(Call<v1::EscalationBody>(stub, &Stub::CreateBody, local, Operator()), IsOk());

    v1::CreateBodyRequest administrative;
    administrative.set_body_id("bo");
    administrative.set_request_id("body-2");
    body = administrative.mutable_body();
    body->set_display_name("Bestuurlijk overleg");
    body->set_level(v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION);
    *body->add_members() = Seat("state", v1::BODY_ORGANISATION_KIND_STATE, true);
    *body->add_members() = Seat("eemsdelta", v1::BODY_ORGANISATION_KIND_MUNICIPALITY, true,
                                "municipalities/eemsdelta");
    ASSERT_THAT(Call<v1::EscalationBody>(stub, &Stub::CreateBody, administrative, Operator()),
                IsOk());

    v1::CreateBodyRequest regional;
    regional.set_body_id("rbo");
    regional.set_request_id("body-3");
    body = regional.mutable_body();
    body->set_display_name("Regionaal bestuurlijk overleg");
    body->set_level(v1::ESCALATION_LEVEL_REGIONAL_CONSULTATION);
    *body->add_members() = Seat("state", v1::BODY_ORGANISATION_KIND_STATE, true);
    *body->add_members() = Seat("province", v1::BODY_ORGANISATION_KIND_PROVINCE, true);
    ASSERT_THAT(Call<v1::EscalationBody>(stub, &Stub::CreateBody, regional, Operator()), IsOk());
  }

  static void CreateBudgetLines() {
    const int year = static_cast<int>(absl::ToCivilYear(absl::Now(), absl::UTCTimeZone()).year());
    struct Line {
      const char* id;
      int64_t ceiling_cents;
    };
    for (const Line& line : {Line{"bl-rich", 100'000'000}, Line{"bl-poor", 1'000}}) {
      v1::CreateBudgetLineRequest request;
      request.set_budget_line_id(line.id);
      request.set_request_id(absl::StrCat("line-", line.id));
      request.mutable_budget_line()->set_display_name(line.id);
      request.mutable_budget_line()->set_source(v1::BUDGET_SOURCE_BOTTLENECK_BUDGET);
      request.mutable_budget_line()->set_owner("municipalities/eemsdelta");
      request.mutable_budget_line()->set_municipality("municipalities/eemsdelta");
      request.mutable_budget_line()->set_year(year);
      request.mutable_budget_line()->set_ceiling_cents(line.ceiling_cents);
      ASSERT_THAT(Call<v1::BudgetLine>(*mandate_stub_, &v1::MandateService::Stub::CreateBudgetLine,
                                       request, Operator()),
                  IsOk());
    }
  }

  static v1::OpenEscalationRequest OpenRequest(const std::string& request_id,
                                               const std::string& budget_line = "budget-lines/bl-rich",
                                               int64_t amount_cents = 2'500'000) {
    v1::OpenEscalationRequest request;
    request.set_request_id(request_id);
    v1::Escalation* escalation = request.mutable_escalation();
    escalation->mutable_cases()->add_cases("cases/17");
    escalation->set_title("Maatwerk funderingsherstel");
    escalation->add_municipalities("municipalities/eemsdelta");
    escalation->set_decision_kind(v1::DECISION_KIND_CUSTOM_SOLUTION);
    escalation->set_amount_asked_cents(amount_cents);
    v1::EscalationFunding* funding = escalation->add_budget_split();
    funding->set_budget_line(budget_line);
    funding->set_amount_cents(amount_cents);
    escalation->set_reason(v1::ESCALATION_REASON_OUT_OF_MANDATE);
    escalation->set_reason_text("above the case manager's mandate of EUR 50,000");
    escalation->set_decision_request("cases/17/decision-requests/1");
    return request;
  }

  static v1::Escalation Open(const std::string& request_id,
                             const std::string& budget_line = "budget-lines/bl-rich",
                             int64_t amount_cents = 2'500'000) {
    absl::StatusOr<v1::Escalation> opened = Call<v1::Escalation>(
        *stub_, &Stub::OpenEscalation, OpenRequest(request_id, budget_line, amount_cents),
        CaseManager());
    EXPECT_THAT(opened, IsOk());
    return opened.ok() ? *opened : v1::Escalation();
  }

  static v1::DecideEscalationRequest LocalGrant(const std::string& name,
                                                const std::string& request_id) {
    v1::DecideEscalationRequest request;
    request.set_name(name);
    request.set_body("bodies/sg-eemsdelta");
    request.set_outcome(v1::ESCALATION_DECISION_OUTCOME_GRANTED);
    request.set_rationale("fits the local approach");
    request.add_present_members("eemsdelta");
    request.add_present_members("ncg");
    request.set_request_id(request_id);
    return request;
  }

  static TestEnvironment* environment_;
  static std::string* clock_file_;
  static ServiceProcess* mandate_;
  static ServiceProcess* escalation_;
  static Stub* stub_;
  static v1::MandateService::Stub* mandate_stub_;
};

TestEnvironment* EscalationIntegrationTest::environment_ = nullptr;
std::string* EscalationIntegrationTest::clock_file_ = nullptr;
ServiceProcess* EscalationIntegrationTest::mandate_ = nullptr;
ServiceProcess* EscalationIntegrationTest::escalation_ = nullptr;
Stub* EscalationIntegrationTest::stub_ = nullptr;
v1::MandateService::Stub* EscalationIntegrationTest::mandate_stub_ = nullptr;

TEST_F(EscalationIntegrationTest, OpenEscalateDecideMakesTheGrantSpendable) {
  v1::Escalation opened = Open("ladder-open");
  EXPECT_EQ(opened.level(), v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP);
  EXPECT_EQ(opened.body(), "bodies/sg-eemsdelta");
  EXPECT_EQ(opened.term().term_working_days(), 30);
  EXPECT_TRUE(opened.term().clock_running());

  v1::AcknowledgeEscalationRequest acknowledge;
  acknowledge.set_name(opened.name());
  acknowledge.set_etag(opened.etag());
  acknowledge.set_request_id("ladder-ack");
  absl::StatusOr<v1::Escalation> acknowledged =
      Call<v1::Escalation>(*stub_, &Stub::AcknowledgeEscalation, acknowledge, SteeringMember());
  ASSERT_THAT(acknowledged, IsOk());
  EXPECT_EQ(acknowledged->status(), v1::ESCALATION_STATUS_ACKNOWLEDGED);

  v1::EscalateUpRequest up;
  up.set_name(opened.name());
  up.set_reason(v1::ESCALATION_REASON_NO_DECISION_POSSIBLE);
  up.set_reason_text("the steering group could not agree");
  up.set_request_id("ladder-up");
  absl::StatusOr<v1::Escalation> moved =
      Call<v1::Escalation>(*stub_, &Stub::EscalateUp, up, SteeringMember());
  ASSERT_THAT(moved, IsOk());
  EXPECT_EQ(moved->level(), v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION);
  EXPECT_EQ(moved->body(), "bodies/bo");
  EXPECT_EQ(moved->term().term_working_days(), 40);
  ASSERT_EQ(moved->level_history_size(), 2);
  EXPECT_EQ(moved->level_history(1).reason(), v1::ESCALATION_REASON_NO_DECISION_POSSIBLE);

  v1::DecideEscalationRequest decide;
  decide.set_name(opened.name());
  decide.set_body("bodies/bo");
  decide.set_outcome(v1::ESCALATION_DECISION_OUTCOME_GRANTED);
  decide.set_rationale("custom solution agreed by the state and the alderman");
  decide.add_conditions("completed within one year");
  decide.add_present_members("state");
  decide.add_present_members("eemsdelta");
  decide.set_request_id("ladder-decide");
  const std::string state_member = environment_->Token(v1::ROLE_STEERING_GROUP_MEMBER, {"*"}, "sg-state");
  absl::StatusOr<v1::EscalationDecision> decision =
      Call<v1::EscalationDecision>(*stub_, &Stub::DecideEscalation, decide, state_member);
  ASSERT_THAT(decision, IsOk());
  EXPECT_EQ(decision->amount_cents(), 2'500'000);
  EXPECT_EQ(decision->voting_rule(), v1::ESCALATION_VOTING_RULE_CONSENSUS);
  EXPECT_EQ(decision->spendable_status(), v1::ESCALATION_SPENDABLE_STATUS_SPENDABLE)
      << decision->reservation_error().ShortDebugString();
  EXPECT_THAT(decision->authorisation(), HasSubstr("authorisations/"));
  EXPECT_THAT(decision->reservation(), HasSubstr("reservations/"));

  v1::GetReservationRequest get_reservation;
  get_reservation.set_name(decision->reservation());
  absl::StatusOr<v1::Reservation> reservation = Call<v1::Reservation>(
      *mandate_stub_, &v1::MandateService::Stub::GetReservation, get_reservation, Operator());
  ASSERT_THAT(reservation, IsOk());
  EXPECT_EQ(reservation->amount_cents(), 2'500'000);
  EXPECT_EQ(reservation->authorisation(), decision->authorisation());

  v1::GetEscalationRequest get;
  get.set_name(opened.name());
  absl::StatusOr<v1::Escalation> decided =
      Call<v1::Escalation>(*stub_, &Stub::GetEscalation, get, environment_->Token(v1::ROLE_AUDITOR));
  ASSERT_THAT(decided, IsOk());
  EXPECT_EQ(decided->status(), v1::ESCALATION_STATUS_DECIDED);
  EXPECT_FALSE(decided->term().clock_running());

  // A retry of the same decision answers the first decision and reserves nothing again.
  absl::StatusOr<v1::EscalationDecision> retried =
      Call<v1::EscalationDecision>(*stub_, &Stub::DecideEscalation, decide, state_member);
  ASSERT_THAT(retried, IsOk());
  EXPECT_EQ(retried->name(), decision->name());
  EXPECT_EQ(retried->reservation(), decision->reservation());

  // Deciding again (a new request) is refused.
  decide.set_request_id("ladder-decide-again");
  absl::StatusOr<v1::EscalationDecision> again =
      Call<v1::EscalationDecision>(*stub_, &Stub::DecideEscalation, decide, state_member);
  EXPECT_THAT(again, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Reason(again.status()), "ALREADY_DECIDED");
}

TEST_F(EscalationIntegrationTest, WrongLevelAndNoQuorumAreRefusedWithTheirReasons) {
  v1::Escalation opened = Open("refusal-open");
  v1::DecideEscalationRequest wrong_level = LocalGrant(opened.name(), "refusal-wrong-level");
  wrong_level.set_body("bodies/bo");
  wrong_level.clear_present_members();
  wrong_level.add_present_members("state");
  wrong_level.add_present_members("eemsdelta");
  absl::StatusOr<v1::EscalationDecision> refused =
      Call<v1::EscalationDecision>(*stub_, &Stub::DecideEscalation, wrong_level, Operator());
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Reason(refused.status()), "WRONG_LEVEL");

  v1::DecideEscalationRequest no_quorum = LocalGrant(opened.name(), "refusal-no-quorum");
  no_quorum.clear_present_members();
  no_quorum.add_present_members("ncg");
  no_quorum.add_present_members("img");  // a majority, but no municipality
  refused = Call<v1::EscalationDecision>(*stub_, &Stub::DecideEscalation, no_quorum, Operator());
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kFailedPrecondition,
                                HasSubstr("BODY_ORGANISATION_KIND_MUNICIPALITY")));
  EXPECT_EQ(Reason(refused.status()), "NO_QUORUM");

  v1::DecideEscalationRequest not_member = LocalGrant(opened.name(), "refusal-not-member");
  refused = Call<v1::EscalationDecision>(
      *stub_, &Stub::DecideEscalation, not_member,
      environment_->Token(v1::ROLE_STEERING_GROUP_MEMBER, {"*"}, "someone-else"));
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(Reason(refused.status()), "NOT_A_BODY_MEMBER");
}

TEST_F(EscalationIntegrationTest, AuthenticationAndRolesAreChecked) {
  absl::StatusOr<v1::Escalation> anonymous =
      Call<v1::Escalation>(*stub_, &Stub::OpenEscalation, OpenRequest("auth-open"), "");
  EXPECT_THAT(anonymous, StatusIs(absl::StatusCode::kUnauthenticated));
  absl::StatusOr<v1::Escalation> auditor = Call<v1::Escalation>(
      *stub_, &Stub::OpenEscalation, OpenRequest("auth-open"), environment_->Token(v1::ROLE_AUDITOR));
  EXPECT_THAT(auditor, StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("'auditor'")));
  EXPECT_EQ(Reason(auditor.status()), "ROLE_NOT_ALLOWED");
  absl::StatusOr<v1::Escalation> elsewhere = Call<v1::Escalation>(
      *stub_, &Stub::OpenEscalation, OpenRequest("auth-open"),
      environment_->Token(v1::ROLE_MUNICIPAL_CASE_MANAGER, {"municipalities/oldambt"}));
  EXPECT_EQ(Reason(elsewhere.status()), "OUTSIDE_MUNICIPALITY_SCOPE");
  v1::ListEscalationsRequest list;
  EXPECT_THAT(Call<v1::ListEscalationsResponse>(*stub_, &Stub::ListEscalations, list,
                                                environment_->Token(v1::ROLE_AUDITOR)),
              IsOk());
  EXPECT_THAT(Call<v1::ListEscalationsResponse>(*stub_, &Stub::ListEscalations, list,
                                                environment_->Token(v1::ROLE_PUBLIC)),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(EscalationIntegrationTest, RetriesAnswerTheFirstEscalation) {
  v1::Escalation first = Open("idempotent-open");
  v1::Escalation second = Open("idempotent-open");
  EXPECT_EQ(first.name(), second.name());
  v1::OpenEscalationRequest different = OpenRequest("idempotent-open");
  different.mutable_escalation()->set_title("another question");
  absl::StatusOr<v1::Escalation> reused =
      Call<v1::Escalation>(*stub_, &Stub::OpenEscalation, different, CaseManager());
  EXPECT_THAT(reused, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(Reason(reused.status()), "REQUEST_ID_REUSED");
}

TEST_F(EscalationIntegrationTest, MissingMoneyKeepsTheDecisionPendingUntilRetried) {
  v1::Escalation opened = Open("pending-open", "budget-lines/bl-poor", 500'000);
  absl::StatusOr<v1::EscalationDecision> decision = Call<v1::EscalationDecision>(
      *stub_, &Stub::DecideEscalation, LocalGrant(opened.name(), "pending-decide"), Operator());
  ASSERT_THAT(decision, IsOk());
  EXPECT_EQ(decision->outcome(), v1::ESCALATION_DECISION_OUTCOME_GRANTED);
  EXPECT_EQ(decision->spendable_status(), v1::ESCALATION_SPENDABLE_STATUS_PENDING);
  EXPECT_EQ(decision->reservation_error().reason(), "INSUFFICIENT_BUDGET");
  EXPECT_THAT(decision->authorisation(), HasSubstr("authorisations/"));
  EXPECT_EQ(decision->reservation_attempts(), 1);

  v1::RetryReservationRequest retry;
  retry.set_name(decision->name());
  retry.set_request_id("pending-retry");
  v1::EscalationFunding* funding = retry.add_funding();
  funding->set_budget_line("budget-lines/bl-rich");
  funding->set_amount_cents(500'000);
  absl::StatusOr<v1::EscalationDecision> retried =
      Call<v1::EscalationDecision>(*stub_, &Stub::RetryReservation, retry, Operator());
  ASSERT_THAT(retried, IsOk());
  EXPECT_EQ(retried->spendable_status(), v1::ESCALATION_SPENDABLE_STATUS_SPENDABLE);
  EXPECT_EQ(retried->authorisation(), decision->authorisation());
  EXPECT_EQ(retried->reservation_attempts(), 2);
  EXPECT_FALSE(retried->has_reservation_error());

  retry.set_request_id("pending-retry-again");
  absl::StatusOr<v1::EscalationDecision> again =
      Call<v1::EscalationDecision>(*stub_, &Stub::RetryReservation, retry, Operator());
  EXPECT_EQ(Reason(again.status()), "NOT_PENDING");
}

TEST_F(EscalationIntegrationTest, EveryChangeIsVisibleInWatchEvents) {
  v1::Escalation opened = Open("events-open");
  v1::WithdrawEscalationRequest withdraw;
  withdraw.set_name(opened.name());
  withdraw.set_reason("solved at the kitchen table");
  withdraw.set_request_id("events-withdraw");
  ASSERT_THAT(Call<v1::Escalation>(*stub_, &Stub::WithdrawEscalation, withdraw, CaseManager()), IsOk());

  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + environment_->Token(v1::ROLE_SERVICE));
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(15));
  v1::WatchEventsRequest request;
  request.set_stop_at_end(true);
  std::unique_ptr<grpc::ClientReader<v1::Event>> reader = stub_->WatchEvents(&context, request);
  std::vector<std::string> types;
  v1::Event event;
  while (reader->Read(&event)) {
    if (event.resource() == opened.name()) types.push_back(event.type());
    EXPECT_THAT(event.payload().value(), ::testing::Not(HasSubstr("kitchen table")));
  }
  ASSERT_THAT(FromGrpcStatus(reader->Finish()), IsOk());
  EXPECT_THAT(types, ::testing::ElementsAre("herstel.v1.EscalationOpened",
                                            "herstel.v1.EscalationWithdrawn"));
}

TEST_F(EscalationIntegrationTest, TheClockDrivesOverdueAndAutoEscalation) {
  SetClock("2026-03-02T09:00:00+01:00");
  v1::Escalation opened = Open("clock-open");

  v1::GetEscalationTermPolicyRequest get_policy;
  absl::StatusOr<v1::EscalationTermPolicy> policy = Call<v1::EscalationTermPolicy>(
      *stub_, &Stub::GetEscalationTermPolicy, get_policy, Operator());
  ASSERT_THAT(policy, IsOk());
  v1::UpdateEscalationTermPolicyRequest update;
  *update.mutable_policy() = *policy;
  update.mutable_policy()->mutable_levels(0)->set_auto_escalate(true);
  update.mutable_update_mask()->add_paths("levels");
  update.set_request_id("clock-policy");
  ASSERT_THAT(Call<v1::EscalationTermPolicy>(*stub_, &Stub::UpdateEscalationTermPolicy, update,
                                             Operator()),
              IsOk());

  // 30 working days from Monday 2 March 2026 end after Wednesday 15 April (Easter in between).
  v1::ListEscalationsRequest overdue;
  overdue.set_filter("overdue=true AND level=ESCALATION_LEVEL_LOCAL_STEERING_GROUP");
  SetClock("2026-04-15T23:00:00+02:00");
  absl::StatusOr<v1::ListEscalationsResponse> listed =
      Call<v1::ListEscalationsResponse>(*stub_, &Stub::ListEscalations, overdue, Operator());
  ASSERT_THAT(listed, IsOk());
  for (const v1::Escalation& escalation : listed->escalations()) {
    EXPECT_NE(escalation.name(), opened.name());
  }

  SetClock("2026-04-16T10:00:00+02:00");
  v1::GetEscalationRequest get;
  get.set_name(opened.name());
  absl::StatusOr<v1::Escalation> current;
  for (int attempt = 0; attempt < 100; ++attempt) {
    current = Call<v1::Escalation>(*stub_, &Stub::GetEscalation, get, Operator());
    ASSERT_THAT(current, IsOk());
    if (current->breaches_size() > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(current->breaches_size(), 1);
  EXPECT_EQ(current->breaches(0).level(), v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP);
  EXPECT_TRUE(current->breaches(0).auto_escalated());
  EXPECT_EQ(current->level(), v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION);
  EXPECT_EQ(current->level_history(1).trigger(), v1::ESCALATION_LEVEL_CHANGE_TRIGGER_TERM_BREACH);
  EXPECT_EQ(current->level_history(1).actor(), "system");
  EXPECT_FALSE(current->overdue());

  // Once per breach: later sweeps leave it alone until the new level's term ends.
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  absl::StatusOr<v1::Escalation> later = Call<v1::Escalation>(*stub_, &Stub::GetEscalation, get, Operator());
  ASSERT_THAT(later, IsOk());
  EXPECT_EQ(later->breaches_size(), 1);
  EXPECT_EQ(later->level(), v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION);

  // Back to the default policy for the other tests.
  update.mutable_policy()->set_etag(
      Call<v1::EscalationTermPolicy>(*stub_, &Stub::GetEscalationTermPolicy, get_policy, Operator())->etag());
  update.mutable_policy()->mutable_levels(0)->set_auto_escalate(false);
  update.set_request_id("clock-policy-reset");
  ASSERT_THAT(Call<v1::EscalationTermPolicy>(*stub_, &Stub::UpdateEscalationTermPolicy, update,
                                             Operator()),
              IsOk());
  SetClock("2026-03-02T09:00:00+01:00");
}

TEST_F(EscalationIntegrationTest, MeetingsSuspensionCannotDecideAndReferral) {
  v1::Escalation opened = Open("flow-open");
  v1::CreateMeetingRequest create_meeting;
  create_meeting.mutable_meeting()->set_body("bodies/sg-eemsdelta");
  *create_meeting.mutable_meeting()->mutable_start_time() = google::protobuf::Timestamp();
  create_meeting.mutable_meeting()->mutable_start_time()->set_seconds(
      absl::ToUnixSeconds(absl::FromCivil(absl::CivilDay(2026, 3, 9), absl::UTCTimeZone())));
  create_meeting.mutable_meeting()->set_location("Gemeentehuis Delfzijl");
  create_meeting.set_request_id("flow-meeting");
  absl::StatusOr<v1::EscalationMeeting> meeting =
      Call<v1::EscalationMeeting>(*stub_, &Stub::CreateMeeting, create_meeting, SteeringMember());
  ASSERT_THAT(meeting, IsOk());
  EXPECT_EQ(meeting->status(), v1::ESCALATION_MEETING_STATUS_PLANNED);

  v1::ScheduleEscalationRequest schedule;
  schedule.set_name(opened.name());
  schedule.set_meeting(meeting->name());
  schedule.set_request_id("flow-schedule");
  absl::StatusOr<v1::Escalation> scheduled =
      Call<v1::Escalation>(*stub_, &Stub::ScheduleEscalation, schedule, SteeringMember());
  ASSERT_THAT(scheduled, IsOk());
  EXPECT_EQ(scheduled->status(), v1::ESCALATION_STATUS_SCHEDULED);
  EXPECT_EQ(scheduled->meeting(), meeting->name());

  // The clock stops and restarts. Suspended on the day it was opened (which never
  // counts) and resumed a week later: Tuesday to Friday stood still.
  v1::SuspendEscalationRequest suspend;
  suspend.set_name(opened.name());
  suspend.set_reason("waiting for an engineering report");
  suspend.set_request_id("flow-suspend");
  ASSERT_THAT(Call<v1::Escalation>(*stub_, &Stub::SuspendEscalation, suspend, SteeringMember()), IsOk());
  v1::DecideEscalationRequest while_suspended = LocalGrant(opened.name(), "flow-decide-suspended");
  EXPECT_EQ(Reason(Call<v1::EscalationDecision>(*stub_, &Stub::DecideEscalation, while_suspended,
                                                Operator()).status()),
            "SUSPENDED");
  SetClock("2026-03-09T09:00:00+01:00");
  v1::ResumeEscalationRequest resume;
  resume.set_name(opened.name());
  resume.set_request_id("flow-resume");
  absl::StatusOr<v1::Escalation> resumed =
      Call<v1::Escalation>(*stub_, &Stub::ResumeEscalation, resume, SteeringMember());
  SetClock("2026-03-02T09:00:00+01:00");
  ASSERT_THAT(resumed, IsOk());
  EXPECT_EQ(resumed->status(), v1::ESCALATION_STATUS_SCHEDULED);
  ASSERT_EQ(resumed->suspensions_size(), 1);
  EXPECT_EQ(resumed->suspensions(0).working_days_suspended(), 4);
  // Due after Wednesday 15 April before; four working days later: after Tuesday 21 April.
  EXPECT_EQ(resumed->due_time().seconds() - opened.due_time().seconds(), 6 * 24 * 3600);

  // The local steering group cannot decide: it moves up with the decision as cause.
  v1::DecideEscalationRequest cannot = LocalGrant(opened.name(), "flow-cannot");
  cannot.set_outcome(v1::ESCALATION_DECISION_OUTCOME_CANNOT_DECIDE);
  cannot.set_meeting(meeting->name());
  absl::StatusOr<v1::EscalationDecision> decision =
      Call<v1::EscalationDecision>(*stub_, &Stub::DecideEscalation, cannot, Operator());
  ASSERT_THAT(decision, IsOk());
  EXPECT_EQ(decision->spendable_status(), v1::ESCALATION_SPENDABLE_STATUS_NOT_APPLICABLE);
  v1::GetEscalationRequest get;
  get.set_name(opened.name());
  absl::StatusOr<v1::Escalation> moved = Call<v1::Escalation>(*stub_, &Stub::GetEscalation, get, Operator());
  ASSERT_THAT(moved, IsOk());
  EXPECT_EQ(moved->level(), v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION);
  EXPECT_EQ(moved->status(), v1::ESCALATION_STATUS_OPEN);
  EXPECT_EQ(moved->level_history(1).trigger(), v1::ESCALATION_LEVEL_CHANGE_TRIGGER_CANNOT_DECIDE);
  EXPECT_EQ(moved->level_history(1).cause(), decision->name());
  v1::GetMeetingRequest get_meeting;
  get_meeting.set_name(meeting->name());
  absl::StatusOr<v1::EscalationMeeting> agenda =
      Call<v1::EscalationMeeting>(*stub_, &Stub::GetMeeting, get_meeting, Operator());
  ASSERT_THAT(agenda, IsOk());
  ASSERT_EQ(agenda->agenda_size(), 1);
  EXPECT_EQ(agenda->agenda(0).decision(), decision->name());

  // Jumping up is refused for what is not supra-local; a national framework is referred.
  v1::EscalateUpRequest up;
  up.set_name(opened.name());
  up.set_to_level(v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP);
  up.set_reason(v1::ESCALATION_REASON_OUT_OF_MANDATE);
  up.set_reason_text("down?");
  up.set_request_id("flow-down");
  EXPECT_EQ(Reason(Call<v1::Escalation>(*stub_, &Stub::EscalateUp, up, Operator()).status()),
            "NOT_UP_THE_LADDER");
  v1::ReferEscalationRequest refer;
  refer.set_name(opened.name());
  refer.mutable_referral()->set_organisation("Ministerie van BZK");
  refer.mutable_referral()->set_framework("Besluit bouwwerken leefomgeving");
  refer.set_request_id("flow-refer");
  absl::StatusOr<v1::Escalation> referred =
      Call<v1::Escalation>(*stub_, &Stub::ReferEscalation, refer, Operator());
  ASSERT_THAT(referred, IsOk());
  EXPECT_EQ(referred->status(), v1::ESCALATION_STATUS_REFERRED);
  EXPECT_EQ(referred->referral().referred_by(), "ops-1");
  EXPECT_TRUE(referred->referral().has_refer_time());
}

TEST_F(EscalationIntegrationTest, AnUnreachableMandateServiceLeavesTheGrantPending) {
  const int unused_port = ::herstel::testing::PickFreePort();
  absl::StatusOr<std::unique_ptr<ServiceProcess>> isolated = environment_->StartService(
      ESCALATION_SERVICE_BINARY, "escalation-isolated",
      {"--clock_file=" + *clock_file_, absl::StrCat("--mandate_address=127.0.0.1:", unused_port),
       "--mandate_timeout_ms=500", "--bodies_file="});
  ASSERT_THAT(isolated, IsOk());
  std::unique_ptr<Stub> stub = v1::EscalationService::NewStub((*isolated)->channel());
  CreateBodies(*stub);
  absl::StatusOr<v1::Escalation> opened = Call<v1::Escalation>(
      *stub, &Stub::OpenEscalation, OpenRequest("unreachable-open"), CaseManager());
  ASSERT_THAT(opened, IsOk());
  absl::StatusOr<v1::EscalationDecision> decision = Call<v1::EscalationDecision>(
      *stub, &Stub::DecideEscalation, LocalGrant(opened->name(), "unreachable-decide"), Operator());
  ASSERT_THAT(decision, IsOk());
  EXPECT_EQ(decision->spendable_status(), v1::ESCALATION_SPENDABLE_STATUS_PENDING);
  EXPECT_EQ(decision->reservation_error().reason(), "MANDATE_SERVICE_UNAVAILABLE");
  EXPECT_TRUE(decision->authorisation().empty());
  v1::ListEscalationDecisionsRequest pending;
  pending.set_parent("escalations/-");
  pending.set_filter("spendable_status=ESCALATION_SPENDABLE_STATUS_PENDING");
  absl::StatusOr<v1::ListEscalationDecisionsResponse> listed = Call<v1::ListEscalationDecisionsResponse>(
      *stub, &Stub::ListEscalationDecisions, pending, Operator());
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->decisions_size(), 1);
  EXPECT_EQ(listed->decisions(0).name(), decision->name());
}

TEST_F(EscalationIntegrationTest, AFreshStoreGetsTheDefaultBodiesOnce) {
  absl::StatusOr<std::unique_ptr<ServiceProcess>> fresh =
      environment_->StartService(ESCALATION_SERVICE_BINARY, "escalation-defaults");
  ASSERT_THAT(fresh, IsOk());
  std::unique_ptr<Stub> stub = v1::EscalationService::NewStub((*fresh)->channel());
  v1::ListBodiesRequest list;
  absl::StatusOr<v1::ListBodiesResponse> bodies =
      Call<v1::ListBodiesResponse>(*stub, &Stub::ListBodies, list, Operator());
  ASSERT_THAT(bodies, IsOk());
  EXPECT_EQ(bodies->bodies_size(), 7);  // five local steering groups and the two consultations
  list.set_filter("level=ESCALATION_LEVEL_LOCAL_STEERING_GROUP AND municipality=municipalities/oldambt");
  bodies = Call<v1::ListBodiesResponse>(*stub, &Stub::ListBodies, list, Operator());
  ASSERT_THAT(bodies, IsOk());
  ASSERT_EQ(bodies->bodies_size(), 1);
  EXPECT_EQ(bodies->bodies(0).name(), "bodies/sg-oldambt");
  absl::StatusOr<v1::Escalation> opened = Call<v1::Escalation>(
      *stub, &Stub::OpenEscalation, OpenRequest("defaults-open"), CaseManager());
  ASSERT_THAT(opened, IsOk());
  EXPECT_EQ(opened->body(), "bodies/sg-eemsdelta");
}

}  // namespace
}  // namespace herstel::escalation
