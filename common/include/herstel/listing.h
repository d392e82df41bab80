// The small list language every List RPC shares: a `filter` of
// `field=value` terms joined by " AND " (at most 10 terms, each field once,
// values bare or double-quoted with \" and \\ escapes), bounded page sizes
// and opaque page tokens for keyset paging. Errors are INVALID_ARGUMENT with
// a field violation on "filter", "page_size" or "page_token".
#ifndef HERSTEL_LISTING_H_
#define HERSTEL_LISTING_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace herstel {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 1000;
inline constexpr int kMaxFilterTerms = 10;

class Filter {
 public:
  // Parses `text`, accepting only `allowed_fields` (named in the error).
  static absl::StatusOr<Filter> Parse(absl::string_view text,
                                      const std::vector<std::string>& allowed_fields);

  bool Has(absl::string_view field) const;
  // The raw value of `field`, if given.
  std::optional<std::string> Text(absl::string_view field) const;
  // The value as a whole number; INVALID_ARGUMENT when it is not one.
  absl::StatusOr<std::optional<int64_t>> Integer(absl::string_view field) const;
  // The value as true/false; INVALID_ARGUMENT otherwise.
  absl::StatusOr<std::optional<bool>> Boolean(absl::string_view field) const;
  // The value as an RFC 3339 time; INVALID_ARGUMENT otherwise.
  absl::StatusOr<std::optional<absl::Time>> Time(absl::string_view field) const;
  // The value as an enum, parsed by `parse` (e.g. v1::Track_Parse);
  // INVALID_ARGUMENT naming the field when unknown or the *_UNSPECIFIED value.
  template <typename Enum>
  absl::StatusOr<std::optional<Enum>> EnumValue(absl::string_view field,
                                                bool (*parse)(const std::string&, Enum*)) const {
    std::optional<std::string> text = Text(field);
    if (!text.has_value()) return std::optional<Enum>();
    Enum value;
    if (!parse(*text, &value) || static_cast<int>(value) == 0) return BadValue(field, "an enum value name");
    return std::optional<Enum>(value);
  }
  // A canonical text of the terms, for tying page tokens to their query.
  std::string Canonical() const;

 private:
  static absl::Status BadValue(absl::string_view field, absl::string_view expected);
  std::map<std::string, std::string, std::less<>> terms_;
};

// The page size to use: 0 means the default, larger than the maximum is
// capped, negative is INVALID_ARGUMENT.
absl::StatusOr<int> EffectivePageSize(int32_t requested);

// An opaque token carrying the last key of a page, bound to `query` (the
// filter's Canonical() plus any order) so it can't be reused with another.
std::string EncodePageToken(absl::string_view last_key, absl::string_view query);
// The last key inside `token` ("" for an empty token). INVALID_ARGUMENT when
// the token is malformed or belongs to another query.
absl::StatusOr<std::string> DecodePageToken(absl::string_view token, absl::string_view query);

}  // namespace herstel

#endif  // HERSTEL_LISTING_H_
