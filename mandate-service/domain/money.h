// Money in the mandate-service: int64 euro cents, bounded so that sums of
// many amounts can never overflow, and printed the Dutch way users read it.
#ifndef HERSTEL_MANDATE_DOMAIN_MONEY_H_
#define HERSTEL_MANDATE_DOMAIN_MONEY_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace herstel::mandate {

// Largest amount a request may name: EUR 10 trillion. Far above any real
// budget, far below int64's limit even when thousands are added up.
inline constexpr int64_t kMaxAmountCents = 1'000'000'000'000'000;

// "EUR 50.000,00" for 5000000.
std::string FormatEuros(int64_t amount_cents);

// INVALID_ARGUMENT naming `field` unless 0 < amount <= kMaxAmountCents.
absl::Status ValidatePositiveAmount(absl::string_view field, int64_t amount_cents);

}  // namespace herstel::mandate

#endif  // HERSTEL_MANDATE_DOMAIN_MONEY_H_
