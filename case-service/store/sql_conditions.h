// A small builder for the WHERE clause of a list query: conditions with
// their parameters, bound in order. Only fixed SQL fragments written in this
// folder are ever added; values always travel as parameters.
#ifndef HERSTEL_CASE_SERVICE_STORE_SQL_CONDITIONS_H_
#define HERSTEL_CASE_SERVICE_STORE_SQL_CONDITIONS_H_

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "herstel/store.h"

namespace herstel::case_service {

using SqlValue = std::variant<int64_t, std::string>;

class SqlConditions {
 public:
  // Adds `clause` (with one '?' per value) joined by AND.
  void Add(std::string clause, std::vector<SqlValue> values = {}) {
    clauses_.push_back(std::move(clause));
    for (SqlValue& value : values) values_.push_back(std::move(value));
  }
  // "column IN (?, ?, ...)" for a non-empty list.
  void AddIn(absl::string_view column, const std::vector<std::string>& values) {
    std::vector<std::string> marks(values.size(), "?");
    std::vector<SqlValue> bound(values.begin(), values.end());
    Add(absl::StrCat(column, " IN (", absl::StrJoin(marks, ", "), ")"), std::move(bound));
  }
  // " WHERE a AND b", or "" without conditions.
  std::string Where() const {
    if (clauses_.empty()) return "";
    return absl::StrCat(" WHERE ", absl::StrJoin(clauses_, " AND "));
  }
  // Binds every value from parameter 1 on; returns the next free index.
  int Bind(Statement& statement) const {
    int index = 1;
    for (const SqlValue& value : values_) {
      if (std::holds_alternative<int64_t>(value)) {
        statement.Bind(index++, std::get<int64_t>(value));
      } else {
        statement.Bind(index++, absl::string_view(std::get<std::string>(value)));
      }
    }
    return index;
  }

 private:
  std::vector<std::string> clauses_;
  std::vector<SqlValue> values_;
};

}  // namespace herstel::case_service

#endif  // HERSTEL_CASE_SERVICE_STORE_SQL_CONDITIONS_H_
