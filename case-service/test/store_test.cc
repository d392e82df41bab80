// Store tests on a real store (SQLite and PostgreSQL): the schema, one case per address,
// keyset paging in priority order (AOS first), the filters' SQL, the cluster
// standings, and the pending escalation outcomes applied exactly once.
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "case_grpc_service.h"
#include "case_service_internal.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "herstel/status_matchers.h"
#include "store/case_store.h"
#include "store_backends.h"

namespace herstel::case_service {
namespace {

using ::herstel::testing::IsOk;
using ::herstel::testing::StatusIs;
using ::testing::ElementsAre;

class StoreTest : public ::testing::TestWithParam<::herstel::testing::StoreBackend> {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() /
                 absl::StrCat("case_store_test_", getpid(), "_", ::testing::UnitTest::GetInstance()->random_seed(),
                              "_", counter_++);
    std::filesystem::create_directories(directory_);
    absl::StatusOr<std::unique_ptr<Store>> store =
        ::herstel::testing::OpenFreshStore(GetParam(), directory_.string(), "case", CaseServiceMigrations());
    ASSERT_THAT(store, IsOk());
    store_ = std::move(*store);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(directory_);
  }

  int64_t AddCase(const std::string& postcode, int number, v1::RiskCategory risk, absl::Time entered,
                  const std::string& cluster = "") {
    v1::Case record;
    record.set_cluster(cluster);
    record.mutable_address()->set_postcode(postcode);
    record.mutable_address()->set_house_number(number);
    record.set_municipality("municipalities/eemsdelta");
    record.set_risk_category(risk);
    record.mutable_contact_person()->set_subject("u-1");
    v1::CaseTrack* track = record.add_tracks();
    track->set_track(v1::TRACK_STRENGTHENING);
    track->set_phase(v1::PHASE_INSPECTION);
    track->set_state(v1::CASE_TRACK_STATE_ACTIVE);
    *track->mutable_phase_enter_time() = ToTimestamp(entered);
    int64_t id = 0;
    EXPECT_THAT(store_->Write([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(id, InsertCase(tx, record));
      return absl::OkStatus();
    }), IsOk());
    return id;
  }

  std::vector<std::string> ListAll(CaseListQuery query) {
    std::vector<std::string> names;
    while (true) {
      CasePage page;
      EXPECT_THAT(store_->Read([&](Transaction& tx) -> absl::Status {
        HERSTEL_ASSIGN_OR_RETURN(page, ListCases(tx, query));
        return absl::OkStatus();
      }), IsOk());
      for (const Versioned<v1::Case>& stored : page.cases) names.push_back(stored.record.name());
      if (page.last_key.empty()) return names;
      query.after_key = page.last_key;
    }
  }

  static inline int counter_ = 0;
  std::filesystem::path directory_;
  std::unique_ptr<Store> store_;
};

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

TEST_P(StoreTest, OneCasePerAddress) {
  AddCase("9919 AA", 1, v1::RISK_CATEGORY_P50, kNow);
  EXPECT_THAT(store_->Read([&](Transaction& tx) -> absl::Status {
    HERSTEL_ASSIGN_OR_RETURN(std::optional<int64_t> found, FindCaseByAddress(tx, "9919 AA", 1, ""));
    EXPECT_EQ(found, std::optional<int64_t>(1));
    HERSTEL_ASSIGN_OR_RETURN(std::optional<int64_t> other, FindCaseByAddress(tx, "9919 AA", 1, "A"));
    EXPECT_EQ(other, std::nullopt);
    return absl::OkStatus();
  }), IsOk());
  v1::Case duplicate;
  duplicate.mutable_address()->set_postcode("9919 AA");
  duplicate.mutable_address()->set_house_number(1);
  EXPECT_THAT(store_->Write([&](Transaction& tx) { return InsertCase(tx, duplicate).status(); }),
              StatusIs(absl::StatusCode::kAborted));
}

TEST_P(StoreTest, PriorityOrderPutsAosFirstThenLongestWaitingAndPagesWithoutGapsOrRepeats) {
  int64_t p90_old = AddCase("9919 AA", 1, v1::RISK_CATEGORY_P90, kNow - absl::Hours(24 * 400));
  int64_t other = AddCase("9919 AA", 2, v1::RISK_CATEGORY_OTHER, kNow - absl::Hours(24 * 900));
  int64_t aos = AddCase("9919 AA", 3, v1::RISK_CATEGORY_AOS, kNow);
  int64_t p50_new = AddCase("9919 AA", 4, v1::RISK_CATEGORY_P50, kNow - absl::Hours(24));
  int64_t p50_old = AddCase("9919 AA", 5, v1::RISK_CATEGORY_P50, kNow - absl::Hours(24 * 30));
  CaseListQuery query;
  query.limit = 2;
  EXPECT_THAT(ListAll(query), ElementsAre(CaseName(aos), CaseName(p50_old), CaseName(p50_new),
                                          CaseName(p90_old), CaseName(other)));
  query.order = CaseOrder::kWaitingTime;
  EXPECT_THAT(ListAll(query), ElementsAre(CaseName(other), CaseName(p90_old), CaseName(p50_old),
                                          CaseName(p50_new), CaseName(aos)));
  query.conditions.Add("EXISTS (SELECT 1 FROM case_tracks t WHERE t.case_id = c.id AND t.active = 1 "
                       "AND t.phase_enter_micros <= ?)",
                       {TimeToMicros(kNow - absl::Hours(24 * 365))});
  EXPECT_THAT(ListAll(query), ElementsAre(CaseName(other), CaseName(p90_old)));
}

TEST_P(StoreTest, ClusterStandingsAggregateTheMembersOfEachClusterOnly) {
  int64_t busy = 0;
  int64_t empty = 0;
  ASSERT_THAT(store_->Write([&](Transaction& tx) -> absl::Status {
    for (int64_t* id : {&busy, &empty}) {
      v1::Cluster cluster;
      cluster.set_municipality("municipalities/eemsdelta");
      cluster.set_track(v1::TRACK_STRENGTHENING);
      cluster.set_display_name("Loppersum Noord");
      HERSTEL_ASSIGN_OR_RETURN(*id, InsertCluster(tx, cluster));
    }
    return absl::OkStatus();
  }), IsOk());
  AddCase("9919 AA", 1, v1::RISK_CATEGORY_P50, kNow - absl::Hours(48), ClusterName(busy));
  AddCase("9919 AA", 3, v1::RISK_CATEGORY_AOS, kNow - absl::Hours(24), ClusterName(busy));
  AddCase("9919 AA", 5, v1::RISK_CATEGORY_AOS, kNow - absl::Hours(96));  // in no cluster
  std::vector<ClusterStandingRow> rows;
  ASSERT_THAT(store_->Read([&](Transaction& tx) -> absl::Status {
    HERSTEL_ASSIGN_OR_RETURN(rows, ListClusterStandings(tx, "municipalities/eemsdelta"));
    return absl::OkStatus();
  }), IsOk());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].cluster_id, busy);
  EXPECT_EQ(rows[0].best_rank, PriorityRank(v1::RISK_CATEGORY_AOS));
  EXPECT_EQ(rows[0].earliest_phase_enter, std::optional<absl::Time>(kNow - absl::Hours(48)));
  EXPECT_EQ(rows[1].cluster_id, empty);
  EXPECT_EQ(rows[1].best_rank, 3);
  EXPECT_EQ(rows[1].earliest_phase_enter, std::nullopt);
}

TEST_P(StoreTest, SavingBumpsTheVersionAndTheEtagIsChecked) {
  int64_t id = AddCase("9919 AA", 1, v1::RISK_CATEGORY_P50, kNow);
  EXPECT_THAT(store_->Write([&](Transaction& tx) -> absl::Status {
    HERSTEL_ASSIGN_OR_RETURN(Versioned<v1::Case> stored, LoadCase(tx, id));
    EXPECT_EQ(stored.version, 1);
    HERSTEL_RETURN_IF_ERROR(SaveCase(tx, id, stored));
    EXPECT_EQ(stored.version, 2);
    EXPECT_THAT(CheckEtag("1", stored.version), StatusIs(absl::StatusCode::kAborted));
    EXPECT_THAT(CheckEtag("2", stored.version), IsOk());
    return absl::OkStatus();
  }), IsOk());
  EXPECT_THAT(store_->Read([&](Transaction& tx) { return LoadCase(tx, 99).status(); }),
              StatusIs(absl::StatusCode::kNotFound));
}

v1::Event DecidedEvent(int64_t sequence, const std::string& request, v1::EscalationDecisionOutcome outcome,
                       int64_t amount_cents) {
  v1::EscalationDecided decided;
  decided.set_escalation("escalations/e-1");
  decided.set_decision("escalations/e-1/decisions/1");
  decided.set_level(v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION);
  decided.set_outcome(outcome);
  decided.set_amount_cents(amount_cents);
  decided.set_final(true);
  decided.set_decision_request(request);
  decided.set_reservation("reservations/r-9");
  v1::Event event;
  event.set_sequence(sequence);
  event.set_type("herstel.v1.EscalationDecided");
  event.mutable_payload()->PackFrom(decided);
  return event;
}

TEST_P(StoreTest, EscalationOutcomeAppliesOnceAndEarlyOutcomesWait) {
  int64_t id = AddCase("9919 AA", 1, v1::RISK_CATEGORY_P50, kNow);
  std::string name = absl::StrCat(CaseName(id), "/decision-requests/abc");
  // The outcome arrives before the request is recorded: it waits.
  ASSERT_THAT(store_->Write([&](Transaction& tx) {
    return ApplyEscalationEvent(tx, DecidedEvent(5, name, v1::ESCALATION_DECISION_OUTCOME_PARTLY_GRANTED, 7'000'000));
  }), IsOk());
  ASSERT_THAT(store_->Write([&](Transaction& tx) -> absl::Status {
    v1::CaseDecisionRequest record;
    record.set_status(v1::CASE_DECISION_REQUEST_STATUS_AWAITING_ESCALATION);
    record.set_amount_cents(8'000'000);
    record.set_escalation("escalations/e-1");
    HERSTEL_RETURN_IF_ERROR(InsertDecisionRequest(tx, id, "abc", record));
    HERSTEL_ASSIGN_OR_RETURN(std::vector<v1::Event> pending, TakePendingEscalationEvents(tx, name));
    EXPECT_EQ(pending.size(), 1u);
    for (const v1::Event& event : pending) HERSTEL_RETURN_IF_ERROR(ApplyEscalationEvent(tx, event));
    return absl::OkStatus();
  }), IsOk());
  // A second, different outcome for the same request changes nothing.
  ASSERT_THAT(store_->Write([&](Transaction& tx) {
    return ApplyEscalationEvent(tx, DecidedEvent(6, name, v1::ESCALATION_DECISION_OUTCOME_DENIED, 0));
  }), IsOk());
  EXPECT_THAT(store_->Read([&](Transaction& tx) -> absl::Status {
    HERSTEL_ASSIGN_OR_RETURN(auto stored, LoadDecisionRequest(tx, id, "abc"));
    EXPECT_EQ(stored->record.status(), v1::CASE_DECISION_REQUEST_STATUS_PARTLY_GRANTED);
    EXPECT_EQ(stored->record.granted_amount_cents(), 7'000'000);
    EXPECT_EQ(stored->record.reservation(), "reservations/r-9");
    EXPECT_EQ(stored->version, 2);
    HERSTEL_ASSIGN_OR_RETURN(Statement count, tx.Prepare(
        "SELECT COUNT(*) FROM outbox_events WHERE type = 'herstel.v1.CaseDecisionOutcomeApplied'"));
    HERSTEL_RETURN_IF_ERROR(count.Step().status());
    EXPECT_EQ(count.ColumnInt(0), 1);
    return absl::OkStatus();
  }), IsOk());
}

TEST(NamesTest, ParseAndRefuse) {
  EXPECT_THAT(ParseCaseName("cases/12", "name"), ::herstel::testing::IsOkAndHolds(12));
  for (const char* bad : {"cases/", "cases/0", "cases/-1", "cases/012", "clusters/1", "cases/1/x"}) {
    EXPECT_THAT(ParseCaseName(bad, "name"), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
  auto child = ParseChildName("cases/3/bottlenecks/7", "bottlenecks", "name");
  ASSERT_THAT(child, IsOk());
  EXPECT_EQ(child->first, 3);
  EXPECT_EQ(child->second, "7");
  EXPECT_THAT(ParseChildName("cases/3/plan/7", "bottlenecks", "name"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseSingletonName("cases/3/plan", "plan", "name"), ::herstel::testing::IsOkAndHolds(3));
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest,
                         ::testing::ValuesIn(::herstel::testing::AllStoreBackends()),
                         ::herstel::testing::StoreBackendName);

}  // namespace
}  // namespace herstel::case_service
