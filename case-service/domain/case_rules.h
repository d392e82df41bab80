// The rules of one case (één woning, één dossier): tracks and their phases,
// reassessment, completion, the single contact person, the single plan, the
// priority order (AOS first everywhere), inspections on request and
// bottlenecks. Plain structs in, absl::Status out; no gRPC, no SQL.
//
// Refusals are FAILED_PRECONDITION (a rule of the case's state), ALREADY_EXISTS
// or INVALID_ARGUMENT (a bad field), each with a stable reason.
#ifndef HERSTEL_CASE_SERVICE_DOMAIN_CASE_RULES_H_
#define HERSTEL_CASE_SERVICE_DOMAIN_CASE_RULES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "herstel/v1/case_service.pb.h"
#include "herstel/v1/common.pb.h"
#include "herstel/v1/escalation_service.pb.h"

namespace herstel::case_service {

// ---- Tracks and phases ------------------------------------------------------

struct TrackResult {
  v1::CaseTrackOutcome outcome = v1::CASE_TRACK_OUTCOME_UNSPECIFIED;
  std::string summary;
  absl::Time record_time = absl::InfinitePast();
  std::string recorded_by;
};

struct TrackState {
  v1::Track track = v1::TRACK_UNSPECIFIED;
  v1::Phase phase = v1::PHASE_INTAKE;
  absl::Time phase_enter_time = absl::InfinitePast();
  bool completed = false;
  std::optional<TrackResult> result;  // set once completed
  int reassessment_count = 0;
};

// What a phase move changed, for the event.
struct PhaseMove {
  v1::Phase from_phase = v1::PHASE_UNSPECIFIED;
  v1::Phase to_phase = v1::PHASE_UNSPECIFIED;
  absl::Time from_phase_enter_time = absl::InfinitePast();
};

// The phase after `phase`, or nullopt after PHASE_COMPLETION.
std::optional<v1::Phase> NextPhase(v1::Phase phase);

// The track of `tracks` named `track`, or nullptr.
TrackState* FindTrack(std::vector<TrackState>& tracks, v1::Track track);
const TrackState* FindTrack(const std::vector<TrackState>& tracks, v1::Track track);

// Tracks to open on a new case: at least one, each known and at most once;
// they start in PHASE_INTAKE at `now`. `field` names the tracks field.
absl::StatusOr<std::vector<TrackState>> OpenTracks(const std::vector<v1::Track>& tracks,
                                                   absl::Time now, absl::string_view field);

// Opens a further track in PHASE_INTAKE; ALREADY_EXISTS (TRACK_EXISTS) when present.
absl::Status AddTrack(std::vector<TrackState>& tracks, v1::Track track, absl::Time now);

// Moves `track` exactly one phase forward to `to_phase`.
absl::StatusOr<PhaseMove> AdvanceTrack(std::vector<TrackState>& tracks, v1::Track track,
                                       v1::Phase to_phase, absl::Time now);

// Moves `track` back to an earlier `to_phase` (herbeoordeling) with a
// required reason; a completed track is reopened and its result cleared.
absl::StatusOr<PhaseMove> ReassessTrack(std::vector<TrackState>& tracks, v1::Track track,
                                        v1::Phase to_phase, absl::string_view reason,
                                        absl::Time now);

// Closes `track`, which must be active in PHASE_COMPLETION, with a result
// (outcome and summary required).
absl::Status CompleteTrack(std::vector<TrackState>& tracks, v1::Track track,
                           const TrackResult& result);

// Whole days from `since` to `now` (0 when `since` is later).
int WholeDaysBetween(absl::Time since, absl::Time now);

// ---- Priority (AOS first everywhere) ---------------------------------------

// 0 for AOS, 1 for P50, 2 for P90, 3 for every other category.
int PriorityRank(v1::RiskCategory risk);
// True for RISK_CATEGORY_AOS.
bool IsUrgent(v1::RiskCategory risk);
// The earliest phase entry of an active track; InfiniteFuture when none is
// active (such a case waits for nothing and sorts last).
absl::Time WaitingSince(const std::vector<TrackState>& tracks);

// The risk category after an inspection is requested: OTHER and
// UNSPECIFIED become INSPECTION_ON_REQUEST; AOS, P50 and P90 stay.
v1::RiskCategory RiskAfterInspectionRequest(v1::RiskCategory risk);

// ---- Contact person (één aanspreekpunt) ------------------------------------

struct ContactPerson {
  std::string subject;
  v1::Role role = v1::ROLE_UNSPECIFIED;
  std::string organisation;
};

// True for the three roles that can be a case's contact person.
bool IsCaseManagerRole(v1::Role role);

// A contact person must name a subject, a case-manager role and an organisation.
absl::Status ValidateContactPerson(const ContactPerson& person, absl::string_view field);

// A handover goes to someone else, for a recorded reason.
absl::Status ValidateHandover(const ContactPerson& current, const ContactPerson& to,
                              absl::string_view reason);

// ---- Plan (één plan) -------------------------------------------------------

// Forward one step (DRAFT→AGREED→IN_EXECUTION→DONE) or AGREED back to DRAFT.
absl::Status ValidatePlanStatusChange(v1::CasePlanStatus from, v1::CasePlanStatus to);

// Covered tracks: each a track of the case, at most once.
absl::Status ValidateCoveredTracks(const std::vector<v1::Track>& covered,
                                   const std::vector<TrackState>& tracks, absl::string_view field);

// Estimated cost: 0 to kMaxAmountCents.
absl::Status ValidateEstimatedCost(int64_t cents, absl::string_view field);

// "In one go": the plan covers every active track (and at least one track).
bool CoversAllOpenTracks(const std::vector<v1::Track>& covered,
                         const std::vector<TrackState>& tracks);

// An agreed (or later) plan must cover at least one track.
absl::Status ValidatePlanCoverageForStatus(v1::CasePlanStatus status,
                                           const std::vector<v1::Track>& covered);

// ---- Inspection on request -------------------------------------------------

inline constexpr int kDefaultInspectionTargetDays = 56;  // 8 weeks

// request_time + target term.
absl::Time InspectionTargetTime(absl::Time request_time, int target_days);
// Whole days from request to close (or to now while open).
int InspectionWaitingDays(absl::Time request_time, std::optional<absl::Time> close_time,
                          absl::Time now);
// Past target: closed after it, or still open after it.
bool InspectionOverdue(absl::Time target_time, std::optional<absl::Time> close_time,
                       absl::Time now);
// request_time must not lie in the future (a minute of clock skew allowed).
absl::Status ValidateInspectionRequestTime(absl::Time request_time, absl::Time now,
                                           absl::string_view field);
// Scheduling needs an open or scheduled request and a time not before the request.
absl::Status ValidateInspectionSchedule(v1::InspectionRequestStatus status,
                                        absl::Time request_time, absl::Time schedule_time);
// Closing needs an open or scheduled request, INSPECTED or CANCELLED (a
// cancel needs a note) and a close time between the request and now.
absl::Status ValidateInspectionClose(v1::InspectionRequestStatus status,
                                     v1::InspectionRequestStatus to, absl::string_view note,
                                     absl::Time request_time, absl::Time close_time,
                                     absl::Time now);

// ---- Bottlenecks (knelpunten) ----------------------------------------------

absl::Status ValidateNewBottleneck(v1::BottleneckCategory category,
                                   absl::string_view description);
// Only an OPEN bottleneck can be escalated, with a reason.
absl::Status ValidateBottleneckEscalation(v1::BottleneckStatus status, absl::string_view reason);
// An OPEN or ESCALATED bottleneck can be resolved, with a resolution.
absl::Status ValidateBottleneckResolution(v1::BottleneckStatus status,
                                          absl::string_view resolution);

// ---- Decision requests (maatwerk) ------------------------------------------

struct BudgetSplit {
  std::string budget_line;  // "budget-lines/{line}"
  int64_t amount_cents = 0;
};

// amount > 0 and at most kMaxAmountCents; 1 to 10 lines, each named once
// with a positive amount; the lines sum to the amount; justification given.
// Answers every broken rule at once.
absl::Status ValidateDecisionRequest(int64_t amount_cents, const std::vector<BudgetSplit>& lines,
                                     absl::string_view justification);

// The status an escalation's final outcome gives a request awaiting it.
// Nullopt for outcomes that are not final (CANNOT_DECIDE).
std::optional<v1::CaseDecisionRequestStatus> StatusForEscalationOutcome(
    v1::EscalationDecisionOutcome outcome);

// Whether a request in `status` still waits for an escalation outcome.
bool AwaitsEscalation(v1::CaseDecisionRequestStatus status);

}  // namespace herstel::case_service

#endif  // HERSTEL_CASE_SERVICE_DOMAIN_CASE_RULES_H_
