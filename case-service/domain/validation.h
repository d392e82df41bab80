// Validation of the plain values a case carries: Dutch postcodes, house
// numbers and additions, and the resident's personal data (citizen number
// with the elfproef, phone, e-mail). Each function answers INVALID_ARGUMENT
// naming the field it was given and the rule broken, or the normalised value.
#ifndef HERSTEL_CASE_SERVICE_DOMAIN_VALIDATION_H_
#define HERSTEL_CASE_SERVICE_DOMAIN_VALIDATION_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace herstel::case_service {

inline constexpr int kMaxHouseNumber = 99999;
inline constexpr size_t kMaxHouseNumberAdditionLength = 6;
// Longest free text (reasons, summaries, descriptions) the service keeps.
inline constexpr size_t kMaxTextLength = 4000;
// Largest amount of money any request may carry (10^15 cents).
inline constexpr int64_t kMaxAmountCents = 1'000'000'000'000'000;

// "1234 AB": four digits not starting with 0, a space, two capitals other
// than SA, SD and SS. Accepts lower case and a missing space ("1234ab").
absl::StatusOr<std::string> NormalisePostcode(absl::string_view text, absl::string_view field);

// 1 to 99999.
absl::Status ValidateHouseNumber(int64_t number, absl::string_view field);

// Empty, or up to 6 letters and digits (huisletter/toevoeging), upper-cased;
// a leading '-' or space is dropped ("-a" becomes "A").
absl::StatusOr<std::string> NormaliseHouseNumberAddition(absl::string_view text,
                                                         absl::string_view field);

// True when the nine digits pass the elfproef for a citizen number (BSN):
// 9*d1 + 8*d2 + ... + 2*d8 - 1*d9 is a multiple of 11 and not all zeros.
bool PassesElfproef(absl::string_view nine_digits);

// A BSN: nine digits (an eight-digit number gets its leading zero back)
// passing the elfproef.
absl::StatusOr<std::string> NormaliseCitizenNumber(absl::string_view text,
                                                   absl::string_view field);

// A phone number: digits with optional leading '+', spaces, dashes and
// parentheses; 10 to 15 digits.
absl::Status ValidatePhone(absl::string_view text, absl::string_view field);

// An e-mail address: one '@', a non-empty local part, a domain with a dot.
absl::Status ValidateEmail(absl::string_view text, absl::string_view field);

// Required free text: not blank, at most kMaxTextLength characters.
absl::Status ValidateRequiredText(absl::string_view text, absl::string_view field);
// Optional free text: at most kMaxTextLength characters.
absl::Status ValidateOptionalText(absl::string_view text, absl::string_view field);

}  // namespace herstel::case_service

#endif  // HERSTEL_CASE_SERVICE_DOMAIN_VALIDATION_H_
