// The budget ledger's arithmetic: a line's ceiling (plafond) split over
// available, reserved and committed money, and the movements between them.
// Every movement is two journal entries that sum to zero, and no movement
// may leave reserved + committed above the ceiling (available below zero).
#ifndef HERSTEL_MANDATE_DOMAIN_LEDGER_H_
#define HERSTEL_MANDATE_DOMAIN_LEDGER_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "herstel/v1/mandate_service.pb.h"

namespace herstel::mandate {

struct LineTotals {
  int64_t ceiling_cents = 0;
  int64_t reserved_cents = 0;
  int64_t committed_cents = 0;

  int64_t available_cents() const { return ceiling_cents - reserved_cents - committed_cents; }
  // reserved + committed <= ceiling, and nothing negative.
  bool InvariantHolds() const {
    return reserved_cents >= 0 && committed_cents >= 0 && available_cents() >= 0;
  }
};

// A movement of `amount_cents` from one account of a line to another (or of
// another line): the two journal entries are -amount on `from` and +amount on `to`.
struct Movement {
  v1::JournalMovementKind kind;
  v1::JournalAccount from;
  v1::JournalAccount to;
  int64_t amount_cents;
};

// Opening a line: funding -> available for the whole ceiling.
Movement OpenLine(LineTotals& line, int64_t ceiling_cents);

// available -> reserved. FAILED_PRECONDITION, reason INSUFFICIENT_BUDGET with
// the line's available amount, when the line can't cover it; `line` unchanged.
absl::Status Reserve(LineTotals& line, absl::string_view line_name, int64_t amount_cents,
                     Movement& movement);

// reserved -> committed. INTERNAL when the line holds less reserved money
// (the reservation's own bookkeeping prevents that; this asserts it).
absl::Status Commit(LineTotals& line, int64_t amount_cents, Movement& movement);

// reserved -> available (an explicit release, the rest of a partial commit,
// or an expiry, as `kind` says).
absl::Status Release(LineTotals& line, int64_t amount_cents, v1::JournalMovementKind kind,
                     Movement& movement);

// available of `from` -> available of `to`; the ceilings move along.
// FAILED_PRECONDITION INSUFFICIENT_BUDGET when `from` can't cover it.
absl::Status Transfer(LineTotals& from, absl::string_view from_name, LineTotals& to,
                      int64_t amount_cents);

}  // namespace herstel::mandate

#endif  // HERSTEL_MANDATE_DOMAIN_LEDGER_H_
