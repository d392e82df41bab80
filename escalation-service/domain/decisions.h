// Decisions of a body on an escalation: who may be present and vote, the
// quorum, the voting rules (consensus by default; unanimity or two thirds per
// decision kind), amounts and funding, and what a decision does to the
// escalation.
//
// Refusals (FAILED_PRECONDITION): ALREADY_DECIDED, ESCALATION_CLOSED,
// SUSPENDED, WRONG_LEVEL, TOP_OF_LADDER (CANNOT_DECIDE at level 3),
// NON_DELEGABLE_POWER (granting a non-delegable kind), NO_QUORUM,
// VOTE_NOT_CARRIED, MEETING_OF_OTHER_BODY, MEETING_CANCELLED. Bad input is
// INVALID_ARGUMENT with one field violation per broken rule.
#ifndef HERSTEL_ESCALATION_DOMAIN_DECISIONS_H_
#define HERSTEL_ESCALATION_DOMAIN_DECISIONS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "domain/model.h"

namespace herstel::escalation {

inline constexpr int kMaxConditions = 50;

struct DecisionInput {
  std::string body;
  std::string meeting;
  EscalationDecisionOutcome outcome = v1::ESCALATION_DECISION_OUTCOME_UNSPECIFIED;
  int64_t amount_cents = 0;
  std::vector<Funding> funding;
  std::vector<std::string> conditions;
  std::string rationale;
  std::vector<Vote> votes;
  std::vector<std::string> present_members;
  std::optional<Referral> referral;
};

// Members holding a seat at `time` (membership started, not yet ended).
std::vector<const BodyMember*> CurrentMembers(const Body& body, absl::Time time);

// Members of `present` entitled to vote on `escalation` at `time`: current
// voting seats; at the administrative consultation only the state's seats
// and those of the municipalities involved.
std::vector<const BodyMember*> EligibleVoters(const Body& body, const Escalation& escalation,
                                              const std::vector<std::string>& present,
                                              absl::Time time);

// NO_QUORUM unless enough current voting members are present (the body's
// minimum, or a simple majority when 0) and every required organisation kind
// has a voting member present.
absl::Status CheckQuorum(const Body& body, const std::vector<std::string>& present,
                         absl::Time time);

struct VoteTally {
  int eligible = 0;
  int votes_for = 0;
  int votes_against = 0;
  int abstentions = 0;
};
// Whether `tally` carries under `rule`:
//  CONSENSUS: nobody votes AGAINST (omitted votes record consensus);
//  UNANIMITY: every eligible present member votes FOR;
//  TWO_THIRDS: FOR votes are at least two thirds of the eligible present members.
bool Carries(EscalationVotingRule rule, const VoteTally& tally);

// Everything a decision needs before it is recorded: the escalation can be
// decided by `body` now, the input is well formed, members are present and
// eligible, the quorum is met and the vote carries under `rule` (a
// CANNOT_DECIDE outcome needs the quorum but no carried vote). Answers the
// decision with amount and funding resolved and spendable_status
// NOT_APPLICABLE (nothing to spend) or PENDING (to be reserved).
absl::StatusOr<Decision> PrepareDecision(const Escalation& escalation, const Body& body,
                                         const std::optional<Meeting>& meeting,
                                         const DecisionInput& input, EscalationVotingRule rule,
                                         const std::string& decided_by, absl::Time now);

// The funding of `amount_cents`: `requested` when given (must sum to it),
// else the escalation's budget split taken line by line until covered.
absl::StatusOr<std::vector<Funding>> ResolveFunding(const Escalation& escalation,
                                                    int64_t amount_cents,
                                                    const std::vector<Funding>& requested,
                                                    const std::string& field);

// What the decision does to the escalation: DECIDED or REFERRED (closed), or
// for CANNOT_DECIDE nothing here (the caller moves it up one level).
void ApplyDecision(Escalation& escalation, const Decision& decision);

}  // namespace herstel::escalation

#endif  // HERSTEL_ESCALATION_DOMAIN_DECISIONS_H_
