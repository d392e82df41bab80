// Applying escalation outcomes to decision requests (the follower's work).
#include "absl/strings/str_split.h"
#include "case_grpc_service.h"
#include "case_service_internal.h"

namespace herstel::case_service {
namespace {

constexpr absl::string_view kDecided = "herstel.v1.EscalationDecided";
constexpr absl::string_view kReferred = "herstel.v1.EscalationReferred";
constexpr absl::string_view kWithdrawn = "herstel.v1.EscalationWithdrawn";
constexpr absl::string_view kReservationUpdated = "herstel.v1.EscalationReservationUpdated";

struct Outcome {
  std::string decision_request;
  std::string escalation;
  std::optional<v1::CaseDecisionRequestStatus> status;  // nullopt: no final outcome
  int64_t granted_amount_cents = 0;
  v1::EscalationLevel decided_level = v1::ESCALATION_LEVEL_UNSPECIFIED;
  std::string escalation_decision;
  std::string reservation;
};

absl::StatusOr<Outcome> ReadOutcome(const v1::Event& event) {
  Outcome outcome;
  if (event.type() == kDecided) {
    v1::EscalationDecided decided;
    if (!event.payload().UnpackTo(&decided)) return absl::InternalError("unreadable EscalationDecided");
    outcome.decision_request = decided.decision_request();
    outcome.escalation = decided.escalation();
    if (decided.final()) outcome.status = StatusForEscalationOutcome(decided.outcome());
    outcome.granted_amount_cents = decided.amount_cents();
    outcome.decided_level = decided.level();
    outcome.escalation_decision = decided.decision();
    outcome.reservation = decided.reservation();
  } else if (event.type() == kReferred) {
    v1::EscalationReferred referred;
    if (!event.payload().UnpackTo(&referred)) return absl::InternalError("unreadable EscalationReferred");
    outcome.decision_request = referred.decision_request();
    outcome.escalation = referred.escalation();
    outcome.status = v1::CASE_DECISION_REQUEST_STATUS_REFERRED;
    outcome.decided_level = referred.level();
    outcome.escalation_decision = referred.decision();
  } else if (event.type() == kWithdrawn) {
    v1::EscalationWithdrawn withdrawn;
    if (!event.payload().UnpackTo(&withdrawn)) return absl::InternalError("unreadable EscalationWithdrawn");
    outcome.decision_request = withdrawn.decision_request();
    outcome.escalation = withdrawn.escalation();
    outcome.status = v1::CASE_DECISION_REQUEST_STATUS_WITHDRAWN;
  } else if (event.type() == kReservationUpdated) {
    v1::EscalationReservationUpdated updated;
    if (!event.payload().UnpackTo(&updated)) {
      return absl::InternalError("unreadable EscalationReservationUpdated");
    }
    outcome.decision_request = updated.decision_request();
    outcome.escalation = updated.escalation();
    outcome.reservation = updated.reservation();
  }
  return outcome;
}

}  // namespace

std::vector<std::string> FollowedEscalationEventTypes() {
  return {std::string(kDecided), std::string(kReferred), std::string(kWithdrawn),
          std::string(kReservationUpdated)};
}

absl::Status ApplyEscalationEvent(Transaction& tx, const v1::Event& event) {
  HERSTEL_ASSIGN_OR_RETURN(Outcome outcome, ReadOutcome(event));
  if (outcome.decision_request.empty()) return absl::OkStatus();  // not about a decision request
  absl::StatusOr<std::pair<int64_t, std::string>> name =
      ParseChildName(outcome.decision_request, "decision-requests", "decision_request");
  if (!name.ok()) return absl::OkStatus();  // another service's request; nothing of ours
  HERSTEL_ASSIGN_OR_RETURN(std::optional<Versioned<v1::CaseDecisionRequest>> stored,
                           LoadDecisionRequest(tx, name->first, name->second));
  if (!stored.has_value()) {
    // The escalation answered before our own write committed: keep it.
    return SavePendingEscalationEvent(tx, outcome.decision_request, event);
  }
  v1::CaseDecisionRequest& record = stored->record;
  if (!record.escalation().empty() && record.escalation() != outcome.escalation) return absl::OkStatus();
  EventOrigin origin{event.request_id(), "escalation-service"};
  if (outcome.status.has_value()) {
    if (!AwaitsEscalation(record.status())) return absl::OkStatus();  // applied before: exactly once
    record.set_status(*outcome.status);
    bool granted = *outcome.status == v1::CASE_DECISION_REQUEST_STATUS_GRANTED ||
                   *outcome.status == v1::CASE_DECISION_REQUEST_STATUS_PARTLY_GRANTED;
    record.set_granted_amount_cents(granted ? outcome.granted_amount_cents : 0);
    record.set_decided_level(outcome.decided_level);
    record.set_escalation_decision(outcome.escalation_decision);
    if (!outcome.reservation.empty()) record.set_reservation(outcome.reservation);
    *record.mutable_decide_time() = ToTimestamp(absl::Now());
    HERSTEL_RETURN_IF_ERROR(SaveDecisionRequest(tx, name->first, name->second, *stored));
    v1::CaseDecisionOutcomeApplied applied;
    applied.set_decision_request(record.name());
    applied.set_status(record.status());
    applied.set_granted_amount_cents(record.granted_amount_cents());
    applied.set_decided_level(record.decided_level());
    applied.set_escalation(outcome.escalation);
    applied.set_escalation_decision(outcome.escalation_decision);
    applied.set_reservation(record.reservation());
    applied.set_municipality(record.municipality());
    return AppendEvent(tx, applied, record.name(), origin).status();
  }
  // A reservation made after the outcome (RetryReservation succeeded).
  if (outcome.reservation.empty() || record.reservation() == outcome.reservation ||
      AwaitsEscalation(record.status())) {
    return absl::OkStatus();
  }
  record.set_reservation(outcome.reservation);
  HERSTEL_RETURN_IF_ERROR(SaveDecisionRequest(tx, name->first, name->second, *stored));
  v1::CaseDecisionReservationLinked linked;
  linked.set_decision_request(record.name());
  linked.set_reservation(outcome.reservation);
  linked.set_municipality(record.municipality());
  return AppendEvent(tx, linked, record.name(), origin).status();
}

}  // namespace herstel::case_service
