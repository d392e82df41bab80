#include "escalation_grpc_service.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "domain/access.h"
#include "domain/bodies.h"
#include "domain/decisions.h"
#include "domain/ladder.h"
#include "domain/policies.h"
#include "escalation_mapping.h"
#include "herstel/errors.h"
#include "herstel/idempotency.h"
#include "herstel/listing.h"
#include "herstel/rpc.h"
#include "herstel/status_macros.h"
#include "store/escalation_store.h"

namespace herstel::escalation {
namespace {

constexpr char kService[] = "/herstel.v1.EscalationService/";
// RunIdempotent's mutation answers this to learn that a request_id is new.
constexpr absl::string_view kFirstAttempt = "escalation-service: first attempt of this request_id";

std::string Method(absl::string_view name) { return absl::StrCat(kService, name); }

EventOrigin Origin(const Caller& caller, const std::string& request_id) {
  return EventOrigin{request_id, caller.subject};
}

absl::Status RequireName(const std::string& name, const std::string& collection,
                         absl::string_view field, int segments = 2) {
  if (IsResourceName(name, collection, segments)) return absl::OkStatus();
  return FieldError(field, absl::StrCat("must be a ", collection, " name such as ", collection,
                                        segments == 2 ? "/x-1" : "/x-1/decisions/1"));
}

absl::Status CheckEtag(const std::string& given, const std::string& current,
                       const std::string& name) {
  if (given.empty() || given == current) return absl::OkStatus();
  return DomainError(absl::StatusCode::kAborted, "STALE_ETAG",
                     absl::StrCat(name, " changed since it was read (etag ", given, " is stale, ",
                                  "now ", current, "); read it again and retry"));
}

absl::Time InboundDeadline(const grpc::ServerContext* context) {
  const auto deadline = context->deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return absl::InfiniteFuture();
  return absl::FromChrono(deadline);
}

// OK and true with `response` filled when `request_id` was answered before;
// false when it is new; an error when it was used for another request.
absl::StatusOr<bool> Replayed(Store& store, absl::string_view method,
                              const std::string& request_id,
                              const google::protobuf::Message& request,
                              google::protobuf::Message& response) {
  absl::Status probe = RunIdempotent(store, method, request_id, request, response,
                                     [](Transaction&) {
                                       return absl::CancelledError(kFirstAttempt);
                                     });
  if (probe.ok()) return true;
  if (probe.code() == absl::StatusCode::kCancelled && probe.message() == kFirstAttempt) return false;
  return probe;
}

std::vector<std::string> CasesOf(const Escalation& escalation) { return escalation.subject.cases; }

template <typename Repeated>
void Assign(Repeated* target, const std::vector<std::string>& values) {
  target->Clear();
  for (const std::string& value : values) target->Add(std::string(value));
}

absl::Status Emit(Transaction& tx, const google::protobuf::Message& payload,
                  const std::string& resource, const EventOrigin& origin) {
  return AppendEvent(tx, payload, resource, origin).status();
}

v1::EscalationLevelChanged LevelChangedEvent(const Escalation& escalation) {
  v1::EscalationLevelChanged event;
  event.set_escalation(escalation.name);
  *event.mutable_change() = ToProto(escalation).level_history(
      static_cast<int>(escalation.level_history.size()) - 1);
  event.set_body(escalation.body);
  *event.mutable_due_time() = ToTimestamp(escalation.due_time);
  Assign(event.mutable_municipalities(), escalation.municipalities);
  return event;
}

// Takes the escalation off the agenda of `meeting` unless a decision was taken on it there.
absl::Status RemoveFromAgenda(Transaction& tx, const std::string& meeting_name,
                              const std::string& escalation, absl::Time now) {
  if (meeting_name.empty()) return absl::OkStatus();
  HERSTEL_ASSIGN_OR_RETURN(Meeting meeting, EscalationStore::GetMeeting(tx, meeting_name));
  auto item = std::find_if(meeting.agenda.begin(), meeting.agenda.end(), [&](const AgendaItem& entry) {
    return entry.escalation == escalation && entry.decision.empty();
  });
  if (item == meeting.agenda.end()) return absl::OkStatus();
  meeting.agenda.erase(item);
  meeting.update_time = now;
  meeting.etag = NewEtag();
  return EscalationStore::PutMeeting(tx, meeting);
}

template <typename Enum>
absl::StatusOr<std::optional<int>> EnumFilter(const Filter& filter, absl::string_view field,
                                              bool (*parse)(const std::string&, Enum*)) {
  HERSTEL_ASSIGN_OR_RETURN(auto value, filter.EnumValue(field, parse));
  if (!value.has_value()) return std::optional<int>();
  return std::optional<int>(static_cast<int>(*value));
}

}  // namespace

EscalationGrpcService::EscalationGrpcService(Store& store, const TokenKey& key, const Clock& clock,
                                             absl::TimeZone zone,
                                             std::unique_ptr<MandateGateway> mandate)
    : WithWatchEvents(store, key, kDomain), clock_(clock), zone_(zone), mandate_(std::move(mandate)) {}

absl::StatusOr<WorkingDayCalendar> EscalationGrpcService::CalendarIn(Transaction& tx) const {
  HERSTEL_ASSIGN_OR_RETURN(TermPolicy policy, EscalationStore::GetTermPolicy(tx));
  return CalendarOf(policy, zone_);
}

grpc::Status EscalationGrpcService::ChangeEscalation(
    grpc::ServerContext* context, absl::string_view method, Action action,
    const google::protobuf::Message& request,
    const std::string& name, const std::string& etag, const std::string& request_id,
    v1::Escalation* response, const EscalationChange& change) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(AuthoriseRole(caller, action));
    HERSTEL_RETURN_IF_ERROR(RequireName(name, "escalations", "name"));
    HERSTEL_RETURN_IF_ERROR(ValidateRequestId(request_id));
    EscalationLocks::Hold hold = locks_.Acquire(name);
    return RunIdempotent(store_, Method(method), request_id, request, *response,
                         [&](Transaction& tx) -> absl::Status {
      const absl::Time now = clock_.Now();
      HERSTEL_ASSIGN_OR_RETURN(Escalation escalation, EscalationStore::GetEscalation(tx, name));
      HERSTEL_ASSIGN_OR_RETURN(WorkingDayCalendar calendar, CalendarIn(tx));
      HERSTEL_RETURN_IF_ERROR(AuthoriseOnEscalation(caller, action, escalation));
      HERSTEL_RETURN_IF_ERROR(CheckEtag(etag, escalation.etag, name));
      HERSTEL_RETURN_IF_ERROR(change(tx, caller, escalation, now, calendar));
      escalation.update_time = now;
      escalation.etag = NewEtag();
      HERSTEL_RETURN_IF_ERROR(EscalationStore::PutEscalation(tx, escalation));
      *response = EscalationForResponse(escalation, calendar, now);
      return absl::OkStatus();
    });
  });
}

// ---- Escalations --------------------------------------------------------------------------

grpc::Status EscalationGrpcService::OpenEscalation(grpc::ServerContext* context,
                                                   const v1::OpenEscalationRequest* request,
                                                   v1::Escalation* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(AuthoriseRole(caller, Action::kOpen));
    HERSTEL_RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
    const v1::Escalation& asked = request->escalation();
    Escalation draft;
    {
      Escalation parsed = FromProto(asked);
      draft.subject = parsed.subject;
      draft.title = parsed.title;
      draft.municipalities = parsed.municipalities;
      draft.decision_kind = parsed.decision_kind;
      draft.amount_asked_cents = parsed.amount_asked_cents;
      draft.budget_split = parsed.budget_split;
      draft.reason = parsed.reason;
      draft.reason_text = parsed.reason_text;
      draft.supra_local = parsed.supra_local;
      draft.supra_local_reason = parsed.supra_local_reason;
      draft.decision_request = parsed.decision_request;
    }
    HERSTEL_RETURN_IF_ERROR(ValidateNewEscalation(draft));
    if (!v1::EscalationLevel_IsValid(request->start_level())) {
      return FieldError("start_level", "must be a ladder level or unset");
    }
    NormaliseSupraLocal(draft);
    HERSTEL_ASSIGN_OR_RETURN(EscalationLevel level, PlanStartLevel(draft, request->start_level()));
    HERSTEL_RETURN_IF_ERROR(AuthoriseOnEscalation(caller, Action::kOpen, draft));
    return RunIdempotent(store_, Method("OpenEscalation"), request->request_id(), *request,
                         *response, [&](Transaction& tx) -> absl::Status {
      const absl::Time now = clock_.Now();
      Escalation escalation = draft;
      HERSTEL_ASSIGN_OR_RETURN(Body body,
                               EscalationStore::BodyForLevel(tx, level, draft.municipalities[0]));
      HERSTEL_ASSIGN_OR_RETURN(TermPolicy policy, EscalationStore::GetTermPolicy(tx));
      const WorkingDayCalendar calendar = CalendarOf(policy, zone_);
      HERSTEL_ASSIGN_OR_RETURN(int64_t number, EscalationStore::NextNumber(tx, "escalations"));
      escalation.name = absl::StrCat("escalations/e-", number);
      escalation.opened_by = caller.subject;
      escalation.opened_by_organisation = caller.organisation;
      Open(escalation, level, body.name, TermOf(policy, level).term_working_days, calendar,
           caller.subject, now);
      escalation.etag = NewEtag();
      HERSTEL_RETURN_IF_ERROR(EscalationStore::PutEscalation(tx, escalation));
      v1::EscalationOpened event;
      event.set_escalation(escalation.name);
      event.set_level(escalation.level);
      event.set_body(escalation.body);
      event.set_reason(escalation.reason);
      Assign(event.mutable_municipalities(), escalation.municipalities);
      event.set_decision_kind(escalation.decision_kind);
      event.set_amount_asked_cents(escalation.amount_asked_cents);
      Assign(event.mutable_cases(), CasesOf(escalation));
      event.set_cluster(escalation.subject.cluster);
      event.set_bottleneck(escalation.subject.bottleneck);
      event.set_free_question(escalation.subject.kind == SubjectKind::kQuestion);
      event.set_decision_request(escalation.decision_request);
      event.set_supra_local(escalation.supra_local);
      *event.mutable_due_time() = ToTimestamp(escalation.due_time);
      HERSTEL_RETURN_IF_ERROR(Emit(tx, event, escalation.name, Origin(caller, request->request_id())));
      *response = EscalationForResponse(escalation, calendar, now);
      return absl::OkStatus();
    });
  });
}

grpc::Status EscalationGrpcService::GetEscalation(grpc::ServerContext* context,
                                                  const v1::GetEscalationRequest* request,
                                                  v1::Escalation* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(AuthoriseRole(caller, Action::kRead));
    HERSTEL_RETURN_IF_ERROR(RequireName(request->name(), "escalations", "name"));
    return store_.Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(Escalation escalation,
                               EscalationStore::GetEscalation(tx, request->name()));
      HERSTEL_ASSIGN_OR_RETURN(WorkingDayCalendar calendar, CalendarIn(tx));
      *response = EscalationForResponse(escalation, calendar, clock_.Now());
      return absl::OkStatus();
    });
  });
}

grpc::Status EscalationGrpcService::ListEscalations(grpc::ServerContext* context,
                                                    const v1::ListEscalationsRequest* request,
                                                    v1::ListEscalationsResponse* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(AuthoriseRole(caller, Action::kRead));
    HERSTEL_ASSIGN_OR_RETURN(
        Filter filter, Filter::Parse(request->filter(), {"level", "status", "municipality", "overdue",
                                                         "body", "reason", "case", "decision_request"}));
    EscalationQuery query;
    HERSTEL_ASSIGN_OR_RETURN(query.limit, EffectivePageSize(request->page_size()));
    if (request->order_by().empty() || request->order_by() == "create_time desc") {
      query.order_by_due_time = false;
    } else if (request->order_by() == "due_time") {
      query.order_by_due_time = true;
    } else {
      return FieldError("order_by", "must be \"create_time desc\" (the default) or \"due_time\"");
    }
    HERSTEL_ASSIGN_OR_RETURN(query.level, EnumFilter(filter, "level", &v1::EscalationLevel_Parse));
    HERSTEL_ASSIGN_OR_RETURN(query.status, EnumFilter(filter, "status", &v1::EscalationStatus_Parse));
    HERSTEL_ASSIGN_OR_RETURN(query.reason, EnumFilter(filter, "reason", &v1::EscalationReason_Parse));
    HERSTEL_ASSIGN_OR_RETURN(query.overdue, filter.Boolean("overdue"));
    query.municipality = filter.Text("municipality");
    query.body = filter.Text("body");
    query.case_name = filter.Text("case");
    query.decision_request = filter.Text("decision_request");
    const std::string token_query = absl::StrCat(filter.Canonical(), "\norder:", query.order_by_due_time);
    HERSTEL_ASSIGN_OR_RETURN(query.after_key, DecodePageToken(request->page_token(), token_query));
    query.now = clock_.Now();
    return store_.Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(WorkingDayCalendar calendar, CalendarIn(tx));
      HERSTEL_ASSIGN_OR_RETURN(Page<Escalation> page, EscalationStore::ListEscalations(tx, query));
      for (const Escalation& escalation : page.items) {
        *response->add_escalations() = EscalationForResponse(escalation, calendar, query.now);
      }
      if (!page.next_key.empty()) {
        response->set_next_page_token(EncodePageToken(page.next_key, token_query));
      }
      return absl::OkStatus();
    });
  });
}

grpc::Status EscalationGrpcService::WithdrawEscalation(grpc::ServerContext* context,
                                                       const v1::WithdrawEscalationRequest* request,
                                                       v1::Escalation* response) {
  return ChangeEscalation(
      context, "WithdrawEscalation", Action::kWithdraw, *request, request->name(), request->etag(),
      request->request_id(), response,
      [&](Transaction& tx, const Caller& caller, Escalation& escalation, absl::Time now,
          const WorkingDayCalendar&) -> absl::Status {
        const std::string meeting = escalation.meeting;
        HERSTEL_RETURN_IF_ERROR(Withdraw(escalation, request->reason(), now));
        HERSTEL_RETURN_IF_ERROR(RemoveFromAgenda(tx, meeting, escalation.name, now));
        v1::EscalationWithdrawn event;
        event.set_escalation(escalation.name);
        event.set_level(escalation.level);
        event.set_decision_request(escalation.decision_request);
        Assign(event.mutable_cases(), CasesOf(escalation));
        return Emit(tx, event, escalation.name, Origin(caller, request->request_id()));
      });
}

grpc::Status EscalationGrpcService::AcknowledgeEscalation(
    grpc::ServerContext* context, const v1::AcknowledgeEscalationRequest* request,
    v1::Escalation* response) {
  return ChangeEscalation(
      context, "AcknowledgeEscalation", Action::kHandle, *request, request->name(), request->etag(),
      request->request_id(), response,
      [&](Transaction& tx, const Caller& caller, Escalation& escalation, absl::Time now,
          const WorkingDayCalendar&) -> absl::Status {
        if (request->note().size() > kMaxTextLength) {
          return FieldError("note", absl::StrCat("at most ", kMaxTextLength, " characters"));
        }
        HERSTEL_RETURN_IF_ERROR(Acknowledge(escalation, now));
        v1::EscalationAcknowledged event;
        event.set_escalation(escalation.name);
        event.set_level(escalation.level);
        return Emit(tx, event, escalation.name, Origin(caller, request->request_id()));
      });
}

grpc::Status EscalationGrpcService::EscalateUp(grpc::ServerContext* context,
                                               const v1::EscalateUpRequest* request,
                                               v1::Escalation* response) {
  return ChangeEscalation(
      context, "EscalateUp", Action::kHandle, *request, request->name(), request->etag(), request->request_id(),
      response,
      [&](Transaction& tx, const Caller& caller, Escalation& escalation, absl::Time now,
          const WorkingDayCalendar& calendar) -> absl::Status {
        EscalateUpInput input{request->to_level(), request->reason(), request->reason_text(),
                              request->supra_local_reason()};
        HERSTEL_ASSIGN_OR_RETURN(EscalationLevel target, PlanEscalateUp(escalation, input));
        HERSTEL_ASSIGN_OR_RETURN(Body body,
                                 EscalationStore::BodyForLevel(tx, target, escalation.municipalities[0]));
        HERSTEL_ASSIGN_OR_RETURN(TermPolicy policy, EscalationStore::GetTermPolicy(tx));
        if (!escalation.supra_local && !request->supra_local_reason().empty()) {
          escalation.supra_local = true;
          escalation.supra_local_reason = request->supra_local_reason();
        }
        const std::string meeting = escalation.meeting;
        LevelChange change;
        change.to_level = target;
        change.reason = request->reason();
        change.reason_text = request->reason_text();
        change.trigger = v1::ESCALATION_LEVEL_CHANGE_TRIGGER_MANUAL;
        change.actor = caller.subject;
        change.change_time = now;
        MoveUp(escalation, change, body.name, TermOf(policy, target).term_working_days, calendar);
        HERSTEL_RETURN_IF_ERROR(RemoveFromAgenda(tx, meeting, escalation.name, now));
        return Emit(tx, LevelChangedEvent(escalation), escalation.name,
                    Origin(caller, request->request_id()));
      });
}

grpc::Status EscalationGrpcService::ReferEscalation(grpc::ServerContext* context,
                                                    const v1::ReferEscalationRequest* request,
                                                    v1::Escalation* response) {
  return ChangeEscalation(
      context, "ReferEscalation", Action::kHandle, *request, request->name(), request->etag(),
      request->request_id(), response,
      [&](Transaction& tx, const Caller& caller, Escalation& escalation, absl::Time now,
          const WorkingDayCalendar&) -> absl::Status {
        Referral referral = FromProto(request->referral());
        HERSTEL_RETURN_IF_ERROR(ValidateReferral(referral, "referral"));
        const std::string meeting = escalation.meeting;
        HERSTEL_RETURN_IF_ERROR(Refer(escalation, std::move(referral), caller.subject, now));
        HERSTEL_RETURN_IF_ERROR(RemoveFromAgenda(tx, meeting, escalation.name, now));
        v1::EscalationReferred event;
        event.set_escalation(escalation.name);
        event.set_level(escalation.level);
        event.set_organisation(escalation.referral->organisation);
        event.set_framework(escalation.referral->framework);
        event.set_decision_request(escalation.decision_request);
        Assign(event.mutable_cases(), CasesOf(escalation));
        return Emit(tx, event, escalation.name, Origin(caller, request->request_id()));
      });
}

grpc::Status EscalationGrpcService::SuspendEscalation(grpc::ServerContext* context,
                                                      const v1::SuspendEscalationRequest* request,
                                                      v1::Escalation* response) {
  return ChangeEscalation(
      context, "SuspendEscalation", Action::kHandle, *request, request->name(), request->etag(),
      request->request_id(), response,
      [&](Transaction& tx, const Caller& caller, Escalation& escalation, absl::Time now,
          const WorkingDayCalendar&) -> absl::Status {
        HERSTEL_RETURN_IF_ERROR(Suspend(escalation, request->reason(), caller.subject, now));
        v1::EscalationSuspended event;
        event.set_escalation(escalation.name);
        event.set_level(escalation.level);
        return Emit(tx, event, escalation.name, Origin(caller, request->request_id()));
      });
}

grpc::Status EscalationGrpcService::ResumeEscalation(grpc::ServerContext* context,
                                                     const v1::ResumeEscalationRequest* request,
                                                     v1::Escalation* response) {
  return ChangeEscalation(
      context, "ResumeEscalation", Action::kHandle, *request, request->name(), request->etag(),
      request->request_id(), response,
      [&](Transaction& tx, const Caller& caller, Escalation& escalation, absl::Time now,
          const WorkingDayCalendar& calendar) -> absl::Status {
        HERSTEL_ASSIGN_OR_RETURN(int days,
                                 Resume(escalation, request->note(), caller.subject, calendar, now));
        v1::EscalationResumed event;
        event.set_escalation(escalation.name);
        event.set_level(escalation.level);
        event.set_working_days_suspended(days);
        *event.mutable_due_time() = ToTimestamp(escalation.due_time);
        return Emit(tx, event, escalation.name, Origin(caller, request->request_id()));
      });
}

grpc::Status EscalationGrpcService::ScheduleEscalation(grpc::ServerContext* context,
                                                       const v1::ScheduleEscalationRequest* request,
                                                       v1::Escalation* response) {
  return ChangeEscalation(
      context, "ScheduleEscalation", Action::kHandle, *request, request->name(), request->etag(),
      request->request_id(), response,
      [&](Transaction& tx, const Caller& caller, Escalation& escalation, absl::Time now,
          const WorkingDayCalendar&) -> absl::Status {
        HERSTEL_RETURN_IF_ERROR(RequireName(request->meeting(), "meetings", "meeting"));
        HERSTEL_ASSIGN_OR_RETURN(Meeting meeting, EscalationStore::GetMeeting(tx, request->meeting()));
        HERSTEL_RETURN_IF_ERROR(CheckSchedulable(escalation, meeting));
        HERSTEL_RETURN_IF_ERROR(RemoveFromAgenda(tx, escalation.meeting, escalation.name, now));
        meeting.agenda.push_back(
            AgendaItem{escalation.name, escalation.title, escalation.due_time, "", now});
        meeting.update_time = now;
        meeting.etag = NewEtag();
        HERSTEL_RETURN_IF_ERROR(EscalationStore::PutMeeting(tx, meeting));
        escalation.status = v1::ESCALATION_STATUS_SCHEDULED;
        escalation.meeting = meeting.name;
        v1::EscalationScheduled event;
        event.set_escalation(escalation.name);
        event.set_meeting(meeting.name);
        *event.mutable_meeting_start_time() = ToTimestamp(meeting.start_time);
        return Emit(tx, event, escalation.name, Origin(caller, request->request_id()));
      });
}

// ---- Decisions ----------------------------------------------------------------------------

void EscalationGrpcService::AttemptReservation(const Escalation& escalation, Decision& decision,
                                               const std::string& attempt_key,
                                               absl::Time inbound_deadline, absl::Time now) const {
  ReservationOutcome outcome =
      mandate_->AuthoriseAndReserve(escalation, decision, attempt_key, inbound_deadline);
  decision.authorisation = outcome.authorisation;
  decision.reservation = outcome.reservation;
  decision.reservation_error = outcome.error;
  decision.reservation_attempts += 1;
  decision.last_reservation_attempt_time = now;
  decision.spendable_status = outcome.reservation.empty() ? v1::ESCALATION_SPENDABLE_STATUS_PENDING
                                                          : v1::ESCALATION_SPENDABLE_STATUS_SPENDABLE;
}

grpc::Status EscalationGrpcService::DecideEscalation(grpc::ServerContext* context,
                                                     const v1::DecideEscalationRequest* request,
                                                     v1::EscalationDecision* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(AuthoriseRole(caller, Action::kDecide));
    HERSTEL_RETURN_IF_ERROR(RequireName(request->name(), "escalations", "name"));
    HERSTEL_RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
    EscalationLocks::Hold hold = locks_.Acquire(request->name());
    HERSTEL_ASSIGN_OR_RETURN(bool replayed, Replayed(store_, Method("DecideEscalation"),
                                                     request->request_id(), *request, *response));
    if (replayed) return absl::OkStatus();

    DecisionInput input;
    input.body = request->body();
    input.meeting = request->meeting();
    input.outcome = request->outcome();
    input.amount_cents = request->amount_cents();
    for (const auto& part : request->funding()) input.funding.push_back(FromProto(part));
    input.conditions.assign(request->conditions().begin(), request->conditions().end());
    input.rationale = request->rationale();
    for (const auto& vote : request->votes()) {
      input.votes.push_back(Vote{vote.member_id(), vote.choice(), vote.note()});
    }
    input.present_members.assign(request->present_members().begin(),
                                 request->present_members().end());
    if (request->has_referral()) input.referral = FromProto(request->referral());

    const absl::Time now = clock_.Now();
    Escalation escalation;
    Decision decision;
    std::string next_body;
    int next_term = 0;
    HERSTEL_RETURN_IF_ERROR(store_.Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(escalation, EscalationStore::GetEscalation(tx, request->name()));
      HERSTEL_RETURN_IF_ERROR(AuthoriseOnEscalation(caller, Action::kDecide, escalation));
      HERSTEL_RETURN_IF_ERROR(CheckEtag(request->etag(), escalation.etag, escalation.name));
      HERSTEL_RETURN_IF_ERROR(RequireName(input.body, "bodies", "body"));
      HERSTEL_ASSIGN_OR_RETURN(Body body, EscalationStore::GetBody(tx, input.body));
      HERSTEL_RETURN_IF_ERROR(AuthoriseForBody(caller, body, now));
      std::optional<Meeting> meeting;
      if (!input.meeting.empty()) {
        HERSTEL_RETURN_IF_ERROR(RequireName(input.meeting, "meetings", "meeting"));
        HERSTEL_ASSIGN_OR_RETURN(meeting, EscalationStore::GetMeeting(tx, input.meeting));
      }
      HERSTEL_ASSIGN_OR_RETURN(VotingPolicy voting, EscalationStore::GetVotingPolicy(tx));
      HERSTEL_ASSIGN_OR_RETURN(decision,
                               PrepareDecision(escalation, body, meeting, input,
                                               RuleFor(voting, escalation.decision_kind),
                                               caller.subject, now));
      decision.name = absl::StrCat(escalation.name, "/decisions/", escalation.decisions.size() + 1);
      if (decision.outcome == v1::ESCALATION_DECISION_OUTCOME_CANNOT_DECIDE) {
        const EscalationLevel next = NextLevel(escalation.level);
        HERSTEL_ASSIGN_OR_RETURN(Body above,
                                 EscalationStore::BodyForLevel(tx, next, escalation.municipalities[0]));
        HERSTEL_ASSIGN_OR_RETURN(TermPolicy policy, EscalationStore::GetTermPolicy(tx));
        next_body = above.name;
        next_term = TermOf(policy, next).term_working_days;
      }
      return absl::OkStatus();
    }));

    if (decision.spendable_status == v1::ESCALATION_SPENDABLE_STATUS_PENDING) {
      AttemptReservation(escalation, decision, request->request_id(), InboundDeadline(context), now);
    }

    absl::Status recorded = RunIdempotent(
        store_, Method("DecideEscalation"), request->request_id(), *request, *response,
        [&](Transaction& tx) -> absl::Status {
          HERSTEL_ASSIGN_OR_RETURN(Escalation current,
                                   EscalationStore::GetEscalation(tx, escalation.name));
          HERSTEL_RETURN_IF_ERROR(CheckEtag(escalation.etag, current.etag, escalation.name));
          HERSTEL_ASSIGN_OR_RETURN(WorkingDayCalendar calendar, CalendarIn(tx));
          decision.etag = NewEtag();
          HERSTEL_RETURN_IF_ERROR(EscalationStore::PutDecision(tx, decision));
          const std::string meeting_name =
              !decision.meeting.empty() ? decision.meeting : current.meeting;
          ApplyDecision(current, decision);
          if (!meeting_name.empty()) {
            HERSTEL_ASSIGN_OR_RETURN(Meeting meeting, EscalationStore::GetMeeting(tx, meeting_name));
            for (AgendaItem& item : meeting.agenda) {
              if (item.escalation == current.name && item.decision.empty()) item.decision = decision.name;
            }
            meeting.update_time = now;
            meeting.etag = NewEtag();
            HERSTEL_RETURN_IF_ERROR(EscalationStore::PutMeeting(tx, meeting));
          }
          const EventOrigin origin = Origin(caller, request->request_id());
          v1::EscalationDecided decided;
          decided.set_escalation(current.name);
          decided.set_decision(decision.name);
          decided.set_level(decision.level);
          decided.set_body(decision.body);
          decided.set_outcome(decision.outcome);
          decided.set_decision_kind(decision.decision_kind);
          decided.set_amount_asked_cents(decision.amount_asked_cents);
          decided.set_amount_cents(decision.amount_cents);
          for (const Funding& part : decision.funding) *decided.add_funding() = ToProto(part);
          decided.set_spendable_status(decision.spendable_status);
          decided.set_authorisation(decision.authorisation);
          decided.set_reservation(decision.reservation);
          if (decision.reservation_error) {
            decided.set_reservation_error_reason(decision.reservation_error->reason);
          }
          decided.set_within_term(decision.within_term);
          decided.set_final(decision.outcome != v1::ESCALATION_DECISION_OUTCOME_CANNOT_DECIDE);
          Assign(decided.mutable_municipalities(), current.municipalities);
          Assign(decided.mutable_cases(), CasesOf(current));
          decided.set_cluster(current.subject.cluster);
          decided.set_bottleneck(current.subject.bottleneck);
          decided.set_decision_request(current.decision_request);
          HERSTEL_RETURN_IF_ERROR(Emit(tx, decided, current.name, origin));
          if (decision.outcome == v1::ESCALATION_DECISION_OUTCOME_CANNOT_DECIDE) {
            LevelChange change;
            change.to_level = NextLevel(current.level);
            change.reason = v1::ESCALATION_REASON_NO_DECISION_POSSIBLE;
            change.reason_text = decision.rationale;
            change.trigger = v1::ESCALATION_LEVEL_CHANGE_TRIGGER_CANNOT_DECIDE;
            change.cause = decision.name;
            change.actor = caller.subject;
            change.change_time = now;
            MoveUp(current, change, next_body, next_term, calendar);
            HERSTEL_RETURN_IF_ERROR(Emit(tx, LevelChangedEvent(current), current.name, origin));
          } else if (decision.outcome == v1::ESCALATION_DECISION_OUTCOME_REFERRED) {
            v1::EscalationReferred referred;
            referred.set_escalation(current.name);
            referred.set_level(decision.level);
            referred.set_organisation(decision.referral->organisation);
            referred.set_framework(decision.referral->framework);
            referred.set_decision(decision.name);
            referred.set_decision_request(current.decision_request);
            Assign(referred.mutable_cases(), CasesOf(current));
            HERSTEL_RETURN_IF_ERROR(Emit(tx, referred, current.name, origin));
          }
          current.etag = NewEtag();
          HERSTEL_RETURN_IF_ERROR(EscalationStore::PutEscalation(tx, current));
          *response = ToProto(decision);
          return absl::OkStatus();
        });
    if (!recorded.ok() && !decision.reservation.empty()) {
      // The money was reserved for a decision that is not recorded: give it back.
      mandate_->Release(decision.reservation, "escalation decision could not be recorded",
                        request->request_id())
          .IgnoreError();
    }
    return recorded;
  });
}

grpc::Status EscalationGrpcService::GetEscalationDecision(
    grpc::ServerContext* context, const v1::GetEscalationDecisionRequest* request,
    v1::EscalationDecision* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(AuthoriseRole(caller, Action::kRead));
    HERSTEL_RETURN_IF_ERROR(RequireName(request->name(), "escalations", "name", 4));
    return store_.Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(Decision decision, EscalationStore::GetDecision(tx, request->name()));
      *response = ToProto(decision);
      return absl::OkStatus();
    });
  });
}

grpc::Status EscalationGrpcService::ListEscalationDecisions(
    grpc::ServerContext* context, const v1::ListEscalationDecisionsRequest* request,
    v1::ListEscalationDecisionsResponse* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(AuthoriseRole(caller, Action::kRead));
    DecisionQuery query;
    if (request->parent() != "escalations/-") {
      HERSTEL_RETURN_IF_ERROR(RequireName(request->parent(), "escalations", "parent"));
      query.escalation = request->parent();
    }
    HERSTEL_ASSIGN_OR_RETURN(
        Filter filter, Filter::Parse(request->filter(), {"outcome", "level", "spendable_status",
                                                         "body", "municipality"}));
    HERSTEL_ASSIGN_OR_RETURN(query.limit, EffectivePageSize(request->page_size()));
    HERSTEL_ASSIGN_OR_RETURN(query.outcome,
                             EnumFilter(filter, "outcome", &v1::EscalationDecisionOutcome_Parse));
    HERSTEL_ASSIGN_OR_RETURN(query.level, EnumFilter(filter, "level", &v1::EscalationLevel_Parse));
    HERSTEL_ASSIGN_OR_RETURN(query.spendable_status,
                             EnumFilter(filter, "spendable_status", &v1::EscalationSpendableStatus_Parse));
    query.body = filter.Text("body");
    query.municipality = filter.Text("municipality");
    const std::string token_query = absl::StrCat(request->parent(), "\n", filter.Canonical());
    HERSTEL_ASSIGN_OR_RETURN(query.after_key, DecodePageToken(request->page_token(), token_query));
    return store_.Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(Page<Decision> page, EscalationStore::ListDecisions(tx, query));
      for (const Decision& decision : page.items) *response->add_decisions() = ToProto(decision);
      if (!page.next_key.empty()) {
        response->set_next_page_token(EncodePageToken(page.next_key, token_query));
      }
      return absl::OkStatus();
    });
  });
}

grpc::Status EscalationGrpcService::RetryReservation(grpc::ServerContext* context,
                                                     const v1::RetryReservationRequest* request,
                                                     v1::EscalationDecision* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(AuthoriseRole(caller, Action::kDecide));
    HERSTEL_RETURN_IF_ERROR(RequireName(request->name(), "escalations", "name", 4));
    HERSTEL_RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
    const std::string escalation_name =
        request->name().substr(0, request->name().find("/decisions/"));
    EscalationLocks::Hold hold = locks_.Acquire(escalation_name);
    HERSTEL_ASSIGN_OR_RETURN(bool replayed, Replayed(store_, Method("RetryReservation"),
                                                     request->request_id(), *request, *response));
    if (replayed) return absl::OkStatus();
    const absl::Time now = clock_.Now();
    Escalation escalation;
    Decision decision;
    HERSTEL_RETURN_IF_ERROR(store_.Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(decision, EscalationStore::GetDecision(tx, request->name()));
      HERSTEL_ASSIGN_OR_RETURN(escalation, EscalationStore::GetEscalation(tx, decision.escalation));
      HERSTEL_RETURN_IF_ERROR(AuthoriseOnEscalation(caller, Action::kDecide, escalation));
      HERSTEL_ASSIGN_OR_RETURN(Body body, EscalationStore::GetBody(tx, decision.body));
      HERSTEL_RETURN_IF_ERROR(AuthoriseForBody(caller, body, now));
      HERSTEL_RETURN_IF_ERROR(CheckEtag(request->etag(), decision.etag, decision.name));
      if (decision.spendable_status != v1::ESCALATION_SPENDABLE_STATUS_PENDING) {
        return DomainError(absl::StatusCode::kFailedPrecondition, "NOT_PENDING",
                           absl::StrCat(decision.name, " is ",
                                        v1::EscalationSpendableStatus_Name(decision.spendable_status),
                                        "; only a PENDING reservation is retried"));
      }
      if (!request->funding().empty()) {
        std::vector<Funding> funding;
        for (const auto& part : request->funding()) funding.push_back(FromProto(part));
        HERSTEL_ASSIGN_OR_RETURN(decision.funding,
                                 ResolveFunding(escalation, decision.amount_cents, funding, "funding"));
      }
      return absl::OkStatus();
    }));
    AttemptReservation(escalation, decision, request->request_id(), InboundDeadline(context), now);
    absl::Status recorded = RunIdempotent(
        store_, Method("RetryReservation"), request->request_id(), *request, *response,
        [&](Transaction& tx) -> absl::Status {
          decision.update_time = now;
          decision.etag = NewEtag();
          HERSTEL_RETURN_IF_ERROR(EscalationStore::PutDecision(tx, decision));
          v1::EscalationReservationUpdated event;
          event.set_escalation(decision.escalation);
          event.set_decision(decision.name);
          event.set_spendable_status(decision.spendable_status);
          event.set_authorisation(decision.authorisation);
          event.set_reservation(decision.reservation);
          if (decision.reservation_error) {
            event.set_reservation_error_reason(decision.reservation_error->reason);
          }
          event.set_amount_cents(decision.amount_cents);
          event.set_decision_request(escalation.decision_request);
          HERSTEL_RETURN_IF_ERROR(
              Emit(tx, event, decision.escalation, Origin(caller, request->request_id())));
          *response = ToProto(decision);
          return absl::OkStatus();
        });
    if (!recorded.ok() && !decision.reservation.empty()) {
      mandate_->Release(decision.reservation, "escalation reservation retry could not be recorded",
                        request->request_id())
          .IgnoreError();
    }
    return recorded;
  });
}

// ---- Bodies -------------------------------------------------------------------------------

namespace {

v1::EscalationBodyChanged BodyChangedEvent(const Body& body, bool created, absl::Time now) {
  v1::EscalationBodyChanged event;
  event.set_body(body.name);
  event.set_level(body.level);
  Assign(event.mutable_municipalities(), body.municipalities);
  event.set_created(created);
  int voting = 0;
  for (const BodyMember* member : CurrentMembers(body, now)) voting += member->voting ? 1 : 0;
  event.set_voting_members(voting);
  return event;
}

v1::EscalationMeetingChanged MeetingChangedEvent(const Meeting& meeting, bool created) {
  v1::EscalationMeetingChanged event;
  event.set_meeting(meeting.name);
  event.set_body(meeting.body);
  event.set_status(meeting.status);
  *event.mutable_start_time() = ToTimestamp(meeting.start_time);
  event.set_created(created);
  return event;
}

// The paths of `mask`, or `all` when empty; INVALID_ARGUMENT for a path outside `all`.
absl::StatusOr<std::vector<std::string>> MaskPaths(const google::protobuf::FieldMask& mask,
                                                   const std::vector<std::string>& all) {
  if (mask.paths().empty()) return all;
  std::vector<std::string> paths;
  for (const std::string& path : mask.paths()) {
    if (std::find(all.begin(), all.end(), path) == all.end()) {
      return FieldError("update_mask", absl::StrCat("'", absl::string_view(path).substr(0, 64),
                                                    "' cannot be changed; allowed: ",
                                                    absl::StrJoin(all, ", ")));
    }
    paths.push_back(path);
  }
  return paths;
}

bool Has(const std::vector<std::string>& paths, absl::string_view path) {
  return std::find(paths.begin(), paths.end(), path) != paths.end();
}

absl::Status RequireEtag(const std::string& etag) {
  if (!etag.empty()) return absl::OkStatus();
  return FieldError("etag", "is required on update: pass the etag of the version you read");
}

}  // namespace

grpc::Status EscalationGrpcService::CreateBody(grpc::ServerContext* context,
                                               const v1::CreateBodyRequest* request,
                                               v1::EscalationBody* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(AuthoriseRole(caller, Action::kManageBodies));
    HERSTEL_RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
    if (!request->body_id().empty() && !IsValidId(request->body_id())) {
      return FieldError("body_id", "lowercase letters, digits and '-', at most 63 characters");
    }
    Body body = FromProto(request->body());
    HERSTEL_RETURN_IF_ERROR(ValidateBody(body));
    return RunIdempotent(store_, Method("CreateBody"), request->request_id(), *request, *response,
                         [&](Transaction& tx) -> absl::Status {
      const absl::Time now = clock_.Now();
      if (request->body_id().empty()) {
        HERSTEL_ASSIGN_OR_RETURN(int64_t number, EscalationStore::NextNumber(tx, "escalation_bodies"));
        body.name = absl::StrCat("bodies/b-", number);
      } else {
        body.name = absl::StrCat("bodies/", request->body_id());
      }
      body.create_time = now;
      body.update_time = now;
      body.etag = NewEtag();
      HERSTEL_RETURN_IF_ERROR(EscalationStore::InsertBody(tx, body));
      HERSTEL_RETURN_IF_ERROR(Emit(tx, BodyChangedEvent(body, true, now), body.name,
                                   Origin(caller, request->request_id())));
      *response = BodyForResponse(body, now);
      return absl::OkStatus();
    });
  });
}

grpc::Status EscalationGrpcService::GetBody(grpc::ServerContext* context,
                                            const v1::GetBodyRequest* request,
                                            v1::EscalationBody* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(AuthoriseRole(caller, Action::kRead));
    HERSTEL_RETURN_IF_ERROR(RequireName(request->name(), "bodies", "name"));
    return store_.Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(Body body, EscalationStore::GetBody(tx, request->name()));
      *response = BodyForResponse(body, clock_.Now());
      return absl::OkStatus();
    });
  });
}

grpc::Status EscalationGrpcService::ListBodies(grpc::ServerContext* context,
                                               const v1::ListBodiesRequest* request,
                                               v1::ListBodiesResponse* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(AuthoriseRole(caller, Action::kRead));
    HERSTEL_ASSIGN_OR_RETURN(Filter filter, Filter::Parse(request->filter(), {"level", "municipality"}));
    BodyQuery query;
    HERSTEL_ASSIGN_OR_RETURN(query.limit, EffectivePageSize(request->page_size()));
    HERSTEL_ASSIGN_OR_RETURN(query.level, EnumFilter(filter, "level", &v1::EscalationLevel_Parse));
    query.municipality = filter.Text("municipality");
    HERSTEL_ASSIGN_OR_RETURN(query.after_key,
                             DecodePageToken(request->page_token(), filter.Canonical()));
    const absl::Time now = clock_.Now();
    return store_.Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(Page<Body> page, EscalationStore::ListBodies(tx, query));
      for (const Body& body : page.items) *response->add_bodies() = BodyForResponse(body, now);
      if (!page.next_key.empty()) {
        response->set_next_page_token(EncodePageToken(page.next_key, filter.Canonical()));
      }
      return absl::OkStatus();
    });
  });
}

grpc::Status EscalationGrpcService::UpdateBody(grpc::ServerContext* context,
                                               const v1::UpdateBodyRequest* request,
                                               v1::EscalationBody* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(AuthoriseRole(caller, Action::kManageBodies));
    HERSTEL_RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
    HERSTEL_RETURN_IF_ERROR(RequireName(request->body().name(), "bodies", "body.name"));
    HERSTEL_RETURN_IF_ERROR(RequireEtag(request->body().etag()));
    HERSTEL_ASSIGN_OR_RETURN(
        std::vector<std::string> paths,
        MaskPaths(request->update_mask(), {"display_name", "members", "chair_schedule", "quorum"}));
    const Body asked = FromProto(request->body());
    return RunIdempotent(store_, Method("UpdateBody"), request->request_id(), *request, *response,
                         [&](Transaction& tx) -> absl::Status {
      const absl::Time now = clock_.Now();
      HERSTEL_ASSIGN_OR_RETURN(Body body, EscalationStore::GetBody(tx, asked.name));
      HERSTEL_RETURN_IF_ERROR(CheckEtag(asked.etag, body.etag, body.name));
      if (Has(paths, "display_name")) body.display_name = asked.display_name;
      if (Has(paths, "members")) body.members = asked.members;
      if (Has(paths, "chair_schedule")) body.chair_schedule = asked.chair_schedule;
      if (Has(paths, "quorum")) body.quorum = asked.quorum;
      HERSTEL_RETURN_IF_ERROR(ValidateBody(body));
      body.update_time = now;
      body.etag = NewEtag();
      HERSTEL_RETURN_IF_ERROR(EscalationStore::UpdateBody(tx, body));
      HERSTEL_RETURN_IF_ERROR(Emit(tx, BodyChangedEvent(body, false, now), body.name,
                                   Origin(caller, request->request_id())));
      *response = BodyForResponse(body, now);
      return absl::OkStatus();
    });
  });
}

// ---- Meetings -----------------------------------------------------------------------------

grpc::Status EscalationGrpcService::CreateMeeting(grpc::ServerContext* context,
                                                  const v1::CreateMeetingRequest* request,
                                                  v1::EscalationMeeting* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(AuthoriseRole(caller, Action::kManageMeetings));
    HERSTEL_RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
    HERSTEL_RETURN_IF_ERROR(RequireName(request->meeting().body(), "bodies", "meeting.body"));
    Meeting meeting = FromProto(request->meeting());
    meeting.agenda.clear();
    return RunIdempotent(store_, Method("CreateMeeting"), request->request_id(), *request,
                         *response, [&](Transaction& tx) -> absl::Status {
      const absl::Time now = clock_.Now();
      HERSTEL_ASSIGN_OR_RETURN(Body body, EscalationStore::GetBody(tx, meeting.body));
      HERSTEL_RETURN_IF_ERROR(ValidateNewMeeting(meeting, body));
      HERSTEL_ASSIGN_OR_RETURN(int64_t number, EscalationStore::NextNumber(tx, "escalation_meetings"));
      meeting.name = absl::StrCat("meetings/m-", number);
      meeting.status = v1::ESCALATION_MEETING_STATUS_PLANNED;
      if (meeting.chair_member_id.empty()) meeting.chair_member_id = ChairAt(body, meeting.start_time);
      meeting.create_time = now;
      meeting.update_time = now;
      meeting.etag = NewEtag();
      HERSTEL_RETURN_IF_ERROR(EscalationStore::PutMeeting(tx, meeting));
      HERSTEL_RETURN_IF_ERROR(Emit(tx, MeetingChangedEvent(meeting, true), meeting.name,
                                   Origin(caller, request->request_id())));
      *response = ToProto(meeting);
      return absl::OkStatus();
    });
  });
}

grpc::Status EscalationGrpcService::GetMeeting(grpc::ServerContext* context,
                                               const v1::GetMeetingRequest* request,
                                               v1::EscalationMeeting* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(AuthoriseRole(caller, Action::kRead));
    HERSTEL_RETURN_IF_ERROR(RequireName(request->name(), "meetings", "name"));
    return store_.Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(Meeting meeting, EscalationStore::GetMeeting(tx, request->name()));
      *response = ToProto(meeting);
      return absl::OkStatus();
    });
  });
}

grpc::Status EscalationGrpcService::ListMeetings(grpc::ServerContext* context,
                                                 const v1::ListMeetingsRequest* request,
                                                 v1::ListMeetingsResponse* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(AuthoriseRole(caller, Action::kRead));
    HERSTEL_ASSIGN_OR_RETURN(Filter filter,
                             Filter::Parse(request->filter(), {"body", "status", "escalation"}));
    MeetingQuery query;
    HERSTEL_ASSIGN_OR_RETURN(query.limit, EffectivePageSize(request->page_size()));
    HERSTEL_ASSIGN_OR_RETURN(query.status,
                             EnumFilter(filter, "status", &v1::EscalationMeetingStatus_Parse));
    query.body = filter.Text("body");
    query.escalation = filter.Text("escalation");
    HERSTEL_ASSIGN_OR_RETURN(query.after_key,
                             DecodePageToken(request->page_token(), filter.Canonical()));
    return store_.Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(Page<Meeting> page, EscalationStore::ListMeetings(tx, query));
      for (const Meeting& meeting : page.items) *response->add_meetings() = ToProto(meeting);
      if (!page.next_key.empty()) {
        response->set_next_page_token(EncodePageToken(page.next_key, filter.Canonical()));
      }
      return absl::OkStatus();
    });
  });
}

grpc::Status EscalationGrpcService::UpdateMeeting(grpc::ServerContext* context,
                                                  const v1::UpdateMeetingRequest* request,
                                                  v1::EscalationMeeting* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(AuthoriseRole(caller, Action::kManageMeetings));
    HERSTEL_RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
    HERSTEL_RETURN_IF_ERROR(RequireName(request->meeting().name(), "meetings", "meeting.name"));
    HERSTEL_RETURN_IF_ERROR(RequireEtag(request->meeting().etag()));
    HERSTEL_ASSIGN_OR_RETURN(
        std::vector<std::string> paths,
        MaskPaths(request->update_mask(), {"start_time", "location", "status", "chair_member_id"}));
    const Meeting asked = FromProto(request->meeting());
    return RunIdempotent(store_, Method("UpdateMeeting"), request->request_id(), *request,
                         *response, [&](Transaction& tx) -> absl::Status {
      const absl::Time now = clock_.Now();
      HERSTEL_ASSIGN_OR_RETURN(Meeting meeting, EscalationStore::GetMeeting(tx, asked.name));
      HERSTEL_RETURN_IF_ERROR(CheckEtag(asked.etag, meeting.etag, meeting.name));
      HERSTEL_ASSIGN_OR_RETURN(Body body, EscalationStore::GetBody(tx, meeting.body));
      if (Has(paths, "status")) {
        HERSTEL_RETURN_IF_ERROR(CheckMeetingStatusChange(meeting, asked.status));
      } else if (meeting.status != v1::ESCALATION_MEETING_STATUS_PLANNED) {
        HERSTEL_RETURN_IF_ERROR(CheckMeetingStatusChange(meeting, v1::ESCALATION_MEETING_STATUS_PLANNED));
      }
      Meeting changed = meeting;
      if (Has(paths, "start_time")) changed.start_time = asked.start_time;
      if (Has(paths, "location")) changed.location = asked.location;
      if (Has(paths, "chair_member_id")) changed.chair_member_id = asked.chair_member_id;
      Meeting check = changed;
      check.status = v1::ESCALATION_MEETING_STATUS_PLANNED;
      HERSTEL_RETURN_IF_ERROR(ValidateNewMeeting(check, body));
      if (Has(paths, "status")) changed.status = asked.status;
      const bool closes = changed.status != v1::ESCALATION_MEETING_STATUS_PLANNED &&
                          meeting.status == v1::ESCALATION_MEETING_STATUS_PLANNED;
      if (closes) {
        // Items left without a decision go back to ACKNOWLEDGED.
        for (const AgendaItem& item : changed.agenda) {
          if (!item.decision.empty()) continue;
          HERSTEL_ASSIGN_OR_RETURN(Escalation escalation,
                                   EscalationStore::GetEscalation(tx, item.escalation));
          if (escalation.meeting != changed.name) continue;
          escalation.meeting.clear();
          if (escalation.status == v1::ESCALATION_STATUS_SCHEDULED) {
            escalation.status = v1::ESCALATION_STATUS_ACKNOWLEDGED;
          } else if (escalation.status == v1::ESCALATION_STATUS_SUSPENDED &&
                     !escalation.suspensions.empty() &&
                     escalation.suspensions.back().status_before == v1::ESCALATION_STATUS_SCHEDULED) {
            escalation.suspensions.back().status_before = v1::ESCALATION_STATUS_ACKNOWLEDGED;
          }
          escalation.update_time = now;
          escalation.etag = NewEtag();
          HERSTEL_RETURN_IF_ERROR(EscalationStore::PutEscalation(tx, escalation));
        }
      }
      changed.update_time = now;
      changed.etag = NewEtag();
      HERSTEL_RETURN_IF_ERROR(EscalationStore::PutMeeting(tx, changed));
      HERSTEL_RETURN_IF_ERROR(Emit(tx, MeetingChangedEvent(changed, false), changed.name,
                                   Origin(caller, request->request_id())));
      *response = ToProto(changed);
      return absl::OkStatus();
    });
  });
}

// ---- Policies -----------------------------------------------------------------------------

grpc::Status EscalationGrpcService::GetEscalationTermPolicy(
    grpc::ServerContext* context, const v1::GetEscalationTermPolicyRequest* request,
    v1::EscalationTermPolicy* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(AuthoriseRole(caller, Action::kRead));
    if (!request->name().empty() && request->name() != kTermPolicyName) {
      return FieldError("name", absl::StrCat("must be \"", kTermPolicyName, "\""));
    }
    return store_.Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(TermPolicy policy, EscalationStore::GetTermPolicy(tx));
      *response = ToProto(policy);
      return absl::OkStatus();
    });
  });
}

grpc::Status EscalationGrpcService::UpdateEscalationTermPolicy(
    grpc::ServerContext* context, const v1::UpdateEscalationTermPolicyRequest* request,
    v1::EscalationTermPolicy* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(AuthoriseRole(caller, Action::kManagePolicies));
    HERSTEL_RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
    HERSTEL_RETURN_IF_ERROR(RequireEtag(request->policy().etag()));
    HERSTEL_ASSIGN_OR_RETURN(std::vector<std::string> paths,
                             MaskPaths(request->update_mask(), {"levels", "extra_closed_days"}));
    const TermPolicy asked = FromProto(request->policy());
    return RunIdempotent(store_, Method("UpdateEscalationTermPolicy"), request->request_id(),
                         *request, *response, [&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(TermPolicy policy, EscalationStore::GetTermPolicy(tx));
      HERSTEL_RETURN_IF_ERROR(CheckEtag(asked.etag, policy.etag, kTermPolicyName));
      if (Has(paths, "levels")) policy.levels = asked.levels;
      if (Has(paths, "extra_closed_days")) policy.extra_closed_days = asked.extra_closed_days;
      HERSTEL_RETURN_IF_ERROR(ValidateTermPolicy(policy));
      std::sort(policy.levels.begin(), policy.levels.end(),
                [](const LevelTerm& a, const LevelTerm& b) { return a.level < b.level; });
      policy.update_time = clock_.Now();
      policy.etag = NewEtag();
      HERSTEL_RETURN_IF_ERROR(EscalationStore::PutTermPolicy(tx, policy));
      *response = ToProto(policy);
      v1::EscalationTermPolicyUpdated event;
      *event.mutable_levels() = response->levels();
      return Emit(tx, event, kTermPolicyName, Origin(caller, request->request_id()));
    });
  });
}

grpc::Status EscalationGrpcService::GetEscalationVotingPolicy(
    grpc::ServerContext* context, const v1::GetEscalationVotingPolicyRequest* request,
    v1::EscalationVotingPolicy* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(AuthoriseRole(caller, Action::kRead));
    if (!request->name().empty() && request->name() != kVotingPolicyName) {
      return FieldError("name", absl::StrCat("must be \"", kVotingPolicyName, "\""));
    }
    return store_.Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(VotingPolicy policy, EscalationStore::GetVotingPolicy(tx));
      *response = ToProto(policy);
      return absl::OkStatus();
    });
  });
}

grpc::Status EscalationGrpcService::UpdateEscalationVotingPolicy(
    grpc::ServerContext* context, const v1::UpdateEscalationVotingPolicyRequest* request,
    v1::EscalationVotingPolicy* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(AuthoriseRole(caller, Action::kManagePolicies));
    HERSTEL_RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
    HERSTEL_RETURN_IF_ERROR(RequireEtag(request->policy().etag()));
    HERSTEL_ASSIGN_OR_RETURN(std::vector<std::string> paths,
                             MaskPaths(request->update_mask(), {"default_rule", "rules"}));
    const VotingPolicy asked = FromProto(request->policy());
    return RunIdempotent(store_, Method("UpdateEscalationVotingPolicy"), request->request_id(),
                         *request, *response, [&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(VotingPolicy policy, EscalationStore::GetVotingPolicy(tx));
      HERSTEL_RETURN_IF_ERROR(CheckEtag(asked.etag, policy.etag, kVotingPolicyName));
      if (Has(paths, "default_rule")) policy.default_rule = asked.default_rule;
      if (Has(paths, "rules")) policy.rules = asked.rules;
      HERSTEL_RETURN_IF_ERROR(ValidateVotingPolicy(policy));
      policy.update_time = clock_.Now();
      policy.etag = NewEtag();
      HERSTEL_RETURN_IF_ERROR(EscalationStore::PutVotingPolicy(tx, policy));
      *response = ToProto(policy);
      v1::EscalationVotingPolicyUpdated event;
      event.set_default_rule(policy.default_rule);
      *event.mutable_rules() = response->rules();
      return Emit(tx, event, kVotingPolicyName, Origin(caller, request->request_id()));
    });
  });
}

// ---- The overdue sweep --------------------------------------------------------------------

absl::StatusOr<int> EscalationGrpcService::SweepOverdue(int limit) {
  const absl::Time now = clock_.Now();
  std::vector<std::string> names;
  HERSTEL_RETURN_IF_ERROR(store_.Read([&](Transaction& tx) -> absl::Status {
    HERSTEL_ASSIGN_OR_RETURN(std::vector<Escalation> due,
                             EscalationStore::BreachCandidates(tx, now, limit));
    for (const Escalation& escalation : due) names.push_back(escalation.name);
    return absl::OkStatus();
  }));
  int recorded = 0;
  for (const std::string& name : names) {
    // One busy with a decision is picked up by the next sweep.
    std::optional<EscalationLocks::Hold> hold = locks_.TryAcquire(name);
    if (!hold.has_value()) continue;
    HERSTEL_ASSIGN_OR_RETURN(bool breached, RecordBreach(name, now));
    recorded += breached ? 1 : 0;
  }
  return recorded;
}

absl::StatusOr<bool> EscalationGrpcService::RecordBreach(const std::string& name, absl::Time now) {
  bool breached = false;
  HERSTEL_RETURN_IF_ERROR(store_.Write([&](Transaction& tx) -> absl::Status {
    HERSTEL_ASSIGN_OR_RETURN(Escalation escalation, EscalationStore::GetEscalation(tx, name));
    std::optional<Breach> breach = DetectBreach(escalation, now);
    if (!breach.has_value()) return absl::OkStatus();
    breached = true;
    HERSTEL_ASSIGN_OR_RETURN(TermPolicy policy, EscalationStore::GetTermPolicy(tx));
    const EventOrigin origin{"", kSystemActor};
    const EscalationLevel next = NextLevel(escalation.level);
    std::optional<Body> above;
    if (TermOf(policy, escalation.level).auto_escalate && next != v1::ESCALATION_LEVEL_UNSPECIFIED) {
      absl::StatusOr<Body> body =
          EscalationStore::BodyForLevel(tx, next, escalation.municipalities[0]);
      if (body.ok()) above = *body;  // without a body above, the breach is recorded only
    }
    if (above.has_value()) {
      breach->auto_escalated = true;
      breach->to_level = next;
    }
    escalation.breaches.push_back(*breach);
    v1::EscalationTermBreached breached_event;
    breached_event.set_escalation(escalation.name);
    *breached_event.mutable_breach() =
        ToProto(escalation).breaches(static_cast<int>(escalation.breaches.size()) - 1);
    Assign(breached_event.mutable_municipalities(), escalation.municipalities);
    HERSTEL_RETURN_IF_ERROR(Emit(tx, breached_event, escalation.name, origin));
    if (above.has_value()) {
      const std::string meeting = escalation.meeting;
      LevelChange change;
      change.to_level = next;
      change.reason = v1::ESCALATION_REASON_NO_DECISION_POSSIBLE;
      change.reason_text = absl::StrCat("term of ", LevelLabel(escalation.level), " missed (due ",
                                        absl::FormatTime(absl::RFC3339_sec, breach->due_time, zone_),
                                        "); moved up by the auto-escalation policy");
      change.trigger = v1::ESCALATION_LEVEL_CHANGE_TRIGGER_TERM_BREACH;
      change.cause = absl::StrCat(escalation.name, "/breaches/", escalation.breaches.size());
      change.actor = kSystemActor;
      change.change_time = now;
      HERSTEL_ASSIGN_OR_RETURN(WorkingDayCalendar calendar, CalendarIn(tx));
      MoveUp(escalation, change, above->name, TermOf(policy, next).term_working_days, calendar);
      HERSTEL_RETURN_IF_ERROR(RemoveFromAgenda(tx, meeting, escalation.name, now));
      HERSTEL_RETURN_IF_ERROR(Emit(tx, LevelChangedEvent(escalation), escalation.name, origin));
    }
    escalation.update_time = now;
    escalation.etag = NewEtag();
    return EscalationStore::PutEscalation(tx, escalation);
  }));
  return breached;
}

}  // namespace herstel::escalation
