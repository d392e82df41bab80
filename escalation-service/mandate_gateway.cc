#include "mandate_gateway.h"

#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "escalation_mapping.h"
#include "herstel/errors.h"

namespace herstel::escalation {
namespace {

// A mandate-service request id for one step of one attempt on one decision.
std::string StepRequestId(const Decision& decision, absl::string_view step,
                          const std::string& attempt_key) {
  const std::string text = absl::StrCat(decision.name, "|", step, "|", attempt_key);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return absl::StrCat("escalation-", step, "-",
                      absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(digest), 16)));
}

ReservationError FromCallStatus(const grpc::Status& status, absl::string_view step) {
  ReservationError error;
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
      status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    error.reason = "MANDATE_SERVICE_UNAVAILABLE";
    error.message = absl::StrCat("the mandate-service could not be reached to ", step, " (",
                                 status.error_message(), "); retry with RetryReservation");
    return error;
  }
  absl::Status mapped = FromGrpcStatus(status);
  std::optional<v1::ErrorDetail> detail = GetErrorDetail(mapped);
  error.reason = detail.has_value() && !detail->reason().empty()
                     ? detail->reason()
                     : std::string(absl::StatusCodeToString(mapped.code()));
  error.message = absl::StrCat("the mandate-service refused to ", step, ": ", status.error_message());
  if (detail.has_value()) {
    for (const auto& [key, value] : detail->metadata()) error.metadata[key] = value;
    error.can_decide_level = detail->can_decide_level();
  }
  return error;
}

}  // namespace

MandateGateway::MandateGateway(const TokenKey& key, const std::string& address,
                               absl::Duration timeout)
    : client_(key, "escalation-service", address),
      stub_(v1::MandateService::NewStub(client_.channel())),
      timeout_(timeout) {}

ReservationOutcome MandateGateway::AuthoriseAndReserve(const Escalation& escalation,
                                                       const Decision& decision,
                                                       const std::string& attempt_key,
                                                       absl::Time inbound_deadline) const {
  ReservationOutcome outcome;
  outcome.authorisation = decision.authorisation;
  const std::string reference =
      escalation.decision_request.empty() ? decision.name : escalation.decision_request;
  if (outcome.authorisation.empty()) {
    v1::RecordAuthorisationRequest request;
    v1::Authorisation* authorisation = request.mutable_authorisation();
    authorisation->set_level(decision.level);
    authorisation->set_kind(decision.decision_kind);
    for (const std::string& municipality : escalation.municipalities) {
      authorisation->add_municipalities(municipality);
    }
    authorisation->set_amount_cents(decision.amount_cents);
    authorisation->set_reference(reference);
    authorisation->set_escalation(escalation.name);
    authorisation->set_escalation_decision(decision.name);
    authorisation->set_conditions(absl::StrJoin(decision.conditions, "; "));
    request.set_request_id(StepRequestId(decision, "authorise", attempt_key));
    grpc::ClientContext context;
    client_.Prepare(context, timeout_, inbound_deadline);
    v1::Authorisation recorded;
    grpc::Status status = stub_->RecordAuthorisation(&context, request, &recorded);
    if (!status.ok()) {
      outcome.error = FromCallStatus(status, "record the authorisation");
      return outcome;
    }
    outcome.authorisation = recorded.name();
  }

  v1::CheckAndReserveRequest request;
  request.set_kind(decision.decision_kind);
  request.set_municipality(escalation.municipalities.front());
  for (const Funding& part : decision.funding) {
    v1::BudgetLineAmount* line = request.add_lines();
    line->set_budget_line(part.budget_line);
    line->set_amount_cents(part.amount_cents);
  }
  request.set_authorisation(outcome.authorisation);
  request.set_reference(reference);
  request.set_request_id(StepRequestId(decision, "reserve", attempt_key));
  grpc::ClientContext context;
  client_.Prepare(context, timeout_, inbound_deadline);
  v1::CheckAndReserveResponse response;
  grpc::Status status = stub_->CheckAndReserve(&context, request, &response);
  if (!status.ok()) {
    outcome.error = FromCallStatus(status, "reserve the money");
    return outcome;
  }
  if (!response.result().allowed()) {
    ReservationError error;
    error.reason = std::string(absl::StripPrefix(
        v1::MandateDenialReason_Name(response.result().denial_reason()), "MANDATE_DENIAL_REASON_"));
    error.message = absl::StrCat("the mandate-service denied the reservation: ",
                                 response.result().denial_message());
    error.can_decide_level = response.result().can_decide_level();
    outcome.error = std::move(error);
    return outcome;
  }
  outcome.reservation = response.reservation().name();
  return outcome;
}

absl::Status MandateGateway::Release(const std::string& reservation, const std::string& why,
                                     const std::string& attempt_key) const {
  v1::ReleaseReservationRequest request;
  request.set_name(reservation);
  request.set_reason(why);
  request.set_request_id(absl::StrCat("escalation-release-", attempt_key).substr(0, 128));
  grpc::ClientContext context;
  client_.Prepare(context, timeout_);
  v1::Reservation released;
  return FromGrpcStatus(stub_->ReleaseReservation(&context, request, &released));
}

}  // namespace herstel::escalation
