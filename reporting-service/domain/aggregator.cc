#include "domain/aggregator.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "domain/calendar.h"
#include "domain/statistics.h"
#include "google/protobuf/util/time_util.h"
#include "herstel/status_macros.h"
#include "herstel/v1/case_service.pb.h"
#include "herstel/v1/escalation_service.pb.h"
#include "herstel/v1/mandate_service.pb.h"

namespace herstel::reporting {
namespace {

using google::protobuf::util::TimeUtil;

// When and where an event happened.
struct At {
  int64_t day;
  int64_t micros;
};

int64_t Micros(const google::protobuf::Timestamp& time) {
  return TimeUtil::TimestampToMicroseconds(time);
}

absl::Status AddToAreas(AggregateSink& sink, absl::string_view name,
                        const std::vector<AreaKey>& areas, int64_t dim1, int64_t dim2,
                        int64_t dim3, int64_t day, int64_t delta) {
  for (const AreaKey& area : areas) {
    HERSTEL_RETURN_IF_ERROR(sink.AddCount(name, area, dim1, dim2, dim3, day, delta));
  }
  return absl::OkStatus();
}

std::vector<AreaKey> AreasOfMunicipalities(const std::vector<std::string>& municipalities) {
  std::vector<AreaKey> areas{{"", ""}};
  std::set<std::string> seen;
  for (const std::string& municipality : municipalities) {
    if (!municipality.empty() && seen.insert(municipality).second) {
      areas.push_back({municipality, ""});
    }
  }
  return areas;
}

// ---------------------------------------------------------------------------
// Cases: every change is a difference between what the case contributed to
// the stocks before and after it. Entering a (track, phase) stock is inflow,
// leaving it is outflow (also when the case moves to another village), so
// stock(w-1) + inflow(w) - outflow(w) = stock(w) holds exactly everywhere.
// ---------------------------------------------------------------------------

struct StockKey {
  absl::string_view metric;
  int dim1;
  int dim2;
  bool operator<(const StockKey& other) const {
    return std::tie(metric, dim1, dim2) < std::tie(other.metric, other.dim1, other.dim2);
  }
  bool operator==(const StockKey& other) const {
    return metric == other.metric && dim1 == other.dim1 && dim2 == other.dim2;
  }
};
// A case's stock keys, sorted, each once (a handful: kept inline).
using StockKeys = absl::InlinedVector<StockKey, 16>;

StockKeys Contributions(const CaseState& state) {
  StockKeys keys;
  if (!state.open()) return keys;
  keys.push_back({metric::kStock, 0, 0});
  if (state.has_contact_person) keys.push_back({metric::kOneContact, 0, 0});
  if (state.has_plan) keys.push_back({metric::kHasPlan, 0, 0});
  if (state.plan_covers_all_open_tracks()) keys.push_back({metric::kCoversAll, 0, 0});
  for (const auto& [track, track_state] : state.tracks) {
    if (!track_state.active) continue;
    keys.push_back({metric::kStock, track, 0});  // the track as a whole
    keys.push_back({metric::kStock, track, track_state.phase});
    if (state.risk_category == v1::RISK_CATEGORY_AOS) {
      keys.push_back({metric::kUrgent, track, track_state.phase});
    }
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

// Counts `delta` of a stock key in `area`, with its inflow or outflow.
absl::Status AddStockChange(AggregateSink& sink, const AreaKey& area, const StockKey& key,
                            int delta, int64_t day) {
  HERSTEL_RETURN_IF_ERROR(sink.AddCount(key.metric, area, key.dim1, key.dim2, 0, day, delta));
  if (key.metric != metric::kStock) return absl::OkStatus();
  return sink.AddCount(delta > 0 ? metric::kInflow : metric::kOutflow, area, key.dim1, key.dim2,
                       0, day, 1);
}

absl::Status Transition(AggregateSink& sink, const CaseState* before,
                        const CaseState& after, int64_t day) {
  const StockKeys after_keys = Contributions(after);
  const StockKeys before_keys = before != nullptr ? Contributions(*before) : StockKeys();
  if (before == nullptr || (before->municipality == after.municipality &&
                              before->village == after.village)) {
    // Same place: every area changes by the difference of the two key sets.
    const std::vector<AreaKey> areas = AreasOf(after.municipality, after.village);
    auto left = before_keys.begin();
    auto entered = after_keys.begin();
    while (left != before_keys.end() || entered != after_keys.end()) {
      int delta = 0;
      StockKey key;
      if (entered == after_keys.end() || (left != before_keys.end() && *left < *entered)) {
        key = *left++;
        delta = -1;
      } else if (left == before_keys.end() || *entered < *left) {
        key = *entered++;
        delta = 1;
      } else {
        ++left;
        ++entered;
        continue;
      }
      for (const AreaKey& area : areas) {
        HERSTEL_RETURN_IF_ERROR(AddStockChange(sink, area, key, delta, day));
      }
    }
    return absl::OkStatus();
  }
  // Moved: the areas both places share (the region, maybe the
  // municipality) see only the difference; the others lose or gain it all.
  std::map<std::pair<AreaKey, StockKey>, int> change;
  for (const AreaKey& area : AreasOf(before->municipality, before->village)) {
    for (const StockKey& key : before_keys) change[{area, key}] -= 1;
  }
  for (const AreaKey& area : AreasOf(after.municipality, after.village)) {
    for (const StockKey& key : after_keys) change[{area, key}] += 1;
  }
  for (const auto& [where, delta] : change) {
    if (delta == 0) continue;
    HERSTEL_RETURN_IF_ERROR(AddStockChange(sink, where.first, where.second, delta, day));
  }
  return absl::OkStatus();
}

absl::Status RecordLeadTime(AggregateSink& sink, const CaseState& state, int track, int phase,
                            int64_t enter_micros, const At& at) {
  if (enter_micros <= 0) return absl::OkStatus();
  int bucket = DurationBucket(absl::Microseconds(at.micros - enter_micros));
  return AddToAreas(sink, metric::kLeadTime, AreasOf(state.municipality, state.village), track,
                    phase, bucket, at.day, 1);
}

template <typename Payload>
bool Unpack(const v1::Event& event, Payload& payload) {
  return event.payload().UnpackTo(&payload);
}

absl::Status ApplyCaseEvent(const v1::Event& event, const At& at, AggregateSink& sink,
                            bool& handled) {
  handled = true;
  const std::string& type = event.type();
  if (type == "herstel.v1.CaseCreated") {
    v1::CaseCreated created;
    if (!Unpack(event, created)) return absl::OkStatus();
    HERSTEL_ASSIGN_OR_RETURN(const CaseState* before, sink.LoadCase(created.case_()));
    CaseState after;
    after.municipality = created.municipality();
    after.village = created.village();
    after.risk_category = created.risk_category();
    after.has_contact_person = !created.contact_person().subject().empty();
    for (const v1::CaseTrackPhase& track : created.tracks()) {
      after.tracks[track.track()] = {track.phase(),
                                     track.state() != v1::CASE_TRACK_STATE_COMPLETED, at.micros};
    }
    HERSTEL_RETURN_IF_ERROR(Transition(sink, before, after, at.day));
    return sink.SaveCase(created.case_(), std::move(after));
  }

  // Every other case event changes a known case.
  std::string case_name = CaseOf(event.resource());
  auto with_case = [&](auto&& change) -> absl::Status {
    HERSTEL_ASSIGN_OR_RETURN(const CaseState* before, sink.LoadCase(case_name));
    if (before == nullptr) return absl::OkStatus();  // never created: nothing to move
    CaseState after = *before;
    HERSTEL_RETURN_IF_ERROR(change(after));
    HERSTEL_RETURN_IF_ERROR(Transition(sink, before, after, at.day));
    return sink.SaveCase(case_name, std::move(after));
  };

  if (type == "herstel.v1.CaseUpdated") {
    v1::CaseUpdated updated;
    if (!Unpack(event, updated)) return absl::OkStatus();
    return with_case([&](CaseState& state) {
      if (!updated.municipality().empty()) state.municipality = updated.municipality();
      if (!updated.village().empty()) state.village = updated.village();
      if (updated.risk_category() != v1::RISK_CATEGORY_UNSPECIFIED) {
        state.risk_category = updated.risk_category();
      }
      return absl::OkStatus();
    });
  }
  if (type == "herstel.v1.CaseTrackAdded") {
    v1::CaseTrackAdded added;
    if (!Unpack(event, added)) return absl::OkStatus();
    return with_case([&](CaseState& state) {
      state.tracks[added.track()] = {v1::PHASE_INTAKE, true, at.micros};
      return absl::OkStatus();
    });
  }
  if (type == "herstel.v1.PhaseAdvanced") {
    v1::PhaseAdvanced advanced;
    if (!Unpack(event, advanced)) return absl::OkStatus();
    return with_case([&](CaseState& state) -> absl::Status {
      CaseState::TrackState& track = state.tracks[advanced.track()];
      int64_t entered = advanced.has_from_phase_enter_time()
                            ? Micros(advanced.from_phase_enter_time())
                            : track.enter_micros;
      HERSTEL_RETURN_IF_ERROR(
          RecordLeadTime(sink, state, advanced.track(), advanced.from_phase(), entered, at));
      track = {advanced.to_phase(), true, at.micros};
      return absl::OkStatus();
    });
  }
  if (type == "herstel.v1.TrackReassessed") {
    v1::TrackReassessed reassessed;
    if (!Unpack(event, reassessed)) return absl::OkStatus();
    return with_case([&](CaseState& state) {
      state.tracks[reassessed.track()] = {reassessed.to_phase(), true, at.micros};
      return absl::OkStatus();
    });
  }
  if (type == "herstel.v1.TrackCompleted") {
    v1::TrackCompleted completed;
    if (!Unpack(event, completed)) return absl::OkStatus();
    return with_case([&](CaseState& state) -> absl::Status {
      auto track = state.tracks.find(completed.track());
      if (track == state.tracks.end() || !track->second.active) return absl::OkStatus();
      HERSTEL_RETURN_IF_ERROR(RecordLeadTime(sink, state, completed.track(), track->second.phase,
                                             track->second.enter_micros, at));
      track->second.active = false;
      return absl::OkStatus();
    });
  }
  if (type == "herstel.v1.ContactPersonHandedOver") {
    v1::ContactPersonHandedOver handover;
    if (!Unpack(event, handover)) return absl::OkStatus();
    return with_case([&](CaseState& state) -> absl::Status {
      bool first_assignment = handover.from().subject().empty();
      state.has_contact_person = !handover.to().subject().empty();
      if (first_assignment) return absl::OkStatus();
      for (const AreaKey& area : AreasOf(state.municipality, state.village)) {
        HERSTEL_RETURN_IF_ERROR(sink.AddCount(metric::kHandover, area, 0, 0, 0, at.day, 1));
      }
      return sink.MarkItemDay(kHandoverCaseMark, case_name, {state.municipality, state.village},
                              at.day);
    });
  }
  if (type == "herstel.v1.CasePlanUpdated") {
    v1::CasePlanUpdated plan;
    if (!Unpack(event, plan)) return absl::OkStatus();
    return with_case([&](CaseState& state) {
      state.has_plan = plan.status() != v1::CASE_PLAN_STATUS_UNSPECIFIED;
      state.plan_tracks.clear();
      for (int track : plan.covered_tracks()) state.plan_tracks.insert(track);
      return absl::OkStatus();
    });
  }
  if (type == "herstel.v1.InspectionRequested") {
    v1::InspectionRequested requested;
    if (!Unpack(event, requested)) return absl::OkStatus();
    std::vector<AreaKey> areas = AreasOf(requested.municipality(), requested.village());
    HERSTEL_RETURN_IF_ERROR(
        AddToAreas(sink, metric::kInspectionRequested, areas, 0, 0, 0, at.day, 1));
    DueItem item{std::string(kInspectionItem),
                 requested.inspection_request(),
                 {requested.municipality()},
                 requested.village(),
                 0,
                 requested.has_request_time() ? Micros(requested.request_time()) : at.micros,
                 requested.has_target_time() ? Micros(requested.target_time()) : kNoDue};
    return sink.OpenItem(item);
  }
  if (type == "herstel.v1.InspectionRequestClosed") {
    v1::InspectionRequestClosed closed;
    if (!Unpack(event, closed)) return absl::OkStatus();
    int64_t close_micros = closed.has_close_time() ? Micros(closed.close_time()) : at.micros;
    if (closed.status() == v1::INSPECTION_REQUEST_STATUS_INSPECTED) {
      HERSTEL_ASSIGN_OR_RETURN(std::optional<int64_t> start,
                               sink.ItemStartMicros(kInspectionItem, closed.inspection_request()));
      if (start.has_value()) {
        int bucket = DurationBucket(absl::Microseconds(close_micros - *start));
        HERSTEL_RETURN_IF_ERROR(
            AddToAreas(sink, metric::kInspectionWait,
                       AreasOf(closed.municipality(), closed.village()), 0, 0, bucket, at.day, 1));
      }
    }
    return sink.CloseItem(kInspectionItem, closed.inspection_request(), close_micros);
  }
  if (type == "herstel.v1.BottleneckRaised" || type == "herstel.v1.BottleneckResolved") {
    HERSTEL_ASSIGN_OR_RETURN(const CaseState* state, sink.LoadCase(case_name));
    std::string village = state != nullptr ? state->village : "";
    if (type == "herstel.v1.BottleneckRaised") {
      v1::BottleneckRaised raised;
      if (!Unpack(event, raised)) return absl::OkStatus();
      std::vector<AreaKey> areas = AreasOf(raised.municipality(), village);
      HERSTEL_RETURN_IF_ERROR(
          AddToAreas(sink, metric::kBottleneckRaised, areas, raised.category(), 0, 0, at.day, 1));
      return AddToAreas(sink, metric::kBottleneckOpen, areas, raised.category(), 0, 0, at.day, 1);
    }
    v1::BottleneckResolved resolved;
    if (!Unpack(event, resolved)) return absl::OkStatus();
    std::vector<AreaKey> areas = AreasOf(resolved.municipality(), village);
    int category = resolved.category();
    HERSTEL_RETURN_IF_ERROR(
        AddToAreas(sink, metric::kBottleneckSolved, areas, category, 0, 0, at.day, 1));
    HERSTEL_RETURN_IF_ERROR(
        AddToAreas(sink, metric::kBottleneckOpen, areas, category, 0, 0, at.day, -1));
    if (!resolved.has_raise_time()) return absl::OkStatus();
    int bucket = DurationBucket(absl::Microseconds(at.micros - Micros(resolved.raise_time())));
    return AddToAreas(sink, metric::kBottleneckSolveTime, areas, category, 0, bucket, at.day, 1);
  }
  if (type == "herstel.v1.CaseDecisionRequested") {
    v1::CaseDecisionRequested requested;
    if (!Unpack(event, requested)) return absl::OkStatus();
    absl::string_view name;
    if (requested.status() == v1::CASE_DECISION_REQUEST_STATUS_DECIDED_WITHIN_MANDATE) {
      name = metric::kDecisionWithinMandate;
    } else if (requested.status() == v1::CASE_DECISION_REQUEST_STATUS_AWAITING_ESCALATION) {
      name = metric::kDecisionEscalated;
    } else {
      return absl::OkStatus();
    }
    HERSTEL_ASSIGN_OR_RETURN(const CaseState* state, sink.LoadCase(case_name));
    std::string village = state != nullptr ? state->village : "";
    return AddToAreas(sink, name, AreasOf(requested.municipality(), village), 0, 0, 0, at.day, 1);
  }
  handled = false;
  return absl::OkStatus();
}

absl::Status ApplyMandateEvent(const v1::Event& event, const At& at, AggregateSink& sink,
                               bool& handled) {
  handled = true;
  auto save_balances = [&](const auto& balances) -> absl::Status {
    for (const v1::BudgetBalance& balance : balances) {
      HERSTEL_RETURN_IF_ERROR(sink.SaveBudgetBalance(
          {balance.budget_line(), balance.ceiling_cents(), balance.reserved_cents(),
           balance.committed_cents(), balance.available_cents()},
          at.day));
    }
    return absl::OkStatus();
  };
  const std::string& type = event.type();
  if (type == "herstel.v1.BudgetLineCreated") {
    v1::BudgetLineCreated created;
    if (!Unpack(event, created)) return absl::OkStatus();
    const v1::BudgetLine& line = created.budget_line();
    HERSTEL_RETURN_IF_ERROR(sink.SaveBudgetLine({line.name(), line.display_name(),
                                                 v1::BudgetSource_Name(line.source()),
                                                 line.municipality(), line.year()}));
    return sink.SaveBudgetBalance({line.name(), line.ceiling_cents(), line.reserved_cents(),
                                   line.committed_cents(), line.available_cents()},
                                  at.day);
  }
  if (type == "herstel.v1.BudgetReserved") {
    v1::BudgetReserved reserved;
    return Unpack(event, reserved) ? save_balances(reserved.balances()) : absl::OkStatus();
  }
  if (type == "herstel.v1.ReservationCommitted") {
    v1::ReservationCommitted committed;
    return Unpack(event, committed) ? save_balances(committed.balances()) : absl::OkStatus();
  }
  if (type == "herstel.v1.ReservationReleased") {
    v1::ReservationReleased released;
    return Unpack(event, released) ? save_balances(released.balances()) : absl::OkStatus();
  }
  if (type == "herstel.v1.ReservationExpired") {
    v1::ReservationExpired expired;
    return Unpack(event, expired) ? save_balances(expired.balances()) : absl::OkStatus();
  }
  if (type == "herstel.v1.BudgetTransferred") {
    v1::BudgetTransferred transferred;
    return Unpack(event, transferred) ? save_balances(transferred.balances()) : absl::OkStatus();
  }
  handled = false;
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Escalations: one open stock per level, and one item per (escalation,
// level) carrying the level's due time, for "overdue at end_time".
// ---------------------------------------------------------------------------

std::string LevelItemName(absl::string_view escalation, int level) {
  return absl::StrCat(escalation, "#", level);
}

absl::Status ArriveAtLevel(AggregateSink& sink, absl::string_view escalation,
                           const EscalationState& state, int level, int64_t due_micros,
                           const At& at) {
  std::vector<AreaKey> areas = AreasOfMunicipalities(state.municipalities);
  HERSTEL_RETURN_IF_ERROR(
      AddToAreas(sink, metric::kEscalationArrived, areas, level, 0, 0, at.day, 1));
  HERSTEL_RETURN_IF_ERROR(AddToAreas(sink, metric::kEscalationOpen, areas, level, 0, 0, at.day, 1));
  return sink.OpenItem({std::string(kEscalationItem), LevelItemName(escalation, level),
                        state.municipalities, "", level, at.micros, due_micros});
}

absl::Status LeaveLevel(AggregateSink& sink, absl::string_view escalation,
                        const EscalationState& state, const At& at) {
  HERSTEL_RETURN_IF_ERROR(AddToAreas(sink, metric::kEscalationOpen,
                                     AreasOfMunicipalities(state.municipalities), state.level, 0,
                                     0, at.day, -1));
  return sink.CloseItem(kEscalationItem, LevelItemName(escalation, state.level), at.micros);
}

absl::Status ApplyEscalationEvent(const v1::Event& event, const At& at, AggregateSink& sink,
                                  bool& handled) {
  handled = true;
  const std::string& type = event.type();
  if (type == "herstel.v1.EscalationOpened") {
    v1::EscalationOpened opened;
    if (!Unpack(event, opened)) return absl::OkStatus();
    HERSTEL_ASSIGN_OR_RETURN(std::optional<EscalationState> known,
                             sink.LoadEscalation(opened.escalation()));
    if (known.has_value()) return absl::OkStatus();
    EscalationState state;
    state.level = opened.level();
    state.municipalities.assign(opened.municipalities().begin(), opened.municipalities().end());
    HERSTEL_RETURN_IF_ERROR(ArriveAtLevel(
        sink, opened.escalation(), state, state.level,
        opened.has_due_time() ? Micros(opened.due_time()) : kNoDue, at));
    return sink.SaveEscalation(opened.escalation(), state);
  }

  // Every other event changes a known, open escalation.
  auto with_open = [&](const std::string& name, auto&& change) -> absl::Status {
    HERSTEL_ASSIGN_OR_RETURN(std::optional<EscalationState> state, sink.LoadEscalation(name));
    if (!state.has_value() || !state->open) return absl::OkStatus();
    HERSTEL_RETURN_IF_ERROR(change(*state));
    return sink.SaveEscalation(name, *state);
  };
  auto close = [&](const std::string& name, EscalationState& state) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(LeaveLevel(sink, name, state, at));
    state.open = false;
    return absl::OkStatus();
  };

  if (type == "herstel.v1.EscalationLevelChanged") {
    v1::EscalationLevelChanged changed;
    if (!Unpack(event, changed)) return absl::OkStatus();
    return with_open(changed.escalation(), [&](EscalationState& state) -> absl::Status {
      int to_level = changed.change().to_level();
      if (to_level == state.level) return absl::OkStatus();
      HERSTEL_RETURN_IF_ERROR(AddToAreas(sink, metric::kEscalationMovedUp,
                                         AreasOfMunicipalities(state.municipalities), state.level,
                                         0, 0, at.day, 1));
      HERSTEL_RETURN_IF_ERROR(LeaveLevel(sink, changed.escalation(), state, at));
      if (changed.municipalities_size() > 0) {
        state.municipalities.assign(changed.municipalities().begin(),
                                    changed.municipalities().end());
      }
      state.level = to_level;
      return ArriveAtLevel(sink, changed.escalation(), state, to_level,
                           changed.has_due_time() ? Micros(changed.due_time()) : kNoDue, at);
    });
  }
  if (type == "herstel.v1.EscalationDecided") {
    v1::EscalationDecided decided;
    if (!Unpack(event, decided)) return absl::OkStatus();
    HERSTEL_ASSIGN_OR_RETURN(std::optional<EscalationState> known,
                             sink.LoadEscalation(decided.escalation()));
    std::vector<std::string> municipalities(decided.municipalities().begin(),
                                            decided.municipalities().end());
    if (municipalities.empty() && known.has_value()) municipalities = known->municipalities;
    std::vector<AreaKey> areas = AreasOfMunicipalities(municipalities);
    HERSTEL_RETURN_IF_ERROR(AddToAreas(sink, metric::kLevelDecision, areas, decided.level(),
                                       decided.outcome(), 0, at.day, 1));
    if (!decided.final()) return absl::OkStatus();
    HERSTEL_RETURN_IF_ERROR(
        AddToAreas(sink, metric::kEscalationDecided, areas, decided.level(), 0, 0, at.day, 1));
    if (decided.within_term()) {
      HERSTEL_RETURN_IF_ERROR(AddToAreas(sink, metric::kEscalationWithinTerm, areas,
                                         decided.level(), 0, 0, at.day, 1));
    }
    return with_open(decided.escalation(),
                     [&](EscalationState& state) { return close(decided.escalation(), state); });
  }
  if (type == "herstel.v1.EscalationWithdrawn") {
    v1::EscalationWithdrawn withdrawn;
    if (!Unpack(event, withdrawn)) return absl::OkStatus();
    return with_open(withdrawn.escalation(),
                     [&](EscalationState& state) { return close(withdrawn.escalation(), state); });
  }
  if (type == "herstel.v1.EscalationReferred") {
    v1::EscalationReferred referred;
    if (!Unpack(event, referred)) return absl::OkStatus();
    return with_open(referred.escalation(),
                     [&](EscalationState& state) { return close(referred.escalation(), state); });
  }
  if (type == "herstel.v1.EscalationSuspended") {
    v1::EscalationSuspended suspended;
    if (!Unpack(event, suspended)) return absl::OkStatus();
    // The clock stops: a suspended escalation is not overdue.
    return with_open(suspended.escalation(), [&](EscalationState& state) {
      return sink.SetItemDue(kEscalationItem, LevelItemName(suspended.escalation(), state.level),
                             kNoDue);
    });
  }
  if (type == "herstel.v1.EscalationResumed") {
    v1::EscalationResumed resumed;
    if (!Unpack(event, resumed)) return absl::OkStatus();
    return with_open(resumed.escalation(), [&](EscalationState& state) {
      return sink.SetItemDue(kEscalationItem, LevelItemName(resumed.escalation(), state.level),
                             resumed.has_due_time() ? Micros(resumed.due_time()) : kNoDue);
    });
  }
  handled = false;
  return absl::OkStatus();
}

}  // namespace

int metric::IdOf(absl::string_view name) {
  // The rules pass the constants above: their characters are found by
  // address first (one storage per inline constant), names read back by text.
  for (int id = 0; id < kCount; ++id) {
    if (name.data() == kAll[id].data() && name.size() == kAll[id].size()) return id;
  }
  static const auto* ids = [] {
    auto* map = new absl::flat_hash_map<absl::string_view, int>();
    for (int id = 0; id < kCount; ++id) map->emplace(kAll[id], id);
    return map;
  }();
  auto found = ids->find(name);
  return found == ids->end() ? -1 : found->second;
}

bool metric::IsStock(absl::string_view name) {
  return name == kStock || name == kUrgent || name == kOneContact || name == kHasPlan ||
         name == kCoversAll || name == kBottleneckOpen || name == kEscalationOpen;
}

std::vector<AreaKey> AreasOf(const std::string& municipality, const std::string& village) {
  std::vector<AreaKey> areas{{"", ""}};
  if (municipality.empty()) return areas;
  areas.push_back({municipality, ""});
  if (!village.empty()) areas.push_back({municipality, village});
  return areas;
}

bool CaseState::open() const {
  for (const auto& [track, state] : tracks) {
    if (state.active) return true;
  }
  return false;
}

bool CaseState::plan_covers_all_open_tracks() const {
  if (!has_plan) return false;
  for (const auto& [track, state] : tracks) {
    if (state.active && plan_tracks.count(track) == 0) return false;
  }
  return true;
}

std::string CaseOf(absl::string_view resource) {
  if (!absl::StartsWith(resource, "cases/")) return "";
  size_t end = resource.find('/', 6);
  return std::string(resource.substr(0, end));
}

absl::Status ApplyEvent(const v1::Event& event, AggregateSink& sink) {
  int64_t micros = Micros(event.commit_time());
  At at{DayNumber(absl::FromUnixMicros(micros)), micros};
  bool handled = false;
  HERSTEL_RETURN_IF_ERROR(ApplyCaseEvent(event, at, sink, handled));
  if (handled) return absl::OkStatus();
  HERSTEL_RETURN_IF_ERROR(ApplyMandateEvent(event, at, sink, handled));
  if (handled) return absl::OkStatus();
  return ApplyEscalationEvent(event, at, sink, handled);
}

}  // namespace herstel::reporting
