#include "mandate_grpc_service.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "domain/access.h"
#include "domain/ledger.h"
#include "domain/mandate_rules.h"
#include "domain/money.h"
#include "google/protobuf/util/time_util.h"
#include "herstel/errors.h"
#include "herstel/idempotency.h"
#include "herstel/rpc.h"
#include "herstel/status_macros.h"
#include "ledger_operations.h"
#include "store/mandate_store.h"

namespace herstel::mandate {
namespace {

using google::protobuf::util::TimeUtil;

constexpr int kMaxReservationLines = 10;
constexpr size_t kMaxTextLength = 2000;
constexpr absl::Duration kDefaultAuthorisationLifetime = absl::Hours(24 * 365);

absl::Time ToTime(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(timestamp));
}

google::protobuf::Timestamp Timestamp(absl::Time time) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(time));
}

Actor ActorOf(const Caller& caller, const std::string& request_id) { return {caller.subject, request_id}; }

// "prefix/x" with x non-empty.
void RequireName(FieldViolations& violations, absl::string_view field, const std::string& value,
                 absl::string_view prefix) {
  violations.Require(absl::StartsWith(value, absl::StrCat(prefix, "/")) &&
                         value.size() > prefix.size() + 1 && value.size() <= 200,
                     field, absl::StrCat("must be a name like ", prefix, "/{id}"));
}

void RequireText(FieldViolations& violations, absl::string_view field, const std::string& value) {
  if (!violations.Require(!value.empty(), field, "is required")) return;
  violations.Require(value.size() <= kMaxTextLength, field,
                     absl::StrCat("must be at most ", kMaxTextLength, " characters"));
}

void CheckOptionalId(FieldViolations& violations, absl::string_view field, const std::string& id) {
  if (id.empty()) return;
  bool valid = id.size() <= 63 && absl::ascii_isalnum(id.front());
  for (char c : id) valid = valid && (absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-');
  violations.Require(valid, field, "must be 1 to 63 lower-case letters, digits or '-', starting with a letter or digit");
}

void CheckMunicipality(FieldViolations& violations, absl::string_view field, const std::string& value,
                       bool required) {
  if (value.empty()) {
    violations.Require(!required, field, "is required, e.g. municipalities/eemsdelta");
    return;
  }
  RequireName(violations, field, value, "municipalities");
}

void CheckKind(FieldViolations& violations, absl::string_view field, v1::DecisionKind kind) {
  violations.Require(kind != v1::DECISION_KIND_UNSPECIFIED && v1::DecisionKind_IsValid(kind), field,
                     "must be a known decision kind");
}

void CheckLines(FieldViolations& violations, absl::string_view field,
                const google::protobuf::RepeatedPtrField<v1::BudgetLineAmount>& lines) {
  if (!violations.Require(!lines.empty() && lines.size() <= kMaxReservationLines, field,
                          absl::StrCat("must name 1 to ", kMaxReservationLines, " budget lines"))) {
    return;
  }
  std::set<std::string> seen;
  for (int i = 0; i < lines.size(); ++i) {
    std::string prefix = absl::StrCat(field, "[", i, "]");
    RequireName(violations, absl::StrCat(prefix, ".budget_line"), lines[i].budget_line(), "budget-lines");
    violations.Require(seen.insert(lines[i].budget_line()).second, absl::StrCat(prefix, ".budget_line"),
                       "names a line already named; each line at most once");
    absl::Status amount = ValidatePositiveAmount(absl::StrCat(prefix, ".amount_cents"), lines[i].amount_cents());
    if (!amount.ok()) violations.Add(absl::StrCat(prefix, ".amount_cents"), "must be greater than zero and at most EUR 10 trillion");
  }
}

void CheckFutureTime(FieldViolations& violations, absl::string_view field,
                     const google::protobuf::Timestamp& time, bool present) {
  if (!present) return;
  violations.Require(ToTime(time) > absl::Now(), field, "must lie in the future");
}

int64_t SumOf(const google::protobuf::RepeatedPtrField<v1::BudgetLineAmount>& lines) {
  int64_t sum = 0;
  for (const auto& line : lines) sum += line.amount_cents();
  return sum;
}

// Kinds whose decisions spend money, so a check names an amount above zero.
bool SpendsMoney(v1::DecisionKind kind) {
  return kind == v1::DECISION_KIND_CUSTOM_SOLUTION || kind == v1::DECISION_KIND_BOTTLENECK_BUDGET ||
         kind == v1::DECISION_KIND_DAMPEN_DIFFERENCE || kind == v1::DECISION_KIND_NEIGHBOURHOOD_BUDGET ||
         kind == v1::DECISION_KIND_BUDGET_TRANSFER;
}

absl::Status CheckEtag(absl::string_view given, absl::string_view current, absl::string_view name) {
  if (given.empty() || given == current) return absl::OkStatus();
  return DomainError(absl::StatusCode::kAborted, "STALE_ETAG",
                     absl::StrCat(name, " changed since you read it (etag ", given, ", now ", current,
                                  "); read it again and retry"));
}

absl::StatusOr<store::PageRequest> PageOf(int32_t page_size, const std::string& page_token) {
  HERSTEL_ASSIGN_OR_RETURN(int size, EffectivePageSize(page_size));
  return store::PageRequest{size, page_token};
}

// Holder of `parent` (role and organisation) may sub-delegate it.
bool HoldsMandate(const Caller& caller, const v1::Mandate& mandate) {
  return caller.role == mandate.holder().role() &&
         (mandate.holder().organisation().empty() ||
          absl::AsciiStrToLower(caller.organisation) == absl::AsciiStrToLower(mandate.holder().organisation()));
}

DecisionQuery QueryFor(const v1::MandateCaller& caller, v1::DecisionKind kind, int64_t amount_cents,
                       const std::string& municipality, const std::string& area, absl::Time when) {
  DecisionQuery query;
  query.caller = caller;
  query.kind = kind;
  query.amount_cents = amount_cents;
  query.municipality = municipality;
  query.area = area;
  query.decision_time = when;
  return query;
}

// A read in one snapshot.
template <typename Work>
absl::Status ReadWith(Store& store, Work&& work) {
  return store.Read([&](Transaction& tx) -> absl::Status { return work(tx); });
}

}  // namespace

// ---- Mandate register ----------------------------------------------------------

grpc::Status MandateGrpcService::GrantMandate(grpc::ServerContext* context,
                                              const v1::GrantMandateRequest* request,
                                              v1::Mandate* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    const v1::Mandate& asked = request->mandate();
    if (asked.parent().empty()) {
      HERSTEL_RETURN_IF_ERROR(RequireRole(caller, {v1::ROLE_OPERATOR}, "grant a root mandate"));
    } else {
      HERSTEL_RETURN_IF_ERROR(RequireReader(caller, "grant a sub-mandate"));
    }
    HERSTEL_RETURN_IF_ERROR(ValidateNewMandate(asked));
    FieldViolations violations;
    CheckOptionalId(violations, "mandate_id", request->mandate_id());
    if (!asked.parent().empty()) RequireName(violations, "mandate.parent", asked.parent(), "mandates");
    if (!asked.holder().municipality().empty()) {
      CheckMunicipality(violations, "mandate.holder.municipality", asked.holder().municipality(), false);
    }
    HERSTEL_RETURN_IF_ERROR(violations.ToStatus());
    return RunIdempotent(store_, "/herstel.v1.MandateService/GrantMandate", request->request_id(), *request,
                         *response, [&](Transaction& tx) -> absl::Status {
      v1::Mandate mandate = asked;
      mandate.set_granted_by(caller.subject);
      if (!mandate.parent().empty()) {
        HERSTEL_ASSIGN_OR_RETURN(v1::Mandate parent, store::GetMandate(tx, mandate.parent()));
        if (caller.role != v1::ROLE_OPERATOR && !HoldsMandate(caller, parent)) {
          return DomainError(absl::StatusCode::kPermissionDenied, "NOT_THE_PARENT_HOLDER",
                             absl::StrCat("only the holder of ", parent.name(),
                                          " or an operator may grant a sub-mandate of it"));
        }
        HERSTEL_RETURN_IF_ERROR(CheckWithinParent(mandate, parent));
        *mandate.mutable_grantor() = parent.grantor();
      }
      HERSTEL_ASSIGN_OR_RETURN(*response, store::InsertMandate(tx, mandate, request->mandate_id()));
      v1::MandateGranted event;
      *event.mutable_mandate() = *response;
      return AppendEvent(tx, event, response->name(), {request->request_id(), caller.subject}).status();
    });
  });
}

grpc::Status MandateGrpcService::GetMandate(grpc::ServerContext* context,
                                            const v1::GetMandateRequest* request, v1::Mandate* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(RequireReader(caller, "read mandates"));
    FieldViolations violations;
    RequireName(violations, "name", request->name(), "mandates");
    HERSTEL_RETURN_IF_ERROR(violations.ToStatus());
    return ReadWith(store_, [&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(*response, store::GetMandate(tx, request->name()));
      int year = absl::ToCivilYear(absl::Now(), absl::UTCTimeZone()).year();
      HERSTEL_ASSIGN_OR_RETURN(int64_t used, store::MandateUsage(tx, response->name(), year));
      response->set_used_this_year_cents(used);
      return absl::OkStatus();
    });
  });
}

grpc::Status MandateGrpcService::ListMandates(grpc::ServerContext* context,
                                              const v1::ListMandatesRequest* request,
                                              v1::ListMandatesResponse* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(RequireReader(caller, "read mandates"));
    HERSTEL_ASSIGN_OR_RETURN(store::PageRequest page, PageOf(request->page_size(), request->page_token()));
    return ReadWith(store_, [&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(auto result,
                               store::ListMandates(tx, request->filter(), request->order_by(), page));
      for (auto& mandate : result.items) *response->add_mandates() = std::move(mandate);
      response->set_next_page_token(result.next_page_token);
      return absl::OkStatus();
    });
  });
}

grpc::Status MandateGrpcService::RevokeMandate(grpc::ServerContext* context,
                                               const v1::RevokeMandateRequest* request,
                                               v1::RevokeMandateResponse* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(RequireReader(caller, "revoke mandates"));
    FieldViolations violations;
    RequireName(violations, "name", request->name(), "mandates");
    RequireText(violations, "reason", request->reason());
    HERSTEL_RETURN_IF_ERROR(violations.ToStatus());
    return RunIdempotent(store_, "/herstel.v1.MandateService/RevokeMandate", request->request_id(),
                         *request, *response, [&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(v1::Mandate mandate, store::GetMandate(tx, request->name()));
      HERSTEL_RETURN_IF_ERROR(CheckEtag(request->etag(), mandate.etag(), mandate.name()));
      bool allowed = caller.role == v1::ROLE_OPERATOR;
      if (!allowed && !mandate.parent().empty()) {
        HERSTEL_ASSIGN_OR_RETURN(v1::Mandate parent, store::GetMandate(tx, mandate.parent()));
        allowed = HoldsMandate(caller, parent);
      }
      if (!allowed) {
        return DomainError(absl::StatusCode::kPermissionDenied, "NOT_ALLOWED_TO_REVOKE",
                           "only an operator, or the holder of the parent of a sub-mandate, may revoke it");
      }
      if (mandate.state() == v1::MANDATE_STATE_REVOKED) {
        return DomainError(absl::StatusCode::kFailedPrecondition, "ALREADY_REVOKED",
                           absl::StrCat(mandate.name(), " was already revoked: ", mandate.revoke_reason()));
      }
      // Revoke the mandate and every generation below it, breadth first.
      std::vector<v1::Mandate> pending = {mandate};
      while (!pending.empty()) {
        v1::Mandate current = std::move(pending.back());
        pending.pop_back();
        HERSTEL_ASSIGN_OR_RETURN(std::vector<v1::Mandate> children, store::ChildMandates(tx, current.name()));
        for (auto& child : children) {
          if (child.state() == v1::MANDATE_STATE_ACTIVE) pending.push_back(std::move(child));
        }
        current.set_state(v1::MANDATE_STATE_REVOKED);
        *current.mutable_revoke_time() = Timestamp(absl::Now());
        current.set_revoke_reason(request->reason());
        if (current.name() != mandate.name()) current.set_revoked_via(mandate.name());
        HERSTEL_RETURN_IF_ERROR(store::SaveMandate(tx, current));
        v1::MandateRevoked event;
        event.set_mandate(current.name());
        event.set_reason(request->reason());
        event.set_revoked_via(current.revoked_via());
        HERSTEL_RETURN_IF_ERROR(
            AppendEvent(tx, event, current.name(), {request->request_id(), caller.subject}).status());
        if (current.name() == mandate.name()) {
          *response->mutable_mandate() = current;
        } else {
          response->add_revoked_sub_mandates(current.name());
        }
      }
      return absl::OkStatus();
    });
  });
}

// ---- Decision check ----------------------------------------------------------------

grpc::Status MandateGrpcService::CheckDecision(grpc::ServerContext* context,
                                               const v1::CheckDecisionRequest* request,
                                               v1::CheckDecisionResponse* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(RequireReader(caller, "check decisions"));
    HERSTEL_ASSIGN_OR_RETURN(v1::MandateCaller checked, ResolveCheckedCaller(caller, request->caller()));
    FieldViolations violations;
    CheckKind(violations, "kind", request->kind());
    if (SpendsMoney(request->kind())) {
      violations.Require(request->amount_cents() > 0, "amount_cents",
                         "must be greater than zero for a decision that spends money");
    }
    violations.Require(request->amount_cents() >= 0 && request->amount_cents() <= kMaxAmountCents,
                       "amount_cents", "must be between 0 and EUR 10 trillion");
    CheckMunicipality(violations, "municipality", request->municipality(), true);
    if (!request->authorisation().empty()) {
      RequireName(violations, "authorisation", request->authorisation(), "authorisations");
    }
    HERSTEL_RETURN_IF_ERROR(violations.ToStatus());
    absl::Time when = request->has_decision_time() ? ToTime(request->decision_time()) : absl::Now();
    DecisionQuery query = QueryFor(checked, request->kind(), request->amount_cents(),
                                   request->municipality(), request->area(), when);
    return RunIdempotent(store_, "/herstel.v1.MandateService/CheckDecision", request->request_id(),
                         *request, *response, [&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(v1::MandateCheckResult result,
                               mandate::CheckDecision(tx, query, request->authorisation(), request->explain()));
      HERSTEL_RETURN_IF_ERROR(LogCheck(tx, query, result, v1::DECISION_LOG_OPERATION_CHECK_DECISION,
                                       request->reference(), "", ActorOf(caller, request->request_id())));
      *response->mutable_result() = std::move(result);
      return absl::OkStatus();
    });
  });
}

grpc::Status MandateGrpcService::ListDecisionLog(grpc::ServerContext* context,
                                                 const v1::ListDecisionLogRequest* request,
                                                 v1::ListDecisionLogResponse* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(RequireRole(
        caller, {v1::ROLE_AUDITOR, v1::ROLE_OPERATOR, v1::ROLE_NATIONAL_COORDINATOR}, "read the decision log"));
    HERSTEL_ASSIGN_OR_RETURN(store::PageRequest page, PageOf(request->page_size(), request->page_token()));
    return ReadWith(store_, [&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(auto result,
                               store::ListDecisionLog(tx, request->filter(), request->order_by(), page));
      for (auto& entry : result.items) *response->add_entries() = std::move(entry);
      response->set_next_page_token(result.next_page_token);
      return absl::OkStatus();
    });
  });
}

// ---- Authorisations ------------------------------------------------------------------

grpc::Status MandateGrpcService::RecordAuthorisation(grpc::ServerContext* context,
                                                     const v1::RecordAuthorisationRequest* request,
                                                     v1::Authorisation* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(RequireRole(caller, {v1::ROLE_SERVICE, v1::ROLE_OPERATOR},
                                        "record an authorisation of the escalation ladder"));
    const v1::Authorisation& asked = request->authorisation();
    if (IsNonDelegable(asked.kind())) {
      return DomainError(absl::StatusCode::kFailedPrecondition, "NON_DELEGABLE_POWER",
                         absl::StrCat(DescribeKind(asked.kind()),
                                      " can't be decided on the escalation ladder: it is not delegable"));
    }
    FieldViolations violations;
    violations.Require(asked.level() != v1::ESCALATION_LEVEL_UNSPECIFIED &&
                           v1::EscalationLevel_IsValid(asked.level()),
                       "authorisation.level", "must be a level of the escalation ladder");
    CheckKind(violations, "authorisation.kind", asked.kind());
    violations.Require(!asked.municipalities().empty(), "authorisation.municipalities",
                       "must name at least one municipality");
    for (int i = 0; i < asked.municipalities_size(); ++i) {
      CheckMunicipality(violations, absl::StrCat("authorisation.municipalities[", i, "]"),
                        asked.municipalities(i), true);
    }
    if (!ValidatePositiveAmount("authorisation.amount_cents", asked.amount_cents()).ok()) {
      violations.Add("authorisation.amount_cents", "must be greater than zero and at most EUR 10 trillion");
    }
    RequireText(violations, "authorisation.reference", asked.reference());
    RequireName(violations, "authorisation.escalation", asked.escalation(), "escalations");
    RequireText(violations, "authorisation.escalation_decision", asked.escalation_decision());
    CheckFutureTime(violations, "authorisation.expire_time", asked.expire_time(), asked.has_expire_time());
    HERSTEL_RETURN_IF_ERROR(violations.ToStatus());
    return RunIdempotent(store_, "/herstel.v1.MandateService/RecordAuthorisation", request->request_id(),
                         *request, *response, [&](Transaction& tx) -> absl::Status {
      v1::MandateCaller level_caller;
      level_caller.set_level(asked.level());
      level_caller.set_subject(caller.subject);
      v1::Authorisation authorisation = asked;
      for (const std::string& municipality : asked.municipalities()) {
        DecisionQuery query = QueryFor(level_caller, asked.kind(), asked.amount_cents(), municipality, "",
                                       absl::Now());
        HERSTEL_ASSIGN_OR_RETURN(v1::MandateCheckResult result, mandate::CheckDecision(tx, query, "", false));
        if (!result.allowed()) {
          v1::ErrorDetail detail;
          detail.set_reason("LEVEL_LACKS_MANDATE");
          detail.set_can_decide_level(result.can_decide_level());
          (*detail.mutable_metadata())["municipality"] = municipality;
          return WithDetail(absl::FailedPreconditionError(absl::StrCat(
                                "the ", DescribeLevel(asked.level()), " has no mandate for this: ",
                                result.denial_message(), ". Nothing was recorded.")),
                            detail);
        }
        HERSTEL_RETURN_IF_ERROR(LogCheck(tx, query, result, v1::DECISION_LOG_OPERATION_RECORD_AUTHORISATION,
                                         asked.reference(), "", ActorOf(caller, request->request_id())));
        authorisation.set_basis_mandate(result.mandate());
      }
      authorisation.set_recorded_by(caller.subject);
      *authorisation.mutable_create_time() = Timestamp(absl::Now());
      if (!authorisation.has_expire_time()) {
        *authorisation.mutable_expire_time() = Timestamp(absl::Now() + kDefaultAuthorisationLifetime);
      }
      authorisation.clear_reservation();
      HERSTEL_ASSIGN_OR_RETURN(*response, store::InsertAuthorisation(tx, authorisation));
      v1::AuthorisationRecorded event;
      *event.mutable_authorisation() = *response;
      return AppendEvent(tx, event, response->name(), {request->request_id(), caller.subject}).status();
    });
  });
}

grpc::Status MandateGrpcService::GetAuthorisation(grpc::ServerContext* context,
                                                  const v1::GetAuthorisationRequest* request,
                                                  v1::Authorisation* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(RequireReader(caller, "read authorisations"));
    FieldViolations violations;
    RequireName(violations, "name", request->name(), "authorisations");
    HERSTEL_RETURN_IF_ERROR(violations.ToStatus());
    return ReadWith(store_, [&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(*response, store::GetAuthorisation(tx, request->name()));
      return absl::OkStatus();
    });
  });
}

grpc::Status MandateGrpcService::ListAuthorisations(grpc::ServerContext* context,
                                                    const v1::ListAuthorisationsRequest* request,
                                                    v1::ListAuthorisationsResponse* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(RequireReader(caller, "read authorisations"));
    HERSTEL_ASSIGN_OR_RETURN(store::PageRequest page, PageOf(request->page_size(), request->page_token()));
    return ReadWith(store_, [&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(auto result, store::ListAuthorisations(tx, request->filter(), page));
      for (auto& item : result.items) *response->add_authorisations() = std::move(item);
      response->set_next_page_token(result.next_page_token);
      return absl::OkStatus();
    });
  });
}

// ---- Budget lines and the journal -------------------------------------------------------

grpc::Status MandateGrpcService::CreateBudgetLine(grpc::ServerContext* context,
                                                  const v1::CreateBudgetLineRequest* request,
                                                  v1::BudgetLine* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(RequireRole(caller, {v1::ROLE_OPERATOR, v1::ROLE_NATIONAL_COORDINATOR},
                                        "create budget lines"));
    const v1::BudgetLine& asked = request->budget_line();
    FieldViolations violations;
    CheckOptionalId(violations, "budget_line_id", request->budget_line_id());
    RequireText(violations, "budget_line.display_name", asked.display_name());
    violations.Require(asked.source() != v1::BUDGET_SOURCE_UNSPECIFIED && v1::BudgetSource_IsValid(asked.source()),
                       "budget_line.source", "must be a known budget source");
    RequireText(violations, "budget_line.owner", asked.owner());
    CheckMunicipality(violations, "budget_line.municipality", asked.municipality(), false);
    violations.Require(asked.year() >= 2000 && asked.year() <= 2100, "budget_line.year",
                       "must be a year between 2000 and 2100");
    if (!ValidatePositiveAmount("budget_line.ceiling_cents", asked.ceiling_cents()).ok()) {
      violations.Add("budget_line.ceiling_cents", "must be greater than zero and at most EUR 10 trillion");
    }
    HERSTEL_RETURN_IF_ERROR(violations.ToStatus());
    return RunIdempotent(store_, "/herstel.v1.MandateService/CreateBudgetLine", request->request_id(),
                         *request, *response, [&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(v1::BudgetLine line,
                               store::InsertBudgetLine(tx, asked, request->budget_line_id()));
      LineTotals totals;
      Movement opening = OpenLine(totals, asked.ceiling_cents());
      HERSTEL_RETURN_IF_ERROR(store::PostMovement(tx, line.name(), line.name(), opening, "",
                                                  {request->request_id(), caller.subject, absl::Now()})
                                  .status());
      HERSTEL_RETURN_IF_ERROR(store::SaveBudgetLine(tx, line, totals));
      *response = line;
      v1::BudgetLineCreated event;
      *event.mutable_budget_line() = line;
      return AppendEvent(tx, event, line.name(), {request->request_id(), caller.subject}).status();
    });
  });
}

grpc::Status MandateGrpcService::GetBudgetLine(grpc::ServerContext* context,
                                               const v1::GetBudgetLineRequest* request,
                                               v1::BudgetLine* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(RequireReader(caller, "read budget lines"));
    FieldViolations violations;
    RequireName(violations, "name", request->name(), "budget-lines");
    HERSTEL_RETURN_IF_ERROR(violations.ToStatus());
    return ReadWith(store_, [&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(*response, store::GetBudgetLine(tx, request->name()));
      return absl::OkStatus();
    });
  });
}

grpc::Status MandateGrpcService::ListBudgetLines(grpc::ServerContext* context,
                                                 const v1::ListBudgetLinesRequest* request,
                                                 v1::ListBudgetLinesResponse* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(RequireReader(caller, "read budget lines"));
    HERSTEL_ASSIGN_OR_RETURN(store::PageRequest page, PageOf(request->page_size(), request->page_token()));
    return ReadWith(store_, [&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(auto result,
                               store::ListBudgetLines(tx, request->filter(), request->order_by(), page));
      for (auto& line : result.items) *response->add_budget_lines() = std::move(line);
      response->set_next_page_token(result.next_page_token);
      return absl::OkStatus();
    });
  });
}

grpc::Status MandateGrpcService::UpdateBudgetLine(grpc::ServerContext* context,
                                                  const v1::UpdateBudgetLineRequest* request,
                                                  v1::BudgetLine* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(RequireRole(caller, {v1::ROLE_OPERATOR, v1::ROLE_NATIONAL_COORDINATOR},
                                        "update budget lines"));
    const v1::BudgetLine& asked = request->budget_line();
    FieldViolations violations;
    RequireName(violations, "budget_line.name", asked.name(), "budget-lines");
    violations.Require(!asked.etag().empty(), "budget_line.etag", "is required: send the etag you read");
    violations.Require(request->update_mask().paths_size() > 0, "update_mask", "must name at least one field");
    for (const std::string& path : request->update_mask().paths()) {
      if (path == "display_name") {
        RequireText(violations, "budget_line.display_name", asked.display_name());
      } else if (path == "owner") {
        RequireText(violations, "budget_line.owner", asked.owner());
      } else {
        violations.Add("update_mask", absl::StrCat("'", absl::string_view(path).substr(0, 64),
                                                   "' can't be updated; allowed: display_name, owner "
                                                   "(money moves only through the journal)"));
      }
    }
    HERSTEL_RETURN_IF_ERROR(violations.ToStatus());
    return RunIdempotent(store_, "/herstel.v1.MandateService/UpdateBudgetLine", request->request_id(),
                         *request, *response, [&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(v1::BudgetLine line, store::GetBudgetLine(tx, asked.name()));
      HERSTEL_RETURN_IF_ERROR(CheckEtag(asked.etag(), line.etag(), line.name()));
      v1::BudgetLineUpdated event;
      event.set_budget_line(line.name());
      for (const std::string& path : request->update_mask().paths()) {
        if (path == "display_name") line.set_display_name(asked.display_name());
        if (path == "owner") line.set_owner(asked.owner());
        event.add_changed_fields(path);
      }
      HERSTEL_RETURN_IF_ERROR(store::SaveBudgetLine(tx, line, store::TotalsOf(line)));
      *response = line;
      return AppendEvent(tx, event, line.name(), {request->request_id(), caller.subject}).status();
    });
  });
}

grpc::Status MandateGrpcService::GetBudgetBalance(grpc::ServerContext* context,
                                                  const v1::GetBudgetBalanceRequest* request,
                                                  v1::BudgetBalance* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(RequireReader(caller, "read balances"));
    FieldViolations violations;
    RequireName(violations, "budget_line", request->budget_line(), "budget-lines");
    HERSTEL_RETURN_IF_ERROR(violations.ToStatus());
    absl::Time as_of = request->has_as_of_time() ? ToTime(request->as_of_time()) : absl::Now();
    return ReadWith(store_, [&](Transaction& tx) -> absl::Status {
      HERSTEL_RETURN_IF_ERROR(store::GetBudgetLine(tx, request->budget_line()).status());
      HERSTEL_ASSIGN_OR_RETURN(*response, store::BalanceAsOf(tx, request->budget_line(), as_of));
      return absl::OkStatus();
    });
  });
}

grpc::Status MandateGrpcService::ListJournalEntries(grpc::ServerContext* context,
                                                    const v1::ListJournalEntriesRequest* request,
                                                    v1::ListJournalEntriesResponse* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(RequireReader(caller, "read the journal"));
    FieldViolations violations;
    RequireName(violations, "parent", request->parent(), "budget-lines");
    HERSTEL_RETURN_IF_ERROR(violations.ToStatus());
    HERSTEL_ASSIGN_OR_RETURN(store::PageRequest page, PageOf(request->page_size(), request->page_token()));
    return ReadWith(store_, [&](Transaction& tx) -> absl::Status {
      if (request->parent() != "budget-lines/-") {
        HERSTEL_RETURN_IF_ERROR(store::GetBudgetLine(tx, request->parent()).status());
      }
      HERSTEL_ASSIGN_OR_RETURN(auto result, store::ListJournal(tx, request->parent(), request->filter(), page));
      for (auto& entry : result.items) *response->add_entries() = std::move(entry);
      response->set_next_page_token(result.next_page_token);
      return absl::OkStatus();
    });
  });
}

// ---- Reservations ---------------------------------------------------------------------------

grpc::Status MandateGrpcService::ReserveBudget(grpc::ServerContext* context,
                                               const v1::ReserveBudgetRequest* request,
                                               v1::Reservation* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(RequireRole(caller, {v1::ROLE_SERVICE, v1::ROLE_OPERATOR},
                                        "reserve budget without a mandate check (use CheckAndReserve)"));
    FieldViolations violations;
    CheckLines(violations, "lines", request->lines());
    RequireText(violations, "reference", request->reference());
    CheckFutureTime(violations, "expire_time", request->expire_time(), request->has_expire_time());
    HERSTEL_RETURN_IF_ERROR(violations.ToStatus());
    return RunIdempotent(store_, "/herstel.v1.MandateService/ReserveBudget", request->request_id(), *request,
                         *response, [&](Transaction& tx) -> absl::Status {
      v1::Reservation reservation;
      reservation.set_reference(request->reference());
      if (request->has_expire_time()) *reservation.mutable_expire_time() = request->expire_time();
      int year = absl::ToCivilYear(absl::Now(), absl::UTCTimeZone()).year();
      HERSTEL_ASSIGN_OR_RETURN(*response, ReserveLines(tx, request->lines(), reservation, year,
                                                       ActorOf(caller, request->request_id())));
      return absl::OkStatus();
    });
  });
}

grpc::Status MandateGrpcService::CheckAndReserve(grpc::ServerContext* context,
                                                 const v1::CheckAndReserveRequest* request,
                                                 v1::CheckAndReserveResponse* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(RequireReader(caller, "reserve budget"));
    if (caller.role == v1::ROLE_AUDITOR) {
      return DomainError(absl::StatusCode::kPermissionDenied, "ROLE_NOT_ALLOWED",
                         "auditors read only; they may not reserve budget");
    }
    if (!request->authorisation().empty() && caller.role != v1::ROLE_SERVICE) {
      return DomainError(absl::StatusCode::kPermissionDenied, "AUTHORISATION_FOR_SERVICES_ONLY",
                         "only a service (the escalation-service) may reserve under an authorisation");
    }
    HERSTEL_ASSIGN_OR_RETURN(v1::MandateCaller checked, ResolveCheckedCaller(caller, request->caller()));
    FieldViolations violations;
    CheckKind(violations, "kind", request->kind());
    CheckMunicipality(violations, "municipality", request->municipality(), true);
    CheckLines(violations, "lines", request->lines());
    RequireText(violations, "reference", request->reference());
    CheckFutureTime(violations, "expire_time", request->expire_time(), request->has_expire_time());
    if (!request->authorisation().empty()) {
      RequireName(violations, "authorisation", request->authorisation(), "authorisations");
    }
    HERSTEL_RETURN_IF_ERROR(violations.ToStatus());
    absl::Time now = absl::Now();
    DecisionQuery query = QueryFor(checked, request->kind(), SumOf(request->lines()), request->municipality(),
                                   request->area(), now);
    return RunIdempotent(store_, "/herstel.v1.MandateService/CheckAndReserve", request->request_id(),
                         *request, *response, [&](Transaction& tx) -> absl::Status {
      Actor actor = ActorOf(caller, request->request_id());
      HERSTEL_ASSIGN_OR_RETURN(v1::MandateCheckResult result,
                               mandate::CheckDecision(tx, query, request->authorisation(), request->explain()));
      std::string reservation_name;
      if (result.allowed()) {
        v1::Reservation reservation;
        reservation.set_reference(request->reference());
        reservation.set_mandate(result.mandate());
        reservation.set_authorisation(result.authorisation());
        if (request->has_expire_time()) *reservation.mutable_expire_time() = request->expire_time();
        int year = absl::ToCivilYear(now, absl::UTCTimeZone()).year();
        HERSTEL_ASSIGN_OR_RETURN(*response->mutable_reservation(),
                                 ReserveLines(tx, request->lines(), reservation, year, actor));
        reservation_name = response->reservation().name();
        if (!result.authorisation().empty()) {
          HERSTEL_ASSIGN_OR_RETURN(v1::Authorisation authorisation,
                                   store::GetAuthorisation(tx, result.authorisation()));
          authorisation.set_state(v1::AUTHORISATION_STATE_USED);
          authorisation.set_reservation(reservation_name);
          HERSTEL_RETURN_IF_ERROR(store::SaveAuthorisation(tx, authorisation));
          v1::AuthorisationUsed event;
          event.set_authorisation(authorisation.name());
          event.set_reservation(reservation_name);
          event.set_escalation(authorisation.escalation());
          event.set_amount_cents(query.amount_cents);
          HERSTEL_RETURN_IF_ERROR(
              AppendEvent(tx, event, authorisation.name(), {request->request_id(), caller.subject}).status());
        }
      }
      HERSTEL_RETURN_IF_ERROR(LogCheck(tx, query, result, v1::DECISION_LOG_OPERATION_CHECK_AND_RESERVE,
                                       request->reference(), reservation_name, actor));
      if (response->has_reservation()) {
        response->mutable_reservation()->set_decision_log_entry(result.decision_log_entry());
        v1::Reservation stored = response->reservation();
        HERSTEL_RETURN_IF_ERROR(store::SaveReservation(tx, stored));
        *response->mutable_reservation() = stored;
      }
      *response->mutable_result() = std::move(result);
      return absl::OkStatus();
    });
  });
}

grpc::Status MandateGrpcService::GetReservation(grpc::ServerContext* context,
                                                const v1::GetReservationRequest* request,
                                                v1::Reservation* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(RequireReader(caller, "read reservations"));
    FieldViolations violations;
    RequireName(violations, "name", request->name(), "reservations");
    HERSTEL_RETURN_IF_ERROR(violations.ToStatus());
    return ReadWith(store_, [&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(*response, store::GetReservation(tx, request->name()));
      return absl::OkStatus();
    });
  });
}

grpc::Status MandateGrpcService::ListReservations(grpc::ServerContext* context,
                                                  const v1::ListReservationsRequest* request,
                                                  v1::ListReservationsResponse* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(RequireReader(caller, "read reservations"));
    HERSTEL_ASSIGN_OR_RETURN(store::PageRequest page, PageOf(request->page_size(), request->page_token()));
    return ReadWith(store_, [&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(auto result,
                               store::ListReservations(tx, request->filter(), request->order_by(), page));
      for (auto& item : result.items) *response->add_reservations() = std::move(item);
      response->set_next_page_token(result.next_page_token);
      return absl::OkStatus();
    });
  });
}

namespace {

// Services and operators may close any reservation; others only their own.
absl::Status RequireMayClose(const Caller& caller, const v1::Reservation& reservation) {
  if (caller.role == v1::ROLE_SERVICE || caller.role == v1::ROLE_OPERATOR ||
      caller.subject == reservation.reserved_by()) {
    return absl::OkStatus();
  }
  return DomainError(absl::StatusCode::kPermissionDenied, "NOT_YOUR_RESERVATION",
                     absl::StrCat(reservation.name(), " was made by someone else; only they, a service "
                                                      "or an operator may commit or release it"));
}

}  // namespace

grpc::Status MandateGrpcService::CommitReservation(grpc::ServerContext* context,
                                                   const v1::CommitReservationRequest* request,
                                                   v1::Reservation* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(RequireReader(caller, "commit reservations"));
    FieldViolations violations;
    RequireName(violations, "name", request->name(), "reservations");
    if (!request->lines().empty()) CheckLines(violations, "lines", request->lines());
    HERSTEL_RETURN_IF_ERROR(violations.ToStatus());
    return RunIdempotent(store_, "/herstel.v1.MandateService/CommitReservation", request->request_id(),
                         *request, *response, [&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(v1::Reservation reservation, store::GetReservation(tx, request->name()));
      HERSTEL_RETURN_IF_ERROR(RequireMayClose(caller, reservation));
      HERSTEL_RETURN_IF_ERROR(CheckEtag(request->etag(), reservation.etag(), reservation.name()));
      HERSTEL_ASSIGN_OR_RETURN(*response, mandate::CommitReservation(tx, std::move(reservation), request->lines(),
                                                                     ActorOf(caller, request->request_id())));
      return absl::OkStatus();
    });
  });
}

grpc::Status MandateGrpcService::ReleaseReservation(grpc::ServerContext* context,
                                                    const v1::ReleaseReservationRequest* request,
                                                    v1::Reservation* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(RequireReader(caller, "release reservations"));
    FieldViolations violations;
    RequireName(violations, "name", request->name(), "reservations");
    RequireText(violations, "reason", request->reason());
    HERSTEL_RETURN_IF_ERROR(violations.ToStatus());
    return RunIdempotent(store_, "/herstel.v1.MandateService/ReleaseReservation", request->request_id(),
                         *request, *response, [&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(v1::Reservation reservation, store::GetReservation(tx, request->name()));
      HERSTEL_RETURN_IF_ERROR(RequireMayClose(caller, reservation));
      HERSTEL_RETURN_IF_ERROR(CheckEtag(request->etag(), reservation.etag(), reservation.name()));
      HERSTEL_ASSIGN_OR_RETURN(*response,
                               mandate::ReleaseReservation(tx, std::move(reservation), /*expired=*/false,
                                                           request->reason(), ActorOf(caller, request->request_id())));
      return absl::OkStatus();
    });
  });
}

grpc::Status MandateGrpcService::TransferBudget(grpc::ServerContext* context,
                                                const v1::TransferBudgetRequest* request,
                                                v1::TransferBudgetResponse* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(RequireReader(caller, "transfer budget"));
    HERSTEL_ASSIGN_OR_RETURN(v1::MandateCaller checked, ResolveCheckedCaller(caller, request->caller()));
    FieldViolations violations;
    RequireName(violations, "from_budget_line", request->from_budget_line(), "budget-lines");
    RequireName(violations, "to_budget_line", request->to_budget_line(), "budget-lines");
    violations.Require(request->from_budget_line() != request->to_budget_line(), "to_budget_line",
                       "must differ from from_budget_line");
    if (!ValidatePositiveAmount("amount_cents", request->amount_cents()).ok()) {
      violations.Add("amount_cents", "must be greater than zero and at most EUR 10 trillion");
    }
    RequireText(violations, "reason", request->reason());
    HERSTEL_RETURN_IF_ERROR(violations.ToStatus());
    return RunIdempotent(store_, "/herstel.v1.MandateService/TransferBudget", request->request_id(), *request,
                         *response, [&](Transaction& tx) -> absl::Status {
      Actor actor = ActorOf(caller, request->request_id());
      HERSTEL_ASSIGN_OR_RETURN(v1::BudgetLine from, store::GetBudgetLine(tx, request->from_budget_line()));
      HERSTEL_ASSIGN_OR_RETURN(v1::BudgetLine to, store::GetBudgetLine(tx, request->to_budget_line()));
      DecisionQuery query = QueryFor(checked, v1::DECISION_KIND_BUDGET_TRANSFER, request->amount_cents(),
                                     from.municipality(), from.area(), absl::Now());
      HERSTEL_ASSIGN_OR_RETURN(v1::MandateCheckResult result, mandate::CheckDecision(tx, query, "", false));
      if (!result.allowed()) {
        v1::ErrorDetail detail;
        detail.set_reason("NO_MANDATE_FOR_TRANSFER");
        detail.set_can_decide_level(result.can_decide_level());
        return WithDetail(absl::PermissionDeniedError(absl::StrCat(
                              "no mandate allows this transfer: ", result.denial_message(),
                              ". Nothing was moved.")),
                          detail);
      }
      HERSTEL_RETURN_IF_ERROR(LogCheck(tx, query, result, v1::DECISION_LOG_OPERATION_TRANSFER_BUDGET,
                                       request->reason(), "", actor));
      LineTotals from_totals = store::TotalsOf(from);
      LineTotals to_totals = store::TotalsOf(to);
      HERSTEL_RETURN_IF_ERROR(Transfer(from_totals, from.name(), to_totals, request->amount_cents()));
      Movement movement{v1::JOURNAL_MOVEMENT_KIND_TRANSFER, v1::JOURNAL_ACCOUNT_AVAILABLE,
                        v1::JOURNAL_ACCOUNT_AVAILABLE, request->amount_cents()};
      HERSTEL_ASSIGN_OR_RETURN(int64_t movement_id,
                               store::PostMovement(tx, from.name(), to.name(), movement, "",
                                                   {request->request_id(), caller.subject, absl::Now()}));
      HERSTEL_RETURN_IF_ERROR(store::SaveBudgetLine(tx, from, from_totals));
      HERSTEL_RETURN_IF_ERROR(store::SaveBudgetLine(tx, to, to_totals));
      *response->mutable_from_budget_line() = from;
      *response->mutable_to_budget_line() = to;
      response->set_movement_id(movement_id);
      v1::BudgetTransferred event;
      event.set_from_budget_line(from.name());
      event.set_to_budget_line(to.name());
      event.set_amount_cents(request->amount_cents());
      event.set_reason(request->reason());
      event.set_mandate(result.mandate());
      for (const v1::BudgetLine* line : {&from, &to}) {
        v1::BudgetBalance* balance = event.add_balances();
        balance->set_budget_line(line->name());
        balance->set_ceiling_cents(line->ceiling_cents());
        balance->set_reserved_cents(line->reserved_cents());
        balance->set_committed_cents(line->committed_cents());
        balance->set_available_cents(line->available_cents());
        *balance->mutable_as_of_time() = line->update_time();
      }
      *response->mutable_result() = std::move(result);
      return AppendEvent(tx, event, from.name(), {request->request_id(), caller.subject}).status();
    });
  });
}

}  // namespace herstel::mandate
