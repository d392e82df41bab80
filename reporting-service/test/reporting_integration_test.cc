// The real reporting-service binary following real event streams.
//
// The case-, mandate- and escalation-services may not emit events yet, so a
// test event source stands in for each: a store written with AppendEvent and
// served by WithWatchEvents on a loopback port, exactly what the real
// services serve. Every indicator is checked against an independent count of
// the same story; restarts, crashes, a source down for a while and duplicate
// deliveries must neither lose nor double-count anything.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "harness/service_process.h"
#include "herstel/errors.h"
#include "herstel/outbox.h"
#include "herstel/status_macros.h"
#include "herstel/status_matchers.h"
#include "herstel/v1/case_service.grpc.pb.h"
#include "herstel/v1/escalation_service.grpc.pb.h"
#include "herstel/v1/mandate_service.grpc.pb.h"
#include "herstel/v1/reporting_service.grpc.pb.h"
#include "domain/calendar.h"
#include "test/test_events.h"

namespace herstel::reporting {
namespace {

using ::herstel::testing::IsOk;
using ::herstel::testing::ServiceProcess;
using ::herstel::testing::TestEnvironment;
using ::testing::HasSubstr;
using testing::ExpectedArea;
using testing::Story;

const MigrationSet kSourceSchema{"test-source", {}};

// A case-service stand-in that re-sends the last few events on every
// reconnect and starts each stream with one already-delivered event: duplicate
// deliveries.
class DuplicatingCaseSource : public v1::CaseService::Service {
 public:
  DuplicatingCaseSource(Store& store, const TokenKey& key) : store_(store), key_(key) {}
  grpc::Status WatchEvents(grpc::ServerContext* context, const v1::WatchEventsRequest* request,
                           grpc::ServerWriter<v1::Event>* writer) override {
    v1::WatchEventsRequest replay = *request;
    replay.set_after_sequence(std::max<int64_t>(0, request->after_sequence() - 5));
    return ServeWatchEvents(*context, replay, *writer, store_, key_, "case-service");
  }

 private:
  Store& store_;
  const TokenKey& key_;
};

// One source service: its own store and a WatchEvents server on a fixed port.
class EventSource {
 public:
  EventSource(const std::string& name, const std::string& directory, const TokenKey& key,
              bool duplicating = false)
      : name_(name), key_(key), duplicating_(duplicating) {
    store_ = *Store::Open(directory + "/" + name + ".db", kSourceSchema);
    port_ = herstel::testing::PickFreePort();
    Up();
  }
  ~EventSource() { Down(); }

  void Up() {
    if (name_ == "case-service" && duplicating_) {
      service_ = std::make_unique<DuplicatingCaseSource>(*store_, key_);
    } else if (name_ == "case-service") {
      service_ = std::make_unique<WithWatchEvents<v1::CaseService::Service>>(*store_, key_, name_);
    } else if (name_ == "mandate-service") {
      service_ = std::make_unique<WithWatchEvents<v1::MandateService::Service>>(*store_, key_, name_);
    } else {
      service_ = std::make_unique<WithWatchEvents<v1::EscalationService::Service>>(*store_, key_, name_);
    }
    grpc::ServerBuilder builder;
    builder.AddListeningPort(address(), grpc::InsecureServerCredentials());
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
  }
  void Down() {
    if (server_ == nullptr) return;
    server_->Shutdown(std::chrono::system_clock::now());
    server_.reset();
  }
  void Append(const google::protobuf::Message& payload, const std::string& resource) {
    ASSERT_THAT(store_->Write([&](Transaction& tx) {
      return AppendEvent(tx, payload, resource, {"", "test"}).status();
    }),
                IsOk());
    ++appended_;
  }
  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }
  int64_t appended() const { return appended_; }

 private:
  std::string name_;
  const TokenKey& key_;
  bool duplicating_;
  std::unique_ptr<Store> store_;
  int port_;
  std::unique_ptr<grpc::Service> service_;
  std::unique_ptr<grpc::Server> server_;
  int64_t appended_ = 0;
};

class ReportingIntegrationTest : public ::testing::Test {
 protected:
  void StartSources(bool duplicating = false) {
    for (const char* name : {"case-service", "mandate-service", "escalation-service"}) {
      sources_[name] = std::make_unique<EventSource>(name, environment_.directory(),
                                                     environment_.key(), duplicating);
    }
  }

  // The flags that point a reporting-service at the three sources.
  std::vector<std::string> SourceFlags() {
    return {"--case_address=" + sources_["case-service"]->address(),
            "--mandate_address=" + sources_["mandate-service"]->address(),
            "--escalation_address=" + sources_["escalation-service"]->address(),
            "--status_interval_seconds=1"};
  }

  // Starts the reporting-service; a restart runs on the store of the one
  // started before (on PostgreSQL too).
  void StartReporting(std::vector<std::string> extra_flags = {}) {
    std::vector<std::string> flags = SourceFlags();
    flags.insert(flags.end(), extra_flags.begin(), extra_flags.end());
    absl::StatusOr<std::unique_ptr<ServiceProcess>> process = environment_.StartService(
        REPORTING_SERVICE_BINARY, "reporting", flags,
        reporting_ != nullptr ? reporting_->store() : std::string());
    ASSERT_TRUE(process.ok()) << process.status();
    reporting_ = std::move(*process);
    stub_ = v1::ReportingService::NewStub(reporting_->channel());
  }

  // Appends story events [from, to) to their sources.
  void Append(const Story& story, size_t from, size_t to) {
    for (size_t index = from; index < to && index < story.events().size(); ++index) {
      const auto& event = story.events()[index];
      sources_[event.source]->Append(*event.payload, event.resource);
    }
  }

  template <typename Request, typename Response, typename Method>
  grpc::Status Call(Method method, const Request& request, Response* response, v1::Role role,
                    std::vector<std::string> municipalities = {"*"}) {
    grpc::ClientContext context;
    context.AddMetadata("authorization",
                        "Bearer " + environment_.Token(role, std::move(municipalities)));
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return ((*stub_).*method)(&context, request, response);
  }

  // This year's yearly report, generated by an operator with `request_id`.
  v1::AnnualReport GenerateReport(const std::string& request_id) {
    v1::GenerateAnnualReportRequest generate;
    generate.set_year(YearOf(absl::Now()));
    generate.set_request_id(request_id);
    v1::AnnualReport report;
    grpc::Status status = Call(&v1::ReportingService::Stub::GenerateAnnualReport, generate,
                               &report, v1::ROLE_OPERATOR);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return report;
  }

  // (Re)starts the reporting-service with its metrics on a new port, which
  // it returns, and standing periods checked every `standing_seconds`.
  int StartReportingWithMetrics(int standing_seconds) {
    int metrics_port = herstel::testing::PickFreePort();
    StartReporting({absl::StrCat("--metrics_listen=127.0.0.1:", metrics_port),
                    absl::StrCat("--standing_interval_seconds=", standing_seconds)});
    return metrics_port;
  }

  // Waits until every source's events are applied (as GetFollowerStatus says).
  void AwaitCaughtUp() {
    absl::Time give_up = absl::Now() + absl::Seconds(15);
    while (absl::Now() < give_up) {
      v1::FollowerStatus status;
      grpc::Status called = Call(&v1::ReportingService::Stub::GetFollowerStatus,
                                 v1::GetFollowerStatusRequest(), &status, v1::ROLE_OPERATOR);
      bool caught_up = called.ok();
      for (const auto& source : status.sources()) {
        caught_up &= source.cursor_sequence() == sources_[source.source()]->appended();
      }
      if (caught_up) return;
      absl::SleepFor(absl::Milliseconds(50));
    }
    FAIL() << "the reporting-service did not catch up";
  }

  v1::Monitor Monitor(const std::string& municipality, const std::string& village,
                      v1::Role role = v1::ROLE_OPERATOR) {
    v1::GetMonitorRequest request;
    request.mutable_scope()->set_municipality(municipality);
    request.mutable_scope()->set_village(village);
    v1::Monitor monitor;
    grpc::Status status = Call(&v1::ReportingService::Stub::GetMonitor, request, &monitor, role);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return monitor;
  }

  // Every count of the monitor against the independent count.
  void ExpectMatches(const std::string& municipality, const std::string& village,
                     const ExpectedArea& expected) {
    v1::Monitor monitor = Monitor(municipality, village);
    ASSERT_TRUE(monitor.exact());
    for (const v1::MonitorPhaseCount& row : monitor.phase_counts()) {
      auto found = expected.open_per_track_phase.find({row.track(), row.phase()});
      int64_t want = found == expected.open_per_track_phase.end() ? 0 : found->second;
      EXPECT_EQ(row.cases().value(), want) << municipality << village << " " << row.track() << "/" << row.phase();
    }
    int64_t opened = 0;
    int64_t closed = 0;
    int64_t last_stock = 0;
    for (const v1::MonitorWeeklyFlow& flow : monitor.weekly_flows()) {
      if (flow.track() != v1::TRACK_UNSPECIFIED) continue;
      opened += flow.inflow().value();
      closed += flow.outflow().value();
      last_stock = flow.stock().value();
    }
    EXPECT_EQ(opened, expected.opened);
    EXPECT_EQ(closed, expected.closed);
    EXPECT_EQ(last_stock, expected.open_cases);
    EXPECT_EQ(monitor.contact_persons().one_contact_person().numerator().value(), expected.one_contact);
    EXPECT_EQ(monitor.contact_persons().one_contact_person().denominator().value(), expected.open_cases);
    EXPECT_EQ(monitor.contact_persons().handovers().value(), expected.handovers);
    EXPECT_EQ(monitor.plans().covers_all_open_tracks().numerator().value(), expected.covers_all);
    EXPECT_EQ(monitor.bottlenecks().raised().value(), expected.bottlenecks_raised);
    EXPECT_EQ(monitor.bottlenecks().solved().value(), expected.bottlenecks_solved);
    EXPECT_EQ(monitor.decisions().within_mandate().value(), expected.decisions_within);
    EXPECT_EQ(monitor.decisions().escalated().value(), expected.decisions_escalated);
    if (village.empty()) {
      EXPECT_EQ(monitor.escalations(0).open().value(), expected.escalations_open_local);
      EXPECT_EQ(monitor.inspection_requests().waiting().value(), expected.inspections_waiting);
    }
    for (const v1::MonitorLeadTime& row : monitor.lead_times()) {
      auto found = expected.lead_times.find({row.track(), row.phase()});
      int64_t want = found == expected.lead_times.end() ? 0 : found->second.size();
      EXPECT_EQ(row.median().sample_size().value(), want);
    }
  }

  void ExpectAllMatch(const Story& story) {
    absl::Time far = absl::Now() + absl::Hours(24 * 365 * 100);
    ExpectMatches("", "", story.Expect("", "", far));
    for (const char* municipality : Story::kMunicipalities) {
      ExpectMatches(municipality, "", story.Expect(municipality, "", far));
      std::string village = Story::Village(municipality, 2);
      ExpectMatches(municipality, village, story.Expect(municipality, village, far));
    }
  }

  TestEnvironment environment_;
  std::map<std::string, std::unique_ptr<EventSource>> sources_;
  std::unique_ptr<ServiceProcess> reporting_;
  std::unique_ptr<v1::ReportingService::Stub> stub_;
};

const absl::Time kStoryStart = absl::Now() - absl::Hours(24);

TEST_F(ReportingIntegrationTest, FollowsTheThreeStreamsAndMatchesAnIndependentCount) {
  StartSources();
  StartReporting();
  Story story(250, kStoryStart, 21);
  Append(story, 0, story.events().size());
  AwaitCaughtUp();
  ExpectAllMatch(story);
}

// Two replicas of the reporting-service on one PostgreSQL database, both
// following the same three streams: every event is counted once.
TEST_F(ReportingIntegrationTest, TwoReplicasOnOneDatabaseCountEveryEventOnce) {
  if (::herstel::testing::StoreBackendFromEnvironment() ==
      ::herstel::testing::StoreBackend::kSqlite) {
    GTEST_SKIP() << "SQLite serves one process; replicas run on PostgreSQL";
  }
  StartSources();
  StartReporting();
  absl::StatusOr<std::unique_ptr<ServiceProcess>> second = environment_.StartService(
      REPORTING_SERVICE_BINARY, "reporting-2", SourceFlags(), reporting_->store());
  ASSERT_TRUE(second.ok()) << second.status();
  Story story(250, kStoryStart, 23);
  Append(story, 0, story.events().size());
  AwaitCaughtUp();
  ExpectAllMatch(story);
}

TEST_F(ReportingIntegrationTest, RestartsAndCrashesNeitherLoseNorDoubleCount) {
  StartSources();
  Story story(240, kStoryStart, 22);
  size_t third = story.events().size() / 3;
  Append(story, 0, third);
  StartReporting();
  AwaitCaughtUp();
  ASSERT_THAT(reporting_->Terminate(absl::Seconds(10)), ::herstel::testing::IsOkAndHolds(0));
  Append(story, third, 2 * third);  // written while the reporting-service is down
  StartReporting();
  Append(story, 2 * third, story.events().size());
  reporting_->Kill();  // a crash in the middle of catching up
  StartReporting();
  AwaitCaughtUp();
  ExpectAllMatch(story);
}

TEST_F(ReportingIntegrationTest, ASourceThatWasDownIsCaughtUpAfterwards) {
  StartSources();
  StartReporting();
  Story story(150, kStoryStart, 23);
  size_t half = story.events().size() / 2;
  Append(story, 0, half);
  AwaitCaughtUp();
  sources_["case-service"]->Down();
  Append(story, half, story.events().size());
  absl::SleepFor(absl::Seconds(1));
  v1::FollowerStatus status;
  ASSERT_TRUE(Call(&v1::ReportingService::Stub::GetFollowerStatus, v1::GetFollowerStatusRequest(),
                   &status, v1::ROLE_OPERATOR)
                  .ok());
  for (const auto& source : status.sources()) {
    if (source.source() == "case-service") {
      EXPECT_FALSE(source.last_error().empty());
    }
  }
  sources_["case-service"]->Up();
  AwaitCaughtUp();
  ExpectAllMatch(story);
}

TEST_F(ReportingIntegrationTest, DuplicateDeliveriesAreCountedOnce) {
  StartSources(/*duplicating=*/true);
  StartReporting();
  Story story(120, kStoryStart, 24);
  size_t half = story.events().size() / 2;
  Append(story, 0, half);
  AwaitCaughtUp();
  sources_["case-service"]->Down();  // the follower reconnects and gets the last five again
  sources_["case-service"]->Up();
  Append(story, half, story.events().size());
  AwaitCaughtUp();
  ExpectAllMatch(story);
}

TEST_F(ReportingIntegrationTest, UnknownEventTypesAreSkippedAndTheCursorMovesOn) {
  StartSources();
  StartReporting();
  v1::ReportingSettingsUpdated unknown_here;  // not a case-service event
  sources_["case-service"]->Append(unknown_here, "things/1");
  Story story(20, kStoryStart, 25);
  Append(story, 0, story.events().size());
  AwaitCaughtUp();
  ExpectAllMatch(story);
}

TEST_F(ReportingIntegrationTest, PublicCallersSeeSmallCountsSuppressed) {
  StartSources();
  StartReporting();
  Story story(60, kStoryStart, 26);
  Append(story, 0, story.events().size());
  AwaitCaughtUp();
  std::string municipality = Story::kMunicipalities[0];
  v1::Monitor exact = Monitor(municipality, "");
  // The public, and an internal caller outside its own municipality.
  for (auto [role, scope] : {std::pair{v1::ROLE_PUBLIC, std::string("*")},
                             std::pair{v1::ROLE_MUNICIPAL_CASE_MANAGER,
                                       std::string("municipalities/oldambt")}}) {
    v1::GetMonitorRequest request;
    request.mutable_scope()->set_municipality(municipality);
    v1::Monitor shown;
    ASSERT_TRUE(Call(&v1::ReportingService::Stub::GetMonitor, request, &shown, role, {scope}).ok());
    EXPECT_FALSE(shown.exact());
    EXPECT_EQ(shown.suppression_threshold(), 10);
    int hidden = 0;
    for (int row = 0; row < exact.phase_counts_size(); ++row) {
      int64_t value = exact.phase_counts(row).cases().value();
      const v1::CountFigure& figure = shown.phase_counts(row).cases();
      if (value > 0 && value < 10) {
        EXPECT_TRUE(figure.suppressed());
        // "<10", or "x" when the track's total is small too (not published).
        EXPECT_EQ(figure.display(),
                  figure.suppression() == v1::FIGURE_SUPPRESSION_PRIMARY ? "<10" : "x");
        EXPECT_EQ(figure.value(), 0);
      }
      hidden += figure.suppressed() ? 1 : 0;
    }
    EXPECT_GT(hidden, 0);
  }
}

TEST_F(ReportingIntegrationTest, ThreeQuestionsReportSettingsAndStatus) {
  StartSources();
  StartReporting();
  Story story(80, kStoryStart, 27);
  Append(story, 0, story.events().size());
  AwaitCaughtUp();

  v1::ThreeQuestions questions;
  ASSERT_TRUE(Call(&v1::ReportingService::Stub::GetThreeQuestions, v1::GetThreeQuestionsRequest(),
                   &questions, v1::ROLE_PUBLIC)
                  .ok());
  ASSERT_EQ(questions.views_size(), 3);
  EXPECT_EQ(questions.views(0).name(), "views/residents");
  EXPECT_EQ(questions.views(2).name(), "views/administrators");
  for (const auto& view : questions.views()) {
    EXPECT_FALSE(view.exact());
    EXPECT_GT(view.indicators_size(), 3);
    for (const auto& indicator : view.indicators()) {
      EXPECT_NE(indicator.trend(), v1::INDICATOR_TREND_UNSPECIFIED) << indicator.id();
    }
  }

  v1::AnnualReport report = GenerateReport("report-1");
  EXPECT_EQ(report.revision(), 1);
  EXPECT_THAT(report.markdown(), HasSubstr("yearly report"));
  EXPECT_THAT(report.html(), HasSubstr("<table>"));
  EXPECT_GE(report.tables_size(), 5);
  EXPECT_EQ(report.municipalities_size(), 2);
  EXPECT_EQ(report.three_questions_size(), 3);
  EXPECT_EQ(GenerateReport("report-1").revision(), 1);  // a retry answers the same revision
  v1::GetAnnualReportRequest get;
  get.set_name(report.name());
  v1::AnnualReport stored;
  ASSERT_TRUE(Call(&v1::ReportingService::Stub::GetAnnualReport, get, &stored, v1::ROLE_PUBLIC).ok());
  EXPECT_EQ(stored.markdown(), report.markdown());

  v1::GetReportingSettingsRequest read;
  read.set_name("reporting-settings");
  v1::ReportingSettings settings;
  ASSERT_TRUE(Call(&v1::ReportingService::Stub::GetReportingSettings, read, &settings,
                   v1::ROLE_PUBLIC)
                  .ok());
  EXPECT_EQ(settings.suppression_threshold(), 10);
  EXPECT_EQ(settings.backlog_weeks(), 4);
  v1::UpdateReportingSettingsRequest update;
  *update.mutable_settings() = settings;
  update.mutable_settings()->set_backlog_weeks(6);
  update.mutable_update_mask()->add_paths("backlog_weeks");
  update.set_request_id("settings-1");
  v1::ReportingSettings updated;
  ASSERT_TRUE(Call(&v1::ReportingService::Stub::UpdateReportingSettings, update, &updated,
                   v1::ROLE_OPERATOR)
                  .ok());
  EXPECT_EQ(updated.backlog_weeks(), 6);
  update.set_request_id("settings-2");  // the old etag is stale now
  grpc::Status stale = Call(&v1::ReportingService::Stub::UpdateReportingSettings, update,
                            &updated, v1::ROLE_OPERATOR);
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::ABORTED);

  v1::FollowerStatus status;
  EXPECT_EQ(Call(&v1::ReportingService::Stub::GetFollowerStatus, v1::GetFollowerStatusRequest(),
                 &status, v1::ROLE_PUBLIC)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::GetMonitorRequest bad;
  bad.mutable_scope()->set_village("municipalities/oldambt/villages/x");
  v1::Monitor unused;
  EXPECT_EQ(Call(&v1::ReportingService::Stub::GetMonitor, bad, &unused, v1::ROLE_PUBLIC).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

// The body of GET /metrics on 127.0.0.1:`port`.
std::string ScrapeMetrics(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string body;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    std::string request = "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n";
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      ssize_t read_bytes;
      while ((read_bytes = read(fd, buffer, sizeof(buffer))) > 0) body.append(buffer, read_bytes);
    }
  }
  close(fd);
  return body;
}

TEST_F(ReportingIntegrationTest, OperatorsSeeDomainGaugesAndLagPerSource) {
  StartSources();
  int metrics_port = herstel::testing::PickFreePort();
  StartReporting({absl::StrCat("--metrics_listen=127.0.0.1:", metrics_port)});
  v1::BudgetLineCreated created;
  created.mutable_budget_line()->set_name("budget-lines/bl-1");
  created.mutable_budget_line()->set_display_name("Knelpuntenbudget Eemsdelta");
  created.mutable_budget_line()->set_municipality("municipalities/eemsdelta");
  created.mutable_budget_line()->set_ceiling_cents(500000);
  created.mutable_budget_line()->set_available_cents(500000);
  sources_["mandate-service"]->Append(created, "budget-lines/bl-1");
  AwaitCaughtUp();
  std::string metrics;
  absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (absl::Now() < give_up) {
    metrics = ScrapeMetrics(metrics_port);
    if (metrics.find("herstel_reporting_budget_left_cents{budget_line=\"budget-lines/bl-1\"} 500000") !=
        std::string::npos) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_THAT(metrics, HasSubstr("herstel_reporting_budget_left_cents{budget_line=\"budget-lines/bl-1\"} 500000"));
  EXPECT_THAT(metrics, HasSubstr("herstel_reporting_backlog_alerts_active 0"));
  EXPECT_THAT(metrics, HasSubstr("herstel_reporting_escalations_overdue{"));
  EXPECT_THAT(metrics, HasSubstr("herstel_reporting_event_lag_events{source=\"mandate-service\"} 0"));
  EXPECT_THAT(metrics, HasSubstr("herstel_reporting_event_lag_seconds{source=\"case-service\"}"));
  v1::Monitor monitor = Monitor("municipalities/eemsdelta", "");
  ASSERT_EQ(monitor.budget_lines_size(), 1);
  EXPECT_EQ(monitor.budget_lines(0).left_cents(), 500000);
}

// Publications counted on `port`: {solved, stored}; -1 when not shown.
std::pair<int, int> Publications(int port) {
  std::string metrics = ScrapeMetrics(port);
  auto count = [&metrics](absl::string_view how) {
    std::string line =
        absl::StrCat("herstel_reporting_publications_total{suppression=\"", how, "\"} ");
    size_t at = metrics.find(line);
    int value = -1;
    if (at == std::string::npos ||
        !absl::SimpleAtoi(metrics.substr(at + line.size(), metrics.find('\n', at) - at -
                                                               line.size()),
                          &value)) {
      return -1;
    }
    return value;
  };
  return {count("solved"), count("stored")};
}

TEST_F(ReportingIntegrationTest, AYearSolvedOnceIsNotSolvedAgainAfterARestart) {
  StartSources();
  int metrics_port = StartReportingWithMetrics(0);
  Story story(80, kStoryStart, 29);
  Append(story, 0, story.events().size());
  AwaitCaughtUp();
  const v1::AnnualReport first = GenerateReport("report-1");
  // This year and the year before, each solved once.
  EXPECT_EQ(Publications(metrics_port), std::make_pair(2, 0));

  ASSERT_THAT(reporting_->Terminate(absl::Seconds(10)), ::herstel::testing::IsOkAndHolds(0));
  metrics_port = StartReportingWithMetrics(0);
  AwaitCaughtUp();
  const v1::AnnualReport second = GenerateReport("report-2");
  EXPECT_EQ(second.revision(), 2);
  ASSERT_EQ(second.tables_size(), first.tables_size());
  for (int table = 0; table < first.tables_size(); ++table) {
    EXPECT_EQ(second.tables(table).csv(), first.tables(table).csv()) << first.tables(table).title();
  }
  EXPECT_EQ(Publications(metrics_port), std::make_pair(0, 2));

  // Standing periods: published without being asked, so the monitor of this
  // year to date answers without publishing anything.
  ASSERT_THAT(reporting_->Terminate(absl::Seconds(10)), ::herstel::testing::IsOkAndHolds(0));
  metrics_port = StartReportingWithMetrics(1);
  AwaitCaughtUp();
  // Year to date, the same days a year before, last year (stored by the
  // reports) and the year before last; on 31 December the year to date is
  // this year, stored by the reports too.
  std::pair<int, int> standing = Publications(metrics_port);
  for (absl::Time give_up = absl::Now() + absl::Seconds(20);
       standing.first + standing.second < 4 && absl::Now() < give_up;) {
    absl::SleepFor(absl::Milliseconds(100));
    standing = Publications(metrics_port);
  }
  ASSERT_EQ(standing.first + standing.second, 4);
  EXPECT_GE(standing.second, 1);
  v1::Monitor monitor = Monitor("", "");
  EXPECT_TRUE(monitor.exact());
  v1::ThreeQuestions questions;
  ASSERT_TRUE(Call(&v1::ReportingService::Stub::GetThreeQuestions, v1::GetThreeQuestionsRequest(),
                   &questions, v1::ROLE_PUBLIC)
                  .ok());
  EXPECT_EQ(Publications(metrics_port), standing);  // answered without publishing
}

}  // namespace
}  // namespace herstel::reporting
