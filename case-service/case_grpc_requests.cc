// Inspections on request, bottlenecks and decision requests (maatwerk).
#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "case_grpc_service.h"
#include "case_service_internal.h"
#include "domain/validation.h"
#include "herstel/idempotency.h"
#include "herstel/listing.h"

namespace herstel::case_service {
namespace {

void PresentInspection(v1::InspectionRequest& record, absl::Time now) {
  std::optional<absl::Time> close;
  if (record.has_close_time()) close = FromTimestamp(record.close_time());
  record.set_waiting_days(InspectionWaitingDays(FromTimestamp(record.request_time()), close, now));
  record.set_overdue(InspectionOverdue(FromTimestamp(record.target_time()), close, now));
}

// Parses a keyset key "a|b|c" of whole numbers.
absl::StatusOr<std::vector<int64_t>> KeyNumbers(const std::string& key, size_t count) {
  std::vector<int64_t> numbers;
  if (key.empty()) return numbers;
  for (absl::string_view part : absl::StrSplit(key, '|')) {
    int64_t value;
    if (!absl::SimpleAtoi(part, &value)) return FieldError("page_token", "is not a token this service issued");
    numbers.push_back(value);
  }
  if (numbers.size() != count) return FieldError("page_token", "is not a token this service issued");
  return numbers;
}

// The id of a decision request: derived from its request_id, so a retry
// after an unanswered call names the same request towards the peers.
std::string DecisionRequestKey(absl::string_view request_id) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(request_id.data()), request_id.size(), digest);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), 8));
}

absl::Status PeerMissing(absl::string_view flag, absl::string_view peer) {
  return DomainError(absl::StatusCode::kUnavailable, "PEER_NOT_CONFIGURED",
                     absl::StrCat("the case-service was started without ", flag, ", so it cannot reach the ",
                                  peer, "; nothing was recorded"));
}

absl::Status AlreadyAnswered(Store& store, absl::string_view request_id, bool& seen) {
  return store.Read([&](Transaction& tx) -> absl::Status {
    HERSTEL_ASSIGN_OR_RETURN(Statement query,
                             tx.Prepare("SELECT 1 FROM idempotent_requests WHERE request_id = ?"));
    query.Bind(1, request_id);
    HERSTEL_ASSIGN_OR_RETURN(seen, query.Step());
    return absl::OkStatus();
  });
}

}  // namespace

// ---- Inspection requests -------------------------------------------------------------

grpc::Status CaseGrpcService::CreateInspectionRequest(ServerContext* context,
                                                      const v1::CreateInspectionRequestRequest* request,
                                                      v1::InspectionRequest* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kRequestInspection));
    HERSTEL_ASSIGN_OR_RETURN(int64_t case_id, ParseCaseName(request->parent(), "parent"));
    const v1::InspectionRequest& given = request->inspection_request();
    HERSTEL_RETURN_IF_ERROR(ValidateRequiredText(given.reason(), "inspection_request.reason"));
    absl::Time now = absl::Now();
    absl::Time request_time = now;
    if (given.has_request_time()) {
      HERSTEL_ASSIGN_OR_RETURN(request_time, RequestTime(given.request_time(), "inspection_request.request_time"));
      HERSTEL_RETURN_IF_ERROR(
          ValidateInspectionRequestTime(request_time, now, "inspection_request.request_time"));
    }
    return RunIdempotent(
        store_, "herstel.v1.CaseService/CreateInspectionRequest", request->request_id(), *request,
        *response, [&](Transaction& tx) -> absl::Status {
          HERSTEL_ASSIGN_OR_RETURN(Versioned<v1::Case> stored,
                                   LoadCaseFor(tx, case_id, caller, CaseAction::kRequestInspection));
          if (!stored.record.open_inspection_request().empty()) {
            return DomainError(absl::StatusCode::kFailedPrecondition, "INSPECTION_REQUEST_OPEN",
                               absl::StrCat("the case already has an open inspection request, ",
                                            stored.record.open_inspection_request()),
                               {{"open_inspection_request", stored.record.open_inspection_request()}});
          }
          v1::InspectionRequest record;
          record.set_reason(given.reason());
          *record.mutable_request_time() = ToTimestamp(request_time);
          *record.mutable_target_time() =
              ToTimestamp(InspectionTargetTime(request_time, options_.inspection_target_days));
          record.set_status(v1::INSPECTION_REQUEST_STATUS_OPEN);
          record.set_municipality(stored.record.municipality());
          HERSTEL_RETURN_IF_ERROR(
              InsertInspectionRequest(tx, case_id, stored.record.village(), record).status());
          stored.record.set_open_inspection_request(record.name());
          stored.record.set_risk_category(RiskAfterInspectionRequest(stored.record.risk_category()));
          *stored.record.mutable_update_time() = ToTimestamp(now);
          HERSTEL_RETURN_IF_ERROR(SaveCase(tx, case_id, stored));
          v1::InspectionRequested event;
          event.set_inspection_request(record.name());
          *event.mutable_request_time() = record.request_time();
          *event.mutable_target_time() = record.target_time();
          event.set_municipality(stored.record.municipality());
          event.set_village(stored.record.village());
          HERSTEL_RETURN_IF_ERROR(
              AppendEvent(tx, event, record.name(), OriginOf(caller, request->request_id())).status());
          PresentInspection(record, now);
          *response = record;
          return absl::OkStatus();
        });
  });
}

grpc::Status CaseGrpcService::GetInspectionRequest(ServerContext* context,
                                                   const v1::GetInspectionRequestRequest* request,
                                                   v1::InspectionRequest* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kRead));
    HERSTEL_ASSIGN_OR_RETURN(auto name, ParseChildName(request->name(), "inspection-requests", "name"));
    int64_t request_id;
    if (!absl::SimpleAtoi(name.second, &request_id)) return FieldError("name", "has no valid request id");
    return store_.Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(Versioned<v1::InspectionRequest> stored,
                               LoadInspectionRequest(tx, name.first, request_id));
      HERSTEL_RETURN_IF_ERROR(CheckScopeFor(caller, stored.record.municipality(), CaseAction::kRead,
                                            request->name()));
      PresentInspection(stored.record, absl::Now());
      *response = std::move(stored.record);
      return absl::OkStatus();
    });
  });
}

grpc::Status CaseGrpcService::ListInspectionRequests(ServerContext* context,
                                                     const v1::ListInspectionRequestsRequest* request,
                                                     v1::ListInspectionRequestsResponse* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kRead));
    HERSTEL_ASSIGN_OR_RETURN(std::optional<int64_t> case_id, ParseCaseParent(request->parent()));
    HERSTEL_ASSIGN_OR_RETURN(Filter filter, Filter::Parse(request->filter(), {"municipality", "village", "status",
                                                                              "overdue", "min_waiting_days"}));
    HERSTEL_ASSIGN_OR_RETURN(int page_size, EffectivePageSize(request->page_size()));
    std::string order_by = request->order_by().empty() ? "target_time" : request->order_by();
    if (order_by != "target_time" && order_by != "waiting_days") {
      return FieldError("order_by", "must be \"target_time\" or \"waiting_days\"");
    }
    std::string page_query = PageQuery(filter.Canonical(), absl::StrCat(order_by, "@", request->parent()));
    HERSTEL_ASSIGN_OR_RETURN(std::string key, DecodePageToken(request->page_token(), page_query));
    // "now" travels in the token so the waiting order stays stable across pages.
    HERSTEL_ASSIGN_OR_RETURN(std::vector<int64_t> after, KeyNumbers(key, 3));
    int64_t now_micros = after.empty() ? TimeToMicros(absl::Now()) : after[0];
    SqlConditions where;
    HERSTEL_RETURN_IF_ERROR(RestrictToScope(caller, filter.Text("municipality"), "i.municipality", where));
    if (case_id) where.Add("i.case_id = ?", {*case_id});
    if (auto village = filter.Text("village")) where.Add("i.village = ?", {*village});
    HERSTEL_ASSIGN_OR_RETURN(auto status, filter.EnumValue<v1::InspectionRequestStatus>(
                                              "status", v1::InspectionRequestStatus_Parse));
    if (status) where.Add("i.status = ?", {static_cast<int64_t>(*status)});
    HERSTEL_ASSIGN_OR_RETURN(std::optional<bool> overdue, filter.Boolean("overdue"));
    if (overdue) {
      where.Add(*overdue ? "COALESCE(i.close_micros, ?) > i.target_micros"
                         : "COALESCE(i.close_micros, ?) <= i.target_micros",
                {now_micros});
    }
    HERSTEL_ASSIGN_OR_RETURN(std::optional<int64_t> min_days, filter.Integer("min_waiting_days"));
    if (min_days) {
      if (*min_days < 0 || *min_days > 100000) {
        return FieldError("filter", "the value of 'min_waiting_days' must be between 0 and 100000");
      }
      where.Add("COALESCE(i.close_micros, ?) - i.request_micros >= ?",
                {now_micros, *min_days * 24 * 3600 * 1000000});
    }
    std::string sort_key;
    if (order_by == "target_time") {
      sort_key = "i.target_micros";
      if (!after.empty()) where.Add("(i.target_micros, i.id) > (?, ?)", {after[1], after[2]});
    } else {
      // Longest waiting first: the negated waiting time ascending.
      sort_key = absl::StrCat("(i.request_micros - COALESCE(i.close_micros, ", now_micros, "))");
      if (!after.empty()) where.Add(absl::StrCat("(", sort_key, ", i.id) > (?, ?)"), {after[1], after[2]});
    }
    std::string sql = absl::StrCat("SELECT ", sort_key, ", i.id, i.version, i.record FROM inspection_requests i",
                                   where.Where(), " ORDER BY ", sort_key, ", i.id LIMIT ?");
    return store_.Read([&](Transaction& tx) -> absl::Status {
      if (case_id) HERSTEL_RETURN_IF_ERROR(LoadCaseFor(tx, *case_id, caller, CaseAction::kRead).status());
      std::vector<int64_t> versions;
      HERSTEL_ASSIGN_OR_RETURN(
          RecordPage page, ReadRecordPage(tx, sql, where, page_size, 3, [&](const Statement& row) {
            versions.push_back(row.ColumnInt(2));
            return absl::StrCat(now_micros, "|", row.ColumnInt(0), "|", row.ColumnInt(1));
          }));
      for (size_t i = 0; i < page.records.size(); ++i) {
        v1::InspectionRequest* record = response->add_inspection_requests();
        if (!record->ParseFromString(page.records[i])) return absl::InternalError("stored inspection request unreadable");
        record->set_etag(EtagOf(versions[i]));
        PresentInspection(*record, MicrosToTime(now_micros));
      }
      if (!page.last_key.empty()) response->set_next_page_token(EncodePageToken(page.last_key, page_query));
      return absl::OkStatus();
    });
  });
}

grpc::Status CaseGrpcService::ScheduleInspectionRequest(
    ServerContext* context, const v1::ScheduleInspectionRequestRequest* request,
    v1::InspectionRequest* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kHandleInspection));
    HERSTEL_ASSIGN_OR_RETURN(auto name, ParseChildName(request->name(), "inspection-requests", "name"));
    int64_t request_number;
    if (!absl::SimpleAtoi(name.second, &request_number)) return FieldError("name", "has no valid request id");
    if (!request->has_schedule_time()) return FieldError("schedule_time", "is required");
    HERSTEL_ASSIGN_OR_RETURN(absl::Time schedule_time, RequestTime(request->schedule_time(), "schedule_time"));
    absl::Time now = absl::Now();
    return RunIdempotent(
        store_, "herstel.v1.CaseService/ScheduleInspectionRequest", request->request_id(), *request,
        *response, [&](Transaction& tx) -> absl::Status {
          HERSTEL_ASSIGN_OR_RETURN(Versioned<v1::InspectionRequest> stored,
                                   LoadInspectionRequest(tx, name.first, request_number));
          HERSTEL_RETURN_IF_ERROR(CheckScopeFor(caller, stored.record.municipality(),
                                                CaseAction::kHandleInspection, request->name()));
          HERSTEL_RETURN_IF_ERROR(CheckEtag(request->etag(), stored.version));
          HERSTEL_RETURN_IF_ERROR(ValidateInspectionSchedule(
              stored.record.status(), FromTimestamp(stored.record.request_time()), schedule_time));
          stored.record.set_status(v1::INSPECTION_REQUEST_STATUS_SCHEDULED);
          *stored.record.mutable_schedule_time() = request->schedule_time();
          HERSTEL_RETURN_IF_ERROR(SaveInspectionRequest(tx, request_number, stored));
          v1::InspectionScheduled event;
          event.set_inspection_request(stored.record.name());
          *event.mutable_schedule_time() = request->schedule_time();
          event.set_municipality(stored.record.municipality());
          HERSTEL_RETURN_IF_ERROR(AppendEvent(tx, event, stored.record.name(),
                                              OriginOf(caller, request->request_id()))
                                      .status());
          PresentInspection(stored.record, now);
          *response = stored.record;
          return absl::OkStatus();
        });
  });
}

grpc::Status CaseGrpcService::CloseInspectionRequest(ServerContext* context,
                                                     const v1::CloseInspectionRequestRequest* request,
                                                     v1::InspectionRequest* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kHandleInspection));
    HERSTEL_ASSIGN_OR_RETURN(auto name, ParseChildName(request->name(), "inspection-requests", "name"));
    int64_t request_number;
    if (!absl::SimpleAtoi(name.second, &request_number)) return FieldError("name", "has no valid request id");
    absl::Time now = absl::Now();
    absl::Time close_time = now;
    if (request->has_close_time()) {
      HERSTEL_ASSIGN_OR_RETURN(close_time, RequestTime(request->close_time(), "close_time"));
    }
    return RunIdempotent(
        store_, "herstel.v1.CaseService/CloseInspectionRequest", request->request_id(), *request,
        *response, [&](Transaction& tx) -> absl::Status {
          HERSTEL_ASSIGN_OR_RETURN(Versioned<v1::InspectionRequest> stored,
                                   LoadInspectionRequest(tx, name.first, request_number));
          HERSTEL_RETURN_IF_ERROR(CheckScopeFor(caller, stored.record.municipality(),
                                                CaseAction::kHandleInspection, request->name()));
          HERSTEL_RETURN_IF_ERROR(CheckEtag(request->etag(), stored.version));
          HERSTEL_RETURN_IF_ERROR(ValidateInspectionClose(stored.record.status(), request->status(),
                                                          request->note(),
                                                          FromTimestamp(stored.record.request_time()),
                                                          close_time, now));
          stored.record.set_status(request->status());
          *stored.record.mutable_close_time() = ToTimestamp(close_time);
          stored.record.set_close_note(request->note());
          HERSTEL_RETURN_IF_ERROR(SaveInspectionRequest(tx, request_number, stored));
          HERSTEL_ASSIGN_OR_RETURN(Versioned<v1::Case> owner, LoadCase(tx, name.first));
          if (owner.record.open_inspection_request() == stored.record.name()) {
            owner.record.clear_open_inspection_request();
            *owner.record.mutable_update_time() = ToTimestamp(now);
            HERSTEL_RETURN_IF_ERROR(SaveCase(tx, name.first, owner));
          }
          PresentInspection(stored.record, now);
          v1::InspectionRequestClosed event;
          event.set_inspection_request(stored.record.name());
          event.set_status(request->status());
          *event.mutable_close_time() = ToTimestamp(close_time);
          event.set_waiting_days(stored.record.waiting_days());
          event.set_overdue(stored.record.overdue());
          event.set_municipality(stored.record.municipality());
          event.set_village(owner.record.village());
          HERSTEL_RETURN_IF_ERROR(AppendEvent(tx, event, stored.record.name(),
                                              OriginOf(caller, request->request_id()))
                                      .status());
          *response = stored.record;
          return absl::OkStatus();
        });
  });
}

// ---- Bottlenecks ----------------------------------------------------------------------

grpc::Status CaseGrpcService::CreateBottleneck(ServerContext* context,
                                               const v1::CreateBottleneckRequest* request,
                                               v1::Bottleneck* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kRaiseBottleneck));
    HERSTEL_ASSIGN_OR_RETURN(int64_t case_id, ParseCaseName(request->parent(), "parent"));
    const v1::Bottleneck& given = request->bottleneck();
    HERSTEL_RETURN_IF_ERROR(ValidateNewBottleneck(given.category(), given.description()));
    if (!v1::Track_IsValid(given.track())) return FieldError("bottleneck.track", "is not a known track");
    absl::Time now = absl::Now();
    return RunIdempotent(
        store_, "herstel.v1.CaseService/CreateBottleneck", request->request_id(), *request, *response,
        [&](Transaction& tx) -> absl::Status {
          HERSTEL_ASSIGN_OR_RETURN(Versioned<v1::Case> stored,
                                   LoadCaseFor(tx, case_id, caller, CaseAction::kRaiseBottleneck));
          if (given.track() != v1::TRACK_UNSPECIFIED &&
              FindTrack(TracksOf(stored.record), given.track()) == nullptr) {
            return FieldError("bottleneck.track", "is not a track of this case");
          }
          v1::Bottleneck record;
          record.set_category(given.category());
          record.set_description(given.description());
          record.set_track(given.track());
          record.set_status(v1::BOTTLENECK_STATUS_OPEN);
          record.set_raised_by(caller.subject);
          record.set_raised_by_role(caller.role);
          *record.mutable_raise_time() = ToTimestamp(now);
          record.set_municipality(stored.record.municipality());
          HERSTEL_RETURN_IF_ERROR(InsertBottleneck(tx, case_id, record).status());
          stored.record.set_open_bottleneck_count(stored.record.open_bottleneck_count() + 1);
          *stored.record.mutable_update_time() = ToTimestamp(now);
          HERSTEL_RETURN_IF_ERROR(SaveCase(tx, case_id, stored));
          v1::BottleneckRaised event;
          event.set_bottleneck(record.name());
          event.set_category(record.category());
          event.set_track(record.track());
          event.set_raised_by_role(caller.role);
          event.set_municipality(record.municipality());
          HERSTEL_RETURN_IF_ERROR(
              AppendEvent(tx, event, record.name(), OriginOf(caller, request->request_id())).status());
          *response = record;
          return absl::OkStatus();
        });
  });
}

grpc::Status CaseGrpcService::GetBottleneck(ServerContext* context, const v1::GetBottleneckRequest* request,
                                            v1::Bottleneck* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kRead));
    HERSTEL_ASSIGN_OR_RETURN(auto name, ParseChildName(request->name(), "bottlenecks", "name"));
    int64_t bottleneck_id;
    if (!absl::SimpleAtoi(name.second, &bottleneck_id)) return FieldError("name", "has no valid bottleneck id");
    return store_.Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(Versioned<v1::Bottleneck> stored, LoadBottleneck(tx, name.first, bottleneck_id));
      HERSTEL_RETURN_IF_ERROR(CheckScopeFor(caller, stored.record.municipality(), CaseAction::kRead,
                                            request->name()));
      *response = std::move(stored.record);
      return absl::OkStatus();
    });
  });
}

grpc::Status CaseGrpcService::ListBottlenecks(ServerContext* context,
                                              const v1::ListBottlenecksRequest* request,
                                              v1::ListBottlenecksResponse* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kRead));
    HERSTEL_ASSIGN_OR_RETURN(std::optional<int64_t> case_id, ParseCaseParent(request->parent()));
    HERSTEL_ASSIGN_OR_RETURN(Filter filter,
                             Filter::Parse(request->filter(), {"municipality", "category", "status", "track",
                                                               "raised_by", "resolved_by"}));
    HERSTEL_ASSIGN_OR_RETURN(int page_size, EffectivePageSize(request->page_size()));
    std::string order_by = request->order_by().empty() ? "raise_time" : request->order_by();
    if (order_by != "raise_time" && order_by != "raise_time desc") {
      return FieldError("order_by", "must be \"raise_time\" or \"raise_time desc\"");
    }
    bool descending = order_by == "raise_time desc";
    std::string page_query = PageQuery(filter.Canonical(), absl::StrCat(order_by, "@", request->parent()));
    HERSTEL_ASSIGN_OR_RETURN(std::string key, DecodePageToken(request->page_token(), page_query));
    HERSTEL_ASSIGN_OR_RETURN(std::vector<int64_t> after, KeyNumbers(key, 2));
    SqlConditions where;
    HERSTEL_RETURN_IF_ERROR(RestrictToScope(caller, filter.Text("municipality"), "b.municipality", where));
    if (case_id) where.Add("b.case_id = ?", {*case_id});
    HERSTEL_ASSIGN_OR_RETURN(auto category, filter.EnumValue<v1::BottleneckCategory>(
                                                "category", v1::BottleneckCategory_Parse));
    if (category) where.Add("b.category = ?", {static_cast<int64_t>(*category)});
    HERSTEL_ASSIGN_OR_RETURN(auto status,
                             filter.EnumValue<v1::BottleneckStatus>("status", v1::BottleneckStatus_Parse));
    if (status) where.Add("b.status = ?", {static_cast<int64_t>(*status)});
    HERSTEL_ASSIGN_OR_RETURN(auto track, filter.EnumValue<v1::Track>("track", v1::Track_Parse));
    if (track) where.Add("b.track = ?", {static_cast<int64_t>(*track)});
    if (auto raised_by = filter.Text("raised_by")) where.Add("b.raised_by = ?", {*raised_by});
    if (auto resolved_by = filter.Text("resolved_by")) where.Add("b.resolved_by = ?", {*resolved_by});
    if (!after.empty()) {
      where.Add(descending ? "(b.raise_micros, b.id) < (?, ?)" : "(b.raise_micros, b.id) > (?, ?)",
                {after[0], after[1]});
    }
    std::string sql = absl::StrCat("SELECT b.raise_micros, b.id, b.version, b.record FROM bottlenecks b",
                                   where.Where(), descending ? " ORDER BY b.raise_micros DESC, b.id DESC"
                                                            : " ORDER BY b.raise_micros, b.id",
                                   " LIMIT ?");
    return store_.Read([&](Transaction& tx) -> absl::Status {
      if (case_id) HERSTEL_RETURN_IF_ERROR(LoadCaseFor(tx, *case_id, caller, CaseAction::kRead).status());
      std::vector<int64_t> versions;
      HERSTEL_ASSIGN_OR_RETURN(RecordPage page,
                               ReadRecordPage(tx, sql, where, page_size, 3, [&](const Statement& row) {
                                 versions.push_back(row.ColumnInt(2));
                                 return absl::StrCat(row.ColumnInt(0), "|", row.ColumnInt(1));
                               }));
      for (size_t i = 0; i < page.records.size(); ++i) {
        v1::Bottleneck* record = response->add_bottlenecks();
        if (!record->ParseFromString(page.records[i])) return absl::InternalError("stored bottleneck unreadable");
        record->set_etag(EtagOf(versions[i]));
      }
      if (!page.last_key.empty()) response->set_next_page_token(EncodePageToken(page.last_key, page_query));
      return absl::OkStatus();
    });
  });
}

grpc::Status CaseGrpcService::EscalateBottleneck(ServerContext* context,
                                                 const v1::EscalateBottleneckRequest* request,
                                                 v1::Bottleneck* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kEscalateBottleneck));
    HERSTEL_ASSIGN_OR_RETURN(auto name, ParseChildName(request->name(), "bottlenecks", "name"));
    int64_t bottleneck_id;
    if (!absl::SimpleAtoi(name.second, &bottleneck_id)) return FieldError("name", "has no valid bottleneck id");
    HERSTEL_RETURN_IF_ERROR(ValidateRequiredText(request->reason(), "reason"));
    HERSTEL_RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
    bool seen = false;
    HERSTEL_RETURN_IF_ERROR(AlreadyAnswered(store_, request->request_id(), seen));
    std::string escalation_name;
    if (!seen) {
      if (escalation_ == nullptr) return PeerMissing("--escalation_address", "escalation-service");
      // Check before calling out, so a refused change opens nothing.
      v1::Bottleneck current;
      HERSTEL_RETURN_IF_ERROR(store_.Read([&](Transaction& tx) -> absl::Status {
        HERSTEL_ASSIGN_OR_RETURN(Versioned<v1::Bottleneck> stored, LoadBottleneck(tx, name.first, bottleneck_id));
        HERSTEL_RETURN_IF_ERROR(CheckScopeFor(caller, stored.record.municipality(),
                                              CaseAction::kEscalateBottleneck, request->name()));
        HERSTEL_RETURN_IF_ERROR(CheckEtag(request->etag(), stored.version));
        HERSTEL_RETURN_IF_ERROR(ValidateBottleneckEscalation(stored.record.status(), request->reason()));
        current = std::move(stored.record);
        return absl::OkStatus();
      }));
      v1::OpenEscalationRequest open;
      v1::Escalation* escalation = open.mutable_escalation();
      escalation->set_bottleneck(request->name());
      escalation->set_title(absl::StrCat("Knelpunt ", request->name(), " (",
                                         v1::BottleneckCategory_Name(current.category()), ")"));
      escalation->add_municipalities(current.municipality());
      switch (current.category()) {
        case v1::BOTTLENECK_CATEGORY_UNACCEPTABLE_DIFFERENCE:
          escalation->set_decision_kind(v1::DECISION_KIND_DAMPEN_DIFFERENCE);
          break;
        case v1::BOTTLENECK_CATEGORY_DECISION_STUCK:
          escalation->set_decision_kind(v1::DECISION_KIND_BOTTLENECK_BUDGET);
          break;
        default:
          escalation->set_decision_kind(v1::DECISION_KIND_DISCRETIONARY_WITHIN_FRAMEWORK);
      }
      escalation->set_reason(current.category() == v1::BOTTLENECK_CATEGORY_NATIONAL_FRAMEWORK_PINCHES
                                 ? v1::ESCALATION_REASON_NATIONAL_FRAMEWORK_PINCHES
                             : request->supra_local() ? v1::ESCALATION_REASON_SUPRA_LOCAL
                                                      : v1::ESCALATION_REASON_NO_DECISION_POSSIBLE);
      escalation->set_reason_text(request->reason());
      if (request->supra_local()) {
        escalation->set_supra_local(true);
        escalation->set_supra_local_reason(request->reason());
        open.set_start_level(v1::ESCALATION_LEVEL_REGIONAL_CONSULTATION);
      }
      open.set_request_id(request->request_id());
      HERSTEL_ASSIGN_OR_RETURN(v1::Escalation opened,
                               escalation_->OpenEscalation(open, InboundDeadline(*context)));
      escalation_name = opened.name();
    }
    return RunIdempotent(
        store_, "herstel.v1.CaseService/EscalateBottleneck", request->request_id(), *request, *response,
        [&](Transaction& tx) -> absl::Status {
          HERSTEL_ASSIGN_OR_RETURN(Versioned<v1::Bottleneck> stored, LoadBottleneck(tx, name.first, bottleneck_id));
          HERSTEL_RETURN_IF_ERROR(CheckEtag(request->etag(), stored.version));
          HERSTEL_RETURN_IF_ERROR(ValidateBottleneckEscalation(stored.record.status(), request->reason()));
          stored.record.set_status(v1::BOTTLENECK_STATUS_ESCALATED);
          stored.record.set_escalation(escalation_name);
          HERSTEL_RETURN_IF_ERROR(SaveBottleneck(tx, bottleneck_id, stored));
          v1::CaseBottleneckEscalated event;
          event.set_bottleneck(stored.record.name());
          event.set_escalation(escalation_name);
          event.set_category(stored.record.category());
          event.set_municipality(stored.record.municipality());
          HERSTEL_RETURN_IF_ERROR(AppendEvent(tx, event, stored.record.name(),
                                              OriginOf(caller, request->request_id()))
                                      .status());
          *response = stored.record;
          return absl::OkStatus();
        });
  });
}

grpc::Status CaseGrpcService::ResolveBottleneck(ServerContext* context,
                                                const v1::ResolveBottleneckRequest* request,
                                                v1::Bottleneck* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kResolveBottleneck));
    HERSTEL_ASSIGN_OR_RETURN(auto name, ParseChildName(request->name(), "bottlenecks", "name"));
    int64_t bottleneck_id;
    if (!absl::SimpleAtoi(name.second, &bottleneck_id)) return FieldError("name", "has no valid bottleneck id");
    absl::Time now = absl::Now();
    return RunIdempotent(
        store_, "herstel.v1.CaseService/ResolveBottleneck", request->request_id(), *request, *response,
        [&](Transaction& tx) -> absl::Status {
          HERSTEL_ASSIGN_OR_RETURN(Versioned<v1::Bottleneck> stored, LoadBottleneck(tx, name.first, bottleneck_id));
          HERSTEL_RETURN_IF_ERROR(CheckScopeFor(caller, stored.record.municipality(),
                                                CaseAction::kResolveBottleneck, request->name()));
          HERSTEL_RETURN_IF_ERROR(CheckEtag(request->etag(), stored.version));
          HERSTEL_RETURN_IF_ERROR(ValidateBottleneckResolution(stored.record.status(), request->resolution()));
          stored.record.set_status(v1::BOTTLENECK_STATUS_RESOLVED);
          stored.record.set_resolution(request->resolution());
          stored.record.set_resolved_by(caller.subject);
          *stored.record.mutable_resolve_time() = ToTimestamp(now);
          HERSTEL_RETURN_IF_ERROR(SaveBottleneck(tx, bottleneck_id, stored));
          HERSTEL_ASSIGN_OR_RETURN(Versioned<v1::Case> owner, LoadCase(tx, name.first));
          owner.record.set_open_bottleneck_count(std::max(0, owner.record.open_bottleneck_count() - 1));
          *owner.record.mutable_update_time() = ToTimestamp(now);
          HERSTEL_RETURN_IF_ERROR(SaveCase(tx, name.first, owner));
          v1::BottleneckResolved event;
          event.set_bottleneck(stored.record.name());
          event.set_category(stored.record.category());
          *event.mutable_raise_time() = stored.record.raise_time();
          event.set_municipality(stored.record.municipality());
          HERSTEL_RETURN_IF_ERROR(AppendEvent(tx, event, stored.record.name(),
                                              OriginOf(caller, request->request_id()))
                                      .status());
          *response = stored.record;
          return absl::OkStatus();
        });
  });
}

// ---- Decision requests ------------------------------------------------------------------

grpc::Status CaseGrpcService::CreateCaseDecisionRequest(
    ServerContext* context, const v1::CreateCaseDecisionRequestRequest* request,
    v1::CaseDecisionRequest* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kRequestDecision));
    HERSTEL_ASSIGN_OR_RETURN(int64_t case_id, ParseCaseName(request->parent(), "parent"));
    HERSTEL_RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
    const v1::CaseDecisionRequest& given = request->decision_request();
    std::vector<BudgetSplit> lines;
    for (const v1::CaseBudgetSplit& line : given.budget_lines()) {
      lines.push_back({line.budget_line(), line.amount_cents()});
    }
    HERSTEL_RETURN_IF_ERROR(ValidateDecisionRequest(given.amount_cents(), lines, given.justification()));
    v1::DecisionKind kind = given.kind() == v1::DECISION_KIND_UNSPECIFIED ? v1::DECISION_KIND_CUSTOM_SOLUTION
                                                                         : given.kind();
    if (!v1::DecisionKind_IsValid(kind)) return FieldError("decision_request.kind", "is not a known decision kind");
    if (!v1::Track_IsValid(given.track())) return FieldError("decision_request.track", "is not a known track");
    bool seen = false;
    HERSTEL_RETURN_IF_ERROR(AlreadyAnswered(store_, request->request_id(), seen));
    const std::string key = DecisionRequestKey(request->request_id());
    const std::string name = absl::StrCat(CaseName(case_id), "/decision-requests/", key);
    const absl::Time now = absl::Now();
    v1::CaseDecisionRequest record;
    if (!seen) {
      if (mandate_ == nullptr) return PeerMissing("--mandate_address", "mandate-service");
      v1::Case subject;
      HERSTEL_RETURN_IF_ERROR(store_.Read([&](Transaction& tx) -> absl::Status {
        HERSTEL_ASSIGN_OR_RETURN(Versioned<v1::Case> stored,
                                 LoadCaseFor(tx, case_id, caller, CaseAction::kRequestDecision));
        if (given.track() != v1::TRACK_UNSPECIFIED && FindTrack(TracksOf(stored.record), given.track()) == nullptr) {
          return FieldError("decision_request.track", "is not a track of this case");
        }
        subject = std::move(stored.record);
        return absl::OkStatus();
      }));
      // One call: may this caller decide it, and reserve the money.
      v1::CheckAndReserveRequest check;
      v1::MandateCaller* who = check.mutable_caller();
      who->set_subject(caller.subject);
      who->set_role(caller.role);
      who->set_organisation(caller.organisation);
      for (const std::string& scope : caller.municipalities) {
        if (scope != "*") who->add_municipalities(scope);
      }
      check.set_kind(kind);
      check.set_municipality(subject.municipality());
      check.set_area(subject.village());
      for (const BudgetSplit& line : lines) {
        v1::BudgetLineAmount* amount = check.add_lines();
        amount->set_budget_line(line.budget_line);
        amount->set_amount_cents(line.amount_cents);
      }
      check.set_reference(name);
      check.set_request_id(request->request_id());
      HERSTEL_ASSIGN_OR_RETURN(v1::CheckAndReserveResponse answer,
                               mandate_->CheckAndReserve(check, InboundDeadline(*context)));
      record.set_kind(kind);
      record.set_track(given.track());
      record.set_amount_cents(given.amount_cents());
      *record.mutable_budget_lines() = given.budget_lines();
      record.set_justification(given.justification());
      record.set_requested_by(caller.subject);
      *record.mutable_request_time() = ToTimestamp(now);
      record.set_municipality(subject.municipality());
      record.set_decision_log_entry(answer.result().decision_log_entry());
      if (answer.result().allowed()) {
        record.set_status(v1::CASE_DECISION_REQUEST_STATUS_DECIDED_WITHIN_MANDATE);
        record.set_mandate(answer.result().mandate());
        *record.mutable_mandate_chain() = answer.result().mandate_chain();
        record.set_reservation(answer.reservation().name());
        record.set_granted_amount_cents(given.amount_cents());
        *record.mutable_decide_time() = ToTimestamp(now);
      } else {
        if (escalation_ == nullptr) return PeerMissing("--escalation_address", "escalation-service");
        record.set_status(v1::CASE_DECISION_REQUEST_STATUS_AWAITING_ESCALATION);
        record.set_denial_reason(answer.result().denial_message());
        record.set_can_decide_level(answer.result().can_decide_level());
        v1::OpenEscalationRequest open;
        v1::Escalation* escalation = open.mutable_escalation();
        escalation->mutable_cases()->add_cases(subject.name());
        escalation->set_title(absl::StrCat("Maatwerk ", subject.name(), ": ",
                                           given.amount_cents() / 100, " euro"));
        escalation->add_municipalities(subject.municipality());
        escalation->set_decision_kind(kind);
        escalation->set_amount_asked_cents(given.amount_cents());
        for (const BudgetSplit& line : lines) {
          v1::EscalationFunding* funding = escalation->add_budget_split();
          funding->set_budget_line(line.budget_line);
          funding->set_amount_cents(line.amount_cents);
        }
        escalation->set_reason(v1::ESCALATION_REASON_OUT_OF_MANDATE);
        escalation->set_reason_text(answer.result().denial_message().empty()
                                        ? "out of the case manager's mandate"
                                        : answer.result().denial_message());
        escalation->set_decision_request(name);
        if (answer.result().can_decide_level() == v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION) {
          open.set_start_level(v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION);
        }
        open.set_request_id(request->request_id());
        HERSTEL_ASSIGN_OR_RETURN(v1::Escalation opened,
                                 escalation_->OpenEscalation(open, InboundDeadline(*context)));
        record.set_escalation(opened.name());
      }
    }
    return RunIdempotent(
        store_, "herstel.v1.CaseService/CreateCaseDecisionRequest", request->request_id(), *request,
        *response, [&](Transaction& tx) -> absl::Status {
          HERSTEL_RETURN_IF_ERROR(LoadCaseFor(tx, case_id, caller, CaseAction::kRequestDecision).status());
          HERSTEL_RETURN_IF_ERROR(InsertDecisionRequest(tx, case_id, key, record));
          v1::CaseDecisionRequested event;
          event.set_decision_request(record.name());
          event.set_kind(record.kind());
          event.set_amount_cents(record.amount_cents());
          event.set_status(record.status());
          event.set_mandate(record.mandate());
          event.set_reservation(record.reservation());
          event.set_escalation(record.escalation());
          event.set_can_decide_level(record.can_decide_level());
          event.set_municipality(record.municipality());
          HERSTEL_RETURN_IF_ERROR(
              AppendEvent(tx, event, record.name(), OriginOf(caller, request->request_id())).status());
          // An outcome that arrived before this request was recorded.
          HERSTEL_ASSIGN_OR_RETURN(std::vector<v1::Event> pending, TakePendingEscalationEvents(tx, record.name()));
          for (const v1::Event& early : pending) HERSTEL_RETURN_IF_ERROR(ApplyEscalationEvent(tx, early));
          HERSTEL_ASSIGN_OR_RETURN(std::optional<Versioned<v1::CaseDecisionRequest>> current,
                                   LoadDecisionRequest(tx, case_id, key));
          *response = current->record;
          return absl::OkStatus();
        });
  });
}

grpc::Status CaseGrpcService::GetCaseDecisionRequest(ServerContext* context,
                                                     const v1::GetCaseDecisionRequestRequest* request,
                                                     v1::CaseDecisionRequest* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kRead));
    HERSTEL_ASSIGN_OR_RETURN(auto name, ParseChildName(request->name(), "decision-requests", "name"));
    return store_.Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(std::optional<Versioned<v1::CaseDecisionRequest>> stored,
                               LoadDecisionRequest(tx, name.first, name.second));
      if (!stored.has_value() || !caller.CoversMunicipality(stored->record.municipality())) {
        return DomainError(absl::StatusCode::kNotFound, "NOT_FOUND",
                           absl::StrCat("'", request->name(),
                                        "' does not exist (or lies outside your municipality scope)"));
      }
      *response = std::move(stored->record);
      return absl::OkStatus();
    });
  });
}

grpc::Status CaseGrpcService::ListCaseDecisionRequests(ServerContext* context,
                                                       const v1::ListCaseDecisionRequestsRequest* request,
                                                       v1::ListCaseDecisionRequestsResponse* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kRead));
    HERSTEL_ASSIGN_OR_RETURN(std::optional<int64_t> case_id, ParseCaseParent(request->parent()));
    HERSTEL_ASSIGN_OR_RETURN(Filter filter,
                             Filter::Parse(request->filter(), {"municipality", "status", "kind", "track",
                                                               "requested_by", "escalation", "decided_level"}));
    HERSTEL_ASSIGN_OR_RETURN(int page_size, EffectivePageSize(request->page_size()));
    std::string order_by = request->order_by().empty() ? "request_time" : request->order_by();
    if (order_by != "request_time" && order_by != "request_time desc") {
      return FieldError("order_by", "must be \"request_time\" or \"request_time desc\"");
    }
    bool descending = order_by == "request_time desc";
    std::string page_query = PageQuery(filter.Canonical(), absl::StrCat(order_by, "@", request->parent()));
    HERSTEL_ASSIGN_OR_RETURN(std::string key, DecodePageToken(request->page_token(), page_query));
    SqlConditions where;
    HERSTEL_RETURN_IF_ERROR(RestrictToScope(caller, filter.Text("municipality"), "d.municipality", where));
    if (case_id) where.Add("d.case_id = ?", {*case_id});
    HERSTEL_ASSIGN_OR_RETURN(auto status, filter.EnumValue<v1::CaseDecisionRequestStatus>(
                                              "status", v1::CaseDecisionRequestStatus_Parse));
    if (status) where.Add("d.status = ?", {static_cast<int64_t>(*status)});
    HERSTEL_ASSIGN_OR_RETURN(auto kind, filter.EnumValue<v1::DecisionKind>("kind", v1::DecisionKind_Parse));
    if (kind) where.Add("d.kind = ?", {static_cast<int64_t>(*kind)});
    HERSTEL_ASSIGN_OR_RETURN(auto track, filter.EnumValue<v1::Track>("track", v1::Track_Parse));
    if (track) where.Add("d.track = ?", {static_cast<int64_t>(*track)});
    HERSTEL_ASSIGN_OR_RETURN(auto level,
                             filter.EnumValue<v1::EscalationLevel>("decided_level", v1::EscalationLevel_Parse));
    if (level) where.Add("d.decided_level = ?", {static_cast<int64_t>(*level)});
    if (auto by = filter.Text("requested_by")) where.Add("d.requested_by = ?", {*by});
    if (auto escalation = filter.Text("escalation")) where.Add("d.escalation = ?", {*escalation});
    if (!key.empty()) {
      std::vector<std::string> parts = absl::StrSplit(key, '|');
      int64_t micros = 0;
      int64_t after_case = 0;
      if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &micros) || !absl::SimpleAtoi(parts[1], &after_case)) {
        return FieldError("page_token", "is not a token this service issued");
      }
      where.Add(descending ? "(d.request_micros, d.case_id, d.request_key) < (?, ?, ?)"
                           : "(d.request_micros, d.case_id, d.request_key) > (?, ?, ?)",
                {micros, after_case, parts[2]});
    }
    std::string sql = absl::StrCat(
        "SELECT d.request_micros, d.case_id, d.request_key, d.version, d.record FROM decision_requests d",
        where.Where(),
        descending ? " ORDER BY d.request_micros DESC, d.case_id DESC, d.request_key DESC"
                   : " ORDER BY d.request_micros, d.case_id, d.request_key",
        " LIMIT ?");
    return store_.Read([&](Transaction& tx) -> absl::Status {
      if (case_id) HERSTEL_RETURN_IF_ERROR(LoadCaseFor(tx, *case_id, caller, CaseAction::kRead).status());
      std::vector<int64_t> versions;
      HERSTEL_ASSIGN_OR_RETURN(
          RecordPage page, ReadRecordPage(tx, sql, where, page_size, 4, [&](const Statement& row) {
            versions.push_back(row.ColumnInt(3));
            return absl::StrCat(row.ColumnInt(0), "|", row.ColumnInt(1), "|", row.ColumnText(2));
          }));
      for (size_t i = 0; i < page.records.size(); ++i) {
        v1::CaseDecisionRequest* record = response->add_decision_requests();
        if (!record->ParseFromString(page.records[i])) return absl::InternalError("stored decision request unreadable");
        record->set_etag(EtagOf(versions[i]));
      }
      if (!page.last_key.empty()) response->set_next_page_token(EncodePageToken(page.last_key, page_query));
      return absl::OkStatus();
    });
  });
}

}  // namespace herstel::case_service
