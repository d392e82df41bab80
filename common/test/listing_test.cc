#include "herstel/listing.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "herstel/status_matchers.h"
#include "herstel/v1/common.pb.h"

namespace herstel {
namespace {

using ::herstel::testing::IsOkAndHolds;
using ::herstel::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Optional;

const std::vector<std::string> kFields = {"municipality", "phase", "urgent", "min_waiting_days",
                                          "since", "name"};

TEST(FilterTest, EmptyFilterHasNoTerms) {
  absl::StatusOr<Filter> filter = Filter::Parse("  ", kFields);
  ASSERT_TRUE(filter.ok());
  EXPECT_FALSE(filter->Has("phase"));
}

TEST(FilterTest, ParsesTypedTerms) {
  absl::StatusOr<Filter> filter = Filter::Parse(
      "municipality=municipalities/eemsdelta AND phase=PHASE_PLAN AND urgent=true AND "
      "min_waiting_days=30 AND since=2026-01-01T00:00:00Z AND name=\"Het \\\"Hogeland\\\"\"",
      kFields);
  ASSERT_TRUE(filter.ok()) << filter.status();
  EXPECT_THAT(filter->Text("municipality"), Optional(std::string("municipalities/eemsdelta")));
  EXPECT_THAT(filter->EnumValue("phase", &v1::Phase_Parse), IsOkAndHolds(Optional(v1::PHASE_PLAN)));
  EXPECT_THAT(filter->Boolean("urgent"), IsOkAndHolds(Optional(true)));
  EXPECT_THAT(filter->Integer("min_waiting_days"), IsOkAndHolds(Optional(30)));
  EXPECT_THAT(filter->Time("since"), IsOkAndHolds(Optional(absl::FromUnixSeconds(1767225600))));
  EXPECT_THAT(filter->Text("name"), Optional(std::string("Het \"Hogeland\"")));
}

TEST(FilterTest, RejectsWhatItCannotRead) {
  const char* bad[] = {"phase",         "phase=",           "colour=red",
                       "phase=A AND",   "phase=A OR urgent=true", "phase=A AND phase=B",
                       "name=\"open",   "=x"};
  for (const char* text : bad) {
    EXPECT_THAT(Filter::Parse(text, kFields), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("filter")))
        << text;
  }
  EXPECT_THAT(Filter::Parse("colour=red", kFields),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("allowed: municipality")));
}

TEST(FilterTest, RejectsBadTypedValues) {
  Filter filter = *Filter::Parse("phase=PHASE_NONSENSE AND urgent=yes AND min_waiting_days=x AND since=monday",
                                 kFields);
  EXPECT_THAT(filter.EnumValue("phase", &v1::Phase_Parse), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(filter.Boolean("urgent"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("true or false")));
  EXPECT_THAT(filter.Integer("min_waiting_days"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(filter.Time("since"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("RFC 3339")));
  Filter unspecified = *Filter::Parse("phase=PHASE_UNSPECIFIED", kFields);
  EXPECT_THAT(unspecified.EnumValue("phase", &v1::Phase_Parse), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(FilterTest, TooManyTermsAreRefused) {
  std::vector<std::string> many;
  std::string text;
  for (int i = 0; i < 11; ++i) {
    many.push_back("f" + std::to_string(i));
    text += (i ? " AND " : "") + many.back() + "=1";
  }
  EXPECT_THAT(Filter::Parse(text, many), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most 10")));
}

TEST(PagingTest, PageSizeIsBounded) {
  EXPECT_THAT(EffectivePageSize(0), IsOkAndHolds(50));
  EXPECT_THAT(EffectivePageSize(20), IsOkAndHolds(20));
  EXPECT_THAT(EffectivePageSize(1'000'000), IsOkAndHolds(1000));
  EXPECT_THAT(EffectivePageSize(-1), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_size")));
}

TEST(PagingTest, TokensRoundTripAndStayWithTheirQuery) {
  std::string token = EncodePageToken("cases/0000123", "phase=PHASE_PLAN");
  EXPECT_THAT(DecodePageToken(token, "phase=PHASE_PLAN"), IsOkAndHolds(std::string("cases/0000123")));
  EXPECT_THAT(DecodePageToken("", "anything"), IsOkAndHolds(std::string()));
  EXPECT_THAT(DecodePageToken(token, "phase=PHASE_INTAKE"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("different filter")));
  EXPECT_THAT(DecodePageToken("%%%", "q"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
}

}  // namespace
}  // namespace herstel
