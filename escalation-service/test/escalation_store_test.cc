// The store: round trips, filters, keyset paging, the overdue index and the
// breach candidates, body uniqueness per level.
#include "store/escalation_store.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "domain_fixtures.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "herstel/errors.h"
#include "herstel/status_matchers.h"
#include "store_backends.h"

namespace herstel::escalation {
namespace {

using ::herstel::testing::IsOk;
using ::herstel::testing::StatusIs;
using namespace ::herstel::escalation::test;

// Runs on SQLite and on PostgreSQL.
class EscalationStoreTest : public ::testing::TestWithParam<::herstel::testing::StoreBackend> {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() /
                 absl::StrReplaceAll(
                     absl::StrCat("escalation-store-test-", ::getpid(), "-",
                                  ::testing::UnitTest::GetInstance()->current_test_info()->name()),
                     {{"/", "-"}});
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
    absl::StatusOr<std::unique_ptr<Store>> store =
        ::herstel::testing::OpenFreshStore(GetParam(), directory_.string(), "store", EscalationMigrations());
    ASSERT_THAT(store, IsOk());
    store_ = std::move(*store);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(directory_);
  }

  // Escalation number `n`, opened `n` days after 2 March 2026.
  Escalation Numbered(int n, const std::string& municipality = "municipalities/eemsdelta") {
    Escalation escalation = Opened(Local(2026, 3, 2, 10) + absl::Hours(24 * n));
    escalation.name = absl::StrCat("escalations/e-", n);
    escalation.municipalities = {municipality};
    escalation.subject.cases = {absl::StrCat("cases/", n)};
    escalation.etag = NewEtag();
    return escalation;
  }

  void Put(const Escalation& escalation) {
    ASSERT_THAT(store_->Write([&](Transaction& tx) {
      return EscalationStore::PutEscalation(tx, escalation);
    }), IsOk());
  }

  Page<Escalation> List(EscalationQuery query) {
    Page<Escalation> page;
    EXPECT_THAT(store_->Read([&](Transaction& tx) -> absl::Status {
      absl::StatusOr<Page<Escalation>> result = EscalationStore::ListEscalations(tx, query);
      if (!result.ok()) return result.status();
      page = std::move(*result);
      return absl::OkStatus();
    }), IsOk());
    return page;
  }

  std::filesystem::path directory_;
  std::unique_ptr<Store> store_;
};

TEST_P(EscalationStoreTest, RoundTripsAnEscalation) {
  Escalation escalation = Numbered(1);
  ASSERT_THAT(Suspend(escalation, "waiting", "u", Local(2026, 3, 4)), IsOk());
  Put(escalation);
  ASSERT_THAT(store_->Read([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<Escalation> read = EscalationStore::GetEscalation(tx, "escalations/e-1");
    if (!read.ok()) return read.status();
    EXPECT_EQ(read->status, v1::ESCALATION_STATUS_SUSPENDED);
    EXPECT_EQ(read->due_time, escalation.due_time);
    EXPECT_EQ(read->term_working_days, 30);
    EXPECT_EQ(read->suspensions.size(), 1u);
    EXPECT_EQ(read->budget_split.size(), 2u);
    EXPECT_EQ(read->etag, escalation.etag);
    EXPECT_THAT(EscalationStore::GetEscalation(tx, "escalations/e-404"),
                StatusIs(absl::StatusCode::kNotFound));
    return absl::OkStatus();
  }), IsOk());
}

TEST_P(EscalationStoreTest, OverdueFilterAndBreachCandidatesFollowTheRunningClock) {
  Escalation running = Numbered(1);
  Escalation suspended = Numbered(2);
  ASSERT_THAT(Suspend(suspended, "waiting", "u", Local(2026, 3, 5)), IsOk());
  Escalation breached = Numbered(3);
  breached.breaches.push_back(*DetectBreach(breached, Local(2026, 6, 1)));
  Escalation withdrawn = Numbered(4);
  ASSERT_THAT(Withdraw(withdrawn, "solved", Local(2026, 3, 10)), IsOk());
  for (const Escalation& e : {running, suspended, breached, withdrawn}) Put(e);

  EscalationQuery query;
  query.now = Local(2026, 6, 1);
  query.overdue = true;
  std::vector<std::string> names;
  for (const Escalation& e : List(query).items) names.push_back(e.name);
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("escalations/e-1", "escalations/e-3"));

  query.now = Local(2026, 3, 20);
  EXPECT_TRUE(List(query).items.empty());

  ASSERT_THAT(store_->Read([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<std::vector<Escalation>> due =
        EscalationStore::BreachCandidates(tx, Local(2026, 6, 1), 10);
    if (!due.ok()) return due.status();
    EXPECT_EQ(due->size(), 1u);
    EXPECT_EQ(due->front().name, "escalations/e-1");
    return absl::OkStatus();
  }), IsOk());
}

TEST_P(EscalationStoreTest, FiltersAndPagesNewestFirstOrByDueTime) {
  for (int n = 1; n <= 5; ++n) {
    Put(Numbered(n, n % 2 == 0 ? "municipalities/oldambt" : "municipalities/eemsdelta"));
  }
  EscalationQuery query;
  query.now = Local(2026, 3, 2);
  query.limit = 2;
  Page<Escalation> first = List(query);
  ASSERT_EQ(first.items.size(), 2u);
  EXPECT_EQ(first.items[0].name, "escalations/e-5");
  query.after_key = first.next_key;
  Page<Escalation> second = List(query);
  EXPECT_EQ(second.items[0].name, "escalations/e-3");
  query.after_key = second.next_key;
  Page<Escalation> last = List(query);
  EXPECT_EQ(last.items.size(), 1u);
  EXPECT_TRUE(last.next_key.empty());

  EscalationQuery by_municipality;
  by_municipality.now = Local(2026, 3, 2);
  by_municipality.municipality = "municipalities/oldambt";
  by_municipality.order_by_due_time = true;
  Page<Escalation> oldambt = List(by_municipality);
  ASSERT_EQ(oldambt.items.size(), 2u);
  EXPECT_EQ(oldambt.items[0].name, "escalations/e-2");

  EscalationQuery by_case;
  by_case.now = Local(2026, 3, 2);
  by_case.case_name = "cases/4";
  ASSERT_EQ(List(by_case).items.size(), 1u);
}

TEST_P(EscalationStoreTest, OneBodyPerLevelAndMunicipality) {
  Body body = SteeringGroup();
  body.etag = NewEtag();
  ASSERT_THAT(store_->Write([&](Transaction& tx) { return EscalationStore::InsertBody(tx, body); }),
              IsOk());
  Body second = SteeringGroup();
  second.name = "bodies/other";
  absl::Status status =
      store_->Write([&](Transaction& tx) { return EscalationStore::InsertBody(tx, second); });
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(GetErrorDetail(status)->reason(), "BODY_EXISTS_AT_LEVEL");
  ASSERT_THAT(store_->Read([&](Transaction& tx) -> absl::Status {
    EXPECT_THAT(EscalationStore::BodyForLevel(tx, v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP,
                                              "municipalities/eemsdelta"),
                IsOk());
    absl::StatusOr<Body> missing =
        EscalationStore::BodyForLevel(tx, v1::ESCALATION_LEVEL_REGIONAL_CONSULTATION, "");
    EXPECT_THAT(missing, StatusIs(absl::StatusCode::kFailedPrecondition));
    EXPECT_EQ(GetErrorDetail(missing.status())->reason(), "NO_BODY_AT_LEVEL");
    return absl::OkStatus();
  }), IsOk());
}

TEST_P(EscalationStoreTest, PoliciesDefaultUntilChanged) {
  ASSERT_THAT(store_->Write([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<TermPolicy> policy = EscalationStore::GetTermPolicy(tx);
    if (!policy.ok()) return policy.status();
    EXPECT_EQ(policy->levels.size(), 3u);
    EXPECT_EQ(policy->etag, "default");
    policy->levels[1].term_working_days = 20;
    policy->etag = "changed";
    return EscalationStore::PutTermPolicy(tx, *policy);
  }), IsOk());
  ASSERT_THAT(store_->Read([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<TermPolicy> policy = EscalationStore::GetTermPolicy(tx);
    if (!policy.ok()) return policy.status();
    EXPECT_EQ(policy->levels[1].term_working_days, 20);
    EXPECT_EQ(policy->etag, "changed");
    return absl::OkStatus();
  }), IsOk());
}

}  // namespace
INSTANTIATE_TEST_SUITE_P(Backends, EscalationStoreTest,
                         ::testing::ValuesIn(::herstel::testing::AllStoreBackends()),
                         ::herstel::testing::StoreBackendName);

}  // namespace herstel::escalation
