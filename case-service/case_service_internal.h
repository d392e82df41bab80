// Helpers the case-service's gRPC files share: time conversion, turning a
// stored case into the answer shape, the tracks between proto and domain,
// loading a resource for a caller, and the page-token query text.
// Internal to the case-service.
#ifndef HERSTEL_CASE_SERVICE_CASE_SERVICE_INTERNAL_H_
#define HERSTEL_CASE_SERVICE_CASE_SERVICE_INTERNAL_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "domain/authorization.h"
#include "domain/case_rules.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/server_context.h"
#include "herstel/errors.h"
#include "herstel/identity.h"
#include "herstel/outbox.h"
#include "herstel/status_macros.h"
#include "store/case_store.h"

namespace herstel::case_service {

inline google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(time));
}
inline absl::Time FromTimestamp(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixMicros(google::protobuf::util::TimeUtil::TimestampToMicroseconds(timestamp));
}
// Timestamps from requests: INVALID_ARGUMENT naming `field` when out of range.
absl::StatusOr<absl::Time> RequestTime(const google::protobuf::Timestamp& timestamp,
                                       absl::string_view field);

inline absl::Time InboundDeadline(const grpc::ServerContext& context) {
  return absl::FromChrono(context.deadline());
}

inline EventOrigin OriginOf(const Caller& caller, absl::string_view request_id) {
  return EventOrigin{std::string(request_id), caller.subject};
}

std::vector<TrackState> TracksOf(const v1::Case& record);
// A repeated Track field as a vector.
inline std::vector<v1::Track> TrackList(const google::protobuf::RepeatedField<int>& tracks) {
  std::vector<v1::Track> list;
  for (int track : tracks) list.push_back(static_cast<v1::Track>(track));
  return list;
}
void SetTracks(v1::Case& record, const std::vector<TrackState>& tracks);

// Fills the output-only, time-dependent fields (etag, urgent, days_in_phase).
void PresentCase(v1::Case& record, int64_t version, absl::Time now);

// Loads case `case_id` for `action`: the caller's role must allow it (checked
// by the caller of this function) and the scope must cover the case's
// municipality: for reads a case outside the scope is NOT_FOUND, for changes
// PERMISSION_DENIED naming the rule.
absl::StatusOr<Versioned<v1::Case>> LoadCaseFor(Transaction& tx, int64_t case_id,
                                                const Caller& caller, CaseAction action);
// The scope check alone, with the same read/change distinction.
absl::Status CheckScopeFor(const Caller& caller, absl::string_view municipality,
                           CaseAction action, absl::string_view resource_name);

// Restricts a list to the caller's scope (nothing for "*"); when the filter
// names a municipality outside the scope, PERMISSION_DENIED.
absl::Status RestrictToScope(const Caller& caller, const std::optional<std::string>& municipality,
                             absl::string_view column, SqlConditions& conditions);

// Field-mask paths of `mask` must be among `allowed`; an empty mask is refused.
absl::Status ValidateMask(const google::protobuf::RepeatedPtrField<std::string>& paths,
                          const std::vector<std::string>& allowed);

// An etag is required on Update* calls.
absl::Status RequireEtag(absl::string_view etag, absl::string_view field);

// Text of a page-token query: the filter's canonical text and the order.
std::string PageQuery(const std::string& filter_canonical, absl::string_view order_by);

// "cases/-" (all cases) → nullopt; "cases/{id}" → id.
absl::StatusOr<std::optional<int64_t>> ParseCaseParent(absl::string_view parent);

}  // namespace herstel::case_service

#endif  // HERSTEL_CASE_SERVICE_CASE_SERVICE_INTERNAL_H_
