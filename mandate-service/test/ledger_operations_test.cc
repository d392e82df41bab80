// The ledger on a real store (SQLite and PostgreSQL): a long randomized run of mixed
// operations that checks, after every step, that no line is overspent, that
// the journal sums to zero, that every line's totals equal what its journal
// says, and that a failed step changed nothing.
#include "ledger_operations.h"

#include <filesystem>
#include <random>

#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "herstel/errors.h"
#include "herstel/status_macros.h"
#include "herstel/status_matchers.h"
#include "store/mandate_store.h"
#include "store/schema.h"
#include "store_backends.h"

namespace herstel::mandate {
namespace {

using ::herstel::testing::IsOk;
using ::herstel::testing::StatusIs;

constexpr int kLines = 5;
constexpr int kSteps = 1500;

class LedgerOperationsTest : public ::testing::TestWithParam<::herstel::testing::StoreBackend> {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/herstel-ledger-test-XXXXXX";
    directory_ = mkdtemp(pattern);
    absl::StatusOr<std::unique_ptr<Store>> store =
        ::herstel::testing::OpenFreshStore(GetParam(), directory_, "mandate", MandateSchema());
    ASSERT_THAT(store, IsOk());
    store_ = std::move(*store);
    for (int i = 0; i < kLines; ++i) {
      ASSERT_THAT(store_->Write([&](Transaction& tx) -> absl::Status {
        v1::BudgetLine line;
        line.set_display_name("line");
        line.set_source(v1::BUDGET_SOURCE_BOTTLENECK_BUDGET);
        line.set_owner("municipalities/eemsdelta");
        line.set_year(2026);
        HERSTEL_ASSIGN_OR_RETURN(line, store::InsertBudgetLine(tx, line, ""));
        LineTotals totals;
        Movement opening = OpenLine(totals, 1'000'000 * (i + 1));
        HERSTEL_RETURN_IF_ERROR(store::PostMovement(tx, line.name(), line.name(), opening, "",
                                                    {"open", "test", absl::Now()}).status());
        lines_.push_back(line.name());
        return store::SaveBudgetLine(tx, line, totals);
      }),
                  IsOk());
    }
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(directory_);
  }

  // Everything a failed step must leave untouched.
  std::string Snapshot() {
    std::string snapshot;
    EXPECT_THAT(store_->Read([&](Transaction& tx) -> absl::Status {
      for (const std::string& name : lines_) {
        HERSTEL_ASSIGN_OR_RETURN(v1::BudgetLine line, store::GetBudgetLine(tx, name));
        absl::StrAppend(&snapshot, line.ceiling_cents(), "/", line.reserved_cents(), "/",
                        line.committed_cents(), ";");
      }
      HERSTEL_ASSIGN_OR_RETURN(auto sum, store::JournalSum(tx));
      absl::StrAppend(&snapshot, "entries=", sum.second);
      return absl::OkStatus();
    }),
                IsOk());
    return snapshot;
  }

  void CheckInvariants(int step) {
    ASSERT_THAT(store_->Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(auto sum, store::JournalSum(tx));
      EXPECT_EQ(sum.first, 0) << "journal does not sum to zero after step " << step;
      EXPECT_EQ(sum.second % 2, 0) << "a movement without its second entry after step " << step;
      for (const std::string& name : lines_) {
        HERSTEL_ASSIGN_OR_RETURN(v1::BudgetLine line, store::GetBudgetLine(tx, name));
        EXPECT_TRUE(store::TotalsOf(line).InvariantHolds()) << name << " overspent after step " << step;
        HERSTEL_ASSIGN_OR_RETURN(v1::BudgetBalance journal, store::BalanceAsOf(tx, name, absl::InfiniteFuture()));
        EXPECT_EQ(journal.ceiling_cents(), line.ceiling_cents()) << name << " step " << step;
        EXPECT_EQ(journal.reserved_cents(), line.reserved_cents()) << name << " step " << step;
        EXPECT_EQ(journal.committed_cents(), line.committed_cents()) << name << " step " << step;
      }
      return absl::OkStatus();
    }),
                IsOk());
  }

  google::protobuf::RepeatedPtrField<v1::BudgetLineAmount> Amounts(std::mt19937& random, int count) {
    google::protobuf::RepeatedPtrField<v1::BudgetLineAmount> amounts;
    std::vector<std::string> pool = lines_;
    std::shuffle(pool.begin(), pool.end(), random);
    for (int i = 0; i < count; ++i) {
      v1::BudgetLineAmount* amount = amounts.Add();
      amount->set_budget_line(pool[i]);
      // Mostly small amounts; now and then more than any line holds.
      bool too_much = std::bernoulli_distribution(0.05)(random);
      amount->set_amount_cents(too_much ? 50'000'000 : std::uniform_int_distribution<int64_t>(1, 20'000)(random));
    }
    return amounts;
  }

  // Keeps only the reservations still active, so steps mostly act on live ones.
  void ForgetClosedReservations() {
    ASSERT_THAT(store_->Read([&](Transaction& tx) -> absl::Status {
      std::vector<std::string> active;
      for (const std::string& name : reservations_) {
        HERSTEL_ASSIGN_OR_RETURN(v1::Reservation reservation, store::GetReservation(tx, name));
        if (reservation.state() == v1::RESERVATION_STATE_ACTIVE) active.push_back(name);
      }
      reservations_ = std::move(active);
      return absl::OkStatus();
    }),
                IsOk());
  }

  std::string directory_;
  std::unique_ptr<Store> store_;
  std::vector<std::string> lines_;
  std::vector<std::string> reservations_;
};

TEST_P(LedgerOperationsTest, RandomMixedOperationsNeverBreakTheInvariants) {
  std::mt19937 random(20261124);
  Actor actor{"tester", ""};
  int failures = 0;
  for (int step = 0; step < kSteps; ++step) {
    std::string before = Snapshot();
    int operation = std::uniform_int_distribution<int>(0, 5)(random);
    actor.request_id = absl::StrCat("step-", step);
    absl::Status status = store_->Write([&](Transaction& tx) -> absl::Status {
      switch (operation) {
        case 0:
        case 1: {  // reserve on one to three lines, sometimes already expired
          v1::Reservation reservation;
          reservation.set_reference(absl::StrCat("test/", step));
          if (std::bernoulli_distribution(0.2)(random)) {
            *reservation.mutable_expire_time() =
                google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(absl::Now()));
          }
          HERSTEL_ASSIGN_OR_RETURN(
              v1::Reservation made,
              ReserveLines(tx, Amounts(random, std::uniform_int_distribution<int>(1, 3)(random)),
                           reservation, 2026, actor));
          reservations_.push_back(made.name());
          return absl::OkStatus();
        }
        case 2: {  // commit part of a reservation, release the rest
          if (reservations_.empty()) return absl::OkStatus();
          std::string name = reservations_[random() % reservations_.size()];
          HERSTEL_ASSIGN_OR_RETURN(v1::Reservation reservation, store::GetReservation(tx, name));
          google::protobuf::RepeatedPtrField<v1::BudgetLineAmount> amounts;
          for (const auto& line : reservation.lines()) {
            v1::BudgetLineAmount* amount = amounts.Add();
            amount->set_budget_line(line.budget_line());
            // Now and then more than reserved: must fail without a trace.
            amount->set_amount_cents(std::uniform_int_distribution<int64_t>(0, line.amount_cents() + 10)(random));
          }
          return CommitReservation(tx, reservation, amounts, actor).status();
        }
        case 3: {  // release a reservation
          if (reservations_.empty()) return absl::OkStatus();
          std::string name = reservations_[random() % reservations_.size()];
          HERSTEL_ASSIGN_OR_RETURN(v1::Reservation reservation, store::GetReservation(tx, name));
          return ReleaseReservation(tx, reservation, false, "test", actor).status();
        }
        case 4: {  // move available money between two lines
          auto pair = Amounts(random, 2);
          HERSTEL_ASSIGN_OR_RETURN(v1::BudgetLine from, store::GetBudgetLine(tx, pair[0].budget_line()));
          HERSTEL_ASSIGN_OR_RETURN(v1::BudgetLine to, store::GetBudgetLine(tx, pair[1].budget_line()));
          LineTotals from_totals = store::TotalsOf(from), to_totals = store::TotalsOf(to);
          HERSTEL_RETURN_IF_ERROR(Transfer(from_totals, from.name(), to_totals, pair[0].amount_cents()));
          Movement movement{v1::JOURNAL_MOVEMENT_KIND_TRANSFER, v1::JOURNAL_ACCOUNT_AVAILABLE,
                            v1::JOURNAL_ACCOUNT_AVAILABLE, pair[0].amount_cents()};
          HERSTEL_RETURN_IF_ERROR(store::PostMovement(tx, from.name(), to.name(), movement, "",
                                                      {actor.request_id, actor.subject, absl::Now()}).status());
          HERSTEL_RETURN_IF_ERROR(store::SaveBudgetLine(tx, from, from_totals));
          return store::SaveBudgetLine(tx, to, to_totals);
        }
        default:  // the expiry sweep
          return ExpireDue(tx, absl::Now(), 50).status();
      }
    });
    if (operation == 2 || operation == 3) ForgetClosedReservations();
    if (!status.ok()) {
      ++failures;
      EXPECT_EQ(Snapshot(), before) << "failed step " << step << " changed state: " << status;
    }
    CheckInvariants(step);
    if (HasFatalFailure() || HasFailure()) return;
  }
  // The run must exercise refusals as well as successes.
  EXPECT_GT(failures, 50);
  EXPECT_LT(failures, kSteps / 2);
}

TEST_P(LedgerOperationsTest, ASplitReservationIsAllOrNothing) {
  std::string before = Snapshot();
  google::protobuf::RepeatedPtrField<v1::BudgetLineAmount> amounts;
  amounts.Add()->set_budget_line(lines_[0]);
  amounts[0].set_amount_cents(500'000);
  amounts.Add()->set_budget_line(lines_[1]);
  amounts[1].set_amount_cents(2'000'001);  // line 1 has 2,000,000
  absl::Status status = store_->Write([&](Transaction& tx) {
    v1::Reservation reservation;
    reservation.set_reference("split");
    return ReserveLines(tx, amounts, reservation, 2026, {"tester", "r"}).status();
  });
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition, ::testing::HasSubstr(lines_[1])));
  EXPECT_EQ(Snapshot(), before);
}

TEST_P(LedgerOperationsTest, CommitAboveTheReservationIsRefusedAndChangesNothing) {
  v1::Reservation made;
  google::protobuf::RepeatedPtrField<v1::BudgetLineAmount> amounts;
  amounts.Add()->set_budget_line(lines_[0]);
  amounts[0].set_amount_cents(300'000);
  ASSERT_THAT(store_->Write([&](Transaction& tx) -> absl::Status {
    v1::Reservation reservation;
    reservation.set_reference("c");
    HERSTEL_ASSIGN_OR_RETURN(made, ReserveLines(tx, amounts, reservation, 2026, {"tester", "r1"}));
    return absl::OkStatus();
  }),
              IsOk());
  std::string before = Snapshot();
  amounts[0].set_amount_cents(300'001);
  absl::Status status = store_->Write(
      [&](Transaction& tx) { return CommitReservation(tx, made, amounts, {"tester", "r2"}).status(); });
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("exceeds")));
  EXPECT_EQ(GetErrorDetail(status)->reason(), "COMMIT_EXCEEDS_RESERVATION");
  EXPECT_EQ(Snapshot(), before);
}

INSTANTIATE_TEST_SUITE_P(Backends, LedgerOperationsTest,
                         ::testing::ValuesIn(::herstel::testing::AllStoreBackends()),
                         ::herstel::testing::StoreBackendName);

}  // namespace
}  // namespace herstel::mandate
