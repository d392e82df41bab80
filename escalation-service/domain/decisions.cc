#include "domain/decisions.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "domain/ladder.h"
#include "herstel/errors.h"
#include "herstel/status_macros.h"

namespace herstel::escalation {
namespace {

absl::Status Refused(absl::string_view reason, absl::string_view message,
                     const std::map<std::string, std::string>& metadata = {}) {
  return DomainError(absl::StatusCode::kFailedPrecondition, reason, message, metadata);
}

bool Blank(const std::string& text) { return absl::StripAsciiWhitespace(text).empty(); }

bool IsCurrent(const BodyMember& member, absl::Time time) {
  return (!member.start_time.has_value() || *member.start_time <= time) &&
         (!member.end_time.has_value() || *member.end_time > time);
}

const BodyMember* FindCurrent(const Body& body, const std::string& member_id, absl::Time time) {
  for (const BodyMember& member : body.members) {
    if (member.member_id == member_id && IsCurrent(member, time)) return &member;
  }
  return nullptr;
}

bool MayVoteOn(const BodyMember& member, const Body& body, const Escalation& escalation) {
  if (!member.voting) return false;
  if (body.level != v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION) return true;
  if (member.organisation_kind == v1::BODY_ORGANISATION_KIND_STATE) return true;
  return member.organisation_kind == v1::BODY_ORGANISATION_KIND_MUNICIPALITY &&
         std::find(escalation.municipalities.begin(), escalation.municipalities.end(),
                   member.municipality) != escalation.municipalities.end();
}

bool SpendsMoney(EscalationDecisionOutcome outcome) {
  return outcome == v1::ESCALATION_DECISION_OUTCOME_GRANTED ||
         outcome == v1::ESCALATION_DECISION_OUTCOME_PARTLY_GRANTED;
}

absl::Status ValidateInput(const DecisionInput& input) {
  FieldViolations violations;
  violations.Require(input.outcome != v1::ESCALATION_DECISION_OUTCOME_UNSPECIFIED &&
                         v1::EscalationDecisionOutcome_IsValid(input.outcome),
                     "outcome", "is required");
  violations.Require(IsResourceName(input.body, "bodies"), "body",
                     "is required: the deciding body, e.g. bodies/sg-eemsdelta");
  violations.Require(input.meeting.empty() || IsResourceName(input.meeting, "meetings"), "meeting",
                     "must be a meeting name such as meetings/m-3, or empty");
  violations.Require(!Blank(input.rationale) && input.rationale.size() <= kMaxTextLength,
                     "rationale", "is required: the motivation of the decision (no personal data)");
  violations.Require(input.conditions.size() <= static_cast<size_t>(kMaxConditions), "conditions",
                     absl::StrCat("at most ", kMaxConditions, " conditions"));
  for (size_t i = 0; i < input.conditions.size(); ++i) {
    violations.Require(!Blank(input.conditions[i]) && input.conditions[i].size() <= 1000,
                       absl::StrCat("conditions[", i, "]"), "must be 1 to 1000 characters");
  }
  violations.Require(!input.present_members.empty(), "present_members",
                     "must list the member ids present, to check the quorum");
  std::set<std::string> present;
  for (size_t i = 0; i < input.present_members.size(); ++i) {
    violations.Require(present.insert(input.present_members[i]).second,
                       absl::StrCat("present_members[", i, "]"), "each member may appear only once");
  }
  std::set<std::string> voted;
  for (size_t i = 0; i < input.votes.size(); ++i) {
    const Vote& vote = input.votes[i];
    const std::string field = absl::StrCat("votes[", i, "]");
    if (violations.Require(!vote.member_id.empty(), absl::StrCat(field, ".member_id"),
                           "is required")) {
      violations.Require(voted.insert(vote.member_id).second, absl::StrCat(field, ".member_id"),
                         "one vote per member");
    }
    violations.Require(vote.choice != v1::ESCALATION_VOTE_CHOICE_UNSPECIFIED &&
                           v1::EscalationVoteChoice_IsValid(vote.choice),
                       absl::StrCat(field, ".choice"), "must be FOR, AGAINST or ABSTAIN");
    violations.Require(vote.note.size() <= 1000, absl::StrCat(field, ".note"),
                       "at most 1000 characters");
  }
  if (input.outcome == v1::ESCALATION_DECISION_OUTCOME_GRANTED) {
    violations.Require(input.amount_cents >= 0, "amount_cents",
                       "must be 0 (meaning the amount asked) or the amount asked");
  } else if (input.outcome == v1::ESCALATION_DECISION_OUTCOME_PARTLY_GRANTED) {
    violations.Require(input.amount_cents > 0, "amount_cents",
                       "a partial grant needs an amount above 0 and below the amount asked");
  } else {
    violations.Require(input.amount_cents == 0, "amount_cents",
                       "must be 0 unless the outcome is GRANTED or PARTLY_GRANTED");
    violations.Require(input.funding.empty(), "funding",
                       "must be empty unless the outcome is GRANTED or PARTLY_GRANTED");
  }
  if (input.outcome == v1::ESCALATION_DECISION_OUTCOME_REFERRED) {
    if (!input.referral.has_value()) {
      violations.Add("referral", "is required when the outcome is REFERRED: to whom and what");
    }
  } else {
    violations.Require(!input.referral.has_value(), "referral",
                       "only a REFERRED outcome carries a referral");
  }
  return violations.ToStatus();
}

}  // namespace

std::vector<const BodyMember*> CurrentMembers(const Body& body, absl::Time time) {
  std::vector<const BodyMember*> members;
  for (const BodyMember& member : body.members) {
    if (IsCurrent(member, time)) members.push_back(&member);
  }
  return members;
}

std::vector<const BodyMember*> EligibleVoters(const Body& body, const Escalation& escalation,
                                              const std::vector<std::string>& present,
                                              absl::Time time) {
  std::vector<const BodyMember*> voters;
  for (const std::string& member_id : present) {
    const BodyMember* member = FindCurrent(body, member_id, time);
    if (member != nullptr && MayVoteOn(*member, body, escalation)) voters.push_back(member);
  }
  return voters;
}

absl::Status CheckQuorum(const Body& body, const std::vector<std::string>& present,
                         absl::Time time) {
  int voting_members = 0;
  for (const BodyMember* member : CurrentMembers(body, time)) {
    if (member->voting) ++voting_members;
  }
  int voting_present = 0;
  std::set<int> kinds_present;
  for (const std::string& member_id : present) {
    const BodyMember* member = FindCurrent(body, member_id, time);
    if (member == nullptr || !member->voting) continue;
    ++voting_present;
    kinds_present.insert(member->organisation_kind);
  }
  const int needed = body.quorum.min_voting_members_present > 0
                         ? body.quorum.min_voting_members_present
                         : voting_members / 2 + 1;
  std::vector<std::string> missing_kinds;
  for (BodyOrganisationKind kind : body.quorum.required_kinds) {
    if (kinds_present.count(kind) == 0) missing_kinds.push_back(v1::BodyOrganisationKind_Name(kind));
  }
  if (voting_present >= needed && missing_kinds.empty()) return absl::OkStatus();
  std::string message = absl::StrCat(body.name, " has no quorum: ", voting_present,
                                     " voting member(s) present, ", needed, " needed");
  if (!missing_kinds.empty()) {
    absl::StrAppend(&message, "; no voting member present for ", absl::StrJoin(missing_kinds, ", "));
  }
  return Refused("NO_QUORUM", message,
                 {{"voting_members_present", absl::StrCat(voting_present)},
                  {"voting_members_needed", absl::StrCat(needed)},
                  {"missing_kinds", absl::StrJoin(missing_kinds, ",")}});
}

bool Carries(EscalationVotingRule rule, const VoteTally& tally) {
  switch (rule) {
    case v1::ESCALATION_VOTING_RULE_UNANIMITY:
      return tally.eligible > 0 && tally.votes_for == tally.eligible;
    case v1::ESCALATION_VOTING_RULE_TWO_THIRDS:
      return tally.eligible > 0 && 3 * tally.votes_for >= 2 * tally.eligible;
    case v1::ESCALATION_VOTING_RULE_CONSENSUS:
    default:
      return tally.votes_against == 0;
  }
}

absl::StatusOr<std::vector<Funding>> ResolveFunding(const Escalation& escalation,
                                                    int64_t amount_cents,
                                                    const std::vector<Funding>& requested,
                                                    const std::string& field) {
  if (!requested.empty()) {
    FieldViolations violations;
    violations.Require(requested.size() <= static_cast<size_t>(kMaxBudgetLines), field,
                       absl::StrCat("at most ", kMaxBudgetLines, " budget lines"));
    std::set<std::string> lines;
    int64_t total = 0;
    for (size_t i = 0; i < requested.size(); ++i) {
      const std::string line_field = absl::StrCat(field, "[", i, "]");
      if (violations.Require(IsResourceName(requested[i].budget_line, "budget-lines"),
                             absl::StrCat(line_field, ".budget_line"),
                             "must be a budget line name such as budget-lines/bl-12")) {
        violations.Require(lines.insert(requested[i].budget_line).second,
                           absl::StrCat(line_field, ".budget_line"),
                           "each budget line may appear only once");
      }
      if (violations.Require(requested[i].amount_cents > 0 &&
                                 requested[i].amount_cents <= kMaxAmountCents,
                             absl::StrCat(line_field, ".amount_cents"),
                             "must be more than 0 and at most 10^15 cents")) {
        total += requested[i].amount_cents;
      }
    }
    if (violations.empty()) {
      violations.Require(total == amount_cents, field,
                         absl::StrCat("must sum to the granted amount (", amount_cents,
                                      " cents), not ", total));
    }
    HERSTEL_RETURN_IF_ERROR(violations.ToStatus());
    return requested;
  }
  std::vector<Funding> funding;
  int64_t left = amount_cents;
  for (const Funding& part : escalation.budget_split) {
    if (left == 0) break;
    const int64_t take = std::min(left, part.amount_cents);
    funding.push_back({part.budget_line, take});
    left -= take;
  }
  if (left > 0) {
    return FieldError(field, "the escalation's budget split does not cover the amount; "
                             "give the funding explicitly");
  }
  return funding;
}

absl::StatusOr<Decision> PrepareDecision(const Escalation& escalation, const Body& body,
                                         const std::optional<Meeting>& meeting,
                                         const DecisionInput& input, EscalationVotingRule rule,
                                         const std::string& decided_by, absl::Time now) {
  HERSTEL_RETURN_IF_ERROR(ValidateInput(input));
  if (input.referral.has_value()) {
    HERSTEL_RETURN_IF_ERROR(ValidateReferral(*input.referral, "referral"));
  }
  if (IsTerminal(escalation.status)) return ClosedError(escalation, "decided again");
  if (escalation.status == v1::ESCALATION_STATUS_SUSPENDED) {
    return Refused("SUSPENDED", absl::StrCat(escalation.name, " is suspended (the clock stands "
                                             "still); resume it before deciding"));
  }
  if (body.name != escalation.body) {
    return Refused(
        "WRONG_LEVEL",
        absl::StrCat(body.name, " (", LevelLabel(body.level), ") cannot decide ", escalation.name,
                     ": it is at ", LevelLabel(escalation.level), ", handled by ", escalation.body),
        {{"escalation_level", v1::EscalationLevel_Name(escalation.level)},
         {"body_level", v1::EscalationLevel_Name(body.level)},
         {"expected_body", escalation.body}});
  }
  if (input.outcome == v1::ESCALATION_DECISION_OUTCOME_CANNOT_DECIDE &&
      NextLevel(escalation.level) == v1::ESCALATION_LEVEL_UNSPECIFIED) {
    return Refused("TOP_OF_LADDER",
                   "the regional consultation is the top of the ladder and must decide: grant, "
                   "deny or refer");
  }
  if (SpendsMoney(input.outcome) && escalation.decision_kind >= v1::DECISION_KIND_CHANGE_NATIONAL_RULES) {
    return Refused("NON_DELEGABLE_POWER",
                   absl::StrCat(v1::DecisionKind_Name(escalation.decision_kind),
                                " is a non-delegable power: no ladder level can grant it; refer "
                                "it to the organisation that owns the framework"));
  }
  if (meeting.has_value()) {
    if (meeting->body != body.name) {
      return Refused("MEETING_OF_OTHER_BODY",
                     absl::StrCat(meeting->name, " is a meeting of ", meeting->body, ", not of ",
                                  body.name));
    }
    if (meeting->status == v1::ESCALATION_MEETING_STATUS_CANCELLED) {
      return Refused("MEETING_CANCELLED", absl::StrCat(meeting->name, " was cancelled"));
    }
  }

  FieldViolations members;
  for (size_t i = 0; i < input.present_members.size(); ++i) {
    members.Require(FindCurrent(body, input.present_members[i], now) != nullptr,
                    absl::StrCat("present_members[", i, "]"),
                    absl::StrCat("'", input.present_members[i], "' holds no seat in ", body.name,
                                 " now"));
  }
  const std::vector<const BodyMember*> voters =
      EligibleVoters(body, escalation, input.present_members, now);
  for (size_t i = 0; i < input.votes.size(); ++i) {
    const std::string& member_id = input.votes[i].member_id;
    const std::string field = absl::StrCat("votes[", i, "].member_id");
    if (std::find(input.present_members.begin(), input.present_members.end(), member_id) ==
        input.present_members.end()) {
      members.Add(field, absl::StrCat("'", member_id, "' is not among present_members"));
      continue;
    }
    const bool eligible = std::any_of(voters.begin(), voters.end(), [&](const BodyMember* voter) {
      return voter->member_id == member_id;
    });
    members.Require(eligible, field,
                    body.level == v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION
                        ? absl::StrCat("'", member_id, "' may not vote here: at the administrative "
                                       "consultation only the state's seats and those of the "
                                       "municipalities involved vote")
                        : absl::StrCat("'", member_id, "' holds no voting seat"));
  }
  HERSTEL_RETURN_IF_ERROR(members.ToStatus());
  HERSTEL_RETURN_IF_ERROR(CheckQuorum(body, input.present_members, now));

  VoteTally tally;
  tally.eligible = static_cast<int>(voters.size());
  for (const Vote& vote : input.votes) {
    if (vote.choice == v1::ESCALATION_VOTE_CHOICE_FOR) ++tally.votes_for;
    if (vote.choice == v1::ESCALATION_VOTE_CHOICE_AGAINST) ++tally.votes_against;
    if (vote.choice == v1::ESCALATION_VOTE_CHOICE_ABSTAIN) ++tally.abstentions;
  }
  if (input.outcome != v1::ESCALATION_DECISION_OUTCOME_CANNOT_DECIDE && !Carries(rule, tally)) {
    return Refused(
        "VOTE_NOT_CARRIED",
        absl::StrCat("the decision is not carried under ", v1::EscalationVotingRule_Name(rule),
                     " for ", v1::DecisionKind_Name(escalation.decision_kind), ": ",
                     tally.votes_for, " for, ", tally.votes_against, " against, ",
                     tally.abstentions, " abstaining of ", tally.eligible,
                     " present voting members"),
        {{"voting_rule", v1::EscalationVotingRule_Name(rule)},
         {"votes_for", absl::StrCat(tally.votes_for)},
         {"votes_against", absl::StrCat(tally.votes_against)},
         {"abstentions", absl::StrCat(tally.abstentions)},
         {"eligible", absl::StrCat(tally.eligible)}});
  }

  int64_t amount = 0;
  if (input.outcome == v1::ESCALATION_DECISION_OUTCOME_GRANTED) {
    if (input.amount_cents != 0 && input.amount_cents != escalation.amount_asked_cents) {
      return FieldError("amount_cents",
                        absl::StrCat("a full grant is the amount asked (",
                                     escalation.amount_asked_cents,
                                     " cents) or 0; use PARTLY_GRANTED for less"));
    }
    amount = escalation.amount_asked_cents;
  } else if (input.outcome == v1::ESCALATION_DECISION_OUTCOME_PARTLY_GRANTED) {
    if (input.amount_cents >= escalation.amount_asked_cents) {
      return FieldError("amount_cents",
                        absl::StrCat("a partial grant is below the amount asked (",
                                     escalation.amount_asked_cents, " cents)"));
    }
    amount = input.amount_cents;
  }
  if (amount == 0 && !input.funding.empty()) {
    return FieldError("funding", "must be empty when no money is granted");
  }

  Decision decision;
  if (amount > 0) {
    HERSTEL_ASSIGN_OR_RETURN(decision.funding,
                             ResolveFunding(escalation, amount, input.funding, "funding"));
  }
  decision.escalation = escalation.name;
  decision.level = escalation.level;
  decision.body = body.name;
  decision.meeting = input.meeting;
  decision.outcome = input.outcome;
  decision.decision_kind = escalation.decision_kind;
  decision.amount_asked_cents = escalation.amount_asked_cents;
  decision.amount_cents = amount;
  decision.conditions = input.conditions;
  decision.rationale = input.rationale;
  decision.votes = input.votes;
  decision.present_members = input.present_members;
  decision.voting_rule = rule;
  if (input.referral.has_value()) {
    decision.referral = input.referral;
    decision.referral->refer_time = now;
    decision.referral->referred_by = decided_by;
  }
  decision.within_term = now < escalation.due_time;
  decision.spendable_status = amount > 0 ? v1::ESCALATION_SPENDABLE_STATUS_PENDING
                                         : v1::ESCALATION_SPENDABLE_STATUS_NOT_APPLICABLE;
  decision.decided_by = decided_by;
  decision.decide_time = now;
  decision.update_time = now;
  return decision;
}

void ApplyDecision(Escalation& escalation, const Decision& decision) {
  escalation.decisions.push_back(decision.name);
  escalation.update_time = decision.decide_time;
  switch (decision.outcome) {
    case v1::ESCALATION_DECISION_OUTCOME_CANNOT_DECIDE:
      return;
    case v1::ESCALATION_DECISION_OUTCOME_REFERRED:
      escalation.status = v1::ESCALATION_STATUS_REFERRED;
      escalation.referral = decision.referral;
      break;
    default:
      escalation.status = v1::ESCALATION_STATUS_DECIDED;
      break;
  }
  escalation.meeting.clear();
  escalation.close_time = decision.decide_time;
}

}  // namespace herstel::escalation
