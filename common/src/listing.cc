#include "herstel/listing.h"

#include <openssl/sha.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "herstel/errors.h"

namespace herstel {
namespace {

constexpr absl::string_view kAnd = " AND ";

absl::Status FilterError(absl::string_view rule) { return FieldError("filter", rule); }

bool IsFieldCharacter(char c) { return absl::ascii_isalnum(c) || c == '_' || c == '.'; }

std::string QueryDigest(absl::string_view query) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(query.data()), query.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), 8);
}

}  // namespace

absl::StatusOr<Filter> Filter::Parse(absl::string_view text,
                                     const std::vector<std::string>& allowed_fields) {
  Filter filter;
  text = absl::StripAsciiWhitespace(text);
  size_t position = 0;
  while (position < text.size()) {
    size_t field_end = position;
    while (field_end < text.size() && IsFieldCharacter(text[field_end])) ++field_end;
    std::string field(text.substr(position, field_end - position));
    if (field.empty() || field_end >= text.size() || text[field_end] != '=') {
      return FilterError(absl::StrCat("expected field=value at position ", position,
                                      "; terms are joined by \" AND \""));
    }
    if (std::find(allowed_fields.begin(), allowed_fields.end(), field) == allowed_fields.end()) {
      return FilterError(absl::StrCat("unknown field '", field, "'; allowed: ",
                                      absl::StrJoin(allowed_fields, ", ")));
    }
    position = field_end + 1;
    std::string value;
    if (position < text.size() && text[position] == '"') {
      ++position;
      bool closed = false;
      while (position < text.size()) {
        char c = text[position++];
        if (c == '\\' && position < text.size()) {
          value.push_back(text[position++]);
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          value.push_back(c);
        }
      }
      if (!closed) return FilterError(absl::StrCat("unclosed quote in the value of '", field, "'"));
    } else {
      size_t value_end = position;
      while (value_end < text.size() && text[value_end] != ' ') ++value_end;
      value = std::string(text.substr(position, value_end - position));
      position = value_end;
      if (value.empty()) return FilterError(absl::StrCat("'", field, "' has no value"));
    }
    if (!filter.terms_.emplace(field, value).second) {
      return FilterError(absl::StrCat("'", field, "' appears more than once"));
    }
    if (filter.terms_.size() > static_cast<size_t>(kMaxFilterTerms)) {
      return FilterError(absl::StrCat("at most ", kMaxFilterTerms, " terms"));
    }
    if (position == text.size()) break;
    if (text.substr(position, kAnd.size()) != kAnd) {
      return FilterError(absl::StrCat("expected \" AND \" at position ", position));
    }
    position += kAnd.size();
    if (position == text.size()) return FilterError("ends with AND");
  }
  return filter;
}

bool Filter::Has(absl::string_view field) const { return terms_.find(field) != terms_.end(); }

std::optional<std::string> Filter::Text(absl::string_view field) const {
  auto it = terms_.find(field);
  if (it == terms_.end()) return std::nullopt;
  return it->second;
}

absl::Status Filter::BadValue(absl::string_view field, absl::string_view expected) {
  return FilterError(absl::StrCat("the value of '", field, "' must be ", expected));
}

absl::StatusOr<std::optional<int64_t>> Filter::Integer(absl::string_view field) const {
  std::optional<std::string> text = Text(field);
  if (!text.has_value()) return std::optional<int64_t>();
  int64_t value;
  if (!absl::SimpleAtoi(*text, &value)) return BadValue(field, "a whole number");
  return std::optional<int64_t>(value);
}

absl::StatusOr<std::optional<bool>> Filter::Boolean(absl::string_view field) const {
  std::optional<std::string> text = Text(field);
  if (!text.has_value()) return std::optional<bool>();
  if (*text == "true") return std::optional<bool>(true);
  if (*text == "false") return std::optional<bool>(false);
  return BadValue(field, "true or false");
}

absl::StatusOr<std::optional<absl::Time>> Filter::Time(absl::string_view field) const {
  std::optional<std::string> text = Text(field);
  if (!text.has_value()) return std::optional<absl::Time>();
  absl::Time value;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, *text, &value, &error)) {
    return BadValue(field, "an RFC 3339 time such as 2026-11-24T09:00:00Z");
  }
  return std::optional<absl::Time>(value);
}

std::string Filter::Canonical() const {
  std::vector<std::string> parts;
  for (const auto& [field, value] : terms_) parts.push_back(absl::StrCat(field, "=", value));
  return absl::StrJoin(parts, "\n");
}

absl::StatusOr<int> EffectivePageSize(int32_t requested) {
  if (requested < 0) return FieldError("page_size", "must not be negative");
  if (requested == 0) return kDefaultPageSize;
  return std::min<int>(requested, kMaxPageSize);
}

std::string EncodePageToken(absl::string_view last_key, absl::string_view query) {
  return absl::WebSafeBase64Escape(absl::StrCat(QueryDigest(query), last_key));
}

absl::StatusOr<std::string> DecodePageToken(absl::string_view token, absl::string_view query) {
  if (token.empty()) return std::string();
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw) || raw.size() < 8) {
    return FieldError("page_token", "is not a token this service issued");
  }
  if (raw.substr(0, 8) != QueryDigest(query)) {
    return FieldError("page_token", "belongs to a different filter or order; start again without it");
  }
  return raw.substr(8);
}

}  // namespace herstel
