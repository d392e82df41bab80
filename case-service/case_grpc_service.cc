// Cases, tracks, contact person, phases, plan, personal data, timeline and
// bulk import. Clusters live in case_grpc_clusters.cc; inspections,
// bottlenecks and decision requests in case_grpc_requests.cc.
#include "case_grpc_service.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "case_service_internal.h"
#include "domain/validation.h"
#include "herstel/idempotency.h"
#include "herstel/listing.h"

namespace herstel::case_service {

// ---- Shared helpers -------------------------------------------------------------

absl::StatusOr<absl::Time> RequestTime(const google::protobuf::Timestamp& timestamp,
                                       absl::string_view field) {
  constexpr int64_t kMinSeconds = -62135596800;  // 0001-01-01
  constexpr int64_t kMaxSeconds = 253402300799;  // 9999-12-31
  if (timestamp.seconds() < kMinSeconds || timestamp.seconds() > kMaxSeconds ||
      timestamp.nanos() < 0 || timestamp.nanos() > 999999999) {
    return FieldError(field, "is not a valid time");
  }
  return FromTimestamp(timestamp);
}

std::vector<TrackState> TracksOf(const v1::Case& record) {
  std::vector<TrackState> tracks;
  for (const v1::CaseTrack& track : record.tracks()) {
    TrackState state;
    state.track = track.track();
    state.phase = track.phase();
    state.phase_enter_time = FromTimestamp(track.phase_enter_time());
    state.completed = track.state() == v1::CASE_TRACK_STATE_COMPLETED;
    state.reassessment_count = track.reassessment_count();
    if (track.has_result()) {
      state.result = TrackResult{track.result().outcome(), track.result().summary(),
                                 FromTimestamp(track.result().record_time()),
                                 track.result().recorded_by()};
    }
    tracks.push_back(std::move(state));
  }
  return tracks;
}

void SetTracks(v1::Case& record, const std::vector<TrackState>& tracks) {
  record.clear_tracks();
  for (const TrackState& state : tracks) {
    v1::CaseTrack* track = record.add_tracks();
    track->set_track(state.track);
    track->set_phase(state.phase);
    *track->mutable_phase_enter_time() = ToTimestamp(state.phase_enter_time);
    track->set_state(state.completed ? v1::CASE_TRACK_STATE_COMPLETED : v1::CASE_TRACK_STATE_ACTIVE);
    track->set_reassessment_count(state.reassessment_count);
    if (state.result.has_value()) {
      v1::CaseTrackResult* result = track->mutable_result();
      result->set_outcome(state.result->outcome);
      result->set_summary(state.result->summary);
      *result->mutable_record_time() = ToTimestamp(state.result->record_time);
      result->set_recorded_by(state.result->recorded_by);
    }
  }
}

void PresentCase(v1::Case& record, int64_t version, absl::Time now) {
  record.set_etag(EtagOf(version));
  record.set_urgent(IsUrgent(record.risk_category()));
  for (v1::CaseTrack& track : *record.mutable_tracks()) {
    track.set_days_in_phase(track.state() == v1::CASE_TRACK_STATE_COMPLETED
                                ? 0
                                : WholeDaysBetween(FromTimestamp(track.phase_enter_time()), now));
  }
}

absl::Status CheckScopeFor(const Caller& caller, absl::string_view municipality,
                           CaseAction action, absl::string_view resource_name) {
  if (caller.CoversMunicipality(municipality)) return absl::OkStatus();
  if (action == CaseAction::kRead || action == CaseAction::kReadPersonalData) {
    return DomainError(absl::StatusCode::kNotFound, "NOT_FOUND",
                       absl::StrCat("'", resource_name,
                                    "' does not exist (or lies outside your municipality scope)"));
  }
  return CheckScope(caller, municipality, action);
}

absl::StatusOr<Versioned<v1::Case>> LoadCaseFor(Transaction& tx, int64_t case_id,
                                                const Caller& caller, CaseAction action) {
  HERSTEL_ASSIGN_OR_RETURN(Versioned<v1::Case> stored, LoadCase(tx, case_id));
  HERSTEL_RETURN_IF_ERROR(CheckScopeFor(caller, stored.record.municipality(), action,
                                        stored.record.name()));
  return stored;
}

absl::Status RestrictToScope(const Caller& caller, const std::optional<std::string>& municipality,
                             absl::string_view column, SqlConditions& conditions) {
  if (municipality.has_value()) {
    if (!caller.CoversMunicipality(*municipality)) {
      return CheckScope(caller, *municipality, CaseAction::kRead);
    }
    conditions.Add(absl::StrCat(column, " = ?"), {*municipality});
    return absl::OkStatus();
  }
  if (std::find(caller.municipalities.begin(), caller.municipalities.end(), "*") !=
      caller.municipalities.end()) {
    return absl::OkStatus();
  }
  if (caller.municipalities.empty()) {
    conditions.Add("0");
  } else {
    conditions.AddIn(column, caller.municipalities);
  }
  return absl::OkStatus();
}

absl::Status ValidateMask(const google::protobuf::RepeatedPtrField<std::string>& paths,
                          const std::vector<std::string>& allowed) {
  if (paths.empty()) {
    return FieldError("update_mask", absl::StrCat("name the fields to change; allowed: ",
                                                  absl::StrJoin(allowed, ", ")));
  }
  FieldViolations violations;
  for (const std::string& path : paths) {
    violations.Require(std::find(allowed.begin(), allowed.end(), path) != allowed.end(),
                       "update_mask", absl::StrCat("'", path, "' cannot be changed here; allowed: ",
                                                   absl::StrJoin(allowed, ", ")));
  }
  return violations.ToStatus();
}

absl::Status RequireEtag(absl::string_view etag, absl::string_view field) {
  if (etag.empty()) {
    return FieldError(field, "is required on updates: send back the etag you read");
  }
  return absl::OkStatus();
}

std::string PageQuery(const std::string& filter_canonical, absl::string_view order_by) {
  return absl::StrCat(filter_canonical, "\n#order=", order_by);
}

absl::StatusOr<std::optional<int64_t>> ParseCaseParent(absl::string_view parent) {
  if (parent == "cases/-") return std::optional<int64_t>();
  absl::StatusOr<int64_t> id = ParseCaseName(parent, "parent");
  if (!id.ok()) return FieldError("parent", "must be \"cases/{case}\" or \"cases/-\" for all cases");
  return std::optional<int64_t>(*id);
}

namespace {

constexpr size_t kMaxNameLength = 200;
constexpr size_t kMaxReferenceLength = 128;
constexpr int kMaxImportRowsPerMessage = 1000;
constexpr int kMaxImportErrors = 10000;
// Validated rows are written in transactions of about this many rows (a few
// messages): every row dirties a page of each list index, and a page dirtied
// by several rows of one transaction is written to the log once, so larger
// writes cost fewer pages a row. It also bounds how long an import holds the
// writer from the service's other writes.
constexpr size_t kImportRowsPerWrite = 5000;

ContactPerson ContactOf(const v1::CaseContactPerson& person) {
  return ContactPerson{person.subject(), person.role(), person.organisation()};
}

// Validates and normalises the address fields in place.
absl::Status NormaliseAddress(v1::CaseAddress& address, absl::string_view prefix,
                              FieldViolations& violations) {
  absl::StatusOr<std::string> postcode =
      NormalisePostcode(address.postcode(), absl::StrCat(prefix, ".postcode"));
  if (postcode.ok()) {
    address.set_postcode(*postcode);
  } else {
    violations.Add(absl::StrCat(prefix, ".postcode"),
                   GetErrorDetail(postcode.status())->field_violations(0).description());
  }
  if (absl::Status number = ValidateHouseNumber(address.house_number(), "n"); !number.ok()) {
    violations.Add(absl::StrCat(prefix, ".house_number"),
                   absl::StrCat("must be between 1 and ", kMaxHouseNumber));
  }
  absl::StatusOr<std::string> addition = NormaliseHouseNumberAddition(
      address.house_number_addition(), absl::StrCat(prefix, ".house_number_addition"));
  if (addition.ok()) {
    address.set_house_number_addition(*addition);
  } else {
    violations.Add(absl::StrCat(prefix, ".house_number_addition"),
                   GetErrorDetail(addition.status())->field_violations(0).description());
  }
  violations.Require(address.street().size() <= kMaxNameLength, absl::StrCat(prefix, ".street"),
                     "must be at most 200 characters");
  violations.Require(address.town().size() <= kMaxNameLength, absl::StrCat(prefix, ".town"),
                     "must be at most 200 characters");
  return absl::OkStatus();
}

// Adds the violations of `status` (a FieldError) to `violations`.
void Collect(const absl::Status& status, FieldViolations& violations) {
  if (status.ok()) return;
  std::optional<v1::ErrorDetail> detail = GetErrorDetail(status);
  if (!detail.has_value() || detail->field_violations().empty()) {
    violations.Add("", status.message());
    return;
  }
  for (const v1::FieldViolation& violation : detail->field_violations()) {
    violations.Add(violation.field(), violation.description());
  }
}

absl::Status ValidatePersonalData(v1::CasePersonalData& data, absl::string_view prefix,
                                  const std::set<std::string>* only_fields) {
  FieldViolations violations;
  auto wanted = [&](const char* field) {
    return only_fields == nullptr || only_fields->count(field) > 0;
  };
  if (wanted("resident_name")) {
    violations.Require(data.resident_name().size() <= kMaxNameLength,
                       absl::StrCat(prefix, "resident_name"), "must be at most 200 characters");
  }
  if (wanted("phone") && !data.phone().empty()) {
    Collect(ValidatePhone(data.phone(), absl::StrCat(prefix, "phone")), violations);
  }
  if (wanted("email") && !data.email().empty()) {
    Collect(ValidateEmail(data.email(), absl::StrCat(prefix, "email")), violations);
  }
  if (wanted("citizen_number") && !data.citizen_number().empty()) {
    absl::StatusOr<std::string> number =
        NormaliseCitizenNumber(data.citizen_number(), absl::StrCat(prefix, "citizen_number"));
    if (number.ok()) {
      data.set_citizen_number(*number);
    } else {
      Collect(number.status(), violations);
    }
  }
  return violations.ToStatus();
}

// What CreateCase and BulkImportCases both check about a new case. Fields
// are named with `prefix` ("case." or "rows[i].case.").
absl::Status ValidateNewCase(v1::Case& record, const ReferenceData& reference, const Caller& caller,
                             bool imported, absl::Time now, absl::string_view prefix) {
  FieldViolations violations;
  NormaliseAddress(*record.mutable_address(), absl::StrCat(prefix, "address"), violations)
      .IgnoreError();
  Collect(reference.ValidateLocation(record.municipality(), record.village(),
                                     absl::StrCat(prefix, "municipality"),
                                     absl::StrCat(prefix, "village")),
          violations);
  violations.Require(record.building_id().size() <= kMaxReferenceLength,
                     absl::StrCat(prefix, "building_id"), "must be at most 128 characters");
  violations.Require(record.external_reference().size() <= kMaxReferenceLength,
                     absl::StrCat(prefix, "external_reference"), "must be at most 128 characters");
  if (imported) {
    violations.Require(!record.external_reference().empty(), absl::StrCat(prefix, "external_reference"),
                       "is required on imported rows (the agency system's id)");
  }
  violations.Require(v1::RiskCategory_IsValid(record.risk_category()),
                     absl::StrCat(prefix, "risk_category"), "is not a known risk category");
  if (!record.has_contact_person()) {
    if (!imported && IsCaseManagerRole(caller.role)) {
      v1::CaseContactPerson* person = record.mutable_contact_person();
      person->set_subject(caller.subject);
      person->set_role(caller.role);
      person->set_organisation(caller.organisation);
    } else {
      violations.Add(absl::StrCat(prefix, "contact_person"),
                     "is required: every case has exactly one contact person");
    }
  }
  if (record.has_contact_person()) {
    Collect(ValidateContactPerson(ContactOf(record.contact_person()),
                                  absl::StrCat(prefix, "contact_person")),
            violations);
  }
  // Tracks: phase and phase_enter_time only in imports.
  std::vector<v1::Track> track_names;
  for (const v1::CaseTrack& track : record.tracks()) track_names.push_back(track.track());
  absl::StatusOr<std::vector<TrackState>> opened =
      OpenTracks(track_names, now, absl::StrCat(prefix, "tracks"));
  if (!opened.ok()) {
    Collect(opened.status(), violations);
  } else if (imported) {
    for (int i = 0; i < record.tracks_size(); ++i) {
      const v1::CaseTrack& given = record.tracks(i);
      TrackState& state = (*opened)[i];
      std::string path = absl::StrCat(prefix, "tracks[", i, "]");
      if (given.phase() != v1::PHASE_UNSPECIFIED) {
        if (!v1::Phase_IsValid(given.phase())) {
          violations.Add(absl::StrCat(path, ".phase"), "is not a known phase");
        } else {
          state.phase = given.phase();
        }
      }
      if (given.has_phase_enter_time()) {
        absl::StatusOr<absl::Time> enter =
            RequestTime(given.phase_enter_time(), absl::StrCat(path, ".phase_enter_time"));
        if (!enter.ok() || *enter > now + absl::Minutes(1)) {
          violations.Add(absl::StrCat(path, ".phase_enter_time"),
                         "must be a valid time, not in the future");
        } else {
          state.phase_enter_time = *enter;
        }
      }
    }
  }
  HERSTEL_RETURN_IF_ERROR(violations.ToStatus());
  // Keep only what a caller may set; output-only fields start afresh.
  v1::Case clean;
  *clean.mutable_address() = record.address();
  clean.set_building_id(record.building_id());
  clean.set_village(record.village());
  clean.set_municipality(record.municipality());
  clean.set_risk_category(record.risk_category());
  *clean.mutable_flags() = record.flags();
  *clean.mutable_contact_person() = record.contact_person();
  clean.set_external_reference(record.external_reference());
  clean.set_plan_status(v1::CASE_PLAN_STATUS_DRAFT);
  *clean.mutable_create_time() = ToTimestamp(now);
  *clean.mutable_update_time() = ToTimestamp(now);
  SetTracks(clean, *opened);
  record = std::move(clean);
  return absl::OkStatus();
}

// One address, one case: ALREADY_EXISTS (ADDRESS_HAS_CASE) naming the case
// that holds the address.
absl::Status CheckAddressIsFree(Transaction& tx, const v1::CaseAddress& address) {
  HERSTEL_ASSIGN_OR_RETURN(std::optional<int64_t> existing,
                           FindCaseByAddress(tx, address.postcode(), address.house_number(),
                                             address.house_number_addition()));
  if (!existing.has_value()) return absl::OkStatus();
  return DomainError(absl::StatusCode::kAlreadyExists, "ADDRESS_HAS_CASE",
                     absl::StrCat("this address already has a case, ", CaseName(*existing),
                                  ": one home, one case"),
                     {{"existing_case", CaseName(*existing)}});
}

// The rows of a new case that has passed the address and external-reference
// checks: the case, the empty draft plan, personal data apart, the first
// contact assignment and the event. Nothing here refuses a row, so an import
// needs no savepoint per row.
absl::StatusOr<int64_t> StoreNewCase(Transaction& tx, v1::Case& record,
                                     const v1::CasePersonalData* personal_data,
                                     const EventOrigin& origin, bool imported, absl::Time now) {
  HERSTEL_ASSIGN_OR_RETURN(int64_t case_id, InsertCase(tx, record));
  Versioned<v1::CasePlan> plan;
  plan.record.set_status(v1::CASE_PLAN_STATUS_DRAFT);
  *plan.record.mutable_update_time() = ToTimestamp(now);
  HERSTEL_RETURN_IF_ERROR(SavePlan(tx, case_id, plan));
  if (personal_data != nullptr) {
    Versioned<v1::CasePersonalData> data;
    data.record = *personal_data;
    data.record.set_name(absl::StrCat(CaseName(case_id), "/personal-data"));
    *data.record.mutable_update_time() = ToTimestamp(now);
    HERSTEL_RETURN_IF_ERROR(SavePersonalData(tx, case_id, data));
  }
  v1::ContactHandover first;
  *first.mutable_to() = record.contact_person();
  first.set_reason(imported ? "imported with the case" : "first contact person of the case");
  *first.mutable_handover_time() = ToTimestamp(now);
  first.set_recorded_by(origin.actor);
  HERSTEL_RETURN_IF_ERROR(InsertHandoverNumbered(tx, case_id, 1, first));
  v1::CaseCreated created;
  created.set_case_(record.name());
  created.set_municipality(record.municipality());
  created.set_village(record.village());
  for (const v1::CaseTrack& track : record.tracks()) {
    v1::CaseTrackPhase* phase = created.add_tracks();
    phase->set_track(track.track());
    phase->set_phase(track.phase());
    phase->set_state(track.state());
  }
  created.set_risk_category(record.risk_category());
  *created.mutable_flags() = record.flags();
  *created.mutable_contact_person() = record.contact_person();
  created.set_imported(imported);
  HERSTEL_RETURN_IF_ERROR(AppendEvent(tx, created, record.name(), origin).status());
  return case_id;
}

// Creating one case: the checks, then the rows. Answers ALREADY_EXISTS
// (ADDRESS_HAS_CASE or EXTERNAL_REFERENCE_EXISTS).
absl::StatusOr<int64_t> InsertNewCase(Transaction& tx, v1::Case& record,
                                      const v1::CasePersonalData* personal_data,
                                      const EventOrigin& origin, absl::Time now) {
  HERSTEL_RETURN_IF_ERROR(CheckAddressIsFree(tx, record.address()));
  if (!record.external_reference().empty()) {
    HERSTEL_ASSIGN_OR_RETURN(std::optional<int64_t> same,
                             FindCaseByExternalReference(tx, record.external_reference()));
    if (same.has_value()) {
      return DomainError(absl::StatusCode::kAlreadyExists, "EXTERNAL_REFERENCE_EXISTS",
                         absl::StrCat("external_reference is already used by ", CaseName(*same)),
                         {{"existing_case", CaseName(*same)}});
    }
  }
  return StoreNewCase(tx, record, personal_data, origin, /*imported=*/false, now);
}

// ---- Bulk import -----------------------------------------------------------------

// A row that passed validation, waiting to be written.
struct ImportRow {
  int64_t row_number = 0;
  v1::Case record;
  std::optional<v1::CasePersonalData> personal;
  absl::Time validated_at;
};

// What one write of import rows did.
struct ImportOutcome {
  int64_t imported = 0;
  int64_t existing = 0;
  std::vector<v1::BulkImportRowError> refused;
};

// The report of a row refused before the store saw it.
v1::BulkImportRowError InvalidRowError(const v1::BulkImportCaseRow& row, const absl::Status& status) {
  v1::BulkImportRowError error;
  error.set_row_number(row.row_number());
  error.set_external_reference(row.case_().external_reference());
  std::optional<v1::ErrorDetail> detail = GetErrorDetail(status);
  bool unknown_municipality = false;
  if (detail.has_value()) {
    *error.mutable_field_violations() = detail->field_violations();
    for (const v1::FieldViolation& violation : detail->field_violations()) {
      if (violation.field() == "case.municipality") unknown_municipality = true;
    }
  }
  error.set_reason(unknown_municipality ? "UNKNOWN_MUNICIPALITY"
                   : status.code() == absl::StatusCode::kPermissionDenied
                       ? "OUTSIDE_MUNICIPALITY_SCOPE"
                       : "INVALID_ROW");
  return error;
}

// Writes validated rows in one transaction. Every refusal (the row is there
// already, or its address has another case) is found by a lookup before the
// row writes anything, so a refused row never takes the good rows with it and
// no row needs a savepoint of its own. A store error fails the whole write.
absl::StatusOr<ImportOutcome> WriteImportRows(Store& store, const std::vector<ImportRow>& rows,
                                              const EventOrigin& origin) {
  ImportOutcome outcome;
  HERSTEL_RETURN_IF_ERROR(store.Write([&](Transaction& tx) -> absl::Status {
    outcome = ImportOutcome();
    for (const ImportRow& row : rows) {
      HERSTEL_ASSIGN_OR_RETURN(std::optional<int64_t> known,
                               FindCaseByExternalReference(tx, row.record.external_reference()));
      if (known.has_value()) {
        ++outcome.existing;
        continue;
      }
      absl::Status free = CheckAddressIsFree(tx, row.record.address());
      if (free.code() == absl::StatusCode::kAlreadyExists) {
        v1::BulkImportRowError error;
        error.set_row_number(row.row_number);
        error.set_external_reference(row.record.external_reference());
        std::optional<v1::ErrorDetail> detail = GetErrorDetail(free);
        error.set_reason(detail.has_value() ? detail->reason() : "ADDRESS_HAS_CASE");
        if (detail.has_value() && detail->metadata().count("existing_case")) {
          error.set_existing_case(detail->metadata().at("existing_case"));
        }
        outcome.refused.push_back(std::move(error));
        continue;
      }
      HERSTEL_RETURN_IF_ERROR(free);
      v1::Case record = row.record;
      HERSTEL_RETURN_IF_ERROR(StoreNewCase(tx, record, row.personal ? &*row.personal : nullptr,
                                           origin, /*imported=*/true, row.validated_at)
                                  .status());
      ++outcome.imported;
    }
    return absl::OkStatus();
  }));
  return outcome;
}

}  // namespace

CaseGrpcService::CaseGrpcService(Store& store, const TokenKey& key, const ReferenceData& reference,
                                 const MandateClient* mandate, const EscalationClient* escalation,
                                 CaseServiceOptions options)
    : WithWatchEvents(store, key, "case-service"),
      reference_(reference),
      mandate_(mandate),
      escalation_(escalation),
      options_(options) {}

// ---- Cases ----------------------------------------------------------------------

grpc::Status CaseGrpcService::CreateCase(ServerContext* context, const v1::CreateCaseRequest* request,
                                         v1::Case* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kCreateCase));
    HERSTEL_RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
    absl::Time now = absl::Now();
    v1::Case record = request->case_();
    HERSTEL_RETURN_IF_ERROR(ValidateNewCase(record, reference_, caller, false, now, "case."));
    std::optional<v1::CasePersonalData> personal;
    if (request->has_personal_data()) {
      personal = request->personal_data();
      HERSTEL_RETURN_IF_ERROR(ValidatePersonalData(*personal, "personal_data.", nullptr));
    }
    HERSTEL_RETURN_IF_ERROR(CheckScope(caller, record.municipality(), CaseAction::kCreateCase));
    return RunIdempotent(store_, "herstel.v1.CaseService/CreateCase", request->request_id(),
                         *request, *response, [&](Transaction& tx) -> absl::Status {
                           v1::Case created = record;
                           HERSTEL_RETURN_IF_ERROR(
                               InsertNewCase(tx, created, personal ? &*personal : nullptr,
                                             OriginOf(caller, request->request_id()), now)
                                   .status());
                           PresentCase(created, 1, now);
                           *response = created;
                           return absl::OkStatus();
                         });
  });
}

grpc::Status CaseGrpcService::GetCase(ServerContext* context, const v1::GetCaseRequest* request,
                                      v1::Case* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kRead));
    HERSTEL_ASSIGN_OR_RETURN(int64_t case_id, ParseCaseName(request->name(), "name"));
    return store_.Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(Versioned<v1::Case> stored,
                               LoadCaseFor(tx, case_id, caller, CaseAction::kRead));
      PresentCase(stored.record, stored.version, absl::Now());
      *response = std::move(stored.record);
      return absl::OkStatus();
    });
  });
}

grpc::Status CaseGrpcService::ListCases(ServerContext* context, const v1::ListCasesRequest* request,
                                        v1::ListCasesResponse* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kRead));
    HERSTEL_ASSIGN_OR_RETURN(
        Filter filter,
        Filter::Parse(request->filter(),
                      {"municipality", "village", "track", "phase", "risk_category", "urgent",
                       "cluster", "contact_person", "vulnerable", "monument", "farm", "high_rise",
                       "plan_status", "postcode", "house_number", "house_number_addition",
                       "building_id", "external_reference", "has_open_inspection_request",
                       "min_waiting_days"}));
    HERSTEL_ASSIGN_OR_RETURN(int page_size, EffectivePageSize(request->page_size()));
    CaseListQuery query;
    query.limit = page_size;
    std::string order_by = request->order_by().empty() ? "priority" : request->order_by();
    if (order_by == "priority") {
      query.order = CaseOrder::kPriority;
    } else if (order_by == "waiting_time") {
      query.order = CaseOrder::kWaitingTime;
    } else if (order_by == "create_time") {
      query.order = CaseOrder::kCreateTime;
    } else {
      return FieldError("order_by", "must be \"priority\", \"waiting_time\" or \"create_time\"");
    }
    absl::Time now = absl::Now();
    SqlConditions& where = query.conditions;
    HERSTEL_RETURN_IF_ERROR(RestrictToScope(caller, filter.Text("municipality"), "c.municipality", where));
    for (const char* text_field : {"village", "cluster", "building_id", "external_reference"}) {
      if (std::optional<std::string> value = filter.Text(text_field)) {
        where.Add(absl::StrCat("c.", text_field, " = ?"), {*value});
      }
    }
    if (std::optional<std::string> contact = filter.Text("contact_person")) {
      where.Add("c.contact_subject = ?", {*contact});
    }
    if (std::optional<std::string> postcode = filter.Text("postcode")) {
      absl::StatusOr<std::string> normalised = NormalisePostcode(*postcode, "filter");
      if (!normalised.ok()) return FieldError("filter", "the value of 'postcode' must be a Dutch postcode");
      where.Add("c.postcode = ?", {*normalised});
    }
    if (std::optional<std::string> addition = filter.Text("house_number_addition")) {
      absl::StatusOr<std::string> normalised = NormaliseHouseNumberAddition(*addition, "filter");
      if (!normalised.ok()) return FieldError("filter", "bad house_number_addition");
      where.Add("c.house_number_addition = ?", {*normalised});
    }
    HERSTEL_ASSIGN_OR_RETURN(std::optional<int64_t> house_number, filter.Integer("house_number"));
    if (house_number) where.Add("c.house_number = ?", {*house_number});
    HERSTEL_ASSIGN_OR_RETURN(std::optional<v1::RiskCategory> risk,
                             filter.EnumValue<v1::RiskCategory>("risk_category", v1::RiskCategory_Parse));
    if (risk) where.Add("c.risk_category = ?", {static_cast<int64_t>(*risk)});
    HERSTEL_ASSIGN_OR_RETURN(std::optional<bool> urgent, filter.Boolean("urgent"));
    if (urgent) {
      where.Add(*urgent ? "c.risk_category = ?" : "c.risk_category <> ?",
                {static_cast<int64_t>(v1::RISK_CATEGORY_AOS)});
    }
    for (const char* flag : {"vulnerable", "monument", "farm", "high_rise", "has_open_inspection_request"}) {
      HERSTEL_ASSIGN_OR_RETURN(std::optional<bool> value, filter.Boolean(flag));
      if (value) where.Add(absl::StrCat("c.", flag, " = ?"), {static_cast<int64_t>(*value ? 1 : 0)});
    }
    HERSTEL_ASSIGN_OR_RETURN(std::optional<v1::CasePlanStatus> plan_status,
                             filter.EnumValue<v1::CasePlanStatus>("plan_status", v1::CasePlanStatus_Parse));
    if (plan_status) where.Add("c.plan_status = ?", {static_cast<int64_t>(*plan_status)});
    HERSTEL_ASSIGN_OR_RETURN(std::optional<v1::Track> track,
                             filter.EnumValue<v1::Track>("track", v1::Track_Parse));
    HERSTEL_ASSIGN_OR_RETURN(std::optional<v1::Phase> phase,
                             filter.EnumValue<v1::Phase>("phase", v1::Phase_Parse));
    HERSTEL_ASSIGN_OR_RETURN(std::optional<int64_t> min_waiting_days, filter.Integer("min_waiting_days"));
    if (min_waiting_days && (*min_waiting_days < 0 || *min_waiting_days > 100000)) {
      return FieldError("filter", "the value of 'min_waiting_days' must be between 0 and 100000");
    }
    if (track || phase || min_waiting_days) {
      std::string clause = "EXISTS (SELECT 1 FROM case_tracks t WHERE t.case_id = c.id";
      std::vector<SqlValue> values;
      if (track) {
        absl::StrAppend(&clause, " AND t.track = ?");
        values.push_back(static_cast<int64_t>(*track));
      }
      if (phase || min_waiting_days) absl::StrAppend(&clause, " AND t.active = 1");
      if (phase) {
        absl::StrAppend(&clause, " AND t.phase = ?");
        values.push_back(static_cast<int64_t>(*phase));
      }
      if (min_waiting_days) {
        absl::StrAppend(&clause, " AND t.phase_enter_micros <= ?");
        values.push_back(TimeToMicros(now - absl::Hours(24) * *min_waiting_days));
      }
      absl::StrAppend(&clause, ")");
      where.Add(clause, std::move(values));
    }
    std::string page_query = PageQuery(filter.Canonical(), order_by);
    HERSTEL_ASSIGN_OR_RETURN(query.after_key, DecodePageToken(request->page_token(), page_query));
    return store_.Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(CasePage page, case_service::ListCases(tx, query));
      for (Versioned<v1::Case>& stored : page.cases) {
        PresentCase(stored.record, stored.version, now);
        *response->add_cases() = std::move(stored.record);
      }
      if (!page.last_key.empty()) {
        response->set_next_page_token(EncodePageToken(page.last_key, page_query));
      }
      return absl::OkStatus();
    });
  });
}

grpc::Status CaseGrpcService::UpdateCase(ServerContext* context, const v1::UpdateCaseRequest* request,
                                         v1::Case* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kUpdateCase));
    HERSTEL_ASSIGN_OR_RETURN(int64_t case_id, ParseCaseName(request->case_().name(), "case.name"));
    HERSTEL_RETURN_IF_ERROR(RequireEtag(request->case_().etag(), "case.etag"));
    HERSTEL_RETURN_IF_ERROR(ValidateMask(
        request->update_mask().paths(),
        {"address", "building_id", "village", "municipality", "risk_category", "flags",
         "flags.vulnerable", "flags.monument", "flags.farm", "flags.high_rise",
         "external_reference"}));
    const v1::Case& given = request->case_();
    std::set<std::string> paths(request->update_mask().paths().begin(),
                                request->update_mask().paths().end());
    FieldViolations violations;
    v1::CaseAddress address = given.address();
    if (paths.count("address")) NormaliseAddress(address, "case.address", violations).IgnoreError();
    if (paths.count("risk_category")) {
      violations.Require(v1::RiskCategory_IsValid(given.risk_category()), "case.risk_category",
                         "is not a known risk category");
    }
    violations.Require(given.building_id().size() <= kMaxReferenceLength, "case.building_id",
                       "must be at most 128 characters");
    violations.Require(given.external_reference().size() <= kMaxReferenceLength,
                       "case.external_reference", "must be at most 128 characters");
    HERSTEL_RETURN_IF_ERROR(violations.ToStatus());
    absl::Time now = absl::Now();
    return RunIdempotent(
        store_, "herstel.v1.CaseService/UpdateCase", request->request_id(), *request, *response,
        [&](Transaction& tx) -> absl::Status {
          HERSTEL_ASSIGN_OR_RETURN(Versioned<v1::Case> stored,
                                   LoadCaseFor(tx, case_id, caller, CaseAction::kUpdateCase));
          HERSTEL_RETURN_IF_ERROR(CheckEtag(given.etag(), stored.version, "case.etag"));
          v1::Case& record = stored.record;
          std::vector<std::string> changed;
          for (const std::string& path : request->update_mask().paths()) {
            changed.push_back(path);
            if (path == "address") {
              *record.mutable_address() = address;
            } else if (path == "building_id") {
              record.set_building_id(given.building_id());
            } else if (path == "village") {
              record.set_village(given.village());
            } else if (path == "municipality") {
              record.set_municipality(given.municipality());
            } else if (path == "risk_category") {
              record.set_risk_category(given.risk_category());
            } else if (path == "flags") {
              *record.mutable_flags() = given.flags();
            } else if (path == "flags.vulnerable") {
              record.mutable_flags()->set_vulnerable(given.flags().vulnerable());
            } else if (path == "flags.monument") {
              record.mutable_flags()->set_monument(given.flags().monument());
            } else if (path == "flags.farm") {
              record.mutable_flags()->set_farm(given.flags().farm());
            } else if (path == "flags.high_rise") {
              record.mutable_flags()->set_high_rise(given.flags().high_rise());
            } else if (path == "external_reference") {
              record.set_external_reference(given.external_reference());
            }
          }
          HERSTEL_RETURN_IF_ERROR(reference_.ValidateLocation(record.municipality(), record.village(),
                                                              "case.municipality", "case.village"));
          if (paths.count("municipality")) {
            HERSTEL_RETURN_IF_ERROR(CheckScope(caller, record.municipality(), CaseAction::kUpdateCase));
            if (!record.cluster().empty()) {
              return DomainError(absl::StatusCode::kFailedPrecondition, "CASE_IN_CLUSTER",
                                 absl::StrCat("the case belongs to ", record.cluster(),
                                              ", which runs in one municipality; remove it from "
                                              "the cluster before moving it"));
            }
          }
          if (paths.count("address")) {
            HERSTEL_ASSIGN_OR_RETURN(
                std::optional<int64_t> other,
                FindCaseByAddress(tx, address.postcode(), address.house_number(),
                                  address.house_number_addition()));
            if (other.has_value() && *other != case_id) {
              return DomainError(absl::StatusCode::kAlreadyExists, "ADDRESS_HAS_CASE",
                                 absl::StrCat("this address already has a case, ", CaseName(*other)),
                                 {{"existing_case", CaseName(*other)}});
            }
          }
          if (paths.count("external_reference") && !record.external_reference().empty()) {
            HERSTEL_ASSIGN_OR_RETURN(std::optional<int64_t> other,
                                     FindCaseByExternalReference(tx, record.external_reference()));
            if (other.has_value() && *other != case_id) {
              return DomainError(absl::StatusCode::kAlreadyExists, "EXTERNAL_REFERENCE_EXISTS",
                                 absl::StrCat("external_reference is already used by ",
                                              CaseName(*other)));
            }
          }
          *record.mutable_update_time() = ToTimestamp(now);
          HERSTEL_RETURN_IF_ERROR(SaveCase(tx, case_id, stored));
          v1::CaseUpdated updated;
          updated.set_case_(record.name());
          for (const std::string& path : changed) updated.add_changed_fields(path);
          updated.set_municipality(record.municipality());
          updated.set_village(record.village());
          updated.set_risk_category(record.risk_category());
          *updated.mutable_flags() = record.flags();
          HERSTEL_RETURN_IF_ERROR(
              AppendEvent(tx, updated, record.name(), OriginOf(caller, request->request_id())).status());
          PresentCase(record, stored.version, now);
          *response = record;
          return absl::OkStatus();
        });
  });
}

grpc::Status CaseGrpcService::AddCaseTrack(ServerContext* context,
                                           const v1::AddCaseTrackRequest* request,
                                           v1::Case* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kUpdateCase));
    HERSTEL_ASSIGN_OR_RETURN(int64_t case_id, ParseCaseName(request->name(), "name"));
    absl::Time now = absl::Now();
    return RunIdempotent(
        store_, "herstel.v1.CaseService/AddCaseTrack", request->request_id(), *request, *response,
        [&](Transaction& tx) -> absl::Status {
          HERSTEL_ASSIGN_OR_RETURN(Versioned<v1::Case> stored,
                                   LoadCaseFor(tx, case_id, caller, CaseAction::kUpdateCase));
          HERSTEL_RETURN_IF_ERROR(CheckEtag(request->etag(), stored.version));
          std::vector<TrackState> tracks = TracksOf(stored.record);
          HERSTEL_RETURN_IF_ERROR(AddTrack(tracks, request->track(), now));
          SetTracks(stored.record, tracks);
          *stored.record.mutable_update_time() = ToTimestamp(now);
          HERSTEL_RETURN_IF_ERROR(SaveCase(tx, case_id, stored));
          v1::CaseTrackAdded added;
          added.set_case_(stored.record.name());
          added.set_track(request->track());
          added.set_municipality(stored.record.municipality());
          HERSTEL_RETURN_IF_ERROR(AppendEvent(tx, added, stored.record.name(),
                                              OriginOf(caller, request->request_id()))
                                      .status());
          PresentCase(stored.record, stored.version, now);
          *response = stored.record;
          return absl::OkStatus();
        });
  });
}

// ---- Contact person ---------------------------------------------------------------

grpc::Status CaseGrpcService::HandOverContactPerson(ServerContext* context,
                                                    const v1::HandOverContactPersonRequest* request,
                                                    v1::Case* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kHandOver));
    HERSTEL_ASSIGN_OR_RETURN(int64_t case_id, ParseCaseName(request->name(), "name"));
    HERSTEL_RETURN_IF_ERROR(ValidateContactPerson(ContactOf(request->to()), "to"));
    HERSTEL_RETURN_IF_ERROR(ValidateRequiredText(request->reason(), "reason"));
    absl::Time now = absl::Now();
    return RunIdempotent(
        store_, "herstel.v1.CaseService/HandOverContactPerson", request->request_id(), *request,
        *response, [&](Transaction& tx) -> absl::Status {
          HERSTEL_ASSIGN_OR_RETURN(Versioned<v1::Case> stored,
                                   LoadCaseFor(tx, case_id, caller, CaseAction::kHandOver));
          HERSTEL_RETURN_IF_ERROR(CheckEtag(request->etag(), stored.version));
          v1::CaseContactPerson from = stored.record.contact_person();
          HERSTEL_RETURN_IF_ERROR(
              ValidateHandover(ContactOf(from), ContactOf(request->to()), request->reason()));
          *stored.record.mutable_contact_person() = request->to();
          *stored.record.mutable_update_time() = ToTimestamp(now);
          HERSTEL_RETURN_IF_ERROR(SaveCase(tx, case_id, stored));
          v1::ContactHandover handover;
          *handover.mutable_from() = from;
          *handover.mutable_to() = request->to();
          handover.set_reason(request->reason());
          *handover.mutable_handover_time() = ToTimestamp(now);
          handover.set_recorded_by(caller.subject);
          HERSTEL_RETURN_IF_ERROR(InsertHandover(tx, case_id, handover));
          v1::ContactPersonHandedOver event;
          event.set_case_(stored.record.name());
          event.set_handover(handover.name());
          *event.mutable_from() = from;
          *event.mutable_to() = request->to();
          event.set_municipality(stored.record.municipality());
          HERSTEL_RETURN_IF_ERROR(AppendEvent(tx, event, stored.record.name(),
                                              OriginOf(caller, request->request_id()))
                                      .status());
          PresentCase(stored.record, stored.version, now);
          *response = stored.record;
          return absl::OkStatus();
        });
  });
}

grpc::Status CaseGrpcService::ListContactHandovers(ServerContext* context,
                                                   const v1::ListContactHandoversRequest* request,
                                                   v1::ListContactHandoversResponse* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kRead));
    HERSTEL_ASSIGN_OR_RETURN(int64_t case_id, ParseCaseName(request->parent(), "parent"));
    HERSTEL_ASSIGN_OR_RETURN(Filter filter,
                             Filter::Parse(request->filter(), {"from", "to", "organisation"}));
    HERSTEL_ASSIGN_OR_RETURN(int page_size, EffectivePageSize(request->page_size()));
    SqlConditions where;
    if (auto from = filter.Text("from")) where.Add("h.from_subject = ?", {*from});
    if (auto to = filter.Text("to")) where.Add("h.to_subject = ?", {*to});
    if (auto organisation = filter.Text("organisation")) where.Add("h.to_organisation = ?", {*organisation});
    std::string page_query = PageQuery(filter.Canonical(), request->parent());
    HERSTEL_ASSIGN_OR_RETURN(std::string after_text, DecodePageToken(request->page_token(), page_query));
    int64_t after = 0;
    if (!after_text.empty() && !absl::SimpleAtoi(after_text, &after)) {
      return FieldError("page_token", "is not a token this service issued");
    }
    return store_.Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_RETURN_IF_ERROR(LoadCaseFor(tx, case_id, caller, CaseAction::kRead).status());
      HERSTEL_ASSIGN_OR_RETURN(auto rows, ListHandovers(tx, case_id, where, after, page_size + 1));
      for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(page_size); ++i) {
        *response->add_handovers() = rows[i].second;
      }
      if (rows.size() > static_cast<size_t>(page_size)) {
        response->set_next_page_token(
            EncodePageToken(absl::StrCat(rows[page_size - 1].first), page_query));
      }
      return absl::OkStatus();
    });
  });
}

// ---- Phases --------------------------------------------------------------------------

absl::Status CaseGrpcService::MoveTrack(
    const Caller& caller, absl::string_view method, const google::protobuf::Message& request,
    absl::string_view name, absl::string_view etag, absl::string_view request_id,
    v1::Case& response,
    const std::function<absl::Status(Transaction&, int64_t, v1::Case&, std::vector<TrackState>&)>& move) {
  HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kMovePhase));
  HERSTEL_ASSIGN_OR_RETURN(int64_t case_id, ParseCaseName(name, "name"));
  absl::Time now = absl::Now();
  return RunIdempotent(store_, method, request_id, request, response,
                       [&](Transaction& tx) -> absl::Status {
                         HERSTEL_ASSIGN_OR_RETURN(
                             Versioned<v1::Case> stored,
                             LoadCaseFor(tx, case_id, caller, CaseAction::kMovePhase));
                         HERSTEL_RETURN_IF_ERROR(CheckEtag(etag, stored.version));
                         std::vector<TrackState> tracks = TracksOf(stored.record);
                         HERSTEL_RETURN_IF_ERROR(move(tx, case_id, stored.record, tracks));
                         SetTracks(stored.record, tracks);
                         *stored.record.mutable_update_time() = ToTimestamp(now);
                         HERSTEL_RETURN_IF_ERROR(SaveCase(tx, case_id, stored));
                         PresentCase(stored.record, stored.version, now);
                         response = stored.record;
                         return absl::OkStatus();
                       });
}

grpc::Status CaseGrpcService::AdvancePhase(ServerContext* context,
                                           const v1::AdvancePhaseRequest* request,
                                           v1::Case* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    return MoveTrack(
        caller, "herstel.v1.CaseService/AdvancePhase", *request, request->name(), request->etag(),
        request->request_id(), *response,
        [&](Transaction& tx, int64_t, v1::Case& record, std::vector<TrackState>& tracks) -> absl::Status {
          HERSTEL_ASSIGN_OR_RETURN(
              PhaseMove move, AdvanceTrack(tracks, request->track(), request->to_phase(), absl::Now()));
          v1::PhaseAdvanced event;
          event.set_case_(record.name());
          event.set_track(request->track());
          event.set_from_phase(move.from_phase);
          event.set_to_phase(move.to_phase);
          *event.mutable_from_phase_enter_time() = ToTimestamp(move.from_phase_enter_time);
          event.set_municipality(record.municipality());
          event.set_village(record.village());
          return AppendEvent(tx, event, record.name(), OriginOf(caller, request->request_id())).status();
        });
  });
}

grpc::Status CaseGrpcService::ReassessTrack(ServerContext* context,
                                            const v1::ReassessTrackRequest* request,
                                            v1::Case* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    return MoveTrack(
        caller, "herstel.v1.CaseService/ReassessTrack", *request, request->name(), request->etag(),
        request->request_id(), *response,
        [&](Transaction& tx, int64_t, v1::Case& record, std::vector<TrackState>& tracks) -> absl::Status {
          HERSTEL_ASSIGN_OR_RETURN(
              PhaseMove move, case_service::ReassessTrack(tracks, request->track(), request->to_phase(),
                                                          request->reason(), absl::Now()));
          v1::TrackReassessed event;
          event.set_case_(record.name());
          event.set_track(request->track());
          event.set_from_phase(move.from_phase);
          event.set_to_phase(move.to_phase);
          event.set_reason(request->reason());
          event.set_municipality(record.municipality());
          event.set_village(record.village());
          return AppendEvent(tx, event, record.name(), OriginOf(caller, request->request_id())).status();
        });
  });
}

grpc::Status CaseGrpcService::CompleteTrack(ServerContext* context,
                                            const v1::CompleteTrackRequest* request,
                                            v1::Case* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    return MoveTrack(
        caller, "herstel.v1.CaseService/CompleteTrack", *request, request->name(), request->etag(),
        request->request_id(), *response,
        [&](Transaction& tx, int64_t, v1::Case& record, std::vector<TrackState>& tracks) -> absl::Status {
          TrackResult result{request->result().outcome(), request->result().summary(), absl::Now(),
                             caller.subject};
          HERSTEL_RETURN_IF_ERROR(case_service::CompleteTrack(tracks, request->track(), result));
          v1::TrackCompleted event;
          event.set_case_(record.name());
          event.set_track(request->track());
          event.set_outcome(result.outcome);
          event.set_municipality(record.municipality());
          event.set_village(record.village());
          return AppendEvent(tx, event, record.name(), OriginOf(caller, request->request_id())).status();
        });
  });
}

// ---- Plan ----------------------------------------------------------------------------

grpc::Status CaseGrpcService::GetCasePlan(ServerContext* context, const v1::GetCasePlanRequest* request,
                                          v1::CasePlan* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kRead));
    HERSTEL_ASSIGN_OR_RETURN(int64_t case_id, ParseSingletonName(request->name(), "plan", "name"));
    return store_.Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(Versioned<v1::Case> stored,
                               LoadCaseFor(tx, case_id, caller, CaseAction::kRead));
      HERSTEL_ASSIGN_OR_RETURN(Versioned<v1::CasePlan> plan, LoadPlan(tx, case_id));
      std::vector<v1::Track> covered = TrackList(plan.record.covered_tracks());
      plan.record.set_covers_all_open_tracks(CoversAllOpenTracks(covered, TracksOf(stored.record)));
      *response = std::move(plan.record);
      return absl::OkStatus();
    });
  });
}

grpc::Status CaseGrpcService::UpdateCasePlan(ServerContext* context,
                                             const v1::UpdateCasePlanRequest* request,
                                             v1::CasePlan* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kUpdatePlan));
    HERSTEL_ASSIGN_OR_RETURN(int64_t case_id,
                             ParseSingletonName(request->plan().name(), "plan", "plan.name"));
    HERSTEL_RETURN_IF_ERROR(RequireEtag(request->plan().etag(), "plan.etag"));
    HERSTEL_RETURN_IF_ERROR(ValidateMask(request->update_mask().paths(),
                                         {"status", "estimated_cost_cents", "covered_tracks", "summary"}));
    const v1::CasePlan& given = request->plan();
    HERSTEL_RETURN_IF_ERROR(ValidateEstimatedCost(given.estimated_cost_cents(), "plan.estimated_cost_cents"));
    HERSTEL_RETURN_IF_ERROR(ValidateOptionalText(given.summary(), "plan.summary"));
    absl::Time now = absl::Now();
    return RunIdempotent(
        store_, "herstel.v1.CaseService/UpdateCasePlan", request->request_id(), *request, *response,
        [&](Transaction& tx) -> absl::Status {
          HERSTEL_ASSIGN_OR_RETURN(Versioned<v1::Case> stored,
                                   LoadCaseFor(tx, case_id, caller, CaseAction::kUpdatePlan));
          HERSTEL_ASSIGN_OR_RETURN(Versioned<v1::CasePlan> plan, LoadPlan(tx, case_id));
          HERSTEL_RETURN_IF_ERROR(CheckEtag(given.etag(), plan.version, "plan.etag"));
          std::vector<TrackState> tracks = TracksOf(stored.record);
          v1::CasePlanStatus from = plan.record.status();
          for (const std::string& path : request->update_mask().paths()) {
            if (path == "status") {
              HERSTEL_RETURN_IF_ERROR(ValidatePlanStatusChange(from, given.status()));
              plan.record.set_status(given.status());
            } else if (path == "estimated_cost_cents") {
              plan.record.set_estimated_cost_cents(given.estimated_cost_cents());
            } else if (path == "covered_tracks") {
              std::vector<v1::Track> covered = TrackList(given.covered_tracks());
              HERSTEL_RETURN_IF_ERROR(ValidateCoveredTracks(covered, tracks, "plan.covered_tracks"));
              *plan.record.mutable_covered_tracks() = given.covered_tracks();
            } else if (path == "summary") {
              plan.record.set_summary(given.summary());
            }
          }
          std::vector<v1::Track> covered = TrackList(plan.record.covered_tracks());
          HERSTEL_RETURN_IF_ERROR(ValidatePlanCoverageForStatus(plan.record.status(), covered));
          if (plan.record.status() == v1::CASE_PLAN_STATUS_AGREED && from != v1::CASE_PLAN_STATUS_AGREED) {
            *plan.record.mutable_agree_time() = ToTimestamp(now);
          }
          *plan.record.mutable_update_time() = ToTimestamp(now);
          plan.record.set_covers_all_open_tracks(CoversAllOpenTracks(covered, tracks));
          HERSTEL_RETURN_IF_ERROR(SavePlan(tx, case_id, plan));
          if (stored.record.plan_status() != plan.record.status()) {
            stored.record.set_plan_status(plan.record.status());
            *stored.record.mutable_update_time() = ToTimestamp(now);
            HERSTEL_RETURN_IF_ERROR(SaveCase(tx, case_id, stored));
          }
          v1::CasePlanUpdated event;
          event.set_case_(stored.record.name());
          event.set_status(plan.record.status());
          event.set_estimated_cost_cents(plan.record.estimated_cost_cents());
          *event.mutable_covered_tracks() = plan.record.covered_tracks();
          event.set_covers_all_open_tracks(plan.record.covers_all_open_tracks());
          event.set_municipality(stored.record.municipality());
          HERSTEL_RETURN_IF_ERROR(AppendEvent(tx, event, stored.record.name(),
                                              OriginOf(caller, request->request_id()))
                                      .status());
          *response = plan.record;
          return absl::OkStatus();
        });
  });
}

// ---- Personal data --------------------------------------------------------------------

grpc::Status CaseGrpcService::GetCasePersonalData(ServerContext* context,
                                                  const v1::GetCasePersonalDataRequest* request,
                                                  v1::CasePersonalData* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kReadPersonalData));
    HERSTEL_ASSIGN_OR_RETURN(int64_t case_id,
                             ParseSingletonName(request->name(), "personal-data", "name"));
    return store_.Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_RETURN_IF_ERROR(LoadCaseFor(tx, case_id, caller, CaseAction::kReadPersonalData).status());
      HERSTEL_ASSIGN_OR_RETURN(std::optional<Versioned<v1::CasePersonalData>> data,
                               LoadPersonalData(tx, case_id));
      if (data.has_value()) *response = data->record;
      response->set_name(absl::StrCat(CaseName(case_id), "/personal-data"));
      response->set_etag(EtagOf(data.has_value() ? data->version : 0));
      return absl::OkStatus();
    });
  });
}

grpc::Status CaseGrpcService::UpdateCasePersonalData(
    ServerContext* context, const v1::UpdateCasePersonalDataRequest* request,
    v1::CasePersonalData* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kUpdatePersonalData));
    HERSTEL_ASSIGN_OR_RETURN(int64_t case_id, ParseSingletonName(request->personal_data().name(),
                                                                 "personal-data", "personal_data.name"));
    HERSTEL_RETURN_IF_ERROR(RequireEtag(request->personal_data().etag(), "personal_data.etag"));
    HERSTEL_RETURN_IF_ERROR(ValidateMask(request->update_mask().paths(),
                                         {"resident_name", "phone", "email", "citizen_number"}));
    std::set<std::string> paths(request->update_mask().paths().begin(),
                                request->update_mask().paths().end());
    v1::CasePersonalData given = request->personal_data();
    HERSTEL_RETURN_IF_ERROR(ValidatePersonalData(given, "personal_data.", &paths));
    absl::Time now = absl::Now();
    // The remembered answer names the resource only: personal data stays in
    // its own table. The full answer is read afresh below.
    v1::CasePersonalData receipt;
    HERSTEL_RETURN_IF_ERROR(RunIdempotent(
        store_, "herstel.v1.CaseService/UpdateCasePersonalData", request->request_id(), *request,
        receipt, [&](Transaction& tx) -> absl::Status {
          HERSTEL_ASSIGN_OR_RETURN(Versioned<v1::Case> stored,
                                   LoadCaseFor(tx, case_id, caller, CaseAction::kUpdatePersonalData));
          HERSTEL_ASSIGN_OR_RETURN(std::optional<Versioned<v1::CasePersonalData>> loaded,
                                   LoadPersonalData(tx, case_id));
          Versioned<v1::CasePersonalData> data = loaded.value_or(Versioned<v1::CasePersonalData>());
          HERSTEL_RETURN_IF_ERROR(CheckEtag(given.etag(), data.version, "personal_data.etag"));
          v1::CasePersonalDataUpdated event;
          event.set_case_(stored.record.name());
          for (const std::string& path : request->update_mask().paths()) {
            if (path == "resident_name") data.record.set_resident_name(given.resident_name());
            if (path == "phone") data.record.set_phone(given.phone());
            if (path == "email") data.record.set_email(given.email());
            if (path == "citizen_number") data.record.set_citizen_number(given.citizen_number());
            event.add_changed_fields(path);
          }
          data.record.set_name(absl::StrCat(CaseName(case_id), "/personal-data"));
          *data.record.mutable_update_time() = ToTimestamp(now);
          HERSTEL_RETURN_IF_ERROR(SavePersonalData(tx, case_id, data));
          HERSTEL_RETURN_IF_ERROR(AppendEvent(tx, event, data.record.name(),
                                              OriginOf(caller, request->request_id()))
                                      .status());
          receipt.set_name(data.record.name());
          receipt.set_etag(EtagOf(data.version));
          return absl::OkStatus();
        }));
    return store_.Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(std::optional<Versioned<v1::CasePersonalData>> data,
                               LoadPersonalData(tx, case_id));
      if (data.has_value()) *response = data->record;
      response->set_name(receipt.name());
      response->set_etag(EtagOf(data.has_value() ? data->version : 0));
      return absl::OkStatus();
    });
  });
}

// ---- Timeline ---------------------------------------------------------------------------

grpc::Status CaseGrpcService::ListCaseEvents(ServerContext* context,
                                             const v1::ListCaseEventsRequest* request,
                                             v1::ListCaseEventsResponse* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kRead));
    HERSTEL_ASSIGN_OR_RETURN(int64_t case_id, ParseCaseName(request->parent(), "parent"));
    HERSTEL_ASSIGN_OR_RETURN(Filter filter, Filter::Parse(request->filter(), {"type", "resource", "actor"}));
    HERSTEL_ASSIGN_OR_RETURN(int page_size, EffectivePageSize(request->page_size()));
    std::string page_query = PageQuery(filter.Canonical(), request->parent());
    HERSTEL_ASSIGN_OR_RETURN(std::string after_text, DecodePageToken(request->page_token(), page_query));
    int64_t after = 0;
    if (!after_text.empty() && !absl::SimpleAtoi(after_text, &after)) {
      return FieldError("page_token", "is not a token this service issued");
    }
    std::string name = CaseName(case_id);
    SqlConditions where;
    // The case itself and its sub-resources ("cases/7/..."; '0' follows '/').
    where.Add("(e.resource = ? OR (e.resource >= ? AND e.resource < ?))",
              {name, absl::StrCat(name, "/"), absl::StrCat(name, "0")});
    where.Add("e.sequence > ?", {after});
    if (auto type = filter.Text("type")) where.Add("e.type = ?", {*type});
    if (auto resource = filter.Text("resource")) where.Add("e.resource = ?", {*resource});
    if (auto actor = filter.Text("actor")) where.Add("e.actor = ?", {*actor});
    return store_.Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_RETURN_IF_ERROR(LoadCaseFor(tx, case_id, caller, CaseAction::kRead).status());
      std::string sql = absl::StrCat(
          "SELECT e.sequence, e.type, e.resource, e.commit_time_micros, e.payload, e.request_id, "
          "e.actor FROM outbox_events e",
          where.Where(), " ORDER BY e.sequence LIMIT ?");
      HERSTEL_ASSIGN_OR_RETURN(Statement statement, tx.Prepare(sql));
      statement.Bind(where.Bind(statement), static_cast<int64_t>(page_size) + 1);
      int64_t last = 0;
      while (true) {
        HERSTEL_ASSIGN_OR_RETURN(bool has_row, statement.Step());
        if (!has_row) break;
        if (response->events_size() == page_size) {
          response->set_next_page_token(EncodePageToken(absl::StrCat(last), page_query));
          break;
        }
        v1::Event* event = response->add_events();
        last = statement.ColumnInt(0);
        event->set_sequence(last);
        event->set_type(statement.ColumnText(1));
        event->set_resource(statement.ColumnText(2));
        *event->mutable_commit_time() = ToTimestamp(MicrosToTime(statement.ColumnInt(3)));
        event->mutable_payload()->set_type_url(
            absl::StrCat("type.googleapis.com/", statement.ColumnText(1)));
        event->mutable_payload()->set_value(statement.ColumnBlob(4));
        event->set_request_id(statement.ColumnText(5));
        event->set_actor(statement.ColumnText(6));
      }
      return absl::OkStatus();
    });
  });
}

// ---- Bulk import --------------------------------------------------------------------------

grpc::Status CaseGrpcService::BulkImportCases(ServerContext* context,
                                              grpc::ServerReader<v1::BulkImportCasesRequest>* reader,
                                              v1::BulkImportCasesResponse* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kBulkImport));
    std::string request_id;
    bool first = true;
    auto add_error = [&](v1::BulkImportRowError error) {
      response->set_failed_count(response->failed_count() + 1);
      if (response->errors_size() < kMaxImportErrors) {
        *response->add_errors() = std::move(error);
      } else {
        response->set_errors_truncated(true);
      }
    };
    // Rows validated (outside the write lock) and waiting to be written.
    std::vector<ImportRow> ready;
    auto write_ready = [&]() -> absl::Status {
      if (ready.empty()) return absl::OkStatus();
      absl::StatusOr<ImportOutcome> outcome =
          WriteImportRows(store_, ready, OriginOf(caller, request_id));
      ready.clear();
      if (!outcome.ok()) {
        return absl::Status(outcome.status().code(),
                            absl::StrCat("import stopped at a store error after ",
                                         response->imported_count(),
                                         " rows were committed: ", outcome.status().message()));
      }
      response->set_imported_count(response->imported_count() + outcome->imported);
      response->set_existing_count(response->existing_count() + outcome->existing);
      for (v1::BulkImportRowError& error : outcome->refused) add_error(std::move(error));
      return absl::OkStatus();
    };
    v1::BulkImportCasesRequest message;
    while (reader->Read(&message)) {
      if (first) {
        request_id = message.request_id();
        HERSTEL_RETURN_IF_ERROR(ValidateRequestId(request_id));
        first = false;
      }
      if (message.rows_size() > kMaxImportRowsPerMessage) {
        HERSTEL_RETURN_IF_ERROR(write_ready());
        return FieldError("rows", absl::StrCat("at most ", kMaxImportRowsPerMessage,
                                               " rows per message; rows committed so far are kept"));
      }
      absl::Time now = absl::Now();
      for (const v1::BulkImportCaseRow& row : message.rows()) {
        response->set_received_count(response->received_count() + 1);
        ImportRow candidate{row.row_number(), row.case_(), std::nullopt, now};
        absl::Status valid = ValidateNewCase(candidate.record, reference_, caller, true, now, "case.");
        if (valid.ok() && row.has_personal_data()) {
          candidate.personal = row.personal_data();
          valid = ValidatePersonalData(*candidate.personal, "personal_data.", nullptr);
        }
        if (valid.ok()) valid = CheckScope(caller, candidate.record.municipality(), CaseAction::kBulkImport);
        if (!valid.ok()) {
          add_error(InvalidRowError(row, valid));
          continue;
        }
        ready.push_back(std::move(candidate));
      }
      if (ready.size() >= kImportRowsPerWrite) HERSTEL_RETURN_IF_ERROR(write_ready());
    }
    HERSTEL_RETURN_IF_ERROR(write_ready());
    if (first) return FieldError("request_id", "send at least one message with a request_id");
    return absl::OkStatus();
  });
}

}  // namespace herstel::case_service
