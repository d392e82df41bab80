#include "store/keyset.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "herstel/errors.h"
#include "herstel/listing.h"
#include "herstel/status_macros.h"

namespace herstel::mandate {
namespace {

// Last key of a page: "i<number>" or "t<text>", a unit separator, the seq.
constexpr char kSeparator = '\x1f';

void BindValue(Statement& statement, int index, const SqlValue& value) {
  if (std::holds_alternative<int64_t>(value)) {
    statement.Bind(index, std::get<int64_t>(value));
  } else {
    statement.Bind(index, absl::string_view(std::get<std::string>(value)));
  }
}

}  // namespace

absl::StatusOr<KeysetPage> ReadKeysetPage(Transaction& tx, const KeysetQuery& query) {
  HERSTEL_ASSIGN_OR_RETURN(std::string last_key,
                           DecodePageToken(query.page_token, query.query_fingerprint));
  std::vector<SqlCondition> conditions = query.conditions;
  std::string comparison = query.descending ? "<" : ">";
  if (!last_key.empty()) {
    std::vector<std::string> parts = absl::StrSplit(last_key, kSeparator);
    int64_t seq = 0;
    if (parts.size() != 2 || parts[0].empty() || !absl::SimpleAtoi(parts[1], &seq)) {
      return FieldError("page_token", "is not a token this service issued");
    }
    SqlValue sort_value;
    if (parts[0][0] == 'i') {
      int64_t number = 0;
      if (!absl::SimpleAtoi(parts[0].substr(1), &number)) {
        return FieldError("page_token", "is not a token this service issued");
      }
      sort_value = number;
    } else {
      sort_value = parts[0].substr(1);
    }
    conditions.push_back({absl::StrCat("(", query.sort_column, " ", comparison, " ? OR (",
                                       query.sort_column, " = ? AND seq ", comparison, " ?))"),
                          {sort_value, sort_value, seq}});
  }
  std::vector<std::string> where;
  for (const SqlCondition& condition : conditions) where.push_back(condition.sql);
  std::string direction = query.descending ? " DESC" : "";
  std::string sql = absl::StrCat("SELECT data, ", query.sort_column, ", seq FROM ", query.table,
                                 where.empty() ? "" : " WHERE ", absl::StrJoin(where, " AND "),
                                 " ORDER BY ", query.sort_column, direction, ", seq", direction,
                                 " LIMIT ?");
  HERSTEL_ASSIGN_OR_RETURN(Statement statement, tx.Prepare(sql));
  int index = 1;
  for (const SqlCondition& condition : conditions) {
    for (const SqlValue& value : condition.values) BindValue(statement, index++, value);
  }
  statement.Bind(index, static_cast<int64_t>(query.page_size) + 1);

  KeysetPage page;
  std::string last_sort;
  int64_t last_seq = 0;
  while (true) {
    HERSTEL_ASSIGN_OR_RETURN(bool has_row, statement.Step());
    if (!has_row) break;
    if (static_cast<int>(page.blobs.size()) == query.page_size) {
      page.next_page_token = EncodePageToken(
          absl::StrCat(last_sort, std::string(1, kSeparator), last_seq), query.query_fingerprint);
      break;
    }
    page.blobs.push_back(statement.ColumnBlob(0));
    last_sort = query.sort_column == "id" ? absl::StrCat("t", statement.ColumnText(1))
                                          : absl::StrCat("i", statement.ColumnInt(1));
    last_seq = statement.ColumnInt(2);
  }
  return page;
}

}  // namespace herstel::mandate
