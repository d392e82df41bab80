// Reads and writes of the mandate-service's resources inside a transaction
// of herstel::Store. No rules live here: callers check them first (see
// domain/). Resources are kept whole as protobuf blobs; etags are derived
// from their content, so they change exactly when the resource does.
#ifndef HERSTEL_MANDATE_STORE_MANDATE_STORE_H_
#define HERSTEL_MANDATE_STORE_MANDATE_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "domain/ledger.h"
#include "domain/mandate_rules.h"
#include "herstel/listing.h"
#include "herstel/store.h"
#include "herstel/v1/mandate_service.pb.h"
#include "store/keyset.h"

namespace herstel::mandate::store {

// A page of a list.
template <typename Message>
struct ListResult {
  std::vector<Message> items;
  std::string next_page_token;
};

// Paging parameters of a List request, already validated.
struct PageRequest {
  int page_size = kDefaultPageSize;
  std::string page_token;
};

// ---- Mandates ---------------------------------------------------------------

// Stores a new mandate named "mandates/{id}" (generated "m-<n>" when `id` is
// empty); fills name, create_time and etag. ALREADY_EXISTS for a taken id.
absl::StatusOr<v1::Mandate> InsertMandate(Transaction& tx, v1::Mandate mandate, absl::string_view id);
// Stores a changed mandate (state, revocation) and refreshes its etag.
absl::Status SaveMandate(Transaction& tx, v1::Mandate& mandate);
// The mandate named `name`; NOT_FOUND when there is none.
absl::StatusOr<v1::Mandate> GetMandate(Transaction& tx, absl::string_view name);
// Direct sub-mandates of `name`.
absl::StatusOr<std::vector<v1::Mandate>> ChildMandates(Transaction& tx, absl::string_view name);
// Number of mandates ever granted.
absl::StatusOr<int64_t> CountMandates(Transaction& tx);
// Every mandate covering `kind`, with its ancestors and its usage in `year`.
absl::StatusOr<std::vector<MandateInContext>> MandatesCoveringKind(Transaction& tx,
                                                                   v1::DecisionKind kind, int year);
// Adds `delta_cents` (may be negative) to what was used under `mandate` in `year`.
absl::Status AddMandateUsage(Transaction& tx, absl::string_view mandate, int year, int64_t delta_cents);
// Usage of `mandate` in `year`.
absl::StatusOr<int64_t> MandateUsage(Transaction& tx, absl::string_view mandate, int year);
// A page of mandates. Filter fields: state, grantor_kind, holder_role,
// holder_organisation, holder_municipality, holder_level, decision_kind,
// parent, valid_at. Orders: create_time (default), valid_until.
absl::StatusOr<ListResult<v1::Mandate>> ListMandates(Transaction& tx, absl::string_view filter,
                                                     absl::string_view order_by,
                                                     const PageRequest& page);

// ---- Decision log -----------------------------------------------------------

// Appends `entry`, filling its name; returns the name.
absl::StatusOr<std::string> AppendDecisionLog(Transaction& tx, v1::MandateDecisionLogEntry& entry);
// A page of the log. Filter fields as in ListDecisionLogRequest.
absl::StatusOr<ListResult<v1::MandateDecisionLogEntry>> ListDecisionLog(
    Transaction& tx, absl::string_view filter, absl::string_view order_by, const PageRequest& page);

// ---- Authorisations ---------------------------------------------------------

absl::StatusOr<v1::Authorisation> InsertAuthorisation(Transaction& tx, v1::Authorisation authorisation);
absl::Status SaveAuthorisation(Transaction& tx, v1::Authorisation& authorisation);
absl::StatusOr<v1::Authorisation> GetAuthorisation(Transaction& tx, absl::string_view name);
absl::StatusOr<ListResult<v1::Authorisation>> ListAuthorisations(Transaction& tx,
                                                                 absl::string_view filter,
                                                                 const PageRequest& page);
// Active authorisations whose expire_time is at or before `now`, at most `limit`.
absl::StatusOr<std::vector<v1::Authorisation>> AuthorisationsDueToExpire(Transaction& tx,
                                                                         absl::Time now, int limit);

// ---- Budget lines and the journal -------------------------------------------

// Stores a new line with zero totals, named "budget-lines/{id}" (generated
// "bl-<n>" when `id` is empty). ALREADY_EXISTS for a taken id.
absl::StatusOr<v1::BudgetLine> InsertBudgetLine(Transaction& tx, v1::BudgetLine line, absl::string_view id);
// The line with its current totals; NOT_FOUND when unknown.
absl::StatusOr<v1::BudgetLine> GetBudgetLine(Transaction& tx, absl::string_view name);
// Totals of a line as the domain computes with them.
LineTotals TotalsOf(const v1::BudgetLine& line);
// Stores a line's descriptive fields and `totals`; refreshes update_time and etag.
absl::Status SaveBudgetLine(Transaction& tx, v1::BudgetLine& line, const LineTotals& totals);
// A page of lines. Filter: source, owner, municipality, area, year. Orders:
// name (default), year, available_cents.
absl::StatusOr<ListResult<v1::BudgetLine>> ListBudgetLines(Transaction& tx, absl::string_view filter,
                                                           absl::string_view order_by,
                                                           const PageRequest& page);

// Who and which request posted a movement.
struct PostingOrigin {
  std::string request_id;
  std::string actor;
  absl::Time post_time;
};

// Posts the two entries of `movement` (from `from_line` to `to_line`, the
// same line except for transfers). Returns the movement id.
absl::StatusOr<int64_t> PostMovement(Transaction& tx, absl::string_view from_line,
                                     absl::string_view to_line, const Movement& movement,
                                     absl::string_view reservation, const PostingOrigin& origin);
// A page of the journal of `parent` ("budget-lines/{l}" or "budget-lines/-").
absl::StatusOr<ListResult<v1::JournalEntry>> ListJournal(Transaction& tx, absl::string_view parent,
                                                         absl::string_view filter,
                                                         const PageRequest& page);
// Totals of `line` from the journal at `as_of` (inclusive; a future moment means now).
absl::StatusOr<v1::BudgetBalance> BalanceAsOf(Transaction& tx, absl::string_view line, absl::Time as_of);
// Sum of every journal entry (must be zero) and the number of entries.
absl::StatusOr<std::pair<int64_t, int64_t>> JournalSum(Transaction& tx);

// ---- Reservations -----------------------------------------------------------

// Stores a new reservation named "reservations/r-<n>"; `usage_year` is the
// year its amount counts against its mandate's yearly cap.
absl::StatusOr<v1::Reservation> InsertReservation(Transaction& tx, v1::Reservation reservation,
                                                  int usage_year);
absl::Status SaveReservation(Transaction& tx, v1::Reservation& reservation);
absl::StatusOr<v1::Reservation> GetReservation(Transaction& tx, absl::string_view name);
// Year the reservation's amount counts against its mandate's cap.
absl::StatusOr<int> ReservationUsageYear(Transaction& tx, absl::string_view name);
absl::StatusOr<ListResult<v1::Reservation>> ListReservations(Transaction& tx, absl::string_view filter,
                                                             absl::string_view order_by,
                                                             const PageRequest& page);
// Active reservations whose expire_time is at or before `now`, at most `limit`.
absl::StatusOr<std::vector<v1::Reservation>> ReservationsDueToExpire(Transaction& tx, absl::Time now,
                                                                     int limit);

}  // namespace herstel::mandate::store

#endif  // HERSTEL_MANDATE_STORE_MANDATE_STORE_H_
