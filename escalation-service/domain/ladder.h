// The escalation ladder: opening, moving up one level with a recorded
// reason (or straight to the regional consultation for a supra-local
// question), acknowledgement, suspension and resumption of the term clock,
// withdrawal, referral of a pinching national framework, the term
// accounting and breach detection.
//
// Functions named Check*/Plan* decide whether a change is allowed and
// change nothing; the others apply an allowed change to the struct. Refusals
// are FAILED_PRECONDITION with a stable reason (see each function), bad input
// is INVALID_ARGUMENT with one field violation per broken rule.
#ifndef HERSTEL_ESCALATION_DOMAIN_LADDER_H_
#define HERSTEL_ESCALATION_DOMAIN_LADDER_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "domain/calendar.h"
#include "domain/model.h"

namespace herstel::escalation {

inline constexpr int kMaxCases = 1000;
inline constexpr int kMaxMunicipalities = 50;
inline constexpr int kMaxBudgetLines = 10;
inline constexpr size_t kMaxTitleLength = 200;
inline constexpr size_t kMaxTextLength = 4000;
// The subject recorded for changes the service makes by itself.
inline constexpr char kSystemActor[] = "system";

// True when `name` is "<collection>/<id>" (or deeper, e.g.
// "cases/1/bottlenecks/2") with `collection` first and no empty, blank or
// odd segment.
bool IsResourceName(const std::string& name, const std::string& collection, int segments = 2);

// One level up; UNSPECIFIED above the regional consultation.
EscalationLevel NextLevel(EscalationLevel level);
// Short English label, e.g. "the local steering group (level 1)".
std::string LevelLabel(EscalationLevel level);

// Every broken rule of a new escalation's fields (subject, title,
// municipalities, kind, amount, budget split, reason, supra-local reason).
absl::Status ValidateNewEscalation(const Escalation& draft);
// Sets supra_local (with a generated reason) when more than one
// municipality is involved.
void NormaliseSupraLocal(Escalation& draft);
// The starting level for `requested`:
//  UNSPECIFIED or LOCAL_STEERING_GROUP -> level 1;
//  REGIONAL_CONSULTATION -> only for a supra-local question (SUPRA_LOCAL_REQUIRED);
//  ADMINISTRATIVE_CONSULTATION -> only with reason OUT_OF_MANDATE
//  (START_LEVEL_NEEDS_OUT_OF_MANDATE); the caller states the mandate-service
//  named that level as the lowest that can decide, which is not re-checked.
absl::StatusOr<EscalationLevel> PlanStartLevel(const Escalation& draft, EscalationLevel requested);

// Opens `escalation` at `level` with `body`: status OPEN, term from `term_working_days`.
void Open(Escalation& escalation, EscalationLevel level, const std::string& body,
          int term_working_days, const WorkingDayCalendar& calendar, const std::string& actor,
          absl::Time now);

struct EscalateUpInput {
  EscalationLevel to_level = v1::ESCALATION_LEVEL_UNSPECIFIED;
  EscalationReason reason = v1::ESCALATION_REASON_UNSPECIFIED;
  std::string reason_text;
  std::string supra_local_reason;
};
// Validates a manual move up and answers the target level. Refusals:
// NOT_ACTIVE (must be open, acknowledged or scheduled), TOP_OF_LADDER,
// NOT_UP_THE_LADDER (target not above the current level),
// SUPRA_LOCAL_REQUIRED (a jump of two levels or reason SUPRA_LOCAL for a
// question that is not supra-local).
absl::StatusOr<EscalationLevel> PlanEscalateUp(const Escalation& escalation,
                                               const EscalateUpInput& input);
// Moves to `change.to_level` with `body`: status OPEN, acknowledgement and
// meeting cleared, a fresh term from `term_working_days`.
void MoveUp(Escalation& escalation, LevelChange change, const std::string& body,
            int term_working_days, const WorkingDayCalendar& calendar);

// OPEN -> ACKNOWLEDGED; NOT_OPEN otherwise.
absl::Status Acknowledge(Escalation& escalation, absl::Time now);
// Stops the clock. ALREADY_SUSPENDED, ESCALATION_CLOSED.
absl::Status Suspend(Escalation& escalation, const std::string& reason, const std::string& actor,
                     absl::Time now);
// Restarts the clock; the due time moves by the working days the clock stood
// still (the day of suspension counts as suspended, the day of resumption
// does not). NOT_SUSPENDED otherwise. Answers the working days added.
absl::StatusOr<int> Resume(Escalation& escalation, const std::string& note,
                           const std::string& actor, const WorkingDayCalendar& calendar,
                           absl::Time now);
// Withdraws a not yet closed escalation: ESCALATION_CLOSED otherwise.
absl::Status Withdraw(Escalation& escalation, const std::string& reason, absl::Time now);
// Every broken rule of a referral (organisation and framework required).
absl::Status ValidateReferral(const Referral& referral, const std::string& field);
// Refers a not yet closed escalation to the framework's owner: ESCALATION_CLOSED otherwise.
absl::Status Refer(Escalation& escalation, Referral referral, const std::string& actor,
                   absl::Time now);
// Whether the escalation may be put on `meeting`: NOT_ACTIVE, MEETING_NOT_PLANNED,
// MEETING_OF_OTHER_BODY, ALREADY_ON_AGENDA.
absl::Status CheckSchedulable(const Escalation& escalation, const Meeting& meeting);

// FAILED_PRECONDITION reason ESCALATION_CLOSED (or ALREADY_DECIDED) naming the status.
absl::Status ClosedError(const Escalation& escalation, absl::string_view action);

struct TermStatus {
  int term_working_days = 0;
  int working_days_used = 0;
  int working_days_left = 0;
  int working_days_overdue = 0;
  absl::Time level_start_time;
  bool clock_running = false;
  bool overdue = false;
};
// Working-day accounting of the current level at `now`. Overdue means the
// clock runs (not suspended, not closed) and `now` is at or past the due time.
TermStatus ComputeTermStatus(const Escalation& escalation, const WorkingDayCalendar& calendar,
                             absl::Time now);

// The breach to record at `now`, if the current level's term is missed and
// no breach was recorded at this level yet (once per level).
std::optional<Breach> DetectBreach(const Escalation& escalation, absl::Time now);
// Whether a breach was already recorded for the level the escalation is on now.
bool BreachRecordedAtCurrentLevel(const Escalation& escalation);

}  // namespace herstel::escalation

#endif  // HERSTEL_ESCALATION_DOMAIN_LADDER_H_
