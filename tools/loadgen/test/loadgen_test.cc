// The load generator's plain parts: the suite's mix and the report. No
// services, no timing asserted.
#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "load_loop.h"
#include "suite.h"

namespace herstel::loadgen {
namespace {

using ::testing::HasSubstr;

TEST(ParseMix, DefaultMixNamesEveryKindAndIsReadsHeavy) {
  absl::StatusOr<std::vector<int>> weights = ParseMix(kDefaultSuiteMix);
  ASSERT_TRUE(weights.ok()) << weights.status();
  ASSERT_EQ(weights->size(), SuiteKindNames().size());
  int total = 0;
  for (int weight : *weights) {
    EXPECT_GT(weight, 0);
    total += weight;
  }
  const int reads = (*weights)[kCaseGet] + (*weights)[kCaseList] + (*weights)[kMonitor] + (*weights)[kMandateCheck];
  EXPECT_GT(reads * 2, total);
}

TEST(ParseMix, KindsLeftOutWeighZero) {
  absl::StatusOr<std::vector<int>> weights = ParseMix(" monitor=3 , case-get=1");
  ASSERT_TRUE(weights.ok()) << weights.status();
  EXPECT_EQ((*weights)[kMonitor], 3);
  EXPECT_EQ((*weights)[kCaseGet], 1);
  EXPECT_EQ((*weights)[kEscalationDecide], 0);
}

TEST(ParseMix, RefusesBadMixes) {
  for (const char* bad : {"case-gets=1", "case-get=1,case-get=2", "case-get=-1", "case-get=x", "case-get", "case-get=0",
                          "", "case-get=1000001"}) {
    EXPECT_EQ(ParseMix(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(PickKind, FollowsTheWeights) {
  const std::vector<int> weights = {2, 0, 1};
  std::map<int, int> picked;
  for (uint64_t draw = 0; draw < 300; ++draw) ++picked[PickKind(weights, draw)];
  EXPECT_EQ(picked[0], 200);
  EXPECT_EQ(picked.count(1), 0u);
  EXPECT_EQ(picked[2], 100);
}

TEST(FormatReport, OneLinePerKindWithErrorsAndATotal) {
  LoopResult result;
  result.elapsed = absl::Seconds(2);
  result.kinds.resize(3);
  result.kinds[0].latencies_ms = {3, 1, 2, 4};
  result.kinds[2].latencies_ms = {10, 20};
  result.kinds[2].errors["FAILED_PRECONDITION (9)"] = 1;
  const std::string report = FormatReport("suite", 4, {"case-get", "unused", "case-advance"}, result);
  EXPECT_THAT(report, HasSubstr("scenario=suite callers=4 seconds=2.0 operations=6 throughput=3.0/s"));
  EXPECT_THAT(report, HasSubstr("case-get"));
  EXPECT_THAT(report, ::testing::Not(HasSubstr("unused")));
  EXPECT_THAT(report, HasSubstr("errors FAILED_PRECONDITION (9): 1"));
  EXPECT_THAT(report, HasSubstr("  total "));
}

TEST(FormatReport, ASingleKindKeepsTheOneLineForm) {
  LoopResult result;
  result.elapsed = absl::Seconds(1);
  result.kinds.resize(1);
  result.kinds[0].latencies_ms = {1, 2};
  result.kinds[0].errors[CodeName(grpc::StatusCode::UNAVAILABLE)] = 2;
  const std::string report = FormatReport("empty", 1, {"empty"}, result);
  EXPECT_THAT(report, HasSubstr("scenario=empty callers=1 seconds=1.0 operations=2"));
  EXPECT_THAT(report, HasSubstr("  errors UNAVAILABLE (14): 2\n"));
  EXPECT_THAT(report, ::testing::Not(HasSubstr("total")));
}

}  // namespace
}  // namespace herstel::loadgen
