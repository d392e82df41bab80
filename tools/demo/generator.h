// What the demo region holds, derived deterministically from a seed: the
// cases (import rows) and the activity on them (clusters, bottlenecks,
// inspection requests, decision requests and what the ladder does with the
// escalated ones).
//
// Contract:
// - Everything about case i depends only on (seed, i) and on the cases before
//   it (an address is the village's next free one), never on the total, so a
//   larger --cases extends a smaller one: the first N cases are the same.
// - The activity plans depend on (seed, i) and the facts of case i; the
//   number of decision requests grows with the total but always takes the
//   first eligible cases, so a smaller plan is a prefix of a larger one.
// - Times are relative to `as_of` (no clock is read here).
// - Addresses are unique per (seed): each village's rank maps to its own
//   postcode and house number; postcodes are valid Dutch ones (four digits
//   not starting with 0, two capitals, never SA, SD or SS).
// Plain C++ over protobuf messages; no gRPC.
#ifndef HERSTEL_TOOLS_DEMO_GENERATOR_H_
#define HERSTEL_TOOLS_DEMO_GENERATOR_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/time/time.h"
#include "herstel/v1/case_service.pb.h"
#include "region.h"

namespace herstel::demo {

// A deterministic 64-bit value for (seed, purpose, index) (SplitMix64).
uint64_t Mix(uint64_t seed, uint64_t purpose, uint64_t index);
// `bits` as a double in [0, 1).
double Unit(uint64_t bits);

// "demo-{seed}-{index, 7 digits}": the case's id in the demo's "agency system".
std::string ExternalReference(uint64_t seed, int64_t index);
// The index back from an external reference of this seed; nullopt otherwise.
std::optional<int64_t> IndexOfExternalReference(uint64_t seed, const std::string& reference);

// Kind of professional who is a case's contact person.
enum class ContactKind : uint8_t { kNcg, kImg, kMunicipal };

// What the follow-up steps need to know about a generated case; small, so a
// million of them fit in memory.
struct CaseFacts {
  uint8_t municipality = 0;  // index in Region::municipalities()
  uint8_t village = 0;       // index in that municipality's villages
  v1::RiskCategory risk = v1::RISK_CATEGORY_OTHER;
  uint8_t tracks = 0;        // bit (1 << Track) per open track
  ContactKind contact_kind = ContactKind::kNcg;
  uint8_t contact_number = 0;
  int32_t cluster = -1;      // index into CaseGenerator::clusters(), or -1
  bool monument = false;

  bool HasTrack(v1::Track track) const { return (tracks >> track) & 1; }
};

// The contact person (and token subject) of a case.
v1::CaseContactPerson ContactPersonOf(const Region& region, const CaseFacts& facts);

// A cluster (treintje): cases of one village that run strengthening together.
struct ClusterPlan {
  int municipality = 0;
  int village = 0;
  int64_t block = 0;  // cases [block*kClusterBlock, (block+1)*kClusterBlock) feed it
  int part = 0;       // 0 or 1: two clusters per municipality and block
  std::string key;    // "{municipality}-{block}-{part}", for request ids
  std::string display_name;  // "Loppersum Noord 3"
  v1::Phase phase = v1::PHASE_UNSPECIFIED;  // members' strengthening phase
  absl::Time phase_enter_time;              // roughly when the cluster entered it
  std::vector<int64_t> members;             // case indices, ascending
};
inline constexpr int64_t kClusterBlock = 1000;
// Clusters are formed among the first 40 blocks only: at most 400 clusters
// (about 10,000 homes) however large the region, as in the real operation,
// where a few hundred treintjes run at a time.
inline constexpr int64_t kClusterBlocks = 40;

// Generates the cases in index order.
class CaseGenerator {
 public:
  CaseGenerator(const Region& region, uint64_t seed, absl::Time as_of);

  // The import row of the next case (index = number of calls so far) and its facts.
  v1::Case Next(CaseFacts& facts);
  int64_t generated() const { return next_index_; }
  // Clusters met so far, with their members.
  const std::vector<ClusterPlan>& clusters() const { return clusters_; }

 private:
  int PickMunicipality(uint64_t bits) const;
  int PickVillage(int municipality, uint64_t bits) const;
  ClusterPlan& ClusterFor(int municipality, int64_t block, int part);
  void SetAddress(v1::Case& record, int municipality, int village);

  const Region& region_;
  const uint64_t seed_;
  const absl::Time as_of_;
  int64_t next_index_ = 0;
  std::map<std::pair<int, int>, int64_t> village_rank_;  // homes given out per village
  std::map<std::tuple<int, int64_t, int>, int> cluster_index_;
  std::vector<ClusterPlan> clusters_;
};

// ---- Activity ------------------------------------------------------------------------

enum class BottleneckFate { kStaysOpen, kEscalated, kResolved };

struct BottleneckPlan {
  v1::BottleneckCategory category = v1::BOTTLENECK_CATEGORY_UNSPECIFIED;
  v1::Track track = v1::TRACK_UNSPECIFIED;
  std::string description;
  BottleneckFate fate = BottleneckFate::kStaysOpen;
  std::string escalation_reason;  // when escalated
  std::string resolution;         // when resolved
};
// About 3 in 100 cases have a bottleneck.
std::optional<BottleneckPlan> PlanBottleneck(uint64_t seed, int64_t index, const CaseFacts& facts);

enum class InspectionFate { kStaysOpen, kScheduled, kInspected };

struct InspectionPlan {
  absl::Time request_time;
  InspectionFate fate = InspectionFate::kStaysOpen;
  absl::Time schedule_time;  // when scheduled or inspected
  std::string reason;
  std::string result;        // when inspected
};
// Every case in category INSPECTION_ON_REQUEST asked for one.
std::optional<InspectionPlan> PlanInspection(uint64_t seed, int64_t index, const CaseFacts& facts,
                                             absl::Time as_of);

// What the ladder does with an escalated decision request.
enum class EscalationFate {
  kStaysOpen,          // nobody has looked at it yet
  kAcknowledged,       // the body took it in hand
  kGranted,            // granted in full at its starting level
  kPartlyGranted,      // part of the amount
  kDenied,
  kCannotDecideThenGranted,  // level 1 can't decide; the administrative consultation grants
};
absl::string_view FateName(EscalationFate fate);

struct DecisionPlan {
  int64_t index = 0;  // the case
  bool within_mandate = true;  // the amount is within the NCG case manager's EUR 50,000
  int64_t amount_cents = 0;
  std::vector<v1::CaseBudgetSplit> budget_lines;
  std::string justification;
  EscalationFate fate = EscalationFate::kStaysOpen;  // for the escalated ones
};
// How many of each: within mandate clamp(cases / 40, 8, 600), above
// clamp(cases / 100, 6, 150), on the first eligible strengthening cases with an
// NCG contact person (one request per case).
std::vector<DecisionPlan> PlanDecisions(const Region& region, uint64_t seed,
                                        const std::vector<CaseFacts>& facts);

}  // namespace herstel::demo

#endif  // HERSTEL_TOOLS_DEMO_GENERATOR_H_
