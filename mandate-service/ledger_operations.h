// The mandate-service's use cases inside one store transaction: the domain
// rules (domain/) applied to what the store holds (store/), the journal
// postings, and the events. The gRPC layer calls these inside
// herstel::RunIdempotent, so each use case commits whole or not at all.
#ifndef HERSTEL_MANDATE_LEDGER_OPERATIONS_H_
#define HERSTEL_MANDATE_LEDGER_OPERATIONS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "domain/mandate_rules.h"
#include "herstel/outbox.h"
#include "herstel/store.h"
#include "herstel/v1/mandate_service.pb.h"

namespace herstel::mandate {

// Who asked, for journal entries and events.
struct Actor {
  std::string subject;
  std::string request_id;
};

// The decision check for `query`: under the one-off `authorisation` when
// one is named, else over every mandate covering the kind. Writes nothing.
absl::StatusOr<v1::MandateCheckResult> CheckDecision(Transaction& tx, const DecisionQuery& query,
                                                     absl::string_view authorisation, bool explain);

// Keeps `result` of a check in the decision log for auditors and sets its
// decision_log_entry. `reservation` names what CheckAndReserve reserved.
absl::Status LogCheck(Transaction& tx, const DecisionQuery& query, v1::MandateCheckResult& result,
                      v1::DecisionLogOperation operation, absl::string_view reference,
                      absl::string_view reservation, const Actor& actor);

// Reserves `lines` all-or-nothing: NOT_FOUND for an unknown line,
// FAILED_PRECONDITION INSUFFICIENT_BUDGET (naming the line) when one can't
// cover its part. `mandate` (may be empty) has its yearly usage raised.
absl::StatusOr<v1::Reservation> ReserveLines(Transaction& tx,
                                             const google::protobuf::RepeatedPtrField<v1::BudgetLineAmount>& lines,
                                             v1::Reservation reservation, int usage_year,
                                             const Actor& actor);

// Commits `amounts` (empty: everything) of an active reservation and releases
// the rest. INVALID_ARGUMENT COMMIT_EXCEEDS_RESERVATION when a line commits
// more than it holds; FAILED_PRECONDITION when the reservation is not active.
absl::StatusOr<v1::Reservation> CommitReservation(
    Transaction& tx, v1::Reservation reservation,
    const google::protobuf::RepeatedPtrField<v1::BudgetLineAmount>& amounts, const Actor& actor);

// Releases what an active reservation still holds, as an explicit release
// (with `reason`) or an expiry. FAILED_PRECONDITION when not active.
absl::StatusOr<v1::Reservation> ReleaseReservation(Transaction& tx, v1::Reservation reservation,
                                                   bool expired, absl::string_view reason,
                                                   const Actor& actor);

// Releases every reservation and lapses every authorisation due at `now`, at
// most `limit` of each. Returns how many it handled.
absl::StatusOr<int> ExpireDue(Transaction& tx, absl::Time now, int limit);

}  // namespace herstel::mandate

#endif  // HERSTEL_MANDATE_LEDGER_OPERATIONS_H_
