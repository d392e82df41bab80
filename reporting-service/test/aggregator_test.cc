// The aggregation rules alone, over an in-memory sink: stocks move with
// their flows, a moved case leaves one village and enters another, lead
// times land in the phase that was left, escalations open and close once.
#include "domain/aggregator.h"

#include <map>
#include <tuple>

#include "domain/calendar.h"
#include "domain/statistics.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "herstel/status_matchers.h"
#include "herstel/v1/case_service.pb.h"
#include "herstel/v1/escalation_service.pb.h"

namespace herstel::reporting {
namespace {

using ::herstel::testing::IsOk;
using Key = std::tuple<std::string, std::string, std::string, int64_t, int64_t, int64_t>;

class MemorySink : public AggregateSink {
 public:
  absl::Status AddCount(absl::string_view metric, const AreaKey& area, int64_t dim1, int64_t dim2,
                        int64_t dim3, int64_t, int64_t delta) override {
    counts[{std::string(metric), area.municipality, area.village, dim1, dim2, dim3}] += delta;
    return absl::OkStatus();
  }
  absl::Status MarkItemDay(absl::string_view, absl::string_view, const AreaKey&, int64_t) override {
    return absl::OkStatus();
  }
  absl::StatusOr<const CaseState*> LoadCase(absl::string_view name) override {
    auto found = cases.find(std::string(name));
    return found == cases.end() ? nullptr : &found->second;
  }
  absl::Status SaveCase(absl::string_view name, CaseState state) override {
    cases[std::string(name)] = state;
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<EscalationState>> LoadEscalation(absl::string_view name) override {
    auto found = escalations.find(std::string(name));
    if (found == escalations.end()) return std::optional<EscalationState>();
    return std::optional<EscalationState>(found->second);
  }
  absl::Status SaveEscalation(absl::string_view name, const EscalationState& state) override {
    escalations[std::string(name)] = state;
    return absl::OkStatus();
  }
  absl::Status OpenItem(const DueItem& item) override {
    open_items[item.name] = item.start_micros;
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<int64_t>> ItemStartMicros(absl::string_view,
                                                         absl::string_view name) override {
    auto found = open_items.find(std::string(name));
    if (found == open_items.end()) return std::optional<int64_t>();
    return std::optional<int64_t>(found->second);
  }
  absl::Status CloseItem(absl::string_view, absl::string_view name, int64_t) override {
    closed_items.insert(std::string(name));
    return absl::OkStatus();
  }
  absl::Status SetItemDue(absl::string_view, absl::string_view, int64_t) override {
    return absl::OkStatus();
  }
  absl::Status SaveBudgetLine(const BudgetLineInfo&) override { return absl::OkStatus(); }
  absl::Status SaveBudgetBalance(const BudgetBalanceRow&, int64_t) override {
    return absl::OkStatus();
  }

  int64_t Count(absl::string_view metric, const AreaKey& area, int64_t dim1 = 0, int64_t dim2 = 0,
                int64_t dim3 = 0) const {
    auto found = counts.find({std::string(metric), area.municipality, area.village, dim1, dim2, dim3});
    return found == counts.end() ? 0 : found->second;
  }

  std::map<Key, int64_t> counts;
  std::map<std::string, CaseState> cases;
  std::map<std::string, EscalationState> escalations;
  std::map<std::string, int64_t> open_items;
  std::set<std::string> closed_items;
};

v1::Event MakeEvent(const google::protobuf::Message& payload, const std::string& resource,
                    absl::Time at) {
  v1::Event event;
  event.set_type(payload.GetDescriptor()->full_name());
  event.set_resource(resource);
  event.mutable_payload()->PackFrom(payload);
  *event.mutable_commit_time() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(at));
  return event;
}

const AreaKey kRegion{"", ""};
const AreaKey kEemsdelta{"municipalities/eemsdelta", ""};
const AreaKey kAppingedam{"municipalities/eemsdelta", "municipalities/eemsdelta/villages/appingedam"};
const AreaKey kDelfzijl{"municipalities/eemsdelta", "municipalities/eemsdelta/villages/delfzijl"};

TEST(AggregatorTest, PhasesMoveWithTheirFlowsAndLeadTimes) {
  MemorySink sink;
  absl::Time start = YearStart(2025) + absl::Hours(24 * 20);
  v1::CaseCreated created;
  created.set_case_("cases/1");
  created.set_municipality(kEemsdelta.municipality);
  created.set_village(kAppingedam.village);
  created.set_risk_category(v1::RISK_CATEGORY_AOS);
  created.mutable_contact_person()->set_subject("cm-1");
  auto* track = created.add_tracks();
  track->set_track(v1::TRACK_STRENGTHENING);
  track->set_phase(v1::PHASE_INTAKE);
  track->set_state(v1::CASE_TRACK_STATE_ACTIVE);
  ASSERT_THAT(ApplyEvent(MakeEvent(created, "cases/1", start), sink), IsOk());
  for (const AreaKey& area : {kRegion, kEemsdelta, kAppingedam}) {
    EXPECT_EQ(sink.Count(metric::kStock, area, 0, 0), 1);
    EXPECT_EQ(sink.Count(metric::kStock, area, 2, 1), 1);
    EXPECT_EQ(sink.Count(metric::kStock, area, 2, 0), 1);
    EXPECT_EQ(sink.Count(metric::kUrgent, area, 2, 1), 1);
    EXPECT_EQ(sink.Count(metric::kInflow, area, 0, 0), 1);
    EXPECT_EQ(sink.Count(metric::kOneContact, area), 1);
  }
  v1::PhaseAdvanced advanced;
  advanced.set_case_("cases/1");
  advanced.set_track(v1::TRACK_STRENGTHENING);
  advanced.set_from_phase(v1::PHASE_INTAKE);
  advanced.set_to_phase(v1::PHASE_INSPECTION);
  ASSERT_THAT(ApplyEvent(MakeEvent(advanced, "cases/1", start + absl::Hours(24 * 3)), sink), IsOk());
  EXPECT_EQ(sink.Count(metric::kStock, kAppingedam, 2, 1), 0);
  EXPECT_EQ(sink.Count(metric::kStock, kAppingedam, 2, 2), 1);
  EXPECT_EQ(sink.Count(metric::kOutflow, kAppingedam, 2, 1), 1);
  EXPECT_EQ(sink.Count(metric::kInflow, kAppingedam, 2, 2), 1);
  EXPECT_EQ(sink.Count(metric::kStock, kAppingedam, 2, 0), 1);  // the track stays open
  EXPECT_EQ(sink.Count(metric::kLeadTime, kAppingedam, 2, 1, DurationBucket(absl::Hours(72))), 1);

  // Moving to another village: out of one, into the other, same municipality.
  v1::CaseUpdated moved;
  moved.set_case_("cases/1");
  moved.set_municipality(kEemsdelta.municipality);
  moved.set_village(kDelfzijl.village);
  ASSERT_THAT(ApplyEvent(MakeEvent(moved, "cases/1", start + absl::Hours(24 * 4)), sink), IsOk());
  EXPECT_EQ(sink.Count(metric::kStock, kAppingedam, 2, 2), 0);
  EXPECT_EQ(sink.Count(metric::kStock, kDelfzijl, 2, 2), 1);
  EXPECT_EQ(sink.Count(metric::kStock, kEemsdelta, 2, 2), 1);
  EXPECT_EQ(sink.Count(metric::kOutflow, kAppingedam, 0, 0), 1);
  EXPECT_EQ(sink.Count(metric::kInflow, kDelfzijl, 0, 0), 1);
  EXPECT_EQ(sink.Count(metric::kInflow, kEemsdelta, 0, 0), 1);  // not twice

  v1::TrackCompleted completed;
  completed.set_case_("cases/1");
  completed.set_track(v1::TRACK_STRENGTHENING);
  ASSERT_THAT(ApplyEvent(MakeEvent(completed, "cases/1", start + absl::Hours(24 * 10)), sink),
              IsOk());
  EXPECT_EQ(sink.Count(metric::kStock, kRegion, 0, 0), 0);
  EXPECT_EQ(sink.Count(metric::kOutflow, kRegion, 0, 0), 1);
  EXPECT_EQ(sink.Count(metric::kOneContact, kRegion), 0);  // closed cases count nowhere
  EXPECT_EQ(sink.Count(metric::kLeadTime, kRegion, 2, 2, DurationBucket(absl::Hours(24 * 7))), 1);
}

TEST(AggregatorTest, EscalationsArriveMoveUpAndCloseOnce) {
  MemorySink sink;
  absl::Time at = YearStart(2025) + absl::Hours(24 * 40);
  v1::EscalationOpened opened;
  opened.set_escalation("escalations/7");
  opened.set_level(v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP);
  opened.add_municipalities(kEemsdelta.municipality);
  ASSERT_THAT(ApplyEvent(MakeEvent(opened, "escalations/7", at), sink), IsOk());
  v1::EscalationLevelChanged changed;
  changed.set_escalation("escalations/7");
  changed.mutable_change()->set_from_level(v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP);
  changed.mutable_change()->set_to_level(v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION);
  ASSERT_THAT(ApplyEvent(MakeEvent(changed, "escalations/7", at), sink), IsOk());
  v1::EscalationDecided decided;
  decided.set_escalation("escalations/7");
  decided.set_level(v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION);
  decided.set_outcome(v1::ESCALATION_DECISION_OUTCOME_GRANTED);
  decided.set_final(true);
  decided.set_within_term(true);
  v1::Event decided_event = MakeEvent(decided, "escalations/7", at);
  ASSERT_THAT(ApplyEvent(decided_event, sink), IsOk());
  v1::EscalationWithdrawn withdrawn;  // after the decision: nothing left to close
  withdrawn.set_escalation("escalations/7");
  ASSERT_THAT(ApplyEvent(MakeEvent(withdrawn, "escalations/7", at), sink), IsOk());
  for (const AreaKey& area : {kRegion, kEemsdelta}) {
    EXPECT_EQ(sink.Count(metric::kEscalationArrived, area, 1), 1);
    EXPECT_EQ(sink.Count(metric::kEscalationArrived, area, 2), 1);
    EXPECT_EQ(sink.Count(metric::kEscalationMovedUp, area, 1), 1);
    EXPECT_EQ(sink.Count(metric::kEscalationOpen, area, 1), 0);
    EXPECT_EQ(sink.Count(metric::kEscalationOpen, area, 2), 0);
    EXPECT_EQ(sink.Count(metric::kEscalationDecided, area, 2), 1);
    EXPECT_EQ(sink.Count(metric::kEscalationWithinTerm, area, 2), 1);
    EXPECT_EQ(sink.Count(metric::kLevelDecision, area, 2, v1::ESCALATION_DECISION_OUTCOME_GRANTED), 1);
  }
}

TEST(AggregatorTest, UnknownEventsAreSkipped) {
  MemorySink sink;
  v1::Event event;
  event.set_type("herstel.v1.SomethingNew");
  event.set_resource("things/1");
  EXPECT_THAT(ApplyEvent(event, sink), IsOk());
  EXPECT_TRUE(sink.counts.empty());
}

TEST(AggregatorTest, CaseOfAResource) {
  EXPECT_EQ(CaseOf("cases/12/bottlenecks/3"), "cases/12");
  EXPECT_EQ(CaseOf("cases/12"), "cases/12");
  EXPECT_EQ(CaseOf("escalations/4"), "");
}

}  // namespace
}  // namespace herstel::reporting
