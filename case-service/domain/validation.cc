#include "domain/validation.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "herstel/errors.h"

namespace herstel::case_service {

absl::StatusOr<std::string> NormalisePostcode(absl::string_view text, absl::string_view field) {
  std::string compact;
  for (char c : absl::StripAsciiWhitespace(text)) {
    if (c != ' ') compact.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
  }
  const char* rule = "must be a Dutch postcode like \"1234 AB\": four digits not starting with 0 "
                     "and two letters";
  if (compact.size() != 6) return FieldError(field, rule);
  for (int i = 0; i < 4; ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(compact[i]))) return FieldError(field, rule);
  }
  if (compact[0] == '0') return FieldError(field, "must not start with 0 (Dutch postcodes run from 1000)");
  for (int i = 4; i < 6; ++i) {
    if (compact[i] < 'A' || compact[i] > 'Z') return FieldError(field, rule);
  }
  absl::string_view letters = absl::string_view(compact).substr(4);
  if (letters == "SA" || letters == "SD" || letters == "SS") {
    return FieldError(field, absl::StrCat("letters '", letters,
                                          "' are never used in Dutch postcodes (SA, SD, SS)"));
  }
  return absl::StrCat(compact.substr(0, 4), " ", letters);
}

absl::Status ValidateHouseNumber(int64_t number, absl::string_view field) {
  if (number < 1 || number > kMaxHouseNumber) {
    return FieldError(field, absl::StrCat("must be between 1 and ", kMaxHouseNumber));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> NormaliseHouseNumberAddition(absl::string_view text,
                                                         absl::string_view field) {
  absl::string_view trimmed = absl::StripAsciiWhitespace(text);
  if (!trimmed.empty() && trimmed.front() == '-') trimmed.remove_prefix(1);
  trimmed = absl::StripAsciiWhitespace(trimmed);
  if (trimmed.size() > kMaxHouseNumberAdditionLength) {
    return FieldError(field, absl::StrCat("must be at most ", kMaxHouseNumberAdditionLength,
                                          " letters or digits"));
  }
  std::string normalised;
  for (char c : trimmed) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      return FieldError(field, "may hold only letters and digits, e.g. \"A\" or \"2\"");
    }
    normalised.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
  }
  return normalised;
}

bool PassesElfproef(absl::string_view nine_digits) {
  if (nine_digits.size() != 9) return false;
  int sum = 0;
  bool all_zero = true;
  for (int i = 0; i < 9; ++i) {
    char c = nine_digits[i];
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    int digit = c - '0';
    if (digit != 0) all_zero = false;
    sum += (i < 8 ? (9 - i) : -1) * digit;
  }
  return !all_zero && sum % 11 == 0;
}

absl::StatusOr<std::string> NormaliseCitizenNumber(absl::string_view text,
                                                   absl::string_view field) {
  std::string digits(absl::StripAsciiWhitespace(text));
  if (digits.size() == 8) digits = "0" + digits;
  if (digits.size() != 9) return FieldError(field, "must be a citizen number (BSN) of nine digits");
  for (char c : digits) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return FieldError(field, "must be a citizen number (BSN) of nine digits");
    }
  }
  if (!PassesElfproef(digits)) {
    return FieldError(field, "is not a valid citizen number: it fails the elfproef (check digits)");
  }
  return digits;
}

absl::Status ValidatePhone(absl::string_view text, absl::string_view field) {
  int digits = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      ++digits;
    } else if (!(c == ' ' || c == '-' || c == '(' || c == ')' || (c == '+' && i == 0))) {
      return FieldError(field, "may hold only digits, a leading '+', spaces, dashes and parentheses");
    }
  }
  if (digits < 10 || digits > 15) return FieldError(field, "must have 10 to 15 digits");
  return absl::OkStatus();
}

absl::Status ValidateEmail(absl::string_view text, absl::string_view field) {
  size_t at = text.find('@');
  if (text.size() > 254 || at == absl::string_view::npos || at == 0 ||
      text.find('@', at + 1) != absl::string_view::npos) {
    return FieldError(field, "must be an e-mail address like name@example.nl");
  }
  absl::string_view domain = text.substr(at + 1);
  size_t dot = domain.rfind('.');
  if (dot == absl::string_view::npos || dot == 0 || dot + 1 == domain.size() ||
      text.find(' ') != absl::string_view::npos) {
    return FieldError(field, "must be an e-mail address like name@example.nl");
  }
  return absl::OkStatus();
}

absl::Status ValidateRequiredText(absl::string_view text, absl::string_view field) {
  if (absl::StripAsciiWhitespace(text).empty()) return FieldError(field, "is required");
  return ValidateOptionalText(text, field);
}

absl::Status ValidateOptionalText(absl::string_view text, absl::string_view field) {
  if (text.size() > kMaxTextLength) {
    return FieldError(field, absl::StrCat("must be at most ", kMaxTextLength, " characters"));
  }
  return absl::OkStatus();
}

}  // namespace herstel::case_service
