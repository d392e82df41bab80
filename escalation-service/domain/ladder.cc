#include "domain/ladder.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "herstel/errors.h"

namespace herstel::escalation {
namespace {

absl::Status Refused(absl::string_view reason, absl::string_view message,
                     const std::map<std::string, std::string>& metadata = {}) {
  return DomainError(absl::StatusCode::kFailedPrecondition, reason, message, metadata);
}

bool IsSegment(absl::string_view segment) {
  if (segment.empty() || segment.size() > 128) return false;
  for (char c : segment) {
    if (!(absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.')) return false;
  }
  return true;
}

bool Blank(const std::string& text) { return absl::StripAsciiWhitespace(text).empty(); }

std::string StatusName(EscalationStatus status) { return v1::EscalationStatus_Name(status); }

// Working days of the current level on which the clock stood still, up to `today`.
int SuspendedWorkingDays(const Escalation& escalation, const WorkingDayCalendar& calendar,
                         absl::CivilDay today) {
  const absl::CivilDay first_counted = calendar.DayOf(escalation.level_start_time) + 1;
  int days = 0;
  for (const Suspension& suspension : escalation.suspensions) {
    if (suspension.suspend_time < escalation.level_start_time) continue;
    absl::CivilDay from = std::max(first_counted, calendar.DayOf(suspension.suspend_time));
    absl::CivilDay to = suspension.resume_time.has_value()
                            ? std::min(today, calendar.DayOf(*suspension.resume_time))
                            : today;
    days += calendar.WorkingDaysBetween(from, to);
  }
  return days;
}

int CompletedSuspensionDaysAtLevel(const Escalation& escalation) {
  int days = 0;
  for (const Suspension& suspension : escalation.suspensions) {
    if (suspension.suspend_time >= escalation.level_start_time && suspension.resume_time) {
      days += suspension.working_days_suspended;
    }
  }
  return days;
}

void StartTerm(Escalation& escalation, int term_working_days, const WorkingDayCalendar& calendar,
               absl::Time now) {
  escalation.term_working_days = term_working_days;
  escalation.level_start_time = now;
  escalation.due_time = calendar.DueTime(now, term_working_days);
}

}  // namespace

bool IsResourceName(const std::string& name, const std::string& collection, int segments) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (static_cast<int>(parts.size()) != segments || parts[0] != collection) return false;
  return std::all_of(parts.begin() + 1, parts.end(), IsSegment);
}

EscalationLevel NextLevel(EscalationLevel level) {
  switch (level) {
    case v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP:
      return v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION;
    case v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION:
      return v1::ESCALATION_LEVEL_REGIONAL_CONSULTATION;
    default:
      return v1::ESCALATION_LEVEL_UNSPECIFIED;
  }
}

std::string LevelLabel(EscalationLevel level) {
  switch (level) {
    case v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP:
      return "the local steering group (level 1)";
    case v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION:
      return "the administrative consultation (level 2)";
    case v1::ESCALATION_LEVEL_REGIONAL_CONSULTATION:
      return "the regional consultation (level 3)";
    default:
      return "no level";
  }
}

absl::Status ValidateNewEscalation(const Escalation& draft) {
  FieldViolations violations;
  const Subject& subject = draft.subject;
  switch (subject.kind) {
    case SubjectKind::kNone:
      violations.Add("escalation.subject",
                     "set exactly one of cases, cluster, bottleneck or question");
      break;
    case SubjectKind::kCases: {
      violations.Require(!subject.cases.empty() && subject.cases.size() <= kMaxCases,
                         "escalation.cases.cases",
                         absl::StrCat("must name 1 to ", kMaxCases, " cases"));
      std::set<std::string> seen;
      for (size_t i = 0; i < subject.cases.size(); ++i) {
        const std::string field = absl::StrCat("escalation.cases.cases[", i, "]");
        if (violations.Require(IsResourceName(subject.cases[i], "cases"), field,
                               "must be a case name such as cases/123")) {
          violations.Require(seen.insert(subject.cases[i]).second, field,
                             "each case may appear only once");
        }
      }
      break;
    }
    case SubjectKind::kCluster:
      violations.Require(IsResourceName(subject.cluster, "clusters"), "escalation.cluster",
                         "must be a cluster name such as clusters/c-7");
      break;
    case SubjectKind::kBottleneck:
      violations.Require(IsResourceName(subject.bottleneck, "cases", 4) &&
                             absl::StrContains(subject.bottleneck, "/bottlenecks/"),
                         "escalation.bottleneck",
                         "must be a bottleneck name such as cases/123/bottlenecks/4");
      break;
    case SubjectKind::kQuestion:
      violations.Require(!Blank(subject.question) && subject.question.size() <= kMaxTextLength,
                         "escalation.question",
                         absl::StrCat("must be 1 to ", kMaxTextLength,
                                      " characters (and hold no personal data)"));
      break;
  }
  violations.Require(!Blank(draft.title) && draft.title.size() <= kMaxTitleLength,
                     "escalation.title",
                     absl::StrCat("is required, at most ", kMaxTitleLength, " characters"));
  violations.Require(!draft.municipalities.empty() &&
                         draft.municipalities.size() <= static_cast<size_t>(kMaxMunicipalities),
                     "escalation.municipalities",
                     absl::StrCat("must name 1 to ", kMaxMunicipalities,
                                  " municipalities; the first leads"));
  std::set<std::string> municipalities;
  for (size_t i = 0; i < draft.municipalities.size(); ++i) {
    const std::string field = absl::StrCat("escalation.municipalities[", i, "]");
    if (violations.Require(IsResourceName(draft.municipalities[i], "municipalities"), field,
                           "must be a municipality name such as municipalities/eemsdelta")) {
      violations.Require(municipalities.insert(draft.municipalities[i]).second, field,
                         "each municipality may appear only once");
    }
  }
  violations.Require(draft.decision_kind != v1::DECISION_KIND_UNSPECIFIED &&
                         v1::DecisionKind_IsValid(draft.decision_kind),
                     "escalation.decision_kind", "must name the kind of decision asked for");
  violations.Require(draft.amount_asked_cents >= 0 && draft.amount_asked_cents <= kMaxAmountCents,
                     "escalation.amount_asked_cents",
                     "must be 0 (no money asked) up to 10^15 cents, never negative");
  if (draft.amount_asked_cents > 0) {
    violations.Require(!draft.budget_split.empty() &&
                           draft.budget_split.size() <= static_cast<size_t>(kMaxBudgetLines),
                       "escalation.budget_split",
                       absl::StrCat("must name 1 to ", kMaxBudgetLines,
                                    " budget lines when money is asked"));
  } else {
    violations.Require(draft.budget_split.empty(), "escalation.budget_split",
                       "must be empty when no money is asked");
  }
  int64_t total = 0;
  bool amounts_valid = true;
  std::set<std::string> lines;
  for (size_t i = 0; i < draft.budget_split.size(); ++i) {
    const Funding& part = draft.budget_split[i];
    const std::string field = absl::StrCat("escalation.budget_split[", i, "]");
    if (violations.Require(IsResourceName(part.budget_line, "budget-lines"),
                           absl::StrCat(field, ".budget_line"),
                           "must be a budget line name such as budget-lines/bl-12")) {
      violations.Require(lines.insert(part.budget_line).second, absl::StrCat(field, ".budget_line"),
                         "each budget line may appear only once");
    }
    if (!violations.Require(part.amount_cents > 0 && part.amount_cents <= kMaxAmountCents,
                            absl::StrCat(field, ".amount_cents"),
                            "must be more than 0 and at most 10^15 cents")) {
      amounts_valid = false;
    } else {
      total += part.amount_cents;
    }
  }
  if (amounts_valid && draft.amount_asked_cents > 0 && !draft.budget_split.empty()) {
    violations.Require(total == draft.amount_asked_cents, "escalation.budget_split",
                       absl::StrCat("must sum to amount_asked_cents (", draft.amount_asked_cents,
                                    "), not ", total));
  }
  violations.Require(draft.reason != v1::ESCALATION_REASON_UNSPECIFIED &&
                         v1::EscalationReason_IsValid(draft.reason),
                     "escalation.reason", "must say why it goes up the ladder");
  violations.Require(!Blank(draft.reason_text) && draft.reason_text.size() <= kMaxTextLength,
                     "escalation.reason_text",
                     absl::StrCat("is required, at most ", kMaxTextLength, " characters"));
  const bool marked_by_hand = draft.supra_local && draft.municipalities.size() <= 1;
  violations.Require(!marked_by_hand || !Blank(draft.supra_local_reason),
                     "escalation.supra_local_reason",
                     "is required when one municipality's question is marked supra-local");
  violations.Require(draft.reason != v1::ESCALATION_REASON_SUPRA_LOCAL || draft.supra_local ||
                         draft.municipalities.size() > 1,
                     "escalation.reason",
                     "SUPRA_LOCAL needs more than one municipality or supra_local with a reason");
  violations.Require(draft.decision_request.empty() ||
                         (IsResourceName(draft.decision_request, "cases", 4) &&
                          absl::StrContains(draft.decision_request, "/decision-requests/")),
                     "escalation.decision_request",
                     "must be a case-service decision request such as "
                     "cases/123/decision-requests/4");
  return violations.ToStatus();
}

void NormaliseSupraLocal(Escalation& draft) {
  if (draft.municipalities.size() > 1) {
    draft.supra_local = true;
    if (Blank(draft.supra_local_reason)) {
      draft.supra_local_reason =
          absl::StrCat("involves ", draft.municipalities.size(), " municipalities");
    }
  }
}

absl::StatusOr<EscalationLevel> PlanStartLevel(const Escalation& draft, EscalationLevel requested) {
  switch (requested) {
    case v1::ESCALATION_LEVEL_UNSPECIFIED:
    case v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP:
      return v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP;
    case v1::ESCALATION_LEVEL_REGIONAL_CONSULTATION:
      if (!draft.supra_local) {
        return Refused("SUPRA_LOCAL_REQUIRED",
                       "only a supra-local question may start at the regional consultation; "
                       "involve more than one municipality or mark it supra_local with a reason");
      }
      return requested;
    case v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION:
      if (draft.reason != v1::ESCALATION_REASON_OUT_OF_MANDATE) {
        return Refused("START_LEVEL_NEEDS_OUT_OF_MANDATE",
                       "an escalation starts at the administrative consultation only with reason "
                       "OUT_OF_MANDATE, when the mandate-service names that level as the lowest "
                       "that can decide; otherwise start at the local steering group");
      }
      return requested;
    default:
      return FieldError("start_level", "must be a ladder level or unset");
  }
}

void Open(Escalation& escalation, EscalationLevel level, const std::string& body,
          int term_working_days, const WorkingDayCalendar& calendar, const std::string& actor,
          absl::Time now) {
  escalation.level = level;
  escalation.body = body;
  escalation.status = v1::ESCALATION_STATUS_OPEN;
  escalation.create_time = now;
  escalation.update_time = now;
  escalation.level_history.clear();
  LevelChange change;
  change.from_level = v1::ESCALATION_LEVEL_UNSPECIFIED;
  change.to_level = level;
  change.reason = escalation.reason;
  change.reason_text = escalation.reason_text;
  change.trigger = v1::ESCALATION_LEVEL_CHANGE_TRIGGER_OPENED;
  change.actor = actor;
  change.change_time = now;
  escalation.level_history.push_back(change);
  StartTerm(escalation, term_working_days, calendar, now);
}

absl::StatusOr<EscalationLevel> PlanEscalateUp(const Escalation& escalation,
                                               const EscalateUpInput& input) {
  FieldViolations violations;
  violations.Require(input.reason != v1::ESCALATION_REASON_UNSPECIFIED &&
                         v1::EscalationReason_IsValid(input.reason),
                     "reason", "every move up the ladder records a reason");
  violations.Require(!Blank(input.reason_text) && input.reason_text.size() <= kMaxTextLength,
                     "reason_text", "is required: say in words why it goes up");
  violations.Require(v1::EscalationLevel_IsValid(input.to_level), "to_level",
                     "must be a ladder level or unset");
  violations.Require(input.supra_local_reason.size() <= kMaxTextLength, "supra_local_reason",
                     absl::StrCat("at most ", kMaxTextLength, " characters"));
  if (!violations.empty()) return violations.ToStatus();
  if (IsTerminal(escalation.status)) return ClosedError(escalation, "moved up");
  if (!IsActive(escalation.status)) {
    return Refused("NOT_ACTIVE",
                   absl::StrCat("only an open, acknowledged or scheduled escalation moves up; this "
                                "one is ", StatusName(escalation.status), " (resume it first)"));
  }
  const EscalationLevel next = NextLevel(escalation.level);
  if (next == v1::ESCALATION_LEVEL_UNSPECIFIED) {
    return Refused("TOP_OF_LADDER",
                   "the regional consultation is the top of the ladder; refer a pinching national "
                   "framework to its owner instead");
  }
  const EscalationLevel target =
      input.to_level == v1::ESCALATION_LEVEL_UNSPECIFIED ? next : input.to_level;
  if (target <= escalation.level) {
    return Refused("NOT_UP_THE_LADDER",
                   absl::StrCat("an escalation only moves up: it is at ",
                                LevelLabel(escalation.level), ", the target is ",
                                LevelLabel(target)));
  }
  const bool supra_local = escalation.supra_local || !Blank(input.supra_local_reason);
  if (target != next && !supra_local) {
    return Refused("SUPRA_LOCAL_REQUIRED",
                   absl::StrCat("only a supra-local question jumps from ",
                                LevelLabel(escalation.level), " to ", LevelLabel(target),
                                "; otherwise move one level up, or give supra_local_reason"));
  }
  if (input.reason == v1::ESCALATION_REASON_SUPRA_LOCAL && !supra_local) {
    return Refused("SUPRA_LOCAL_REQUIRED",
                   "reason SUPRA_LOCAL needs a supra-local question; give supra_local_reason");
  }
  return target;
}

void MoveUp(Escalation& escalation, LevelChange change, const std::string& body,
            int term_working_days, const WorkingDayCalendar& calendar) {
  const absl::Time now = change.change_time;
  change.from_level = escalation.level;
  escalation.level = change.to_level;
  escalation.body = body;
  escalation.status = v1::ESCALATION_STATUS_OPEN;
  escalation.meeting.clear();
  escalation.acknowledge_time.reset();
  escalation.level_history.push_back(std::move(change));
  escalation.update_time = now;
  StartTerm(escalation, term_working_days, calendar, now);
}

absl::Status ClosedError(const Escalation& escalation, absl::string_view action) {
  if (escalation.status == v1::ESCALATION_STATUS_DECIDED) {
    return Refused("ALREADY_DECIDED",
                   absl::StrCat(escalation.name, " is already decided (",
                                escalation.decisions.empty() ? std::string()
                                                             : escalation.decisions.back(),
                                ") and cannot be ", action),
                   {{"status", StatusName(escalation.status)}});
  }
  return Refused("ESCALATION_CLOSED",
                 absl::StrCat(escalation.name, " is ", StatusName(escalation.status),
                              ", a final status, and cannot be ", action),
                 {{"status", StatusName(escalation.status)}});
}

absl::Status Acknowledge(Escalation& escalation, absl::Time now) {
  if (IsTerminal(escalation.status)) return ClosedError(escalation, "acknowledged");
  if (escalation.status != v1::ESCALATION_STATUS_OPEN) {
    return Refused("NOT_OPEN", absl::StrCat("only an OPEN escalation can be acknowledged; this one "
                                            "is ", StatusName(escalation.status)));
  }
  escalation.status = v1::ESCALATION_STATUS_ACKNOWLEDGED;
  escalation.acknowledge_time = now;
  escalation.update_time = now;
  return absl::OkStatus();
}

absl::Status Suspend(Escalation& escalation, const std::string& reason, const std::string& actor,
                     absl::Time now) {
  if (Blank(reason) || reason.size() > kMaxTextLength) {
    return FieldError("reason", "is required: say why the clock stops (no personal data)");
  }
  if (IsTerminal(escalation.status)) return ClosedError(escalation, "suspended");
  if (escalation.status == v1::ESCALATION_STATUS_SUSPENDED) {
    return Refused("ALREADY_SUSPENDED", "the clock already stands still; resume it first");
  }
  Suspension suspension;
  suspension.reason = reason;
  suspension.status_before = escalation.status;
  suspension.suspend_time = now;
  suspension.suspended_by = actor;
  escalation.suspensions.push_back(std::move(suspension));
  escalation.status = v1::ESCALATION_STATUS_SUSPENDED;
  escalation.update_time = now;
  return absl::OkStatus();
}

absl::StatusOr<int> Resume(Escalation& escalation, const std::string& note,
                           const std::string& actor, const WorkingDayCalendar& calendar,
                           absl::Time now) {
  if (note.size() > kMaxTextLength) {
    return FieldError("note", absl::StrCat("at most ", kMaxTextLength, " characters"));
  }
  if (escalation.status != v1::ESCALATION_STATUS_SUSPENDED || escalation.suspensions.empty()) {
    return Refused("NOT_SUSPENDED", absl::StrCat("only a SUSPENDED escalation resumes; this one is ",
                                                 StatusName(escalation.status)));
  }
  Suspension& suspension = escalation.suspensions.back();
  const absl::CivilDay first_counted = calendar.DayOf(escalation.level_start_time) + 1;
  const absl::CivilDay from = std::max(first_counted, calendar.DayOf(suspension.suspend_time));
  const int days = calendar.WorkingDaysBetween(from, calendar.DayOf(now));
  suspension.resume_time = now;
  suspension.working_days_suspended = days;
  suspension.resumed_by = actor;
  suspension.resume_note = note;
  escalation.status = suspension.status_before;
  if (escalation.status == v1::ESCALATION_STATUS_SCHEDULED && escalation.meeting.empty()) {
    escalation.status = v1::ESCALATION_STATUS_ACKNOWLEDGED;
  }
  escalation.due_time =
      calendar.DueTime(escalation.level_start_time,
                       escalation.term_working_days + CompletedSuspensionDaysAtLevel(escalation));
  escalation.update_time = now;
  return days;
}

absl::Status Withdraw(Escalation& escalation, const std::string& reason, absl::Time now) {
  if (Blank(reason) || reason.size() > kMaxTextLength) {
    return FieldError("reason", "is required: say why it is withdrawn (no personal data)");
  }
  if (IsTerminal(escalation.status)) return ClosedError(escalation, "withdrawn");
  escalation.status = v1::ESCALATION_STATUS_WITHDRAWN;
  escalation.withdraw_reason = reason;
  escalation.meeting.clear();
  escalation.close_time = now;
  escalation.update_time = now;
  return absl::OkStatus();
}

absl::Status ValidateReferral(const Referral& referral, const std::string& field) {
  FieldViolations violations;
  violations.Require(!Blank(referral.organisation) && referral.organisation.size() <= 200,
                     absl::StrCat(field, ".organisation"),
                     "is required: the organisation that owns the framework, e.g. "
                     "\"Ministerie van BZK\"");
  violations.Require(!Blank(referral.framework) && referral.framework.size() <= 500,
                     absl::StrCat(field, ".framework"),
                     "is required: the national framework or regulation that pinches");
  violations.Require(referral.note.size() <= kMaxTextLength, absl::StrCat(field, ".note"),
                     absl::StrCat("at most ", kMaxTextLength, " characters"));
  violations.Require(referral.external_reference.size() <= 200,
                     absl::StrCat(field, ".external_reference"), "at most 200 characters");
  return violations.ToStatus();
}

absl::Status Refer(Escalation& escalation, Referral referral, const std::string& actor,
                   absl::Time now) {
  if (IsTerminal(escalation.status)) return ClosedError(escalation, "referred");
  referral.refer_time = now;
  referral.referred_by = actor;
  escalation.referral = std::move(referral);
  escalation.status = v1::ESCALATION_STATUS_REFERRED;
  escalation.meeting.clear();
  escalation.close_time = now;
  escalation.update_time = now;
  return absl::OkStatus();
}

absl::Status CheckSchedulable(const Escalation& escalation, const Meeting& meeting) {
  if (IsTerminal(escalation.status)) return ClosedError(escalation, "scheduled");
  if (!IsActive(escalation.status)) {
    return Refused("NOT_ACTIVE", absl::StrCat("only an open, acknowledged or scheduled escalation "
                                              "goes on an agenda; this one is ",
                                              StatusName(escalation.status)));
  }
  if (meeting.status != v1::ESCALATION_MEETING_STATUS_PLANNED) {
    return Refused("MEETING_NOT_PLANNED",
                   absl::StrCat(meeting.name, " is ",
                                v1::EscalationMeetingStatus_Name(meeting.status),
                                "; schedule onto a PLANNED meeting"));
  }
  if (meeting.body != escalation.body) {
    return Refused("MEETING_OF_OTHER_BODY",
                   absl::StrCat(meeting.name, " is a meeting of ", meeting.body, ", but ",
                                escalation.name, " is handled by ", escalation.body, " at ",
                                LevelLabel(escalation.level)),
                   {{"escalation_body", escalation.body}, {"meeting_body", meeting.body}});
  }
  if (escalation.meeting == meeting.name) {
    return Refused("ALREADY_ON_AGENDA",
                   absl::StrCat(escalation.name, " is already on the agenda of ", meeting.name));
  }
  return absl::OkStatus();
}

TermStatus ComputeTermStatus(const Escalation& escalation, const WorkingDayCalendar& calendar,
                             absl::Time now) {
  TermStatus status;
  status.term_working_days = escalation.term_working_days;
  status.level_start_time = escalation.level_start_time;
  status.clock_running = IsActive(escalation.status);
  const absl::Time end = IsTerminal(escalation.status) && escalation.close_time.has_value()
                             ? *escalation.close_time
                             : now;
  const absl::CivilDay today = calendar.DayOf(end);
  const absl::CivilDay first_counted = calendar.DayOf(escalation.level_start_time) + 1;
  const int elapsed = calendar.WorkingDaysBetween(first_counted, today);
  const int used = elapsed - SuspendedWorkingDays(escalation, calendar, today);
  status.working_days_used = std::clamp(used, 0, escalation.term_working_days);
  status.overdue = status.clock_running && now >= escalation.due_time;
  status.working_days_left =
      status.overdue ? 0 : std::max(0, escalation.term_working_days - status.working_days_used);
  if (status.overdue) {
    status.working_days_used = escalation.term_working_days;
    status.working_days_overdue =
        calendar.WorkingDaysBetween(calendar.DayOf(escalation.due_time), today + 1);
  }
  return status;
}

bool BreachRecordedAtCurrentLevel(const Escalation& escalation) {
  return std::any_of(escalation.breaches.begin(), escalation.breaches.end(),
                     [&](const Breach& breach) {
                       return breach.level == escalation.level &&
                              breach.detect_time >= escalation.level_start_time;
                     });
}

std::optional<Breach> DetectBreach(const Escalation& escalation, absl::Time now) {
  if (!IsActive(escalation.status) || now < escalation.due_time) return std::nullopt;
  if (BreachRecordedAtCurrentLevel(escalation)) return std::nullopt;
  Breach breach;
  breach.level = escalation.level;
  breach.due_time = escalation.due_time;
  breach.detect_time = now;
  return breach;
}

}  // namespace herstel::escalation
