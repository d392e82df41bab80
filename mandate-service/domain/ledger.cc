#include "domain/ledger.h"

#include "absl/strings/str_cat.h"
#include "domain/money.h"
#include "herstel/errors.h"

namespace herstel::mandate {
namespace {

absl::Status Insufficient(absl::string_view line_name, const LineTotals& line, int64_t amount_cents) {
  return DomainError(absl::StatusCode::kFailedPrecondition, "INSUFFICIENT_BUDGET",
                     absl::StrCat(line_name, " has ", FormatEuros(line.available_cents()),
                                  " available; ", FormatEuros(amount_cents),
                                  " asked. Nothing was reserved."),
                     {{"budget_line", std::string(line_name)},
                      {"available_cents", absl::StrCat(line.available_cents())},
                      {"asked_cents", absl::StrCat(amount_cents)}});
}

}  // namespace

Movement OpenLine(LineTotals& line, int64_t ceiling_cents) {
  line.ceiling_cents += ceiling_cents;
  return {v1::JOURNAL_MOVEMENT_KIND_OPEN, v1::JOURNAL_ACCOUNT_FUNDING, v1::JOURNAL_ACCOUNT_AVAILABLE,
          ceiling_cents};
}

absl::Status Reserve(LineTotals& line, absl::string_view line_name, int64_t amount_cents,
                     Movement& movement) {
  if (amount_cents > line.available_cents()) return Insufficient(line_name, line, amount_cents);
  line.reserved_cents += amount_cents;
  movement = {v1::JOURNAL_MOVEMENT_KIND_RESERVE, v1::JOURNAL_ACCOUNT_AVAILABLE,
              v1::JOURNAL_ACCOUNT_RESERVED, amount_cents};
  return absl::OkStatus();
}

absl::Status Commit(LineTotals& line, int64_t amount_cents, Movement& movement) {
  if (amount_cents > line.reserved_cents) {
    return absl::InternalError("ledger: commit exceeds the line's reserved money");
  }
  line.reserved_cents -= amount_cents;
  line.committed_cents += amount_cents;
  movement = {v1::JOURNAL_MOVEMENT_KIND_COMMIT, v1::JOURNAL_ACCOUNT_RESERVED,
              v1::JOURNAL_ACCOUNT_COMMITTED, amount_cents};
  return absl::OkStatus();
}

absl::Status Release(LineTotals& line, int64_t amount_cents, v1::JournalMovementKind kind,
                     Movement& movement) {
  if (amount_cents > line.reserved_cents) {
    return absl::InternalError("ledger: release exceeds the line's reserved money");
  }
  line.reserved_cents -= amount_cents;
  movement = {kind, v1::JOURNAL_ACCOUNT_RESERVED, v1::JOURNAL_ACCOUNT_AVAILABLE, amount_cents};
  return absl::OkStatus();
}

absl::Status Transfer(LineTotals& from, absl::string_view from_name, LineTotals& to,
                      int64_t amount_cents) {
  if (amount_cents > from.available_cents()) return Insufficient(from_name, from, amount_cents);
  if (to.ceiling_cents > kMaxAmountCents * 1000 - amount_cents) {
    return absl::OutOfRangeError("the destination line's ceiling would overflow");
  }
  from.ceiling_cents -= amount_cents;
  to.ceiling_cents += amount_cents;
  return absl::OkStatus();
}

}  // namespace herstel::mandate
