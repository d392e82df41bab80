#include "domain/money.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "herstel/errors.h"

namespace herstel::mandate {

std::string FormatEuros(int64_t amount_cents) {
  bool negative = amount_cents < 0;
  uint64_t cents = negative ? -static_cast<uint64_t>(amount_cents) : amount_cents;
  std::string euros = absl::StrCat(cents / 100);
  std::string grouped;
  for (size_t i = 0; i < euros.size(); ++i) {
    if (i > 0 && (euros.size() - i) % 3 == 0) grouped.push_back('.');
    grouped.push_back(euros[i]);
  }
  return absl::StrFormat("%sEUR %s,%02d", negative ? "-" : "", grouped, cents % 100);
}

absl::Status ValidatePositiveAmount(absl::string_view field, int64_t amount_cents) {
  if (amount_cents <= 0) return FieldError(field, "must be greater than zero (euro cents)");
  if (amount_cents > kMaxAmountCents) {
    return FieldError(field, absl::StrCat("must be at most ", kMaxAmountCents,
                                          " cents (EUR 10 trillion)"));
  }
  return absl::OkStatus();
}

}  // namespace herstel::mandate
