// The mandate-service as a real process on a loopback port, over gRPC.
#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "harness/service_process.h"
#include "herstel/errors.h"
#include "herstel/status_matchers.h"
#include "herstel/v1/mandate_service.grpc.pb.h"

namespace herstel::mandate {
namespace {

using ::google::protobuf::util::TimeUtil;
using ::herstel::testing::IsOk;
using ::herstel::testing::ServiceProcess;
using ::herstel::testing::StatusIs;
using ::herstel::testing::StoreBackend;
using ::herstel::testing::TestEnvironment;
using ::testing::HasSubstr;

constexpr char kEemsdelta[] = "municipalities/eemsdelta";

// Every test runs on SQLite and on PostgreSQL.
class MandateServiceTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  MandateServiceTest() : environment_(GetParam()) {}

  void SetUp() override {
    auto process = environment_.StartService(HERSTEL_MANDATE_SERVICE_BINARY, "mandate",
                                             {"--expiry_sweep_ms=100"});
    ASSERT_TRUE(process.ok()) << process.status();
    process_ = std::move(*process);
    stub_ = v1::MandateService::NewStub(process_->channel());
    operator_token_ = environment_.Token(v1::ROLE_OPERATOR, {"*"}, "ops-1");
    case_manager_token_ = CaseManagerToken("cm-1");
    service_token_ = environment_.Token(v1::ROLE_SERVICE, {"*"}, "escalation-service");
  }

  std::string CaseManagerToken(const std::string& subject) const {
    Caller caller{subject, "NCG", v1::ROLE_NCG_RESIDENT_CASE_MANAGER, {kEemsdelta}, absl::Now() + absl::Hours(1)};
    return environment_.key().Mint(caller);
  }

  // Calls `method` on the stub with `token`; the answer's status with detail.
  template <typename Request, typename Response, typename Method>
  absl::Status Call(Method method, const std::string& token, const Request& request, Response& response) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + token);
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    return FromGrpcStatus((stub_.get()->*method)(&context, request, &response));
  }

  std::string CreateLine(int64_t ceiling_cents, const std::string& id) {
    v1::CreateBudgetLineRequest request;
    request.set_budget_line_id(id);
    request.set_request_id("create-" + id);
    v1::BudgetLine* line = request.mutable_budget_line();
    line->set_display_name("Knelpuntenbudget Eemsdelta 2026");
    line->set_source(v1::BUDGET_SOURCE_BOTTLENECK_BUDGET);
    line->set_owner(kEemsdelta);
    line->set_municipality(kEemsdelta);
    line->set_year(2026);
    line->set_ceiling_cents(ceiling_cents);
    v1::BudgetLine created;
    EXPECT_THAT(Call(&v1::MandateService::Stub::CreateBudgetLine, operator_token_, request, created), IsOk());
    return created.name();
  }

  v1::BudgetLine Line(const std::string& name) {
    v1::GetBudgetLineRequest request;
    request.set_name(name);
    v1::BudgetLine line;
    EXPECT_THAT(Call(&v1::MandateService::Stub::GetBudgetLine, operator_token_, request, line), IsOk());
    return line;
  }

  v1::CheckAndReserveRequest CustomSolution(const std::string& line, int64_t amount_cents,
                                            const std::string& request_id) {
    v1::CheckAndReserveRequest request;
    request.set_kind(v1::DECISION_KIND_CUSTOM_SOLUTION);
    request.set_municipality(kEemsdelta);
    v1::BudgetLineAmount* part = request.add_lines();
    part->set_budget_line(line);
    part->set_amount_cents(amount_cents);
    request.set_reference("cases/1/decision-requests/1");
    request.set_request_id(request_id);
    return request;
  }

  // Sum and count of every journal entry of every line, paging through.
  std::pair<int64_t, int> JournalTotals() {
    int64_t sum = 0;
    int count = 0;
    v1::ListJournalEntriesRequest request;
    request.set_parent("budget-lines/-");
    request.set_page_size(1000);
    while (true) {
      v1::ListJournalEntriesResponse response;
      EXPECT_THAT(Call(&v1::MandateService::Stub::ListJournalEntries, operator_token_, request, response), IsOk());
      for (const auto& entry : response.entries()) {
        sum += entry.amount_cents();
        ++count;
      }
      if (response.next_page_token().empty()) break;
      request.set_page_token(response.next_page_token());
    }
    return {sum, count};
  }

  // Case manager cm-`caller` asks `ask` cents from `line` with request id
  // `request_id`, on the replica behind `channel`.
  absl::Status Reserve(const std::shared_ptr<grpc::Channel>& channel, int caller,
                       const std::string& line, int64_t ask, const std::string& request_id,
                       v1::CheckAndReserveResponse& response) {
    auto stub = v1::MandateService::NewStub(channel);
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + CaseManagerToken(absl::StrCat("cm-", caller)));
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    return FromGrpcStatus(
        stub->CheckAndReserve(&context, CustomSolution(line, ask, request_id), &response));
  }

  // What a race of callers asking at once got.
  struct Race {
    int granted = 0, refused = 0, other = 0;
    std::vector<std::string> reservations;  // per caller; empty when not granted
  };

  // `callers` case managers ask `ask` from `line` at the same moment, caller i
  // on replicas[i % replicas.size()] with request id `prefix`-i.
  Race ReserveAtOnce(const std::vector<std::shared_ptr<grpc::Channel>>& replicas, int callers,
                     const std::string& line, int64_t ask, const std::string& prefix) {
    std::atomic<int> granted{0}, refused{0}, other{0};
    Race race;
    race.reservations.resize(callers);
    std::vector<std::thread> threads;
    for (int i = 0; i < callers; ++i) {
      threads.emplace_back([&, i] {
        v1::CheckAndReserveResponse response;
        absl::Status status = Reserve(replicas[i % replicas.size()], i, line, ask,
                                      absl::StrCat(prefix, "-", i), response);
        if (status.ok() && response.result().allowed()) {
          race.reservations[i] = response.reservation().name();
          ++granted;
        } else if (status.code() == absl::StatusCode::kFailedPrecondition &&
                   GetErrorDetail(status)->reason() == "INSUFFICIENT_BUDGET") {
          ++refused;
        } else {
          ++other;
        }
      });
    }
    for (auto& thread : threads) thread.join();
    race.granted = granted.load();
    race.refused = refused.load();
    race.other = other.load();
    return race;
  }

  TestEnvironment environment_;
  std::unique_ptr<ServiceProcess> process_;
  std::unique_ptr<v1::MandateService::Stub> stub_;
  std::string operator_token_, case_manager_token_, service_token_;
};

TEST_P(MandateServiceTest, DefaultRegisterIsLoadedOnceFromTheSeeds) {
  v1::ListMandatesRequest request;
  request.set_page_size(100);
  v1::ListMandatesResponse first;
  ASSERT_THAT(Call(&v1::MandateService::Stub::ListMandates, case_manager_token_, request, first), IsOk());
  EXPECT_EQ(first.mandates_size(), 9);
  ASSERT_TRUE(process_->Terminate(absl::Seconds(5)).ok());
  auto restarted = environment_.StartService(HERSTEL_MANDATE_SERVICE_BINARY, "mandate");
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  process_ = std::move(*restarted);
  stub_ = v1::MandateService::NewStub(process_->channel());
  v1::ListMandatesResponse again;
  ASSERT_THAT(Call(&v1::MandateService::Stub::ListMandates, case_manager_token_, request, again), IsOk());
  EXPECT_EQ(again.mandates_size(), 9);
  request.set_filter("holder_level=ESCALATION_LEVEL_LOCAL_STEERING_GROUP");
  v1::ListMandatesResponse steering_groups;
  ASSERT_THAT(Call(&v1::MandateService::Stub::ListMandates, case_manager_token_, request, steering_groups), IsOk());
  EXPECT_EQ(steering_groups.mandates_size(), 5);
}

TEST_P(MandateServiceTest, CaseManagerDecidesWithinMandateAndIsToldWhoCanDecideAbove) {
  std::string line = CreateLine(100'000'000, "knelpunt-eemsdelta");
  v1::CheckAndReserveResponse within;
  ASSERT_THAT(Call(&v1::MandateService::Stub::CheckAndReserve, case_manager_token_,
                   CustomSolution(line, 4'200'000, "r-42k"), within),
              IsOk());
  EXPECT_TRUE(within.result().allowed());
  EXPECT_EQ(within.result().mandate(), "mandates/ncg-maatwerk-bewonersbegeleiders");
  EXPECT_EQ(within.reservation().amount_cents(), 4'200'000);
  EXPECT_EQ(within.reservation().state(), v1::RESERVATION_STATE_ACTIVE);

  v1::CheckAndReserveResponse above;
  ASSERT_THAT(Call(&v1::MandateService::Stub::CheckAndReserve, case_manager_token_,
                   CustomSolution(line, 8'000'000, "r-80k"), above),
              IsOk());
  EXPECT_FALSE(above.result().allowed());
  EXPECT_FALSE(above.has_reservation());
  EXPECT_EQ(above.result().can_decide_level(), v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP);
  EXPECT_THAT(above.result().denial_message(), HasSubstr("EUR 50.000,00"));
  EXPECT_EQ(Line(line).reserved_cents(), 4'200'000);

  // Every check is in the decision log, readable by auditors.
  v1::ListDecisionLogRequest log_request;
  log_request.set_filter("caller_subject=cm-1");
  v1::ListDecisionLogResponse log;
  ASSERT_THAT(Call(&v1::MandateService::Stub::ListDecisionLog, environment_.Token(v1::ROLE_AUDITOR), log_request, log),
              IsOk());
  ASSERT_EQ(log.entries_size(), 2);
  EXPECT_TRUE(log.entries(0).result().allowed());
  EXPECT_EQ(log.entries(0).reservation(), within.reservation().name());
  EXPECT_FALSE(log.entries(1).result().allowed());
  EXPECT_THAT(Call(&v1::MandateService::Stub::ListDecisionLog, case_manager_token_, log_request, log),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("decision log")));
}

TEST_P(MandateServiceTest, SixtyFourConcurrentCallersNeverOverspendOneLine) {
  constexpr int kCallers = 64;
  constexpr int64_t kCeiling = 1'000'000;
  constexpr int64_t kAsk = 30'000;  // 33 fit, 31 must be refused
  std::string line = CreateLine(kCeiling, "hot-line");
  Race race = ReserveAtOnce({process_->channel()}, kCallers, line, kAsk, "race");
  const std::vector<std::string>& reservations = race.reservations;
  EXPECT_EQ(race.granted, 33);
  EXPECT_EQ(race.refused, 31);
  EXPECT_EQ(race.other, 0);
  v1::BudgetLine after = Line(line);
  EXPECT_EQ(after.reserved_cents(), 33 * kAsk);
  EXPECT_EQ(after.available_cents(), kCeiling - 33 * kAsk);

  // Now commit half of each, concurrently: the rest comes back exactly.
  std::vector<std::thread> committers;
  for (int i = 0; i < kCallers; ++i) {
    if (reservations[i].empty()) continue;
    committers.emplace_back([&, i] {
      auto stub = v1::MandateService::NewStub(process_->channel());
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + service_token_);
      v1::CommitReservationRequest request;
      request.set_name(reservations[i]);
      v1::BudgetLineAmount* part = request.add_lines();
      part->set_budget_line(line);
      part->set_amount_cents(kAsk / 2);
      request.set_request_id(absl::StrCat("commit-", i));
      v1::Reservation response;
      EXPECT_TRUE(stub->CommitReservation(&context, request, &response).ok());
    });
  }
  for (auto& committer : committers) committer.join();
  after = Line(line);
  EXPECT_EQ(after.reserved_cents(), 0);
  EXPECT_EQ(after.committed_cents(), 33 * kAsk / 2);
  EXPECT_EQ(after.available_cents(), kCeiling - 33 * kAsk / 2);
  auto [sum, count] = JournalTotals();
  EXPECT_EQ(sum, 0);
  EXPECT_EQ(count, 2 * (1 + 33 + 33 + 33));  // open, reserve, commit, release-the-rest
}

TEST_P(MandateServiceTest, RetriedReservationReturnsTheFirstAnswerOnce) {
  std::string line = CreateLine(10'000'000, "retry-line");
  v1::CheckAndReserveResponse first, second;
  ASSERT_THAT(Call(&v1::MandateService::Stub::CheckAndReserve, case_manager_token_,
                   CustomSolution(line, 1'000'000, "same-id"), first),
              IsOk());
  ASSERT_THAT(Call(&v1::MandateService::Stub::CheckAndReserve, case_manager_token_,
                   CustomSolution(line, 1'000'000, "same-id"), second),
              IsOk());
  EXPECT_EQ(second.reservation().name(), first.reservation().name());
  EXPECT_EQ(Line(line).reserved_cents(), 1'000'000);
  absl::Status reused = Call(&v1::MandateService::Stub::CheckAndReserve, case_manager_token_,
                             CustomSolution(line, 2'000'000, "same-id"), second);
  EXPECT_THAT(reused, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(Line(line).reserved_cents(), 1'000'000);
}

TEST_P(MandateServiceTest, BadInputGetsAPreciseErrorAndChangesNothing) {
  std::string line = CreateLine(10'000'000, "guarded-line");
  v1::CheckAndReserveResponse reserved;
  ASSERT_THAT(Call(&v1::MandateService::Stub::CheckAndReserve, case_manager_token_,
                   CustomSolution(line, 1'000'000, "guard-1"), reserved),
              IsOk());
  auto before = JournalTotals();
  v1::BudgetLine line_before = Line(line);

  struct Case {
    std::string name;
    int64_t amount_cents;
    std::string budget_line;
    absl::StatusCode code;
    std::string field_or_reason;
  };
  const Case cases[] = {
      {"zero", 0, line, absl::StatusCode::kInvalidArgument, "lines[0].amount_cents"},
      {"negative", -100, line, absl::StatusCode::kInvalidArgument, "lines[0].amount_cents"},
      {"overflowing", INT64_MAX, line, absl::StatusCode::kInvalidArgument, "lines[0].amount_cents"},
      {"unknown line", 100, "budget-lines/nope", absl::StatusCode::kNotFound, "NOT_FOUND"},
      {"malformed line", 100, "nope", absl::StatusCode::kInvalidArgument, "lines[0].budget_line"},
      {"more than the line holds", 9'500'000, line, absl::StatusCode::kFailedPrecondition, "INSUFFICIENT_BUDGET"},
  };
  for (const Case& each : cases) {
    v1::CheckAndReserveResponse response;
    v1::CheckAndReserveRequest request = CustomSolution(each.budget_line, each.amount_cents, "bad-" + each.name);
    if (each.name == "more than the line holds") {
      request = CustomSolution(each.budget_line, each.amount_cents, "bad-" + each.name);
      request.mutable_caller()->set_subject("lsg");
      request.mutable_caller()->set_level(v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP);
    }
    absl::Status status = Call(&v1::MandateService::Stub::CheckAndReserve,
                               each.name == "more than the line holds" ? service_token_ : case_manager_token_,
                               request, response);
    EXPECT_EQ(status.code(), each.code) << each.name << ": " << status;
    v1::ErrorDetail detail = GetErrorDetail(status).value_or(v1::ErrorDetail());
    bool named = detail.reason() == each.field_or_reason;
    for (const auto& violation : detail.field_violations()) named |= violation.field() == each.field_or_reason;
    EXPECT_TRUE(named) << each.name << ": " << detail.DebugString();
  }

  // A commit larger than its reservation.
  v1::CommitReservationRequest commit;
  commit.set_name(reserved.reservation().name());
  commit.add_lines()->set_budget_line(line);
  commit.mutable_lines(0)->set_amount_cents(1'000'001);
  commit.set_request_id("commit-too-much");
  v1::Reservation committed;
  absl::Status too_much = Call(&v1::MandateService::Stub::CommitReservation, case_manager_token_, commit, committed);
  EXPECT_THAT(too_much, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("exceeds")));
  EXPECT_EQ(GetErrorDetail(too_much)->reason(), "COMMIT_EXCEEDS_RESERVATION");

  EXPECT_EQ(JournalTotals(), before);
  v1::BudgetLine line_after = Line(line);
  EXPECT_EQ(line_after.reserved_cents(), line_before.reserved_cents());
  EXPECT_EQ(line_after.committed_cents(), line_before.committed_cents());
}

v1::Mandate TestMandate(v1::Role role, absl::Time from, absl::Time until) {
  v1::Mandate mandate;
  mandate.set_display_name("Test mandate");
  mandate.mutable_grantor()->set_kind(v1::MANDATE_GRANTOR_KIND_MUNICIPALITY);
  mandate.mutable_grantor()->set_name(kEemsdelta);
  mandate.mutable_holder()->set_role(role);
  mandate.mutable_holder()->set_organisation("gemeente Eemsdelta");
  mandate.add_decision_kinds(v1::DECISION_KIND_DAMPEN_DIFFERENCE);
  mandate.set_max_amount_cents(2'000'000);
  *mandate.mutable_valid_from() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(from));
  *mandate.mutable_valid_until() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(until));
  mandate.set_legal_basis("Mandaatbesluit gemeente Eemsdelta, artikel 3");
  mandate.set_allows_sub_mandates(true);
  return mandate;
}

TEST_P(MandateServiceTest, MandatesGrantRevokeCascadeAndRefuseWhatCantBeDelegated) {
  v1::GrantMandateRequest grant;
  *grant.mutable_mandate() = TestMandate(v1::ROLE_MUNICIPAL_CASE_MANAGER, absl::Now() - absl::Hours(1),
                                         absl::Now() + absl::Hours(24 * 30));
  grant.set_mandate_id("eemsdelta-verschillen");
  grant.set_request_id("grant-1");
  v1::Mandate parent;
  ASSERT_THAT(Call(&v1::MandateService::Stub::GrantMandate, operator_token_, grant, parent), IsOk());

  v1::GrantMandateRequest sub = grant;
  sub.set_mandate_id("eemsdelta-verschillen-sub");
  sub.set_request_id("grant-2");
  sub.mutable_mandate()->set_parent(parent.name());
  sub.mutable_mandate()->set_max_amount_cents(3'000'000);  // wider than its parent
  v1::Mandate child;
  absl::Status wider = Call(&v1::MandateService::Stub::GrantMandate, operator_token_, sub, child);
  EXPECT_THAT(wider, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("EUR 20.000,00")));
  EXPECT_EQ(GetErrorDetail(wider)->reason(), "SUB_MANDATE_EXCEEDS_PARENT");
  sub.set_request_id("grant-3");
  sub.mutable_mandate()->set_max_amount_cents(1'000'000);
  ASSERT_THAT(Call(&v1::MandateService::Stub::GrantMandate, operator_token_, sub, child), IsOk());

  v1::GrantMandateRequest forbidden = grant;
  forbidden.set_mandate_id("area-vision");
  forbidden.set_request_id("grant-4");
  forbidden.mutable_mandate()->add_decision_kinds(v1::DECISION_KIND_SET_AREA_VISION);
  v1::Mandate none;
  absl::Status non_delegable = Call(&v1::MandateService::Stub::GrantMandate, operator_token_, forbidden, none);
  EXPECT_THAT(non_delegable, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("can't be delegated")));
  EXPECT_EQ(GetErrorDetail(non_delegable)->reason(), "NON_DELEGABLE_POWER");
  EXPECT_THAT(Call(&v1::MandateService::Stub::GrantMandate, case_manager_token_, grant, none),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("operator")));

  v1::RevokeMandateRequest revoke;
  revoke.set_name(parent.name());
  revoke.set_reason("Mandaatbesluit ingetrokken");
  revoke.set_request_id("revoke-1");
  v1::RevokeMandateResponse revoked;
  ASSERT_THAT(Call(&v1::MandateService::Stub::RevokeMandate, operator_token_, revoke, revoked), IsOk());
  EXPECT_EQ(revoked.mandate().state(), v1::MANDATE_STATE_REVOKED);
  EXPECT_THAT(revoked.revoked_sub_mandates(), ::testing::ElementsAre(child.name()));

  Caller holder{"gm-1", "gemeente Eemsdelta", v1::ROLE_MUNICIPAL_CASE_MANAGER, {kEemsdelta}, absl::Now() + absl::Hours(1)};
  v1::CheckDecisionRequest check;
  check.set_kind(v1::DECISION_KIND_DAMPEN_DIFFERENCE);
  check.set_amount_cents(100'000);
  check.set_municipality(kEemsdelta);
  check.set_request_id("check-after-revoke");
  v1::CheckDecisionResponse answer;
  ASSERT_THAT(Call(&v1::MandateService::Stub::CheckDecision, environment_.key().Mint(holder), check, answer), IsOk());
  EXPECT_FALSE(answer.result().allowed());
  EXPECT_EQ(answer.result().denial_reason(), v1::MANDATE_DENIAL_REASON_REVOKED);
}

TEST_P(MandateServiceTest, ExpiredMandateNoLongerApplies) {
  v1::GrantMandateRequest grant;
  *grant.mutable_mandate() = TestMandate(v1::ROLE_MUNICIPAL_CASE_MANAGER, absl::Now() - absl::Hours(48),
                                         absl::Now() - absl::Hours(24));
  grant.set_request_id("grant-expired");
  v1::Mandate mandate;
  ASSERT_THAT(Call(&v1::MandateService::Stub::GrantMandate, operator_token_, grant, mandate), IsOk());
  Caller holder{"gm-2", "gemeente Eemsdelta", v1::ROLE_MUNICIPAL_CASE_MANAGER, {kEemsdelta}, absl::Now() + absl::Hours(1)};
  v1::CheckDecisionRequest check;
  check.set_kind(v1::DECISION_KIND_DAMPEN_DIFFERENCE);
  check.set_amount_cents(100'000);
  check.set_municipality(kEemsdelta);
  check.set_request_id("check-expired");
  v1::CheckDecisionResponse answer;
  ASSERT_THAT(Call(&v1::MandateService::Stub::CheckDecision, environment_.key().Mint(holder), check, answer), IsOk());
  EXPECT_FALSE(answer.result().allowed());
  EXPECT_EQ(answer.result().denial_reason(), v1::MANDATE_DENIAL_REASON_EXPIRED);
}

TEST_P(MandateServiceTest, AnAuthorisationOfTheLadderIsSpentOnce) {
  std::string line = CreateLine(100'000'000, "escalated-line");
  v1::RecordAuthorisationRequest record;
  v1::Authorisation* asked = record.mutable_authorisation();
  asked->set_level(v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION);
  asked->set_kind(v1::DECISION_KIND_CUSTOM_SOLUTION);
  asked->add_municipalities(kEemsdelta);
  asked->set_amount_cents(7'000'000);
  asked->set_reference("cases/1/decision-requests/2");
  asked->set_escalation("escalations/e-1");
  asked->set_escalation_decision("escalations/e-1/decisions/d-1");
  record.set_request_id("auth-1");
  v1::Authorisation authorisation;
  ASSERT_THAT(Call(&v1::MandateService::Stub::RecordAuthorisation, service_token_, record, authorisation), IsOk());
  EXPECT_EQ(authorisation.basis_mandate(), "mandates/bestuurlijk-overleg");
  EXPECT_EQ(authorisation.state(), v1::AUTHORISATION_STATE_ACTIVE);

  v1::CheckAndReserveRequest spend = CustomSolution(line, 7'000'000, "spend-1");
  spend.set_authorisation(authorisation.name());
  v1::CheckAndReserveResponse spent;
  ASSERT_THAT(Call(&v1::MandateService::Stub::CheckAndReserve, service_token_, spend, spent), IsOk());
  EXPECT_TRUE(spent.result().allowed());
  EXPECT_EQ(spent.reservation().authorisation(), authorisation.name());
  v1::GetAuthorisationRequest get;
  get.set_name(authorisation.name());
  ASSERT_THAT(Call(&v1::MandateService::Stub::GetAuthorisation, operator_token_, get, authorisation), IsOk());
  EXPECT_EQ(authorisation.state(), v1::AUTHORISATION_STATE_USED);

  spend.set_request_id("spend-2");
  v1::CheckAndReserveResponse again;
  ASSERT_THAT(Call(&v1::MandateService::Stub::CheckAndReserve, service_token_, spend, again), IsOk());
  EXPECT_FALSE(again.result().allowed());
  EXPECT_EQ(again.result().denial_reason(), v1::MANDATE_DENIAL_REASON_AUTHORISATION_INVALID);

  // The local steering group can't authorise EUR 500,000: it says who can.
  asked->set_level(v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP);
  asked->set_amount_cents(50'000'000);
  record.set_request_id("auth-2");
  absl::Status lacking = Call(&v1::MandateService::Stub::RecordAuthorisation, service_token_, record, authorisation);
  EXPECT_THAT(lacking, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no mandate")));
  EXPECT_EQ(GetErrorDetail(lacking)->reason(), "LEVEL_LACKS_MANDATE");
  EXPECT_EQ(GetErrorDetail(lacking)->can_decide_level(), v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION);
  v1::CheckAndReserveRequest by_person = CustomSolution(line, 100, "spend-3");
  by_person.set_authorisation(authorisation.name());
  EXPECT_THAT(Call(&v1::MandateService::Stub::CheckAndReserve, case_manager_token_, by_person, again),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_P(MandateServiceTest, ExpiredReservationsAreReleasedAutomatically) {
  std::string line = CreateLine(10'000'000, "expiring-line");
  v1::CheckAndReserveRequest request = CustomSolution(line, 2'000'000, "expiring");
  *request.mutable_expire_time() =
      TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(absl::Now() + absl::Milliseconds(800)));
  v1::CheckAndReserveResponse response;
  ASSERT_THAT(Call(&v1::MandateService::Stub::CheckAndReserve, case_manager_token_, request, response), IsOk());
  EXPECT_EQ(Line(line).reserved_cents(), 2'000'000);
  v1::GetReservationRequest get;
  get.set_name(response.reservation().name());
  v1::Reservation reservation;
  for (int attempt = 0; attempt < 100; ++attempt) {
    ASSERT_THAT(Call(&v1::MandateService::Stub::GetReservation, operator_token_, get, reservation), IsOk());
    if (reservation.state() == v1::RESERVATION_STATE_EXPIRED) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(reservation.state(), v1::RESERVATION_STATE_EXPIRED);
  EXPECT_EQ(Line(line).reserved_cents(), 0);
  EXPECT_EQ(Line(line).available_cents(), 10'000'000);
  EXPECT_EQ(JournalTotals().first, 0);
}

TEST_P(MandateServiceTest, TransfersNeedAMandateAndMoveTheCeiling) {
  std::string from = CreateLine(5'000'000, "from-line");
  std::string to = CreateLine(1'000'000, "to-line");
  v1::TransferBudgetRequest transfer;
  transfer.set_from_budget_line(from);
  transfer.set_to_budget_line(to);
  transfer.set_amount_cents(2'000'000);
  transfer.set_reason("Herverdeling knelpuntenbudget");
  transfer.set_request_id("transfer-1");
  v1::TransferBudgetResponse moved;
  absl::Status denied = Call(&v1::MandateService::Stub::TransferBudget, case_manager_token_, transfer, moved);
  EXPECT_THAT(denied, StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("Nothing was moved")));
  EXPECT_EQ(GetErrorDetail(denied)->can_decide_level(), v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION);
  Caller coordinator{"nc-1", "NCG", v1::ROLE_NATIONAL_COORDINATOR, {"*"}, absl::Now() + absl::Hours(1)};
  transfer.set_request_id("transfer-2");
  ASSERT_THAT(Call(&v1::MandateService::Stub::TransferBudget, environment_.key().Mint(coordinator), transfer, moved),
              IsOk());
  EXPECT_EQ(moved.from_budget_line().ceiling_cents(), 3'000'000);
  EXPECT_EQ(moved.to_budget_line().ceiling_cents(), 3'000'000);
  EXPECT_EQ(JournalTotals().first, 0);
}

TEST_P(MandateServiceTest, RolesAreEnforcedWithTheRuleNamed) {
  v1::CreateBudgetLineRequest create;
  create.set_request_id("x");
  v1::BudgetLine line;
  EXPECT_THAT(Call(&v1::MandateService::Stub::CreateBudgetLine, case_manager_token_, create, line),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("create budget lines")));
  v1::ListBudgetLinesRequest list;
  v1::ListBudgetLinesResponse lines;
  EXPECT_THAT(Call(&v1::MandateService::Stub::ListBudgetLines, environment_.Token(v1::ROLE_PUBLIC), list, lines),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("public")));
  v1::CheckAndReserveResponse response;
  EXPECT_THAT(Call(&v1::MandateService::Stub::CheckAndReserve, environment_.Token(v1::ROLE_AUDITOR),
                   CustomSolution("budget-lines/x", 1, "a"), response),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("auditors read only")));
  v1::CheckDecisionRequest check;
  check.mutable_caller()->set_role(v1::ROLE_NATIONAL_COORDINATOR);
  check.set_kind(v1::DECISION_KIND_CUSTOM_SOLUTION);
  check.set_amount_cents(1);
  check.set_municipality(kEemsdelta);
  check.set_request_id("impersonate");
  v1::CheckDecisionResponse answer;
  EXPECT_THAT(Call(&v1::MandateService::Stub::CheckDecision, case_manager_token_, check, answer),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("only for itself")));
}

TEST_P(MandateServiceTest, EveryChangeIsAnEvent) {
  std::string line = CreateLine(10'000'000, "evented-line");
  v1::CheckAndReserveResponse reserved;
  ASSERT_THAT(Call(&v1::MandateService::Stub::CheckAndReserve, case_manager_token_,
                   CustomSolution(line, 1'000'000, "evented"), reserved),
              IsOk());
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + service_token_);
  v1::WatchEventsRequest request;
  request.set_stop_at_end(true);
  auto reader = stub_->WatchEvents(&context, request);
  std::vector<std::string> types;
  v1::Event event;
  while (reader->Read(&event)) types.push_back(event.type());
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(std::count(types.begin(), types.end(), "herstel.v1.MandateGranted"), 9);
  EXPECT_THAT(types, ::testing::Contains("herstel.v1.BudgetLineCreated"));
  EXPECT_EQ(types.back(), "herstel.v1.BudgetReserved");
}

}  // namespace
// Two mandate-service processes on one PostgreSQL database, 64 callers spread
// over both: the ceiling holds exactly, and a retry sent to the other
// replica answers the first reservation instead of making a second.
TEST_P(MandateServiceTest, TwoReplicasOnOneDatabaseNeverOverspendAndHonourRetries) {
  if (GetParam() == StoreBackend::kSqlite) {
    GTEST_SKIP() << "SQLite serves one process; replicas run on PostgreSQL";
  }
  auto second = environment_.StartService(HERSTEL_MANDATE_SERVICE_BINARY, "mandate-2",
                                          {"--expiry_sweep_ms=100"}, process_->store());
  ASSERT_TRUE(second.ok()) << second.status();
  std::vector<std::shared_ptr<grpc::Channel>> replicas = {process_->channel(),
                                                          (*second)->channel()};
  constexpr int kCallers = 64;
  constexpr int64_t kCeiling = 1'000'000;
  constexpr int64_t kAsk = 30'000;  // 33 fit, 31 must be refused
  std::string line = CreateLine(kCeiling, "shared-hot-line");
  Race race = ReserveAtOnce(replicas, kCallers, line, kAsk, "replica-race");
  EXPECT_EQ(race.granted, 33);
  EXPECT_EQ(race.refused, 31);
  EXPECT_EQ(race.other, 0);
  EXPECT_EQ(Line(line).reserved_cents(), 33 * kAsk);

  // Every granted request retried on the other replica: the same reservation.
  for (int i = 0; i < kCallers; ++i) {
    if (race.reservations[i].empty()) continue;
    v1::CheckAndReserveResponse again;
    ASSERT_THAT(Reserve(replicas[1 - i % 2], i, line, kAsk, absl::StrCat("replica-race-", i), again),
                IsOk());
    EXPECT_EQ(again.reservation().name(), race.reservations[i]);
  }
  v1::BudgetLine after = Line(line);
  EXPECT_EQ(after.reserved_cents(), 33 * kAsk);
  EXPECT_LE(after.reserved_cents() + after.committed_cents(), after.ceiling_cents());
  auto [sum, count] = JournalTotals();
  EXPECT_EQ(sum, 0);
  EXPECT_EQ(count, 2 * (1 + 33));  // open, and one reservation each
}

INSTANTIATE_TEST_SUITE_P(Backends, MandateServiceTest,
                         ::testing::ValuesIn(::herstel::testing::AllStoreBackends()),
                         ::herstel::testing::StoreBackendName);

}  // namespace herstel::mandate
