#include "domain/ledger.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "herstel/errors.h"
#include "herstel/status_matchers.h"

namespace herstel::mandate {
namespace {

using ::herstel::testing::IsOk;
using ::herstel::testing::StatusIs;
using ::testing::HasSubstr;

TEST(LedgerTest, ReserveCommitReleaseKeepTheCeiling) {
  LineTotals line;
  Movement opening = OpenLine(line, 1'000);
  EXPECT_EQ(opening.from, v1::JOURNAL_ACCOUNT_FUNDING);
  EXPECT_EQ(line.available_cents(), 1'000);
  Movement movement;
  ASSERT_THAT(Reserve(line, "budget-lines/a", 600, movement), IsOk());
  EXPECT_EQ(movement.to, v1::JOURNAL_ACCOUNT_RESERVED);
  ASSERT_THAT(Commit(line, 400, movement), IsOk());
  ASSERT_THAT(Release(line, 200, v1::JOURNAL_MOVEMENT_KIND_RELEASE, movement), IsOk());
  EXPECT_EQ(line.reserved_cents, 0);
  EXPECT_EQ(line.committed_cents, 400);
  EXPECT_EQ(line.available_cents(), 600);
  EXPECT_TRUE(line.InvariantHolds());
}

TEST(LedgerTest, ReservingMoreThanAvailableChangesNothing) {
  LineTotals line;
  OpenLine(line, 1'000);
  Movement movement;
  ASSERT_THAT(Reserve(line, "budget-lines/a", 900, movement), IsOk());
  absl::Status status = Reserve(line, "budget-lines/a", 101, movement);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("EUR 1,00 available")));
  std::optional<v1::ErrorDetail> detail = GetErrorDetail(status);
  EXPECT_EQ(detail->reason(), "INSUFFICIENT_BUDGET");
  EXPECT_EQ(detail->metadata().at("available_cents"), "100");
  EXPECT_EQ(line.reserved_cents, 900);
  EXPECT_TRUE(line.InvariantHolds());
}

TEST(LedgerTest, CommitOrReleaseBeyondReservedIsRefused) {
  LineTotals line;
  OpenLine(line, 1'000);
  Movement movement;
  ASSERT_THAT(Reserve(line, "budget-lines/a", 100, movement), IsOk());
  EXPECT_FALSE(Commit(line, 101, movement).ok());
  EXPECT_FALSE(Release(line, 101, v1::JOURNAL_MOVEMENT_KIND_RELEASE, movement).ok());
  EXPECT_EQ(line.reserved_cents, 100);
}

TEST(LedgerTest, TransferMovesAvailableMoneyAndCeiling) {
  LineTotals from, to;
  OpenLine(from, 1'000);
  OpenLine(to, 50);
  Movement movement;
  ASSERT_THAT(Reserve(from, "budget-lines/a", 700, movement), IsOk());
  EXPECT_THAT(Transfer(from, "budget-lines/a", to, 301), StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_THAT(Transfer(from, "budget-lines/a", to, 300), IsOk());
  EXPECT_EQ(from.ceiling_cents, 700);
  EXPECT_EQ(from.available_cents(), 0);
  EXPECT_EQ(to.ceiling_cents, 350);
  EXPECT_TRUE(from.InvariantHolds());
  EXPECT_TRUE(to.InvariantHolds());
}

}  // namespace
}  // namespace herstel::mandate
