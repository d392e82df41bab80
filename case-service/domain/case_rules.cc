#include "domain/case_rules.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "domain/validation.h"
#include "herstel/errors.h"

namespace herstel::case_service {
namespace {

absl::Status Refuse(absl::string_view reason, absl::string_view message) {
  return DomainError(absl::StatusCode::kFailedPrecondition, reason, message);
}

std::string TrackName(v1::Track track) { return v1::Track_Name(track); }
std::string PhaseName(v1::Phase phase) { return v1::Phase_Name(phase); }

bool IsKnownTrack(v1::Track track) {
  return track != v1::TRACK_UNSPECIFIED && v1::Track_IsValid(track);
}

absl::StatusOr<TrackState*> ActiveTrack(std::vector<TrackState>& tracks, v1::Track track) {
  if (!IsKnownTrack(track)) return FieldError("track", "must name a track, e.g. TRACK_STRENGTHENING");
  TrackState* state = FindTrack(tracks, track);
  if (state == nullptr) {
    return Refuse("TRACK_MISSING", absl::StrCat("the case has no ", TrackName(track),
                                                " track; open it with AddCaseTrack first"));
  }
  return state;
}

}  // namespace

std::optional<v1::Phase> NextPhase(v1::Phase phase) {
  switch (phase) {
    case v1::PHASE_INTAKE: return v1::PHASE_INSPECTION;
    case v1::PHASE_INSPECTION: return v1::PHASE_ASSESSMENT;
    case v1::PHASE_ASSESSMENT: return v1::PHASE_PLAN;
    case v1::PHASE_PLAN: return v1::PHASE_EXECUTION;
    case v1::PHASE_EXECUTION: return v1::PHASE_COMPLETION;
    default: return std::nullopt;
  }
}

TrackState* FindTrack(std::vector<TrackState>& tracks, v1::Track track) {
  for (TrackState& state : tracks) {
    if (state.track == track) return &state;
  }
  return nullptr;
}

const TrackState* FindTrack(const std::vector<TrackState>& tracks, v1::Track track) {
  for (const TrackState& state : tracks) {
    if (state.track == track) return &state;
  }
  return nullptr;
}

absl::StatusOr<std::vector<TrackState>> OpenTracks(const std::vector<v1::Track>& tracks,
                                                   absl::Time now, absl::string_view field) {
  if (tracks.empty()) return FieldError(field, "at least one track is required");
  std::vector<TrackState> opened;
  for (size_t i = 0; i < tracks.size(); ++i) {
    std::string path = absl::StrCat(field, "[", i, "].track");
    if (!IsKnownTrack(tracks[i])) return FieldError(path, "must name a track, e.g. TRACK_DAMAGE");
    if (FindTrack(opened, tracks[i]) != nullptr) {
      return FieldError(path, absl::StrCat(TrackName(tracks[i]), " appears more than once"));
    }
    TrackState state;
    state.track = tracks[i];
    state.phase = v1::PHASE_INTAKE;
    state.phase_enter_time = now;
    opened.push_back(state);
  }
  return opened;
}

absl::Status AddTrack(std::vector<TrackState>& tracks, v1::Track track, absl::Time now) {
  if (!IsKnownTrack(track)) return FieldError("track", "must name a track, e.g. TRACK_INSULATION");
  if (FindTrack(tracks, track) != nullptr) {
    return DomainError(absl::StatusCode::kAlreadyExists, "TRACK_EXISTS",
                       absl::StrCat("the case already has a ", TrackName(track), " track"));
  }
  TrackState state;
  state.track = track;
  state.phase = v1::PHASE_INTAKE;
  state.phase_enter_time = now;
  tracks.push_back(state);
  return absl::OkStatus();
}

absl::StatusOr<PhaseMove> AdvanceTrack(std::vector<TrackState>& tracks, v1::Track track,
                                       v1::Phase to_phase, absl::Time now) {
  if (to_phase == v1::PHASE_UNSPECIFIED || !v1::Phase_IsValid(to_phase)) {
    return FieldError("to_phase", "must name the next phase, e.g. PHASE_INSPECTION");
  }
  absl::StatusOr<TrackState*> found = ActiveTrack(tracks, track);
  if (!found.ok()) return found.status();
  TrackState& state = **found;
  if (state.completed) {
    return Refuse("TRACK_COMPLETED", absl::StrCat("the ", TrackName(track),
                                                  " track is completed; reassess it to reopen"));
  }
  std::optional<v1::Phase> next = NextPhase(state.phase);
  if (!next.has_value()) {
    return Refuse("NO_NEXT_PHASE", absl::StrCat("the ", TrackName(track), " track is in ",
                                                PhaseName(state.phase),
                                                "; close it with CompleteTrack"));
  }
  if (to_phase != *next) {
    bool backwards = to_phase <= state.phase;
    return Refuse(backwards ? "PHASE_NOT_FORWARD" : "PHASE_SKIPPED",
                  absl::StrCat("the ", TrackName(track), " track is in ", PhaseName(state.phase),
                               "; it can only move to ", PhaseName(*next),
                               backwards ? " (moving back needs ReassessTrack with a reason)"
                                         : " (phases are never skipped)"));
  }
  PhaseMove move{state.phase, to_phase, state.phase_enter_time};
  state.phase = to_phase;
  state.phase_enter_time = now;
  return move;
}

absl::StatusOr<PhaseMove> ReassessTrack(std::vector<TrackState>& tracks, v1::Track track,
                                        v1::Phase to_phase, absl::string_view reason,
                                        absl::Time now) {
  if (absl::Status text = ValidateRequiredText(reason, "reason"); !text.ok()) return text;
  if (to_phase == v1::PHASE_UNSPECIFIED || !v1::Phase_IsValid(to_phase)) {
    return FieldError("to_phase", "must name the earlier phase to return to, e.g. PHASE_ASSESSMENT");
  }
  absl::StatusOr<TrackState*> found = ActiveTrack(tracks, track);
  if (!found.ok()) return found.status();
  TrackState& state = **found;
  if (to_phase >= state.phase) {
    return Refuse("REASSESSMENT_NOT_BACKWARD",
                  absl::StrCat("a reassessment moves back: the ", TrackName(track),
                               " track is in ", PhaseName(state.phase), " and ",
                               PhaseName(to_phase), " is not earlier"));
  }
  PhaseMove move{state.phase, to_phase, state.phase_enter_time};
  state.phase = to_phase;
  state.phase_enter_time = now;
  state.completed = false;
  state.result.reset();
  ++state.reassessment_count;
  return move;
}

absl::Status CompleteTrack(std::vector<TrackState>& tracks, v1::Track track,
                           const TrackResult& result) {
  FieldViolations violations;
  violations.Require(result.outcome != v1::CASE_TRACK_OUTCOME_UNSPECIFIED &&
                         v1::CaseTrackOutcome_IsValid(result.outcome),
                     "result.outcome", "is required: what came out of the track");
  violations.Require(!absl::StripAsciiWhitespace(result.summary).empty(), "result.summary",
                     "is required: a short summary of the result");
  violations.Require(result.summary.size() <= kMaxTextLength, "result.summary",
                     absl::StrCat("must be at most ", kMaxTextLength, " characters"));
  if (!violations.empty()) return violations.ToStatus();
  absl::StatusOr<TrackState*> found = ActiveTrack(tracks, track);
  if (!found.ok()) return found.status();
  TrackState& state = **found;
  if (state.completed) {
    return Refuse("TRACK_COMPLETED", absl::StrCat("the ", TrackName(track), " track is already completed"));
  }
  if (state.phase != v1::PHASE_COMPLETION) {
    return Refuse("NOT_IN_COMPLETION_PHASE",
                  absl::StrCat("the ", TrackName(track), " track is in ", PhaseName(state.phase),
                               "; only a track in PHASE_COMPLETION can be completed"));
  }
  state.completed = true;
  state.result = result;
  return absl::OkStatus();
}

int WholeDaysBetween(absl::Time since, absl::Time now) {
  if (since >= now || since == absl::InfinitePast()) return 0;
  return static_cast<int>(absl::ToInt64Hours(now - since) / 24);
}

int PriorityRank(v1::RiskCategory risk) {
  switch (risk) {
    case v1::RISK_CATEGORY_AOS: return 0;
    case v1::RISK_CATEGORY_P50: return 1;
    case v1::RISK_CATEGORY_P90: return 2;
    default: return 3;
  }
}

bool IsUrgent(v1::RiskCategory risk) { return risk == v1::RISK_CATEGORY_AOS; }

absl::Time WaitingSince(const std::vector<TrackState>& tracks) {
  absl::Time earliest = absl::InfiniteFuture();
  for (const TrackState& state : tracks) {
    if (!state.completed) earliest = std::min(earliest, state.phase_enter_time);
  }
  return earliest;
}

v1::RiskCategory RiskAfterInspectionRequest(v1::RiskCategory risk) {
  if (risk == v1::RISK_CATEGORY_OTHER || risk == v1::RISK_CATEGORY_UNSPECIFIED) {
    return v1::RISK_CATEGORY_INSPECTION_ON_REQUEST;
  }
  return risk;
}

bool IsCaseManagerRole(v1::Role role) {
  return role == v1::ROLE_NCG_RESIDENT_CASE_MANAGER || role == v1::ROLE_IMG_CASE_HANDLER ||
         role == v1::ROLE_MUNICIPAL_CASE_MANAGER;
}

absl::Status ValidateContactPerson(const ContactPerson& person, absl::string_view field) {
  FieldViolations violations;
  violations.Require(!person.subject.empty() && person.subject.size() <= 128,
                     absl::StrCat(field, ".subject"),
                     "is required: the professional's pseudonymous subject id (at most 128 characters)");
  violations.Require(IsCaseManagerRole(person.role), absl::StrCat(field, ".role"),
                     "must be a case-manager role: ROLE_NCG_RESIDENT_CASE_MANAGER, "
                     "ROLE_IMG_CASE_HANDLER or ROLE_MUNICIPAL_CASE_MANAGER");
  violations.Require(!person.organisation.empty() && person.organisation.size() <= 200,
                     absl::StrCat(field, ".organisation"),
                     "is required, e.g. \"NCG\" (at most 200 characters)");
  return violations.ToStatus();
}

absl::Status ValidateHandover(const ContactPerson& current, const ContactPerson& to,
                              absl::string_view reason) {
  if (absl::Status person = ValidateContactPerson(to, "to"); !person.ok()) return person;
  if (absl::Status text = ValidateRequiredText(reason, "reason"); !text.ok()) return text;
  if (current.subject == to.subject) {
    return Refuse("SAME_CONTACT_PERSON",
                  absl::StrCat("'", to.subject, "' is already the contact person of this case"));
  }
  return absl::OkStatus();
}

absl::Status ValidatePlanStatusChange(v1::CasePlanStatus from, v1::CasePlanStatus to) {
  if (to == v1::CASE_PLAN_STATUS_UNSPECIFIED || !v1::CasePlanStatus_IsValid(to)) {
    return FieldError("plan.status", "must be DRAFT, AGREED, IN_EXECUTION or DONE");
  }
  if (from == to) return absl::OkStatus();
  bool one_step_forward = static_cast<int>(to) == static_cast<int>(from) + 1;
  bool back_to_draft = from == v1::CASE_PLAN_STATUS_AGREED && to == v1::CASE_PLAN_STATUS_DRAFT;
  if (!one_step_forward && !back_to_draft) {
    return Refuse("PLAN_STATUS_ORDER",
                  absl::StrCat("a plan moves one step forward (DRAFT, AGREED, IN_EXECUTION, "
                               "DONE) or from AGREED back to DRAFT; ",
                               v1::CasePlanStatus_Name(from), " cannot become ",
                               v1::CasePlanStatus_Name(to)));
  }
  return absl::OkStatus();
}

absl::Status ValidateCoveredTracks(const std::vector<v1::Track>& covered,
                                   const std::vector<TrackState>& tracks, absl::string_view field) {
  FieldViolations violations;
  std::set<v1::Track> seen;
  for (size_t i = 0; i < covered.size(); ++i) {
    std::string path = absl::StrCat(field, "[", i, "]");
    if (!seen.insert(covered[i]).second) {
      violations.Add(path, "appears more than once");
    } else if (FindTrack(tracks, covered[i]) == nullptr) {
      violations.Add(path, absl::StrCat(TrackName(covered[i]), " is not a track of this case"));
    }
  }
  return violations.ToStatus();
}

absl::Status ValidateEstimatedCost(int64_t cents, absl::string_view field) {
  if (cents < 0 || cents > kMaxAmountCents) {
    return FieldError(field, absl::StrCat("must be between 0 and ", kMaxAmountCents, " cents"));
  }
  return absl::OkStatus();
}

bool CoversAllOpenTracks(const std::vector<v1::Track>& covered,
                         const std::vector<TrackState>& tracks) {
  if (covered.empty()) return false;
  for (const TrackState& state : tracks) {
    if (state.completed) continue;
    if (std::find(covered.begin(), covered.end(), state.track) == covered.end()) return false;
  }
  return true;
}

absl::Status ValidatePlanCoverageForStatus(v1::CasePlanStatus status,
                                           const std::vector<v1::Track>& covered) {
  if (status != v1::CASE_PLAN_STATUS_DRAFT && covered.empty()) {
    return Refuse("PLAN_COVERS_NO_TRACK",
                  "a plan that is agreed or later must cover at least one track of the case");
  }
  return absl::OkStatus();
}

absl::Time InspectionTargetTime(absl::Time request_time, int target_days) {
  return request_time + absl::Hours(24) * target_days;
}

int InspectionWaitingDays(absl::Time request_time, std::optional<absl::Time> close_time,
                          absl::Time now) {
  return WholeDaysBetween(request_time, close_time.value_or(now));
}

bool InspectionOverdue(absl::Time target_time, std::optional<absl::Time> close_time,
                       absl::Time now) {
  return close_time.value_or(now) > target_time;
}

absl::Status ValidateInspectionRequestTime(absl::Time request_time, absl::Time now,
                                           absl::string_view field) {
  if (request_time > now + absl::Minutes(1)) return FieldError(field, "must not lie in the future");
  return absl::OkStatus();
}

absl::Status ValidateInspectionSchedule(v1::InspectionRequestStatus status,
                                        absl::Time request_time, absl::Time schedule_time) {
  if (status != v1::INSPECTION_REQUEST_STATUS_OPEN &&
      status != v1::INSPECTION_REQUEST_STATUS_SCHEDULED) {
    return Refuse("INSPECTION_REQUEST_CLOSED",
                  absl::StrCat("the inspection request is ", v1::InspectionRequestStatus_Name(status),
                               "; only open or scheduled requests can be scheduled"));
  }
  if (schedule_time < request_time) {
    return FieldError("schedule_time", "must not lie before the request time");
  }
  return absl::OkStatus();
}

absl::Status ValidateInspectionClose(v1::InspectionRequestStatus status,
                                     v1::InspectionRequestStatus to, absl::string_view note,
                                     absl::Time request_time, absl::Time close_time,
                                     absl::Time now) {
  FieldViolations violations;
  violations.Require(to == v1::INSPECTION_REQUEST_STATUS_INSPECTED ||
                         to == v1::INSPECTION_REQUEST_STATUS_CANCELLED,
                     "status", "must be INSPECTION_REQUEST_STATUS_INSPECTED or _CANCELLED");
  if (to == v1::INSPECTION_REQUEST_STATUS_CANCELLED) {
    violations.Require(!absl::StripAsciiWhitespace(note).empty(), "note",
                       "is required when cancelling: say why");
  }
  violations.Require(note.size() <= kMaxTextLength, "note",
                     absl::StrCat("must be at most ", kMaxTextLength, " characters"));
  violations.Require(close_time >= request_time, "close_time", "must not lie before the request time");
  violations.Require(close_time <= now + absl::Minutes(1), "close_time", "must not lie in the future");
  if (!violations.empty()) return violations.ToStatus();
  if (status != v1::INSPECTION_REQUEST_STATUS_OPEN &&
      status != v1::INSPECTION_REQUEST_STATUS_SCHEDULED) {
    return Refuse("INSPECTION_REQUEST_CLOSED",
                  absl::StrCat("the inspection request is already ",
                               v1::InspectionRequestStatus_Name(status)));
  }
  return absl::OkStatus();
}

absl::Status ValidateNewBottleneck(v1::BottleneckCategory category,
                                   absl::string_view description) {
  FieldViolations violations;
  violations.Require(category != v1::BOTTLENECK_CATEGORY_UNSPECIFIED &&
                         v1::BottleneckCategory_IsValid(category),
                     "bottleneck.category",
                     "is required: RULES_DONT_FIT, DECISION_STUCK, UNACCEPTABLE_DIFFERENCE or "
                     "NATIONAL_FRAMEWORK_PINCHES");
  violations.Require(!absl::StripAsciiWhitespace(description).empty(), "bottleneck.description",
                     "is required: what is wrong (no personal data)");
  violations.Require(description.size() <= kMaxTextLength, "bottleneck.description",
                     absl::StrCat("must be at most ", kMaxTextLength, " characters"));
  return violations.ToStatus();
}

absl::Status ValidateBottleneckEscalation(v1::BottleneckStatus status, absl::string_view reason) {
  if (absl::Status text = ValidateRequiredText(reason, "reason"); !text.ok()) return text;
  if (status != v1::BOTTLENECK_STATUS_OPEN) {
    return Refuse("BOTTLENECK_NOT_OPEN",
                  absl::StrCat("only an open bottleneck can be escalated; this one is ",
                               v1::BottleneckStatus_Name(status)));
  }
  return absl::OkStatus();
}

absl::Status ValidateBottleneckResolution(v1::BottleneckStatus status,
                                          absl::string_view resolution) {
  if (absl::Status text = ValidateRequiredText(resolution, "resolution"); !text.ok()) return text;
  if (status == v1::BOTTLENECK_STATUS_RESOLVED) {
    return Refuse("BOTTLENECK_RESOLVED", "the bottleneck is already resolved");
  }
  return absl::OkStatus();
}

absl::Status ValidateDecisionRequest(int64_t amount_cents, const std::vector<BudgetSplit>& lines,
                                     absl::string_view justification) {
  FieldViolations violations;
  violations.Require(amount_cents > 0 && amount_cents <= kMaxAmountCents,
                     "decision_request.amount_cents",
                     absl::StrCat("must be greater than 0 and at most ", kMaxAmountCents, " cents"));
  violations.Require(!lines.empty() && lines.size() <= 10, "decision_request.budget_lines",
                     "must name 1 to 10 budget lines");
  std::set<std::string> seen;
  int64_t sum = 0;
  bool amounts_valid = true;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string path = absl::StrCat("decision_request.budget_lines[", i, "]");
    const BudgetSplit& line = lines[i];
    if (line.budget_line.rfind("budget-lines/", 0) != 0 || line.budget_line.size() <= 13) {
      violations.Add(absl::StrCat(path, ".budget_line"), "must be a name like \"budget-lines/bl-7\"");
    } else if (!seen.insert(line.budget_line).second) {
      violations.Add(absl::StrCat(path, ".budget_line"), "names a line a second time");
    }
    if (line.amount_cents <= 0 || line.amount_cents > kMaxAmountCents) {
      violations.Add(absl::StrCat(path, ".amount_cents"), "must be greater than 0");
      amounts_valid = false;
    } else {
      sum += line.amount_cents;
      if (sum > kMaxAmountCents) amounts_valid = false;
    }
  }
  if (amounts_valid && !lines.empty() && sum != amount_cents) {
    violations.Add("decision_request.budget_lines",
                   absl::StrCat("the lines sum to ", sum, " cents but amount_cents is ", amount_cents));
  }
  violations.Require(!absl::StripAsciiWhitespace(justification).empty(),
                     "decision_request.justification",
                     "is required: what the money is for and why (no personal data)");
  violations.Require(justification.size() <= kMaxTextLength, "decision_request.justification",
                     absl::StrCat("must be at most ", kMaxTextLength, " characters"));
  return violations.ToStatus();
}

std::optional<v1::CaseDecisionRequestStatus> StatusForEscalationOutcome(
    v1::EscalationDecisionOutcome outcome) {
  switch (outcome) {
    case v1::ESCALATION_DECISION_OUTCOME_GRANTED: return v1::CASE_DECISION_REQUEST_STATUS_GRANTED;
    case v1::ESCALATION_DECISION_OUTCOME_PARTLY_GRANTED:
      return v1::CASE_DECISION_REQUEST_STATUS_PARTLY_GRANTED;
    case v1::ESCALATION_DECISION_OUTCOME_DENIED: return v1::CASE_DECISION_REQUEST_STATUS_DENIED;
    case v1::ESCALATION_DECISION_OUTCOME_REFERRED: return v1::CASE_DECISION_REQUEST_STATUS_REFERRED;
    default: return std::nullopt;
  }
}

bool AwaitsEscalation(v1::CaseDecisionRequestStatus status) {
  return status == v1::CASE_DECISION_REQUEST_STATUS_AWAITING_ESCALATION;
}

}  // namespace herstel::case_service
