// Keyset paging over one table: rows ordered by a sort column and then by
// their seq, a page token holding the last (sort value, seq) seen, so a page
// costs the same however deep into the list it is.
#ifndef HERSTEL_MANDATE_STORE_KEYSET_H_
#define HERSTEL_MANDATE_STORE_KEYSET_H_

#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "herstel/store.h"

namespace herstel::mandate {

using SqlValue = std::variant<int64_t, std::string>;

// One WHERE condition with its `?` parameters, e.g. {"state = ?", {1}}.
struct SqlCondition {
  std::string sql;
  std::vector<SqlValue> values;
};

struct KeysetQuery {
  std::string table;                     // e.g. "mandates"
  std::string sort_column;               // e.g. "seq", "valid_until_micros", "id"
  bool descending = false;
  std::vector<SqlCondition> conditions;  // joined with AND
  int page_size = 50;
  std::string page_token;                // from a previous page, or empty
  std::string query_fingerprint;         // filter + order, binds tokens to their query
};

struct KeysetPage {
  std::vector<std::string> blobs;  // the `data` column of each row, in order
  std::string next_page_token;     // empty on the last page
};

// Reads one page of `data` blobs. INVALID_ARGUMENT for a foreign page token.
absl::StatusOr<KeysetPage> ReadKeysetPage(Transaction& tx, const KeysetQuery& query);

}  // namespace herstel::mandate

#endif  // HERSTEL_MANDATE_STORE_KEYSET_H_
