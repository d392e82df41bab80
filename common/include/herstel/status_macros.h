// Early-return helpers for absl::Status and absl::StatusOr<T>, which the
// Abseil release in Debian bookworm does not ship.
//
//   HERSTEL_RETURN_IF_ERROR(DoThing());            // returns the status if not ok
//   HERSTEL_ASSIGN_OR_RETURN(auto value, Compute()); // unwraps or returns the error
#ifndef HERSTEL_STATUS_MACROS_H_
#define HERSTEL_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define HERSTEL_RETURN_IF_ERROR(expr)                      \
  do {                                                     \
    const ::absl::Status herstel_status_ = (expr);         \
    if (!herstel_status_.ok()) return herstel_status_;     \
  } while (false)

#define HERSTEL_STATUS_CONCAT_INNER_(a, b) a##b
#define HERSTEL_STATUS_CONCAT_(a, b) HERSTEL_STATUS_CONCAT_INNER_(a, b)

#define HERSTEL_ASSIGN_OR_RETURN(lhs, expr) \
  HERSTEL_ASSIGN_OR_RETURN_IMPL_(           \
      HERSTEL_STATUS_CONCAT_(herstel_statusor_, __LINE__), lhs, expr)

#define HERSTEL_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                   \
  if (!statusor.ok()) return std::move(statusor).status();  \
  lhs = std::move(statusor).value()

#endif  // HERSTEL_STATUS_MACROS_H_
