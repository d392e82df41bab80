// The case-service as a real process on a loopback port with a temporary
// store: cases, phases, contact person, plan, personal data, clusters,
// inspections, bottlenecks, timeline, bulk import, authorisation, and a
// decision request while the mandate-service is unreachable.
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/service_process.h"
#include "herstel/errors.h"
#include "herstel/status_matchers.h"
#include "herstel/v1/case_service.grpc.pb.h"

namespace herstel::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kEemsdelta[] = "municipalities/eemsdelta";
constexpr char kLoppersum[] = "municipalities/eemsdelta/villages/loppersum";

class CaseServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    environment_ = new TestEnvironment();
    // The mandate-service address is a port nobody listens on.
    absl::StatusOr<std::unique_ptr<ServiceProcess>> process = environment_->StartService(
        CASE_SERVICE_BINARY, "case",
        {absl::StrCat("--mandate_address=127.0.0.1:", PickFreePort()), "--peer_timeout_ms=500"});
    ASSERT_TRUE(process.ok()) << process.status();
    process_ = process->release();
    stub_ = v1::CaseService::NewStub(process_->channel()).release();
  }
  static void TearDownTestSuite() {
    delete stub_;
    delete process_;
    delete environment_;
  }

  struct Context {
    explicit Context(const std::string& token) {
      context.AddMetadata("authorization", "Bearer " + token);
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    }
    grpc::ClientContext context;
  };

  static std::string Token(v1::Role role, std::vector<std::string> scope = {"*"},
                           std::string subject = "u-anna") {
    return environment_->Token(role, std::move(scope), std::move(subject));
  }
  static std::string Manager() { return Token(v1::ROLE_NCG_RESIDENT_CASE_MANAGER); }

  static std::string NextId() { return absl::StrCat("req-", ++request_counter_); }

  static v1::Case NewCase(const std::string& postcode, int number, v1::RiskCategory risk) {
    v1::Case record;
    record.mutable_address()->set_postcode(postcode);
    record.mutable_address()->set_house_number(number);
    record.set_municipality(kEemsdelta);
    record.set_village(kLoppersum);
    record.set_risk_category(risk);
    record.add_tracks()->set_track(v1::TRACK_STRENGTHENING);
    return record;
  }

  static absl::StatusOr<v1::Case> Create(const v1::Case& record, const std::string& token = Manager(),
                                         const v1::CasePersonalData* personal = nullptr) {
    v1::CreateCaseRequest request;
    *request.mutable_case_() = record;
    if (personal != nullptr) *request.mutable_personal_data() = *personal;
    request.set_request_id(NextId());
    Context call(token);
    v1::Case response;
    absl::Status status = FromGrpcStatus(stub_->CreateCase(&call.context, request, &response));
    if (!status.ok()) return status;
    return response;
  }

  static absl::StatusOr<v1::Case> Advance(const std::string& name, v1::Phase to) {
    v1::AdvancePhaseRequest request;
    request.set_name(name);
    request.set_track(v1::TRACK_STRENGTHENING);
    request.set_to_phase(to);
    request.set_request_id(NextId());
    Context call(Manager());
    v1::Case response;
    absl::Status status = FromGrpcStatus(stub_->AdvancePhase(&call.context, request, &response));
    if (!status.ok()) return status;
    return response;
  }

  static std::string Reason(const absl::Status& status) {
    std::optional<v1::ErrorDetail> detail = GetErrorDetail(status);
    return detail ? detail->reason() : "";
  }

  static inline TestEnvironment* environment_ = nullptr;
  static inline ServiceProcess* process_ = nullptr;
  static inline v1::CaseService::Stub* stub_ = nullptr;
  static inline int request_counter_ = 0;
};

TEST_F(CaseServiceTest, CreateNormalisesTheAddressAndRefusesASecondCaseForIt) {
  absl::StatusOr<v1::Case> created = Create(NewCase("9919ab", 10, v1::RISK_CATEGORY_P50));
  ASSERT_THAT(created, IsOk());
  EXPECT_EQ(created->address().postcode(), "9919 AB");
  EXPECT_EQ(created->contact_person().subject(), "u-anna");  // the caller, a case manager
  EXPECT_EQ(created->tracks(0).phase(), v1::PHASE_INTAKE);
  EXPECT_EQ(created->plan_status(), v1::CASE_PLAN_STATUS_DRAFT);
  absl::StatusOr<v1::Case> again = Create(NewCase("9919 AB", 10, v1::RISK_CATEGORY_P50));
  EXPECT_THAT(again, StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr(created->name())));
  EXPECT_EQ(Reason(again.status()), "ADDRESS_HAS_CASE");
}

TEST_F(CaseServiceTest, BadInputNamesTheField) {
  v1::Case record = NewCase("0123 SA", 0, v1::RISK_CATEGORY_P50);
  record.set_municipality("municipalities/atlantis");
  absl::StatusOr<v1::Case> refused = Create(record);
  ASSERT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument));
  std::vector<std::string> fields;
  v1::ErrorDetail detail = GetErrorDetail(refused.status()).value_or(v1::ErrorDetail());
  for (const auto& violation : detail.field_violations()) fields.push_back(violation.field());
  EXPECT_THAT(fields, ElementsAre("case.address.postcode", "case.address.house_number", "case.municipality"));
  v1::Case wrong_village = NewCase("9919 AC", 1, v1::RISK_CATEGORY_P50);
  wrong_village.set_village("municipalities/oldambt/villages/winschoten");
  EXPECT_THAT(Create(wrong_village), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("case.village")));
}

TEST_F(CaseServiceTest, PhasesMoveOneStepAndReassessmentNeedsAReason) {
  absl::StatusOr<v1::Case> created = Create(NewCase("9920 AA", 1, v1::RISK_CATEGORY_P90));
  ASSERT_THAT(created, IsOk());
  EXPECT_THAT(Advance(created->name(), v1::PHASE_ASSESSMENT), StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_THAT(Advance(created->name(), v1::PHASE_INSPECTION), IsOk());
  absl::StatusOr<v1::Case> assessed = Advance(created->name(), v1::PHASE_ASSESSMENT);
  ASSERT_THAT(assessed, IsOk());
  v1::ReassessTrackRequest reassess;
  reassess.set_name(created->name());
  reassess.set_track(v1::TRACK_STRENGTHENING);
  reassess.set_to_phase(v1::PHASE_INSPECTION);
  reassess.set_request_id(NextId());
  v1::Case reassessed;
  {
    Context call(Manager());
    EXPECT_EQ(stub_->ReassessTrack(&call.context, reassess, &reassessed).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  reassess.set_reason("new safety norm");
  reassess.set_request_id(NextId());
  Context call(Manager());
  ASSERT_TRUE(stub_->ReassessTrack(&call.context, reassess, &reassessed).ok());
  EXPECT_EQ(reassessed.tracks(0).phase(), v1::PHASE_INSPECTION);
  EXPECT_EQ(reassessed.tracks(0).reassessment_count(), 1);
}

TEST_F(CaseServiceTest, RetriesAnswerTheFirstAnswerAndStaleEtagsAreAborted) {
  absl::StatusOr<v1::Case> created = Create(NewCase("9921 AA", 1, v1::RISK_CATEGORY_OTHER));
  ASSERT_THAT(created, IsOk());
  v1::UpdateCaseRequest update;
  *update.mutable_case_() = *created;
  update.mutable_case_()->set_risk_category(v1::RISK_CATEGORY_AOS);
  update.mutable_update_mask()->add_paths("risk_category");
  update.set_request_id(NextId());
  v1::Case first;
  v1::Case second;
  {
    Context call(Manager());
    ASSERT_TRUE(stub_->UpdateCase(&call.context, update, &first).ok());
  }
  {
    Context call(Manager());
    ASSERT_TRUE(stub_->UpdateCase(&call.context, update, &second).ok());
  }
  EXPECT_EQ(first.etag(), second.etag());
  EXPECT_TRUE(first.urgent());
  update.set_request_id(NextId());  // same stale etag, new change
  Context call(Manager());
  EXPECT_EQ(stub_->UpdateCase(&call.context, update, &second).error_code(), grpc::StatusCode::ABORTED);
}

TEST_F(CaseServiceTest, ListsPutAosFirstFilterAndPage) {
  ASSERT_THAT(Create(NewCase("9930 AA", 1, v1::RISK_CATEGORY_OTHER)), IsOk());
  ASSERT_THAT(Create(NewCase("9930 AA", 2, v1::RISK_CATEGORY_AOS)), IsOk());
  ASSERT_THAT(Create(NewCase("9930 AA", 3, v1::RISK_CATEGORY_P50)), IsOk());
  v1::ListCasesRequest request;
  request.set_filter("postcode=9930AA AND municipality=municipalities/eemsdelta");
  request.set_page_size(2);
  std::vector<v1::RiskCategory> order;
  while (true) {
    v1::ListCasesResponse page;
    Context call(Token(v1::ROLE_AUDITOR));
    ASSERT_TRUE(stub_->ListCases(&call.context, request, &page).ok());
    for (const v1::Case& record : page.cases()) order.push_back(record.risk_category());
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  EXPECT_THAT(order, ElementsAre(v1::RISK_CATEGORY_AOS, v1::RISK_CATEGORY_P50, v1::RISK_CATEGORY_OTHER));
  v1::ListCasesRequest bad;
  bad.set_filter("colour=red");
  v1::ListCasesResponse ignored;
  Context call(Manager());
  grpc::Status refused = stub_->ListCases(&call.context, bad, &ignored);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("filter"));
  // A municipal case manager of Oldambt sees none of Eemsdelta's cases.
  v1::ListCasesRequest scoped;
  scoped.set_filter("postcode=9930AA");
  v1::ListCasesResponse none;
  Context oldambt(Token(v1::ROLE_MUNICIPAL_CASE_MANAGER, {"municipalities/oldambt"}));
  ASSERT_TRUE(stub_->ListCases(&oldambt.context, scoped, &none).ok());
  EXPECT_EQ(none.cases_size(), 0);
}

TEST_F(CaseServiceTest, HandoverIsRecordedWithHistory) {
  absl::StatusOr<v1::Case> created = Create(NewCase("9922 AA", 1, v1::RISK_CATEGORY_P50));
  ASSERT_THAT(created, IsOk());
  v1::HandOverContactPersonRequest request;
  request.set_name(created->name());
  request.mutable_to()->set_subject("u-bram");
  request.mutable_to()->set_role(v1::ROLE_IMG_CASE_HANDLER);
  request.mutable_to()->set_organisation("IMG");
  request.set_reason("damage track leads now");
  request.set_request_id(NextId());
  v1::Case handed;
  {
    Context call(Manager());
    ASSERT_TRUE(stub_->HandOverContactPerson(&call.context, request, &handed).ok());
  }
  EXPECT_EQ(handed.contact_person().subject(), "u-bram");
  v1::ListContactHandoversRequest list;
  list.set_parent(created->name());
  v1::ListContactHandoversResponse history;
  Context call(Manager());
  ASSERT_TRUE(stub_->ListContactHandovers(&call.context, list, &history).ok());
  ASSERT_EQ(history.handovers_size(), 2);
  EXPECT_EQ(history.handovers(0).to().subject(), "u-anna");
  EXPECT_EQ(history.handovers(1).from().subject(), "u-anna");
  EXPECT_EQ(history.handovers(1).reason(), "damage track leads now");
}

TEST_F(CaseServiceTest, PersonalDataOnlyForCaseManagersAndNeverInEvents) {
  v1::CasePersonalData personal;
  personal.set_resident_name("Jantje Bewoner");
  personal.set_citizen_number("111222333");
  personal.set_phone("06-12345678");
  absl::StatusOr<v1::Case> created = Create(NewCase("9923 AA", 1, v1::RISK_CATEGORY_P50), Manager(), &personal);
  ASSERT_THAT(created, IsOk());
  v1::GetCasePersonalDataRequest get;
  get.set_name(created->name() + "/personal-data");
  v1::CasePersonalData read;
  {
    Context call(Manager());
    ASSERT_TRUE(stub_->GetCasePersonalData(&call.context, get, &read).ok());
    EXPECT_EQ(read.resident_name(), "Jantje Bewoner");
  }
  for (v1::Role role : {v1::ROLE_AUDITOR, v1::ROLE_OPERATOR, v1::ROLE_STEERING_GROUP_MEMBER}) {
    Context call(Token(role));
    grpc::Status refused = stub_->GetCasePersonalData(&call.context, get, &read);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_THAT(refused.error_message(), HasSubstr("need to know"));
  }
  {
    Context call(Token(v1::ROLE_MUNICIPAL_CASE_MANAGER, {"municipalities/oldambt"}));
    EXPECT_EQ(stub_->GetCasePersonalData(&call.context, get, &read).error_code(), grpc::StatusCode::NOT_FOUND);
  }
  v1::UpdateCasePersonalDataRequest update;
  update.mutable_personal_data()->set_name(get.name());
  update.mutable_personal_data()->set_etag(read.etag());
  update.mutable_personal_data()->set_citizen_number("123456789");
  update.mutable_update_mask()->add_paths("citizen_number");
  update.set_request_id(NextId());
  {
    Context call(Manager());
    grpc::Status refused = stub_->UpdateCasePersonalData(&call.context, update, &read);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(refused.error_message(), HasSubstr("elfproef"));
    EXPECT_THAT(refused.error_message(), Not(HasSubstr("123456789")));
  }
  v1::WatchEventsRequest watch;
  watch.set_stop_at_end(true);
  Context call(Token(v1::ROLE_OPERATOR));
  auto stream = stub_->WatchEvents(&call.context, watch);
  v1::Event event;
  while (stream->Read(&event)) {
    EXPECT_THAT(event.payload().value(), Not(HasSubstr("Jantje"))) << event.type();
    EXPECT_THAT(event.payload().value(), Not(HasSubstr("111222333"))) << event.type();
  }
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_THAT(process_->ReadLog(), Not(HasSubstr("Jantje")));
}

TEST_F(CaseServiceTest, ClusterAdvancesAllOrNoneAndNamesBlockers) {
  std::vector<std::string> members;
  for (int number = 1; number <= 3; ++number) {
    absl::StatusOr<v1::Case> created = Create(NewCase("9924 AA", number, v1::RISK_CATEGORY_P90));
    ASSERT_THAT(created, IsOk());
    members.push_back(created->name());
  }
  v1::CreateClusterRequest create;
  create.mutable_cluster()->set_display_name("Loppersum Noord 3");
  create.mutable_cluster()->set_municipality(kEemsdelta);
  for (const std::string& name : members) create.add_cases(name);
  create.set_request_id(NextId());
  v1::Cluster cluster;
  {
    Context call(Manager());
    ASSERT_TRUE(stub_->CreateCluster(&call.context, create, &cluster).ok());
  }
  EXPECT_EQ(cluster.case_count(), 3);
  EXPECT_EQ(cluster.phase(), v1::PHASE_INTAKE);
  EXPECT_EQ(cluster.priority_rank(), 1);
  ASSERT_THAT(Advance(members[1], v1::PHASE_INSPECTION), IsOk());
  v1::AdvanceClusterRequest advance;
  advance.set_name(cluster.name());
  advance.set_from_phase(v1::PHASE_INTAKE);
  advance.set_request_id(NextId());
  v1::AdvanceClusterResponse response;
  {
    Context call(Manager());
    absl::Status blocked = FromGrpcStatus(stub_->AdvanceCluster(&call.context, advance, &response));
    ASSERT_THAT(blocked, StatusIs(absl::StatusCode::kFailedPrecondition));
    EXPECT_EQ(Reason(blocked), "CLUSTER_ADVANCE_BLOCKED");
    v1::ErrorDetail detail = GetErrorDetail(blocked).value_or(v1::ErrorDetail());
    ASSERT_EQ(detail.field_violations_size(), 1);
    EXPECT_EQ(detail.field_violations(0).field(), members[1]);
  }
  {  // nothing moved
    v1::GetCaseRequest get;
    get.set_name(members[0]);
    v1::Case unchanged;
    Context call(Manager());
    ASSERT_TRUE(stub_->GetCase(&call.context, get, &unchanged).ok());
    EXPECT_EQ(unchanged.tracks(0).phase(), v1::PHASE_INTAKE);
  }
  v1::RemoveClusterCasesRequest remove;
  remove.set_cluster(cluster.name());
  remove.add_cases(members[1]);
  remove.set_request_id(NextId());
  {
    Context call(Manager());
    ASSERT_TRUE(stub_->RemoveClusterCases(&call.context, remove, &cluster).ok());
  }
  advance.set_request_id(NextId());
  Context call(Manager());
  ASSERT_TRUE(stub_->AdvanceCluster(&call.context, advance, &response).ok());
  EXPECT_EQ(response.to_phase(), v1::PHASE_INSPECTION);
  EXPECT_THAT(response.advanced_cases(), ElementsAre(members[0], members[2]));
  EXPECT_EQ(response.cluster().phase(), v1::PHASE_INSPECTION);
}

TEST_F(CaseServiceTest, InspectionOnRequestGetsATargetAndRaisesTheCategory) {
  absl::StatusOr<v1::Case> created = Create(NewCase("9925 AA", 1, v1::RISK_CATEGORY_OTHER));
  ASSERT_THAT(created, IsOk());
  v1::CreateInspectionRequestRequest request;
  request.set_parent(created->name());
  request.mutable_inspection_request()->set_reason("cracks after the last quake");
  *request.mutable_inspection_request()->mutable_request_time() =
      google::protobuf::util::TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(absl::Now() - absl::Hours(24 * 60)));
  request.set_request_id(NextId());
  v1::InspectionRequest inspection;
  {
    Context call(Manager());
    ASSERT_TRUE(stub_->CreateInspectionRequest(&call.context, request, &inspection).ok());
  }
  EXPECT_EQ(inspection.waiting_days(), 60);
  EXPECT_TRUE(inspection.overdue());
  EXPECT_EQ(inspection.target_time().seconds() - inspection.request_time().seconds(), 56 * 24 * 3600);
  v1::ListInspectionRequestsRequest list;
  list.set_parent("cases/-");
  list.set_filter("overdue=true AND min_waiting_days=50");
  v1::ListInspectionRequestsResponse overdue;
  {
    Context call(Token(v1::ROLE_AUDITOR));
    ASSERT_TRUE(stub_->ListInspectionRequests(&call.context, list, &overdue).ok());
  }
  ASSERT_EQ(overdue.inspection_requests_size(), 1);
  EXPECT_EQ(overdue.inspection_requests(0).name(), inspection.name());
  v1::GetCaseRequest get;
  get.set_name(created->name());
  v1::Case raised;
  Context call(Manager());
  ASSERT_TRUE(stub_->GetCase(&call.context, get, &raised).ok());
  EXPECT_EQ(raised.risk_category(), v1::RISK_CATEGORY_INSPECTION_ON_REQUEST);
  EXPECT_EQ(raised.open_inspection_request(), inspection.name());
}

TEST_F(CaseServiceTest, BottleneckRaisedAndResolvedShowsOnTheTimeline) {
  absl::StatusOr<v1::Case> created = Create(NewCase("9926 AA", 1, v1::RISK_CATEGORY_P50));
  ASSERT_THAT(created, IsOk());
  v1::CreateBottleneckRequest raise;
  raise.set_parent(created->name());
  raise.mutable_bottleneck()->set_category(v1::BOTTLENECK_CATEGORY_UNACCEPTABLE_DIFFERENCE);
  raise.mutable_bottleneck()->set_description("neighbours got twice the amount");
  raise.set_request_id(NextId());
  v1::Bottleneck bottleneck;
  {
    Context call(Manager());
    ASSERT_TRUE(stub_->CreateBottleneck(&call.context, raise, &bottleneck).ok());
  }
  v1::ResolveBottleneckRequest resolve;
  resolve.set_name(bottleneck.name());
  resolve.set_resolution("dampened by the local steering group");
  resolve.set_request_id(NextId());
  {
    Context call(Token(v1::ROLE_STEERING_GROUP_MEMBER, {"*"}, "u-chair"));
    ASSERT_TRUE(stub_->ResolveBottleneck(&call.context, resolve, &bottleneck).ok());
  }
  EXPECT_EQ(bottleneck.status(), v1::BOTTLENECK_STATUS_RESOLVED);
  EXPECT_EQ(bottleneck.resolved_by(), "u-chair");
  {
    v1::ListBottlenecksRequest list;
    list.set_parent("cases/-");
    list.set_filter("status=BOTTLENECK_STATUS_RESOLVED AND category=BOTTLENECK_CATEGORY_UNACCEPTABLE_DIFFERENCE");
    v1::ListBottlenecksResponse resolved;
    Context call(Token(v1::ROLE_AUDITOR));
    ASSERT_TRUE(stub_->ListBottlenecks(&call.context, list, &resolved).ok());
    ASSERT_EQ(resolved.bottlenecks_size(), 1);
    EXPECT_EQ(resolved.bottlenecks(0).name(), bottleneck.name());
  }
  v1::ListCaseEventsRequest timeline;
  timeline.set_parent(created->name());
  v1::ListCaseEventsResponse events;
  Context call(Token(v1::ROLE_AUDITOR));
  ASSERT_TRUE(stub_->ListCaseEvents(&call.context, timeline, &events).ok());
  std::vector<std::string> types;
  for (const v1::Event& event : events.events()) types.push_back(event.type());
  EXPECT_THAT(types, ElementsAre("herstel.v1.CaseCreated", "herstel.v1.BottleneckRaised",
                                 "herstel.v1.BottleneckResolved"));
}

TEST_F(CaseServiceTest, RolesAndScopeRefuseNamingTheRule) {
  absl::StatusOr<v1::Case> refused = Create(NewCase("9927 AA", 1, v1::RISK_CATEGORY_P50), Token(v1::ROLE_AUDITOR));
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("auditor")));
  EXPECT_EQ(Reason(refused.status()), "ROLE_NOT_ALLOWED");
  absl::StatusOr<v1::Case> outside = Create(NewCase("9927 AA", 1, v1::RISK_CATEGORY_P50),
                                            Token(v1::ROLE_MUNICIPAL_CASE_MANAGER, {"municipalities/oldambt"}));
  EXPECT_EQ(Reason(outside.status()), "OUTSIDE_MUNICIPALITY_SCOPE");
}

TEST_F(CaseServiceTest, BulkImportKeepsGoodRowsAndReportsBadOnes) {
  v1::BulkImportCasesRequest message;
  message.set_request_id(NextId());
  for (int row = 1; row <= 4; ++row) {
    v1::BulkImportCaseRow* entry = message.add_rows();
    entry->set_row_number(row);
    v1::Case* record = entry->mutable_case_();
    *record = NewCase("9940 AA", row, v1::RISK_CATEGORY_P90);
    record->set_external_reference(absl::StrCat("IMG-", row));
    record->mutable_contact_person()->set_subject("u-img");
    record->mutable_contact_person()->set_role(v1::ROLE_IMG_CASE_HANDLER);
    record->mutable_contact_person()->set_organisation("IMG");
    record->mutable_tracks(0)->set_phase(v1::PHASE_ASSESSMENT);
  }
  message.mutable_rows(1)->mutable_case_()->mutable_address()->set_postcode("0000 XX");
  message.mutable_rows(2)->mutable_case_()->set_municipality("municipalities/atlantis");
  message.mutable_rows(3)->mutable_case_()->mutable_address()->set_house_number(1);  // same address as row 1
  v1::BulkImportCasesResponse response;
  {
    Context call(Token(v1::ROLE_OPERATOR));
    auto writer = stub_->BulkImportCases(&call.context, &response);
    ASSERT_TRUE(writer->Write(message));
    writer->WritesDone();
    ASSERT_TRUE(writer->Finish().ok());
  }
  EXPECT_EQ(response.received_count(), 4);
  EXPECT_EQ(response.imported_count(), 1);
  EXPECT_EQ(response.failed_count(), 3);
  ASSERT_EQ(response.errors_size(), 3);
  EXPECT_EQ(response.errors(0).reason(), "INVALID_ROW");
  EXPECT_EQ(response.errors(0).field_violations(0).field(), "case.address.postcode");
  EXPECT_EQ(response.errors(1).reason(), "UNKNOWN_MUNICIPALITY");
  EXPECT_EQ(response.errors(2).reason(), "ADDRESS_HAS_CASE");
  EXPECT_THAT(response.errors(2).existing_case(), HasSubstr("cases/"));
  // Sending the file again changes nothing: the good row already exists.
  message.set_request_id(NextId());
  v1::BulkImportCasesResponse again;
  Context call(Token(v1::ROLE_OPERATOR));
  auto writer = stub_->BulkImportCases(&call.context, &again);
  ASSERT_TRUE(writer->Write(message));
  writer->WritesDone();
  ASSERT_TRUE(writer->Finish().ok());
  EXPECT_EQ(again.imported_count(), 0);
  EXPECT_EQ(again.existing_count(), 1);
}

TEST_F(CaseServiceTest, DecisionRequestIsUnavailableAndRecordsNothingWhenTheMandateServiceIsDown) {
  absl::StatusOr<v1::Case> created = Create(NewCase("9928 AA", 1, v1::RISK_CATEGORY_P50));
  ASSERT_THAT(created, IsOk());
  v1::CreateCaseDecisionRequestRequest request;
  request.set_parent(created->name());
  request.mutable_decision_request()->set_amount_cents(4'200'000);
  v1::CaseBudgetSplit* line = request.mutable_decision_request()->add_budget_lines();
  line->set_budget_line("budget-lines/bl-1");
  line->set_amount_cents(4'200'000);
  request.mutable_decision_request()->set_justification("extra foundation work");
  request.set_request_id(NextId());
  v1::CaseDecisionRequest response;
  absl::Time start = absl::Now();
  {
    Context call(Manager());
    absl::Status status = FromGrpcStatus(stub_->CreateCaseDecisionRequest(&call.context, request, &response));
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("mandate-service")));
  }
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  v1::ListCaseDecisionRequestsRequest list;
  list.set_parent(created->name());
  v1::ListCaseDecisionRequestsResponse none;
  Context call(Manager());
  ASSERT_TRUE(stub_->ListCaseDecisionRequests(&call.context, list, &none).ok());
  EXPECT_EQ(none.decision_requests_size(), 0);
}

}  // namespace
}  // namespace herstel::testing
