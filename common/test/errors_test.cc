#include "herstel/errors.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "herstel/status_macros.h"
#include "herstel/status_matchers.h"

namespace herstel {
namespace {

using ::herstel::testing::IsOk;
using ::herstel::testing::IsOkAndHolds;
using ::herstel::testing::StatusIs;
using ::testing::HasSubstr;

TEST(FieldViolationsTest, EmptyIsOk) { EXPECT_THAT(FieldViolations().ToStatus(), IsOk()); }

TEST(FieldViolationsTest, ListsEveryBrokenRuleInMessageAndDetail) {
  FieldViolations violations;
  violations.Add("address.postcode", "must look like 1234 AB");
  EXPECT_TRUE(violations.Require(true, "amount_cents", "must be positive"));
  EXPECT_FALSE(violations.Require(false, "page_size", "must be at most 1000"));
  absl::Status status = violations.ToStatus();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("address.postcode: must look like 1234 AB")));
  std::optional<v1::ErrorDetail> detail = GetErrorDetail(status);
  ASSERT_TRUE(detail.has_value());
  EXPECT_EQ(detail->reason(), "INVALID_FIELD");
  ASSERT_EQ(detail->field_violations_size(), 2);
  EXPECT_EQ(detail->field_violations(1).field(), "page_size");
}

TEST(StatusMappingTest, OkMapsToOk) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus(), "case-service").ok());
}

TEST(StatusMappingTest, KeepsCodeMessageAndDetailAcrossTheWire) {
  absl::Status domain =
      DomainError(absl::StatusCode::kPermissionDenied, "AMOUNT_EXCEEDS_MANDATE",
                  "EUR 80,000 exceeds the mandate of EUR 50,000", {{"max_amount_cents", "5000000"}});
  grpc::Status wire = ToGrpcStatus(domain, "mandate-service");
  EXPECT_EQ(wire.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(wire.error_message(), "EUR 80,000 exceeds the mandate of EUR 50,000");

  v1::RpcStatus rpc_status;
  ASSERT_TRUE(rpc_status.ParseFromString(wire.error_details()));
  EXPECT_EQ(rpc_status.code(), grpc::StatusCode::PERMISSION_DENIED);

  absl::Status back = FromGrpcStatus(wire);
  EXPECT_THAT(back, StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("EUR 50,000")));
  std::optional<v1::ErrorDetail> detail = GetErrorDetail(back);
  ASSERT_TRUE(detail.has_value());
  EXPECT_EQ(detail->reason(), "AMOUNT_EXCEEDS_MANDATE");
  EXPECT_EQ(detail->domain(), "mandate-service");
  EXPECT_EQ(detail->metadata().at("max_amount_cents"), "5000000");
}

TEST(StatusMappingTest, UnknownNeverReachesTheWire) {
  grpc::Status wire = ToGrpcStatus(absl::UnknownError("oops"), "case-service");
  EXPECT_EQ(wire.error_code(), grpc::StatusCode::INTERNAL);
}

TEST(StatusMappingTest, ErrorWithoutDetailGetsCodeAsReason) {
  grpc::Status wire = ToGrpcStatus(absl::NotFoundError("no case cases/9"), "case-service");
  std::optional<v1::ErrorDetail> detail = GetErrorDetail(FromGrpcStatus(wire));
  ASSERT_TRUE(detail.has_value());
  EXPECT_EQ(detail->reason(), "NOT_FOUND");
}

TEST(StatusMappingTest, EveryCanonicalCodeIsKept) {
  for (int code = 1; code <= 16; ++code) {
    if (code == static_cast<int>(absl::StatusCode::kUnknown)) continue;
    absl::Status status(static_cast<absl::StatusCode>(code), "x");
    EXPECT_EQ(static_cast<int>(ToGrpcStatus(status, "d").error_code()), code);
  }
}

absl::StatusOr<int> Half(int value) {
  if (value % 2 != 0) return absl::InvalidArgumentError("odd");
  return value / 2;
}

absl::StatusOr<int> Quarter(int value) {
  HERSTEL_ASSIGN_OR_RETURN(int half, Half(value));
  HERSTEL_ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

absl::Status CheckEven(int value) {
  HERSTEL_RETURN_IF_ERROR(Half(value).status());
  return absl::OkStatus();
}

TEST(StatusMacrosTest, PropagateFirstError) {
  EXPECT_THAT(Quarter(8), IsOkAndHolds(2));
  EXPECT_THAT(Quarter(6), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CheckEven(3), StatusIs(absl::StatusCode::kInvalidArgument, "odd"));
  EXPECT_THAT(CheckEven(4), IsOk());
}

}  // namespace
}  // namespace herstel
