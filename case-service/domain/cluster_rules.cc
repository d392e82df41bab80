#include "domain/cluster_rules.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "domain/validation.h"
#include "herstel/errors.h"

namespace herstel::case_service {
namespace {

// A violation list whose code depends on what went wrong.
absl::Status MembersRefused(const FieldViolations& violations, bool all_unknown,
                            absl::string_view summary) {
  absl::Status status = violations.ToStatus();
  std::optional<v1::ErrorDetail> detail = GetErrorDetail(status);
  v1::ErrorDetail refused = detail.value_or(v1::ErrorDetail());
  if (all_unknown) {
    refused.set_reason("CASE_NOT_FOUND");
    return WithDetail(absl::NotFoundError(summary), refused);
  }
  refused.set_reason("CLUSTER_MEMBERS_REFUSED");
  return WithDetail(absl::FailedPreconditionError(summary), refused);
}

}  // namespace

absl::Status ValidateClusterAdditions(absl::string_view cluster, absl::string_view municipality,
                                      int member_count,
                                      const std::vector<ClusterCandidate>& candidates) {
  FieldViolations violations;
  bool all_unknown = true;
  std::set<std::string> seen;
  for (const ClusterCandidate& candidate : candidates) {
    if (!seen.insert(candidate.name).second) {
      violations.Add(candidate.name, "is named more than once");
      all_unknown = false;
    } else if (!candidate.found) {
      violations.Add(candidate.name, "no such case in your municipality scope");
    } else if (candidate.municipality != municipality) {
      violations.Add(candidate.name, absl::StrCat("lies in ", candidate.municipality,
                                                  "; a cluster holds cases of ", municipality,
                                                  " only"));
      all_unknown = false;
    } else if (candidate.cluster == cluster) {
      violations.Add(candidate.name, absl::StrCat("is already a member of ", cluster));
      all_unknown = false;
    } else if (!candidate.cluster.empty()) {
      violations.Add(candidate.name, absl::StrCat("already belongs to ", candidate.cluster,
                                                  "; remove it there first"));
      all_unknown = false;
    }
  }
  if (member_count + static_cast<int>(seen.size()) > kMaxClusterCases) {
    violations.Add("cases", absl::StrCat("the cluster has ", member_count, " cases; adding ",
                                         seen.size(), " would exceed the maximum of ",
                                         kMaxClusterCases));
    all_unknown = false;
  }
  if (violations.empty()) return absl::OkStatus();
  return MembersRefused(violations, all_unknown,
                        absl::StrCat("no case was added to ", cluster,
                                     ": every refused case is listed in the field violations"));
}

absl::Status ValidateClusterRemovals(absl::string_view cluster,
                                     const std::vector<ClusterCandidate>& candidates) {
  FieldViolations violations;
  bool all_unknown = true;
  std::set<std::string> seen;
  for (const ClusterCandidate& candidate : candidates) {
    if (!seen.insert(candidate.name).second) {
      violations.Add(candidate.name, "is named more than once");
      all_unknown = false;
    } else if (!candidate.found) {
      violations.Add(candidate.name, "no such case in your municipality scope");
    } else if (candidate.cluster != cluster) {
      violations.Add(candidate.name, absl::StrCat("is not a member of ", cluster));
      all_unknown = false;
    }
  }
  if (violations.empty()) return absl::OkStatus();
  return MembersRefused(violations, all_unknown,
                        absl::StrCat("no case was removed from ", cluster,
                                     ": every refused case is listed in the field violations"));
}

absl::StatusOr<std::vector<AdvanceBlocker>> FindAdvanceBlockers(
    v1::Track track, v1::Phase from_phase, const std::vector<ClusterMember>& members) {
  if (from_phase == v1::PHASE_UNSPECIFIED || !v1::Phase_IsValid(from_phase)) {
    return FieldError("from_phase", "must name the phase every member is in now");
  }
  std::optional<v1::Phase> next = NextPhase(from_phase);
  if (!next.has_value()) {
    return FieldError("from_phase", "PHASE_COMPLETION has no next phase; complete tracks one by one");
  }
  if (members.empty()) {
    return DomainError(absl::StatusCode::kFailedPrecondition, "CLUSTER_EMPTY",
                       "the cluster has no cases to advance");
  }
  std::vector<AdvanceBlocker> blockers;
  for (const ClusterMember& member : members) {
    const TrackState* state = FindTrack(member.tracks, track);
    if (state == nullptr) {
      blockers.push_back({member.name, "TRACK_MISSING",
                          absl::StrCat("the case has no ", v1::Track_Name(track), " track"),
                          v1::PHASE_UNSPECIFIED});
    } else if (state->completed) {
      blockers.push_back({member.name, "TRACK_COMPLETED",
                          absl::StrCat("the ", v1::Track_Name(track), " track is completed"),
                          state->phase});
    } else if (state->phase != from_phase) {
      blockers.push_back({member.name, "WRONG_PHASE",
                          absl::StrCat("the case is in ", v1::Phase_Name(state->phase), ", not ",
                                       v1::Phase_Name(from_phase)),
                          state->phase});
    }
  }
  return blockers;
}

v1::RiskCategory TopRiskCategory(const std::vector<v1::RiskCategory>& risks) {
  v1::RiskCategory top = v1::RISK_CATEGORY_UNSPECIFIED;
  int top_rank = 4;
  for (v1::RiskCategory risk : risks) {
    int rank = PriorityRank(risk);
    if (rank < top_rank || (rank == top_rank && top == v1::RISK_CATEGORY_UNSPECIFIED)) {
      top = risk;
      top_rank = rank;
    }
  }
  return top;
}

std::vector<std::string> EffectiveClusterOrder(std::vector<ClusterStanding> clusters,
                                               const std::vector<std::string>& override_order) {
  std::map<std::string, int> override_position;
  for (size_t i = 0; i < override_order.size(); ++i) {
    override_position.emplace(override_order[i], static_cast<int>(i));
  }
  std::sort(clusters.begin(), clusters.end(),
            [&](const ClusterStanding& a, const ClusterStanding& b) {
              auto a_override = override_position.find(a.name);
              auto b_override = override_position.find(b.name);
              bool a_listed = a_override != override_position.end();
              bool b_listed = b_override != override_position.end();
              if (a_listed != b_listed) return a_listed;
              if (a_listed) return a_override->second < b_override->second;
              int a_rank = PriorityRank(a.top_risk_category);
              int b_rank = PriorityRank(b.top_risk_category);
              if (a_rank != b_rank) return a_rank < b_rank;
              if (a.max_days_in_phase != b.max_days_in_phase) {
                return a.max_days_in_phase > b.max_days_in_phase;
              }
              return a.name < b.name;
            });
  std::vector<std::string> order;
  order.reserve(clusters.size());
  for (const ClusterStanding& cluster : clusters) order.push_back(cluster.name);
  return order;
}

absl::Status ValidateSteeringGroupDecision(const SteeringGroupDecision& decision, absl::Time now,
                                           absl::string_view field) {
  FieldViolations violations;
  violations.Require(!decision.decision.empty() || !decision.minutes_reference.empty(),
                     absl::StrCat(field, ".decision"),
                     "name the escalation decision or give a minutes_reference: an override "
                     "needs a recorded steering-group decision");
  violations.Require(!absl::StripAsciiWhitespace(decision.decided_by).empty(),
                     absl::StrCat(field, ".decided_by"), "is required: the body that decided");
  violations.Require(decision.decide_time.has_value(), absl::StrCat(field, ".decide_time"),
                     "is required: when the body decided");
  if (decision.decide_time.has_value()) {
    violations.Require(*decision.decide_time <= now + absl::Minutes(1),
                       absl::StrCat(field, ".decide_time"), "must not lie in the future");
  }
  violations.Require(!absl::StripAsciiWhitespace(decision.rationale).empty(),
                     absl::StrCat(field, ".rationale"), "is required: why, in a sentence or two");
  for (const std::string* text : {&decision.decision, &decision.minutes_reference,
                                  &decision.decided_by, &decision.rationale}) {
    if (text->size() > kMaxTextLength) {
      violations.Add(field, absl::StrCat("texts must be at most ", kMaxTextLength, " characters"));
      break;
    }
  }
  return violations.ToStatus();
}

absl::Status ValidateClusterOrder(const std::vector<std::string>& order,
                                  const std::vector<std::string>& municipality_clusters) {
  FieldViolations violations;
  if (order.empty() || order.size() > static_cast<size_t>(kMaxClusterOrderEntries)) {
    violations.Add("cluster_order", absl::StrCat("must list 1 to ", kMaxClusterOrderEntries, " clusters"));
  }
  std::set<std::string> known(municipality_clusters.begin(), municipality_clusters.end());
  std::set<std::string> seen;
  for (size_t i = 0; i < order.size() && i < static_cast<size_t>(kMaxClusterOrderEntries); ++i) {
    std::string path = absl::StrCat("cluster_order[", i, "]");
    if (!seen.insert(order[i]).second) {
      violations.Add(path, absl::StrCat(order[i], " appears more than once"));
    } else if (known.count(order[i]) == 0) {
      violations.Add(path, absl::StrCat(order[i], " is not a cluster of this municipality"));
    }
  }
  return violations.ToStatus();
}

}  // namespace herstel::case_service
