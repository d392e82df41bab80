// Clusters (treintjes): up to 150 cases of one municipality that run the
// chain together, and the priority order of a municipality's clusters (an
// override recorded from a steering-group decision first, then AOS, P50,
// P90, others, then longest waiting). Plain structs; no gRPC, no SQL.
#ifndef HERSTEL_CASE_SERVICE_DOMAIN_CLUSTER_RULES_H_
#define HERSTEL_CASE_SERVICE_DOMAIN_CLUSTER_RULES_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "domain/case_rules.h"
#include "herstel/v1/common.pb.h"

namespace herstel::case_service {

inline constexpr int kMaxClusterCases = 150;
inline constexpr int kMaxClusterOrderEntries = 1000;

// What the cluster rules need to know about one case named in a request.
struct ClusterCandidate {
  std::string name;          // "cases/{case}" as given
  bool found = false;        // exists and lies in the caller's scope
  std::string municipality;  // of the case
  std::string cluster;       // "clusters/{c}" it belongs to, or empty
};

// Adding `candidates` to `cluster` (in `municipality`, `member_count` members
// now): all or none. One violation per refused case (field = the case name):
// unknown, another municipality, already in a cluster, named twice; plus one
// on "cases" when the cluster would exceed 150. NOT_FOUND when every problem
// is an unknown case, FAILED_PRECONDITION (CLUSTER_MEMBERS_REFUSED) otherwise.
absl::Status ValidateClusterAdditions(absl::string_view cluster, absl::string_view municipality,
                                      int member_count,
                                      const std::vector<ClusterCandidate>& candidates);

// Removing `candidates` from `cluster`: each must be a member, named once.
absl::Status ValidateClusterRemovals(absl::string_view cluster,
                                     const std::vector<ClusterCandidate>& candidates);

// One member as the advance sees it.
struct ClusterMember {
  std::string name;  // "cases/{case}"
  std::vector<TrackState> tracks;
};

struct AdvanceBlocker {
  std::string case_name;
  std::string reason;  // WRONG_PHASE, TRACK_MISSING, TRACK_COMPLETED
  std::string description;
  v1::Phase phase = v1::PHASE_UNSPECIFIED;
};

// The blockers of moving every member's `track` from `from_phase` to the
// next phase; empty when all can move. INVALID_ARGUMENT when from_phase has
// no next phase, FAILED_PRECONDITION (CLUSTER_EMPTY) without members.
absl::StatusOr<std::vector<AdvanceBlocker>> FindAdvanceBlockers(
    v1::Track track, v1::Phase from_phase, const std::vector<ClusterMember>& members);

// Facts about one cluster that its place in the order depends on.
struct ClusterStanding {
  std::string name;  // "clusters/{c}"
  v1::RiskCategory top_risk_category = v1::RISK_CATEGORY_UNSPECIFIED;
  int max_days_in_phase = 0;
};

// The highest-priority category of `risks` (AOS, P50, P90, then others);
// UNSPECIFIED for none.
v1::RiskCategory TopRiskCategory(const std::vector<v1::RiskCategory>& risks);

// The effective order of one municipality's clusters, highest first: the
// override's clusters in its order (names not in `clusters` are skipped),
// then the rest by top risk, then longest waiting, then name.
std::vector<std::string> EffectiveClusterOrder(std::vector<ClusterStanding> clusters,
                                               const std::vector<std::string>& override_order);

// The recorded decision behind an override (or its clearing).
struct SteeringGroupDecision {
  std::string decision;           // "escalations/e/decisions/d", or
  std::string minutes_reference;  // a reference to the minutes
  std::string decided_by;
  std::optional<absl::Time> decide_time;
  std::string rationale;
};

// decided_by, decide_time (not in the future), rationale and one of
// decision or minutes_reference are required. `field` prefixes paths.
absl::Status ValidateSteeringGroupDecision(const SteeringGroupDecision& decision, absl::Time now,
                                           absl::string_view field);

// 1 to 1000 clusters, no duplicates, each one of `municipality_clusters`.
absl::Status ValidateClusterOrder(const std::vector<std::string>& order,
                                  const std::vector<std::string>& municipality_clusters);

}  // namespace herstel::case_service

#endif  // HERSTEL_CASE_SERVICE_DOMAIN_CLUSTER_RULES_H_
