#include "ledger_operations.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "domain/ledger.h"
#include "domain/money.h"
#include "google/protobuf/util/time_util.h"
#include "herstel/errors.h"
#include "herstel/status_macros.h"
#include "store/mandate_store.h"

namespace herstel::mandate {

using namespace ::herstel::mandate::store;  // the store functions this file composes

namespace {

using google::protobuf::util::TimeUtil;

google::protobuf::Timestamp Timestamp(absl::Time time) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(time));
}

absl::Time ToTime(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(timestamp));
}

EventOrigin OriginOf(const Actor& actor) { return {actor.request_id, actor.subject}; }

PostingOrigin PostingOf(const Actor& actor) { return {actor.request_id, actor.subject, absl::Now()}; }

v1::BudgetBalance BalanceOf(const v1::BudgetLine& line) {
  v1::BudgetBalance balance;
  balance.set_budget_line(line.name());
  balance.set_ceiling_cents(line.ceiling_cents());
  balance.set_reserved_cents(line.reserved_cents());
  balance.set_committed_cents(line.committed_cents());
  balance.set_available_cents(line.available_cents());
  *balance.mutable_as_of_time() = line.update_time();
  return balance;
}

// Moves `amount_cents` of `line_name` from reserved back to available.
absl::Status ReleaseOnLine(Transaction& tx, absl::string_view line_name, int64_t amount_cents,
                           v1::JournalMovementKind kind, absl::string_view reservation,
                           const Actor& actor, v1::BudgetBalance* balance) {
  HERSTEL_ASSIGN_OR_RETURN(v1::BudgetLine line, GetBudgetLine(tx, line_name));
  LineTotals totals = TotalsOf(line);
  Movement movement;
  HERSTEL_RETURN_IF_ERROR(Release(totals, amount_cents, kind, movement));
  HERSTEL_RETURN_IF_ERROR(
      PostMovement(tx, line_name, line_name, movement, reservation, PostingOf(actor)).status());
  HERSTEL_RETURN_IF_ERROR(SaveBudgetLine(tx, line, totals));
  *balance = BalanceOf(line);
  return absl::OkStatus();
}

// Lowers the mandate's usage by what was released.
absl::Status ReturnUsage(Transaction& tx, const v1::Reservation& reservation, int64_t released_cents) {
  if (reservation.mandate().empty() || released_cents == 0) return absl::OkStatus();
  HERSTEL_ASSIGN_OR_RETURN(int year, ReservationUsageYear(tx, reservation.name()));
  return AddMandateUsage(tx, reservation.mandate(), year, -released_cents);
}

absl::Status RequireActive(const v1::Reservation& reservation) {
  if (reservation.state() == v1::RESERVATION_STATE_ACTIVE) return absl::OkStatus();
  return DomainError(absl::StatusCode::kFailedPrecondition, "RESERVATION_NOT_ACTIVE",
                     absl::StrCat(reservation.name(), " is ",
                                  v1::ReservationState_Name(reservation.state()),
                                  "; only an active reservation can be committed or released"),
                     {{"state", v1::ReservationState_Name(reservation.state())}});
}

// The check under a one-off authorisation instead of the caller's mandates.
absl::StatusOr<v1::MandateCheckResult> CheckUnderAuthorisation(Transaction& tx,
                                                                const DecisionQuery& query,
                                                                absl::string_view name, bool explain) {
  v1::MandateCheckResult result;
  result.set_authorisation(std::string(name));
  absl::StatusOr<v1::Authorisation> found = GetAuthorisation(tx, name);
  std::string problem;
  if (!found.ok()) {
    if (found.status().code() != absl::StatusCode::kNotFound) return found.status();
    problem = absl::StrCat(name, " does not exist");
  } else {
    const v1::Authorisation& authorisation = *found;
    bool covers_municipality =
        std::find(authorisation.municipalities().begin(), authorisation.municipalities().end(),
                  query.municipality) != authorisation.municipalities().end();
    if (authorisation.state() != v1::AUTHORISATION_STATE_ACTIVE) {
      problem = absl::StrCat(name, " is ", v1::AuthorisationState_Name(authorisation.state()));
    } else if (query.decision_time >= ToTime(authorisation.expire_time())) {
      problem = absl::StrCat(name, " expired");
    } else if (authorisation.kind() != query.kind) {
      problem = absl::StrCat(name, " covers ", DescribeKind(authorisation.kind()), ", not ",
                             DescribeKind(query.kind));
    } else if (!covers_municipality) {
      problem = absl::StrCat(name, " does not cover ", query.municipality);
    } else if (query.amount_cents > authorisation.amount_cents()) {
      problem = absl::StrCat(name, " grants ", FormatEuros(authorisation.amount_cents()), " < asked ",
                             FormatEuros(query.amount_cents));
    } else {
      result.set_allowed(true);
      result.set_mandate(authorisation.basis_mandate());
      HERSTEL_ASSIGN_OR_RETURN(v1::Mandate basis, GetMandate(tx, authorisation.basis_mandate()));
      result.add_mandate_chain(basis.name());
      std::string parent = basis.parent();
      while (!parent.empty()) {
        result.add_mandate_chain(parent);
        HERSTEL_ASSIGN_OR_RETURN(v1::Mandate ancestor, GetMandate(tx, parent));
        parent = ancestor.parent();
      }
    }
  }
  if (!result.allowed()) {
    result.set_denial_reason(v1::MANDATE_DENIAL_REASON_AUTHORISATION_INVALID);
    result.set_denial_message(absl::StrCat("the authorisation can't be used: ", problem));
  }
  if (explain) {
    v1::MandateCheckExplanation* explanation = result.add_explanations();
    explanation->set_authorisation(std::string(name));
    explanation->set_applies(result.allowed());
    if (!result.allowed()) explanation->add_failed_rules(v1::MANDATE_DENIAL_REASON_AUTHORISATION_INVALID);
    explanation->set_explanation(result.allowed() ? "the authorisation covers this decision" : problem);
  }
  return result;
}

}  // namespace

absl::StatusOr<v1::MandateCheckResult> CheckDecision(Transaction& tx, const DecisionQuery& query,
                                                     absl::string_view authorisation, bool explain) {
  v1::MandateCheckResult result;
  if (!authorisation.empty() && !IsNonDelegable(query.kind)) {
    HERSTEL_ASSIGN_OR_RETURN(result, CheckUnderAuthorisation(tx, query, authorisation, explain));
  } else {
    int year = absl::ToCivilYear(query.decision_time, absl::UTCTimeZone()).year();
    HERSTEL_ASSIGN_OR_RETURN(std::vector<MandateInContext> candidates,
                             MandatesCoveringKind(tx, query.kind, year));
    result = Decide(query, candidates, explain);
  }
  *result.mutable_decision_time() = Timestamp(query.decision_time);
  return result;
}

absl::Status LogCheck(Transaction& tx, const DecisionQuery& query, v1::MandateCheckResult& result,
                      v1::DecisionLogOperation operation, absl::string_view reference,
                      absl::string_view reservation, const Actor& actor) {
  v1::MandateDecisionLogEntry entry;
  *entry.mutable_check_time() = Timestamp(absl::Now());
  entry.set_operation(operation);
  *entry.mutable_caller() = query.caller;
  entry.set_actor(actor.subject);
  entry.set_kind(query.kind);
  entry.set_amount_cents(query.amount_cents);
  entry.set_municipality(query.municipality);
  entry.set_area(query.area);
  entry.set_reference(std::string(reference));
  entry.set_reservation(std::string(reservation));
  entry.set_request_id(actor.request_id);
  *entry.mutable_result() = result;
  HERSTEL_ASSIGN_OR_RETURN(std::string entry_name, AppendDecisionLog(tx, entry));
  result.set_decision_log_entry(entry_name);
  return absl::OkStatus();
}

absl::StatusOr<v1::Reservation> ReserveLines(
    Transaction& tx, const google::protobuf::RepeatedPtrField<v1::BudgetLineAmount>& lines,
    v1::Reservation reservation, int usage_year, const Actor& actor) {
  v1::BudgetReserved event;
  int64_t total_cents = 0;
  reservation.clear_lines();
  std::vector<std::pair<v1::BudgetLine, LineTotals>> changed;
  for (const v1::BudgetLineAmount& part : lines) {
    HERSTEL_ASSIGN_OR_RETURN(v1::BudgetLine line, GetBudgetLine(tx, part.budget_line()));
    LineTotals totals = TotalsOf(line);
    Movement movement;
    HERSTEL_RETURN_IF_ERROR(Reserve(totals, line.name(), part.amount_cents(), movement));
    changed.emplace_back(std::move(line), totals);
    v1::ReservationLine* reserved = reservation.add_lines();
    reserved->set_budget_line(part.budget_line());
    reserved->set_amount_cents(part.amount_cents());
    total_cents += part.amount_cents();
  }
  reservation.set_amount_cents(total_cents);
  reservation.set_reserved_by(actor.subject);
  HERSTEL_ASSIGN_OR_RETURN(reservation, InsertReservation(tx, reservation, usage_year));
  for (auto& [line, totals] : changed) {
    Movement movement{v1::JOURNAL_MOVEMENT_KIND_RESERVE, v1::JOURNAL_ACCOUNT_AVAILABLE,
                      v1::JOURNAL_ACCOUNT_RESERVED,
                      totals.reserved_cents - line.reserved_cents()};
    HERSTEL_RETURN_IF_ERROR(
        PostMovement(tx, line.name(), line.name(), movement, reservation.name(), PostingOf(actor)).status());
    HERSTEL_RETURN_IF_ERROR(SaveBudgetLine(tx, line, totals));
    *event.add_balances() = BalanceOf(line);
  }
  if (!reservation.mandate().empty()) {
    HERSTEL_RETURN_IF_ERROR(AddMandateUsage(tx, reservation.mandate(), usage_year, total_cents));
  }
  *event.mutable_reservation() = reservation;
  HERSTEL_RETURN_IF_ERROR(AppendEvent(tx, event, reservation.name(), OriginOf(actor)).status());
  return reservation;
}

absl::StatusOr<v1::Reservation> CommitReservation(
    Transaction& tx, v1::Reservation reservation,
    const google::protobuf::RepeatedPtrField<v1::BudgetLineAmount>& amounts, const Actor& actor) {
  HERSTEL_RETURN_IF_ERROR(RequireActive(reservation));
  std::map<std::string, int64_t> to_commit;
  if (amounts.empty()) {
    for (const v1::ReservationLine& line : reservation.lines()) to_commit[line.budget_line()] = line.amount_cents();
  }
  FieldViolations violations;
  for (int i = 0; i < amounts.size(); ++i) {
    const v1::BudgetLineAmount& amount = amounts[i];
    bool known = std::any_of(reservation.lines().begin(), reservation.lines().end(),
                             [&](const v1::ReservationLine& l) { return l.budget_line() == amount.budget_line(); });
    if (!violations.Require(known, absl::StrCat("lines[", i, "].budget_line"),
                            absl::StrCat("is not part of ", reservation.name()))) {
      continue;
    }
    violations.Require(to_commit.emplace(amount.budget_line(), amount.amount_cents()).second,
                       absl::StrCat("lines[", i, "].budget_line"), "appears more than once");
  }
  HERSTEL_RETURN_IF_ERROR(violations.ToStatus());

  v1::ReservationCommitted event;
  event.set_reservation(reservation.name());
  event.set_reference(reservation.reference());
  int64_t released_total = 0;
  for (v1::ReservationLine& line : *reservation.mutable_lines()) {
    int64_t commit_cents = to_commit.count(line.budget_line()) ? to_commit[line.budget_line()] : 0;
    if (commit_cents > line.amount_cents()) {
      return DomainError(absl::StatusCode::kInvalidArgument, "COMMIT_EXCEEDS_RESERVATION",
                         absl::StrCat("committing ", FormatEuros(commit_cents), " on ", line.budget_line(),
                                      " exceeds the ", FormatEuros(line.amount_cents()),
                                      " reserved there; nothing was committed"),
                         {{"budget_line", line.budget_line()},
                          {"reserved_cents", absl::StrCat(line.amount_cents())}});
    }
    int64_t release_cents = line.amount_cents() - commit_cents;
    HERSTEL_ASSIGN_OR_RETURN(v1::BudgetLine budget_line, GetBudgetLine(tx, line.budget_line()));
    LineTotals totals = TotalsOf(budget_line);
    if (commit_cents > 0) {
      Movement movement;
      HERSTEL_RETURN_IF_ERROR(Commit(totals, commit_cents, movement));
      HERSTEL_RETURN_IF_ERROR(PostMovement(tx, line.budget_line(), line.budget_line(), movement,
                                           reservation.name(), PostingOf(actor))
                                  .status());
      v1::BudgetLineAmount* committed = event.add_committed();
      committed->set_budget_line(line.budget_line());
      committed->set_amount_cents(commit_cents);
    }
    if (release_cents > 0) {
      Movement movement;
      HERSTEL_RETURN_IF_ERROR(Release(totals, release_cents, v1::JOURNAL_MOVEMENT_KIND_RELEASE, movement));
      HERSTEL_RETURN_IF_ERROR(PostMovement(tx, line.budget_line(), line.budget_line(), movement,
                                           reservation.name(), PostingOf(actor))
                                  .status());
      v1::BudgetLineAmount* released = event.add_released();
      released->set_budget_line(line.budget_line());
      released->set_amount_cents(release_cents);
    }
    HERSTEL_RETURN_IF_ERROR(SaveBudgetLine(tx, budget_line, totals));
    *event.add_balances() = BalanceOf(budget_line);
    line.set_committed_cents(commit_cents);
    line.set_released_cents(release_cents);
    released_total += release_cents;
  }
  HERSTEL_RETURN_IF_ERROR(ReturnUsage(tx, reservation, released_total));
  reservation.set_state(v1::RESERVATION_STATE_COMMITTED);
  *reservation.mutable_close_time() = Timestamp(absl::Now());
  HERSTEL_RETURN_IF_ERROR(SaveReservation(tx, reservation));
  HERSTEL_RETURN_IF_ERROR(AppendEvent(tx, event, reservation.name(), OriginOf(actor)).status());
  return reservation;
}

absl::StatusOr<v1::Reservation> ReleaseReservation(Transaction& tx, v1::Reservation reservation,
                                                   bool expired, absl::string_view reason,
                                                   const Actor& actor) {
  HERSTEL_RETURN_IF_ERROR(RequireActive(reservation));
  std::vector<v1::BudgetLineAmount> released;
  std::vector<v1::BudgetBalance> balances;
  int64_t released_total = 0;
  for (v1::ReservationLine& line : *reservation.mutable_lines()) {
    v1::BudgetBalance balance;
    HERSTEL_RETURN_IF_ERROR(ReleaseOnLine(
        tx, line.budget_line(), line.amount_cents(),
        expired ? v1::JOURNAL_MOVEMENT_KIND_EXPIRE : v1::JOURNAL_MOVEMENT_KIND_RELEASE,
        reservation.name(), actor, &balance));
    line.set_released_cents(line.amount_cents());
    v1::BudgetLineAmount& amount = released.emplace_back();
    amount.set_budget_line(line.budget_line());
    amount.set_amount_cents(line.amount_cents());
    balances.push_back(balance);
    released_total += line.amount_cents();
  }
  HERSTEL_RETURN_IF_ERROR(ReturnUsage(tx, reservation, released_total));
  reservation.set_state(expired ? v1::RESERVATION_STATE_EXPIRED : v1::RESERVATION_STATE_RELEASED);
  *reservation.mutable_close_time() = Timestamp(absl::Now());
  HERSTEL_RETURN_IF_ERROR(SaveReservation(tx, reservation));
  if (expired) {
    v1::ReservationExpired event;
    event.set_reservation(reservation.name());
    event.set_reference(reservation.reference());
    for (auto& amount : released) *event.add_released() = amount;
    for (auto& balance : balances) *event.add_balances() = balance;
    HERSTEL_RETURN_IF_ERROR(AppendEvent(tx, event, reservation.name(), OriginOf(actor)).status());
  } else {
    v1::ReservationReleased event;
    event.set_reservation(reservation.name());
    event.set_reason(std::string(reason));
    event.set_reference(reservation.reference());
    for (auto& amount : released) *event.add_released() = amount;
    for (auto& balance : balances) *event.add_balances() = balance;
    HERSTEL_RETURN_IF_ERROR(AppendEvent(tx, event, reservation.name(), OriginOf(actor)).status());
  }
  return reservation;
}

absl::StatusOr<int> ExpireDue(Transaction& tx, absl::Time now, int limit) {
  Actor system{"system", ""};
  HERSTEL_ASSIGN_OR_RETURN(std::vector<v1::Reservation> reservations,
                           ReservationsDueToExpire(tx, now, limit));
  for (v1::Reservation& reservation : reservations) {
    HERSTEL_RETURN_IF_ERROR(
        ReleaseReservation(tx, std::move(reservation), /*expired=*/true, "expired", system).status());
  }
  HERSTEL_ASSIGN_OR_RETURN(std::vector<v1::Authorisation> authorisations,
                           AuthorisationsDueToExpire(tx, now, limit));
  for (v1::Authorisation& authorisation : authorisations) {
    authorisation.set_state(v1::AUTHORISATION_STATE_EXPIRED);
    HERSTEL_RETURN_IF_ERROR(SaveAuthorisation(tx, authorisation));
    v1::AuthorisationExpired event;
    event.set_authorisation(authorisation.name());
    event.set_escalation(authorisation.escalation());
    HERSTEL_RETURN_IF_ERROR(AppendEvent(tx, event, authorisation.name(), {"", system.subject}).status());
  }
  return static_cast<int>(reservations.size() + authorisations.size());
}

}  // namespace herstel::mandate
