// The escalation-service's calls to the mandate-service: a granted amount
// becomes spendable by recording a one-off authorisation at the deciding
// level (RecordAuthorisation) and reserving the money under it
// (CheckAndReserve). Request ids are derived from the decision and the
// attempt, so a repeated attempt never records or reserves twice.
//
// A failure is an answer, not an error: the outcome then carries what is
// missing (the mandate-service's reason and facts, or
// MANDATE_SERVICE_UNAVAILABLE when it could not be reached in time), and the
// decision stays PENDING for RetryReservation.
#ifndef HERSTEL_ESCALATION_MANDATE_GATEWAY_H_
#define HERSTEL_ESCALATION_MANDATE_GATEWAY_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "domain/model.h"
#include "herstel/identity.h"
#include "herstel/service_client.h"
#include "herstel/v1/mandate_service.grpc.pb.h"

namespace herstel::escalation {

struct ReservationOutcome {
  std::string authorisation;  // set once recorded, even when the reservation failed
  std::string reservation;    // set when reserved
  std::optional<ReservationError> error;  // what is missing; unset on success
};

class MandateGateway {
 public:
  // `address` is the mandate-service's host:port; every call gets `timeout`.
  MandateGateway(const TokenKey& key, const std::string& address, absl::Duration timeout);

  // Authorises (unless decision.authorisation is already set) and reserves
  // decision.funding for the escalation's lead municipality. `attempt_key`
  // distinguishes attempts (e.g. the request_id of Decide or Retry).
  ReservationOutcome AuthoriseAndReserve(const Escalation& escalation, const Decision& decision,
                                         const std::string& attempt_key,
                                         absl::Time inbound_deadline) const;

  // Gives back a reservation made for a decision that could not be recorded
  // after all; OK when released (or already released).
  absl::Status Release(const std::string& reservation, const std::string& why,
                       const std::string& attempt_key) const;

 private:
  ServiceClient client_;
  std::unique_ptr<v1::MandateService::Stub> stub_;
  absl::Duration timeout_;
};

}  // namespace herstel::escalation

#endif  // HERSTEL_ESCALATION_MANDATE_GATEWAY_H_
