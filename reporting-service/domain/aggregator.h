// Applying one event of a followed service to the monitor's aggregates.
//
// Aggregates are kept per aggregate, never per event: counters per
// (metric, area, dimensions, Amsterdam day), one state row per case and per
// escalation, one row per item that has a due time (an inspection request,
// an escalation at a level) and budget balances per line and day. Every
// counter is written for the region, the municipality and (when known) the
// village, so a scope is read without adding up its parts.
//
// The rules here are plain C++; AggregateSink is where they are kept (the
// SQL store, or an in-memory one in tests). Unknown event types are skipped.
#ifndef HERSTEL_REPORTING_DOMAIN_AGGREGATOR_H_
#define HERSTEL_REPORTING_DOMAIN_AGGREGATOR_H_

#include <cstdint>
#include <climits>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "herstel/v1/common.pb.h"

namespace herstel::reporting {

// Counter metrics. Dimensions: (track, phase) where a phase is involved,
// (category) for bottlenecks, (level[, outcome]) for escalations; histogram
// metrics carry the duration bucket as the last dimension.
namespace metric {
// stock: open tracks per (track, phase); (track, 0): open tracks; (0, 0): open cases.
// in / out: entered / left those stocks (moving village counts as leaving one
// and entering the other), so each stock changes exactly by in - out.
inline constexpr absl::string_view kStock = "stock";
inline constexpr absl::string_view kInflow = "in";
inline constexpr absl::string_view kOutflow = "out";
inline constexpr absl::string_view kUrgent = "urgent";        // stock of AOS cases per (track, phase)
inline constexpr absl::string_view kOneContact = "one_contact";  // stock: open cases with one contact person
inline constexpr absl::string_view kHasPlan = "has_plan";     // stock: open cases with a plan
inline constexpr absl::string_view kCoversAll = "covers_all";  // stock: plan covers every open track
inline constexpr absl::string_view kHandover = "handover";     // handovers recorded
inline constexpr absl::string_view kLeadTime = "lead";         // histogram (track, phase, bucket)
inline constexpr absl::string_view kInspectionRequested = "insp_req";
inline constexpr absl::string_view kInspectionWait = "insp_wait";  // histogram (0, 0, bucket)
inline constexpr absl::string_view kBottleneckRaised = "bn_raised";  // (category)
inline constexpr absl::string_view kBottleneckSolved = "bn_solved";  // (category)
inline constexpr absl::string_view kBottleneckOpen = "bn_open";      // stock (category)
inline constexpr absl::string_view kBottleneckSolveTime = "bn_solve";  // histogram (category, 0, bucket)
inline constexpr absl::string_view kEscalationArrived = "esc_arrived";  // (level)
inline constexpr absl::string_view kEscalationDecided = "esc_decided";  // final, (level)
inline constexpr absl::string_view kEscalationWithinTerm = "esc_in_term";  // (level)
inline constexpr absl::string_view kEscalationMovedUp = "esc_moved_up";  // (level moved from)
inline constexpr absl::string_view kEscalationOpen = "esc_open";  // stock (level)
inline constexpr absl::string_view kDecisionWithinMandate = "dec_within";
inline constexpr absl::string_view kDecisionEscalated = "dec_escalated";
inline constexpr absl::string_view kLevelDecision = "dec_level";  // (level, outcome)

// Every metric, in the order of their stored numbers (the store keeps a
// metric as its index here: add new metrics at the end, never reorder).
inline constexpr absl::string_view kAll[] = {
    kStock,           kInflow,           kOutflow,           kUrgent,
    kOneContact,      kHasPlan,          kCoversAll,         kHandover,
    kLeadTime,        kInspectionRequested, kInspectionWait, kBottleneckRaised,
    kBottleneckSolved, kBottleneckOpen,  kBottleneckSolveTime, kEscalationArrived,
    kEscalationDecided, kEscalationWithinTerm, kEscalationMovedUp, kEscalationOpen,
    kDecisionWithinMandate, kDecisionEscalated, kLevelDecision};
inline constexpr int kCount = sizeof(kAll) / sizeof(kAll[0]);
// The index of `name` in kAll; -1 when it is none of them.
int IdOf(absl::string_view name);
// kAll[id]; empty when `id` is none of its indexes (a stored number read back).
inline absl::string_view NameOf(int id) { return id >= 0 && id < kCount ? kAll[id] : ""; }

// Whether `name` counts a stock (a level that lasts: read as it stands at a
// moment, the sum of every change before it) rather than happenings.
bool IsStock(absl::string_view name);
}  // namespace metric

// Due time of an item that cannot be overdue (no target, or clock stopped).
inline constexpr int64_t kNoDue = INT64_MAX;

// Item kinds (rows with a due time).
inline constexpr absl::string_view kInspectionItem = "inspection";
inline constexpr absl::string_view kEscalationItem = "escalation";
// Distinct-per-day marks.
inline constexpr absl::string_view kHandoverCaseMark = "handover_case";

// Where a figure is kept: the region ("", ""), a municipality (m, "") or a
// village (m, v).
struct AreaKey {
  std::string municipality;
  std::string village;
  bool operator<(const AreaKey& other) const {
    return std::tie(municipality, village) < std::tie(other.municipality, other.village);
  }
  bool operator==(const AreaKey& other) const {
    return municipality == other.municipality && village == other.village;
  }
  template <typename H>
  friend H AbslHashValue(H hash, const AreaKey& area) {
    return H::combine(std::move(hash), area.municipality, area.village);
  }
};

// The rows a fact in (municipality, village) counts in.
std::vector<AreaKey> AreasOf(const std::string& municipality, const std::string& village);

struct CaseState {
  struct TrackState {
    int phase = 0;  // v1::Phase
    bool active = true;
    int64_t enter_micros = 0;  // when it entered its phase
  };
  std::string municipality;
  std::string village;
  int risk_category = 0;  // v1::RiskCategory
  bool has_contact_person = false;
  bool has_plan = false;
  // B-trees: a case's few tracks sit in one node, so a copy is one allocation.
  absl::btree_set<int> plan_tracks;  // tracks the plan covers
  absl::btree_map<int, TrackState> tracks;

  bool open() const;
  bool plan_covers_all_open_tracks() const;
};

struct EscalationState {
  int level = 0;  // v1::EscalationLevel
  std::vector<std::string> municipalities;
  bool open = true;
};

// A thing that waits with a due time: one row per municipality it concerns.
struct DueItem {
  std::string kind;
  std::string name;
  std::vector<std::string> municipalities;
  std::string village;  // only when it concerns one municipality
  int64_t dim1 = 0;
  int64_t start_micros = 0;
  int64_t due_micros = 0;
};

struct BudgetLineInfo {
  std::string name;
  std::string display_name;
  std::string source;
  std::string municipality;
  int32_t year = 0;
};

struct BudgetBalanceRow {
  std::string budget_line;
  int64_t ceiling_cents = 0;
  int64_t reserved_cents = 0;
  int64_t committed_cents = 0;
  int64_t available_cents = 0;
};

// Where aggregates live. Implemented over SQL by the store.
class AggregateSink {
 public:
  virtual ~AggregateSink() = default;
  virtual absl::Status AddCount(absl::string_view metric, const AreaKey& area, int64_t dim1,
                                int64_t dim2, int64_t dim3, int64_t day, int64_t delta) = 0;
  // Marks `item` as seen under `kind` on `day` at `place`, the finest area
  // it is in (its municipality and village). Distinct items are counted per
  // area from these marks: a municipality and the region over their places.
  virtual absl::Status MarkItemDay(absl::string_view kind, absl::string_view item,
                                   const AreaKey& place, int64_t day) = 0;
  // The state of case `name`, null when unknown; valid until the next
  // LoadCase or SaveCase.
  virtual absl::StatusOr<const CaseState*> LoadCase(absl::string_view name) = 0;
  virtual absl::Status SaveCase(absl::string_view name, CaseState state) = 0;
  virtual absl::StatusOr<std::optional<EscalationState>> LoadEscalation(absl::string_view name) = 0;
  virtual absl::Status SaveEscalation(absl::string_view name, const EscalationState& state) = 0;
  virtual absl::Status OpenItem(const DueItem& item) = 0;
  // The start time of an open or closed item; nullopt when unknown.
  virtual absl::StatusOr<std::optional<int64_t>> ItemStartMicros(absl::string_view kind,
                                                                 absl::string_view name) = 0;
  virtual absl::Status CloseItem(absl::string_view kind, absl::string_view name,
                                 int64_t end_micros) = 0;
  virtual absl::Status SetItemDue(absl::string_view kind, absl::string_view name,
                                  int64_t due_micros) = 0;
  virtual absl::Status SaveBudgetLine(const BudgetLineInfo& line) = 0;
  virtual absl::Status SaveBudgetBalance(const BudgetBalanceRow& balance, int64_t day) = 0;
};

// Applies `event` (of any followed service) to the aggregates in `sink`.
// Unknown types and payloads that do not parse are skipped (OK).
absl::Status ApplyEvent(const v1::Event& event, AggregateSink& sink);

// "cases/12" from "cases/12/bottlenecks/3"; empty when not under a case.
std::string CaseOf(absl::string_view resource);

}  // namespace herstel::reporting

#endif  // HERSTEL_REPORTING_DOMAIN_AGGREGATOR_H_
