// The escalation-service's domain objects as plain structs: escalations on
// the ladder, bodies with members and chair schedule, meetings with agendas,
// decisions with votes, and the two policies. No gRPC, no SQL; the rules
// that change them live in ladder.h, voting.h, bodies.h and policies.h.
// Optional times are std::optional; names are resource names
// ("escalations/e-1", "bodies/sg-eemsdelta", ...).
#ifndef HERSTEL_ESCALATION_DOMAIN_MODEL_H_
#define HERSTEL_ESCALATION_DOMAIN_MODEL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "herstel/v1/common.pb.h"
#include "herstel/v1/escalation_service.pb.h"

namespace herstel::escalation {

using v1::BodyOrganisationKind;
using v1::DecisionKind;
using v1::EscalationDecisionOutcome;
using v1::EscalationLevel;
using v1::EscalationLevelChangeTrigger;
using v1::EscalationMeetingStatus;
using v1::EscalationReason;
using v1::EscalationSpendableStatus;
using v1::EscalationStatus;
using v1::EscalationVoteChoice;
using v1::EscalationVotingRule;

// Largest amount accepted anywhere, as in the mandate-service: 10^15 cents.
inline constexpr int64_t kMaxAmountCents = 1'000'000'000'000'000;

struct Funding {
  std::string budget_line;
  int64_t amount_cents = 0;
};

enum class SubjectKind { kNone, kCases, kCluster, kBottleneck, kQuestion };

struct Subject {
  SubjectKind kind = SubjectKind::kNone;
  std::vector<std::string> cases;
  std::string cluster;
  std::string bottleneck;
  std::string question;  // free text; never copied into events
};

struct LevelChange {
  EscalationLevel from_level = v1::ESCALATION_LEVEL_UNSPECIFIED;
  EscalationLevel to_level = v1::ESCALATION_LEVEL_UNSPECIFIED;
  EscalationReason reason = v1::ESCALATION_REASON_UNSPECIFIED;
  std::string reason_text;
  EscalationLevelChangeTrigger trigger = v1::ESCALATION_LEVEL_CHANGE_TRIGGER_UNSPECIFIED;
  std::string cause;
  std::string actor;
  absl::Time change_time;
};

struct Suspension {
  std::string reason;
  EscalationStatus status_before = v1::ESCALATION_STATUS_UNSPECIFIED;
  absl::Time suspend_time;
  std::optional<absl::Time> resume_time;
  int working_days_suspended = 0;
  std::string suspended_by;
  std::string resumed_by;
  std::string resume_note;
};

struct Breach {
  EscalationLevel level = v1::ESCALATION_LEVEL_UNSPECIFIED;
  absl::Time due_time;
  absl::Time detect_time;
  bool auto_escalated = false;
  EscalationLevel to_level = v1::ESCALATION_LEVEL_UNSPECIFIED;
};

struct Referral {
  std::string organisation;
  std::string framework;
  std::string note;
  std::string external_reference;
  std::optional<absl::Time> refer_time;
  std::string referred_by;
};

struct Escalation {
  std::string name;
  Subject subject;
  std::string title;
  std::vector<std::string> municipalities;  // first: the lead municipality
  DecisionKind decision_kind = v1::DECISION_KIND_UNSPECIFIED;
  int64_t amount_asked_cents = 0;
  std::vector<Funding> budget_split;
  EscalationReason reason = v1::ESCALATION_REASON_UNSPECIFIED;
  std::string reason_text;
  bool supra_local = false;
  std::string supra_local_reason;
  std::string decision_request;

  std::string opened_by;
  std::string opened_by_organisation;
  EscalationLevel level = v1::ESCALATION_LEVEL_UNSPECIFIED;
  std::string body;
  EscalationStatus status = v1::ESCALATION_STATUS_UNSPECIFIED;

  // Term of the current level, fixed from the policy when the level was entered.
  int term_working_days = 0;
  absl::Time level_start_time;
  // Midnight after the term's last working day, suspensions added on resume.
  absl::Time due_time;

  std::string meeting;
  std::vector<std::string> decisions;
  std::optional<Referral> referral;
  std::string withdraw_reason;
  std::vector<LevelChange> level_history;
  std::vector<Suspension> suspensions;
  std::vector<Breach> breaches;

  absl::Time create_time;
  std::optional<absl::Time> acknowledge_time;
  absl::Time update_time;
  std::optional<absl::Time> close_time;
  std::string etag;
};

struct BodyMember {
  std::string member_id;
  BodyOrganisationKind organisation_kind = v1::BODY_ORGANISATION_KIND_UNSPECIFIED;
  std::string organisation;
  std::string municipality;
  std::string topic;
  std::string office;
  bool voting = false;
  std::vector<std::string> subjects;
  std::optional<absl::Time> start_time;
  std::optional<absl::Time> end_time;
};

struct ChairTerm {
  std::string member_id;
  absl::Time start_time;
  absl::Time end_time;
};

struct Quorum {
  int min_voting_members_present = 0;
  std::vector<BodyOrganisationKind> required_kinds;
};

struct Body {
  std::string name;
  std::string display_name;
  EscalationLevel level = v1::ESCALATION_LEVEL_UNSPECIFIED;
  std::vector<std::string> municipalities;
  std::vector<BodyMember> members;
  std::vector<ChairTerm> chair_schedule;
  Quorum quorum;
  absl::Time create_time;
  absl::Time update_time;
  std::string etag;
};

struct AgendaItem {
  std::string escalation;
  std::string title;
  absl::Time due_time;
  std::string decision;
  absl::Time schedule_time;
};

struct Meeting {
  std::string name;
  std::string body;
  absl::Time start_time;
  std::string location;
  EscalationMeetingStatus status = v1::ESCALATION_MEETING_STATUS_UNSPECIFIED;
  std::string chair_member_id;
  std::vector<AgendaItem> agenda;  // in order; positions are 1-based indexes
  absl::Time create_time;
  absl::Time update_time;
  std::string etag;
};

struct Vote {
  std::string member_id;
  EscalationVoteChoice choice = v1::ESCALATION_VOTE_CHOICE_UNSPECIFIED;
  std::string note;
};

// What the mandate-service said was missing, as a plain copy of its error detail.
struct ReservationError {
  std::string reason;
  std::string message;
  std::map<std::string, std::string> metadata;
  EscalationLevel can_decide_level = v1::ESCALATION_LEVEL_UNSPECIFIED;
};

struct Decision {
  std::string name;
  std::string escalation;
  EscalationLevel level = v1::ESCALATION_LEVEL_UNSPECIFIED;
  std::string body;
  std::string meeting;
  EscalationDecisionOutcome outcome = v1::ESCALATION_DECISION_OUTCOME_UNSPECIFIED;
  DecisionKind decision_kind = v1::DECISION_KIND_UNSPECIFIED;
  int64_t amount_asked_cents = 0;
  int64_t amount_cents = 0;
  std::vector<Funding> funding;
  std::vector<std::string> conditions;
  std::string rationale;
  std::vector<Vote> votes;
  std::vector<std::string> present_members;
  EscalationVotingRule voting_rule = v1::ESCALATION_VOTING_RULE_UNSPECIFIED;
  std::optional<Referral> referral;
  bool within_term = false;
  EscalationSpendableStatus spendable_status = v1::ESCALATION_SPENDABLE_STATUS_UNSPECIFIED;
  std::string authorisation;
  std::string reservation;
  std::optional<ReservationError> reservation_error;
  int reservation_attempts = 0;
  std::optional<absl::Time> last_reservation_attempt_time;
  std::string decided_by;
  absl::Time decide_time;
  absl::Time update_time;
  std::string etag;
};

struct LevelTerm {
  EscalationLevel level = v1::ESCALATION_LEVEL_UNSPECIFIED;
  int term_working_days = 0;
  bool auto_escalate = false;
};

struct TermPolicy {
  std::vector<LevelTerm> levels;  // one per level, in level order
  std::vector<std::string> extra_closed_days;  // "YYYY-MM-DD"
  std::optional<absl::Time> update_time;
  std::string etag;
};

struct KindVotingRule {
  DecisionKind decision_kind = v1::DECISION_KIND_UNSPECIFIED;
  EscalationVotingRule rule = v1::ESCALATION_VOTING_RULE_UNSPECIFIED;
};

struct VotingPolicy {
  EscalationVotingRule default_rule = v1::ESCALATION_VOTING_RULE_CONSENSUS;
  std::vector<KindVotingRule> rules;
  std::optional<absl::Time> update_time;
  std::string etag;
};

// True for DECIDED, REFERRED and WITHDRAWN.
inline bool IsTerminal(EscalationStatus status) {
  return status == v1::ESCALATION_STATUS_DECIDED || status == v1::ESCALATION_STATUS_REFERRED ||
         status == v1::ESCALATION_STATUS_WITHDRAWN;
}

// True for OPEN, ACKNOWLEDGED and SCHEDULED: the clock runs and the body can act.
inline bool IsActive(EscalationStatus status) {
  return status == v1::ESCALATION_STATUS_OPEN || status == v1::ESCALATION_STATUS_ACKNOWLEDGED ||
         status == v1::ESCALATION_STATUS_SCHEDULED;
}

}  // namespace herstel::escalation

#endif  // HERSTEL_ESCALATION_DOMAIN_MODEL_H_
