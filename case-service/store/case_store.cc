#include "store/case_store.h"

#include <limits>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "domain/case_rules.h"
#include "google/protobuf/util/time_util.h"
#include "herstel/errors.h"
#include "herstel/status_macros.h"

namespace herstel::case_service {
namespace {

using google::protobuf::util::TimeUtil;

// Indexes follow the common list filters: municipality (+ priority or
// waiting order), village, cluster, contact person, open inspection requests
// by target, bottlenecks and decision requests by municipality and time,
// decision requests by escalation, and the outbox by resource for case
// timelines. (The track/phase index created here is dropped by version 2.)
constexpr absl::string_view kSchemaV1 = R"sql(
CREATE TABLE cases (
  id INTEGER PRIMARY KEY,
  municipality TEXT NOT NULL,
  village TEXT NOT NULL,
  postcode TEXT NOT NULL,
  house_number INTEGER NOT NULL,
  house_number_addition TEXT NOT NULL,
  building_id TEXT NOT NULL,
  external_reference TEXT,
  risk_category INTEGER NOT NULL,
  priority_rank INTEGER NOT NULL,
  waiting_since_micros INTEGER NOT NULL,
  vulnerable INTEGER NOT NULL,
  monument INTEGER NOT NULL,
  farm INTEGER NOT NULL,
  high_rise INTEGER NOT NULL,
  contact_subject TEXT NOT NULL,
  cluster TEXT NOT NULL,
  plan_status INTEGER NOT NULL,
  has_open_inspection_request INTEGER NOT NULL,
  version INTEGER NOT NULL,
  record BLOB NOT NULL
);
CREATE UNIQUE INDEX cases_by_address ON cases (postcode, house_number, house_number_addition);
CREATE UNIQUE INDEX cases_by_external_reference ON cases (external_reference)
  WHERE external_reference IS NOT NULL;
CREATE INDEX cases_by_priority ON cases (priority_rank, waiting_since_micros, id);
CREATE INDEX cases_by_waiting ON cases (waiting_since_micros, id);
CREATE INDEX cases_by_municipality_priority
  ON cases (municipality, priority_rank, waiting_since_micros, id);
CREATE INDEX cases_by_municipality_waiting ON cases (municipality, waiting_since_micros, id);
CREATE INDEX cases_by_village ON cases (village, priority_rank, waiting_since_micros, id);
CREATE INDEX cases_by_cluster ON cases (cluster) WHERE cluster <> '';
CREATE INDEX cases_by_contact ON cases (contact_subject);
CREATE INDEX cases_by_building ON cases (building_id) WHERE building_id <> '';

CREATE TABLE case_tracks (
  case_id INTEGER NOT NULL REFERENCES cases (id),
  track INTEGER NOT NULL,
  phase INTEGER NOT NULL,
  active INTEGER NOT NULL,
  phase_enter_micros INTEGER NOT NULL,
  PRIMARY KEY (case_id, track)
) WITHOUT ROWID;
CREATE INDEX case_tracks_by_phase ON case_tracks (track, phase, phase_enter_micros);

CREATE TABLE case_personal_data (
  case_id INTEGER PRIMARY KEY REFERENCES cases (id),
  version INTEGER NOT NULL,
  record BLOB NOT NULL
);

CREATE TABLE contact_handovers (
  case_id INTEGER NOT NULL REFERENCES cases (id),
  number INTEGER NOT NULL,
  from_subject TEXT NOT NULL,
  to_subject TEXT NOT NULL,
  to_organisation TEXT NOT NULL,
  record BLOB NOT NULL,
  PRIMARY KEY (case_id, number)
) WITHOUT ROWID;

CREATE TABLE case_plans (
  case_id INTEGER PRIMARY KEY REFERENCES cases (id),
  version INTEGER NOT NULL,
  record BLOB NOT NULL
);

CREATE TABLE clusters (
  id INTEGER PRIMARY KEY,
  municipality TEXT NOT NULL,
  track INTEGER NOT NULL,
  display_name TEXT NOT NULL,
  version INTEGER NOT NULL,
  record BLOB NOT NULL
);
CREATE INDEX clusters_by_municipality ON clusters (municipality, id);

CREATE TABLE cluster_priorities (
  municipality TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  record BLOB NOT NULL
);

CREATE TABLE inspection_requests (
  id INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES cases (id),
  municipality TEXT NOT NULL,
  village TEXT NOT NULL,
  status INTEGER NOT NULL,
  request_micros INTEGER NOT NULL,
  target_micros INTEGER NOT NULL,
  close_micros INTEGER,
  version INTEGER NOT NULL,
  record BLOB NOT NULL
);
CREATE INDEX inspection_requests_by_case ON inspection_requests (case_id, target_micros, id);
CREATE INDEX inspection_requests_by_municipality
  ON inspection_requests (municipality, target_micros, id);
CREATE INDEX inspection_requests_open ON inspection_requests (target_micros, id)
  WHERE close_micros IS NULL;

CREATE TABLE bottlenecks (
  id INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES cases (id),
  municipality TEXT NOT NULL,
  category INTEGER NOT NULL,
  status INTEGER NOT NULL,
  track INTEGER NOT NULL,
  raised_by TEXT NOT NULL,
  resolved_by TEXT NOT NULL,
  raise_micros INTEGER NOT NULL,
  version INTEGER NOT NULL,
  record BLOB NOT NULL
);
CREATE INDEX bottlenecks_by_case ON bottlenecks (case_id, raise_micros, id);
CREATE INDEX bottlenecks_by_municipality ON bottlenecks (municipality, raise_micros, id);

CREATE TABLE decision_requests (
  case_id INTEGER NOT NULL REFERENCES cases (id),
  request_key TEXT NOT NULL,
  municipality TEXT NOT NULL,
  status INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  track INTEGER NOT NULL,
  requested_by TEXT NOT NULL,
  escalation TEXT NOT NULL,
  decided_level INTEGER NOT NULL,
  request_micros INTEGER NOT NULL,
  version INTEGER NOT NULL,
  record BLOB NOT NULL,
  PRIMARY KEY (case_id, request_key)
);
CREATE INDEX decision_requests_by_time ON decision_requests (request_micros, case_id, request_key);
CREATE INDEX decision_requests_by_municipality
  ON decision_requests (municipality, request_micros, case_id, request_key);
CREATE INDEX decision_requests_by_escalation ON decision_requests (escalation)
  WHERE escalation <> '';

CREATE TABLE pending_escalation_events (
  decision_request TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  event BLOB NOT NULL,
  PRIMARY KEY (decision_request, sequence)
) WITHOUT ROWID;

CREATE INDEX outbox_events_by_resource ON outbox_events (resource, sequence);
)sql";

// case_tracks_by_phase served no query: the track filters of ListCases are
// correlated EXISTS probes on the primary key. It cost one insert at a random
// place per track on every imported case.
constexpr absl::string_view kSchemaV2 = R"sql(
DROP INDEX case_tracks_by_phase;
)sql";

absl::Status NotFound(absl::string_view what, absl::string_view name) {
  return DomainError(absl::StatusCode::kNotFound, "NOT_FOUND",
                     absl::StrCat(what, " '", name, "' does not exist (or lies outside your "
                                  "municipality scope)"));
}

template <typename Message>
absl::StatusOr<Message> ParseRecord(const std::string& bytes) {
  Message message;
  if (!message.ParseFromString(bytes)) {
    return absl::InternalError(absl::StrCat("stored ", Message::descriptor()->name(),
                                            " cannot be read"));
  }
  return message;
}

// Loads (version, record) from `sql` with two integer keys.
template <typename Message>
absl::StatusOr<std::optional<Versioned<Message>>> LoadRow(Transaction& tx, absl::string_view sql,
                                                          const std::vector<SqlValue>& keys) {
  HERSTEL_ASSIGN_OR_RETURN(Statement query, tx.Prepare(sql));
  int index = 1;
  for (const SqlValue& key : keys) {
    if (std::holds_alternative<int64_t>(key)) {
      query.Bind(index++, std::get<int64_t>(key));
    } else {
      query.Bind(index++, absl::string_view(std::get<std::string>(key)));
    }
  }
  HERSTEL_ASSIGN_OR_RETURN(bool found, query.Step());
  if (!found) return std::optional<Versioned<Message>>();
  Versioned<Message> row;
  row.version = query.ColumnInt(0);
  HERSTEL_ASSIGN_OR_RETURN(row.record, ParseRecord<Message>(query.ColumnBlob(1)));
  return std::optional<Versioned<Message>>(std::move(row));
}

int64_t WaitingSinceMicros(const v1::Case& record) {
  int64_t earliest = std::numeric_limits<int64_t>::max();
  for (const v1::CaseTrack& track : record.tracks()) {
    if (track.state() == v1::CASE_TRACK_STATE_COMPLETED) continue;
    earliest = std::min(earliest, TimeUtil::TimestampToMicroseconds(track.phase_enter_time()));
  }
  return earliest;
}

// Writes the track rows of a case; `replace` first removes the old ones (a
// new case has none).
absl::Status WriteTracks(Transaction& tx, int64_t case_id, const v1::Case& record, bool replace) {
  if (replace) {
    HERSTEL_ASSIGN_OR_RETURN(Statement clear, tx.Prepare("DELETE FROM case_tracks WHERE case_id = ?"));
    clear.Bind(1, case_id);
    HERSTEL_RETURN_IF_ERROR(clear.Run());
  }
  for (const v1::CaseTrack& track : record.tracks()) {
    HERSTEL_ASSIGN_OR_RETURN(
        Statement insert,
        tx.Prepare("INSERT INTO case_tracks (case_id, track, phase, active, phase_enter_micros) "
                   "VALUES (?, ?, ?, ?, ?)"));
    insert.Bind(1, case_id)
        .Bind(2, static_cast<int64_t>(track.track()))
        .Bind(3, static_cast<int64_t>(track.phase()))
        .Bind(4, track.state() == v1::CASE_TRACK_STATE_COMPLETED ? 0 : 1)
        .Bind(5, TimeUtil::TimestampToMicroseconds(track.phase_enter_time()));
    HERSTEL_RETURN_IF_ERROR(insert.Run());
  }
  return absl::OkStatus();
}

// Binds the columns shared by INSERT and UPDATE of cases, from index 1.
void BindCaseColumns(Statement& statement, const v1::Case& record, int64_t version) {
  const v1::CaseAddress& address = record.address();
  statement.Bind(1, record.municipality())
      .Bind(2, record.village())
      .Bind(3, address.postcode())
      .Bind(4, static_cast<int64_t>(address.house_number()))
      .Bind(5, address.house_number_addition())
      .Bind(6, record.building_id());
  if (record.external_reference().empty()) {
    statement.BindNull(7);
  } else {
    statement.Bind(7, record.external_reference());
  }
  statement.Bind(8, static_cast<int64_t>(record.risk_category()))
      .Bind(9, static_cast<int64_t>(PriorityRank(record.risk_category())))
      .Bind(10, WaitingSinceMicros(record))
      .Bind(11, record.flags().vulnerable() ? 1 : 0)
      .Bind(12, record.flags().monument() ? 1 : 0)
      .Bind(13, record.flags().farm() ? 1 : 0)
      .Bind(14, record.flags().high_rise() ? 1 : 0)
      .Bind(15, record.contact_person().subject())
      .Bind(16, record.cluster())
      .Bind(17, static_cast<int64_t>(record.plan_status()))
      .Bind(18, record.open_inspection_request().empty() ? 0 : 1)
      .Bind(19, version)
      .BindBlob(20, record.SerializeAsString());
}

absl::StatusOr<int64_t> ParseId(absl::string_view text) {
  int64_t id;
  if (!absl::SimpleAtoi(text, &id) || id <= 0 || absl::StrCat(id) != text) {
    return absl::InvalidArgumentError("not an id");
  }
  return id;
}

}  // namespace

const MigrationSet& CaseServiceMigrations() {
  static const MigrationSet* set = new MigrationSet{
      "case-service",
      {{1, "cases, tracks, personal data, plans, clusters, requests", kSchemaV1},
       {2, "drop the unused case_tracks_by_phase index", kSchemaV2}}};
  return *set;
}

std::string CaseName(int64_t case_id) { return absl::StrCat("cases/", case_id); }
std::string ClusterName(int64_t cluster_id) { return absl::StrCat("clusters/", cluster_id); }

absl::StatusOr<int64_t> ParseCaseName(absl::string_view name, absl::string_view field) {
  if (absl::ConsumePrefix(&name, "cases/")) {
    if (absl::StatusOr<int64_t> id = ParseId(name); id.ok()) return *id;
  }
  return FieldError(field, "must be a case name like \"cases/123\"");
}

absl::StatusOr<int64_t> ParseClusterName(absl::string_view name, absl::string_view field) {
  if (absl::ConsumePrefix(&name, "clusters/")) {
    if (absl::StatusOr<int64_t> id = ParseId(name); id.ok()) return *id;
  }
  return FieldError(field, "must be a cluster name like \"clusters/7\"");
}

absl::StatusOr<std::pair<int64_t, std::string>> ParseChildName(absl::string_view name,
                                                               absl::string_view collection,
                                                               absl::string_view field) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() == 4 && parts[0] == "cases" && parts[2] == collection && !parts[3].empty() &&
      parts[3].size() <= 64) {
    if (absl::StatusOr<int64_t> id = ParseId(parts[1]); id.ok()) {
      return std::make_pair(*id, std::string(parts[3]));
    }
  }
  return FieldError(field, absl::StrCat("must be a name like \"cases/123/", collection, "/1\""));
}

absl::StatusOr<int64_t> ParseSingletonName(absl::string_view name, absl::string_view singleton,
                                           absl::string_view field) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() == 3 && parts[0] == "cases" && parts[2] == singleton) {
    if (absl::StatusOr<int64_t> id = ParseId(parts[1]); id.ok()) return *id;
  }
  return FieldError(field, absl::StrCat("must be a name like \"cases/123/", singleton, "\""));
}

absl::Status CheckEtag(absl::string_view etag, int64_t version, absl::string_view field) {
  if (etag.empty() || etag == EtagOf(version)) return absl::OkStatus();
  return DomainError(absl::StatusCode::kAborted, "ETAG_MISMATCH",
                     absl::StrCat("the ", field, " '", etag, "' is stale (current '",
                                  EtagOf(version), "'): read the resource again and retry"));
}

std::string EtagOf(int64_t version) { return absl::StrCat(version); }

absl::Time MicrosToTime(int64_t micros) { return absl::FromUnixMicros(micros); }
int64_t TimeToMicros(absl::Time time) { return absl::ToUnixMicros(time); }

// ---- Cases -------------------------------------------------------------------

absl::StatusOr<Versioned<v1::Case>> LoadCase(Transaction& tx, int64_t case_id) {
  HERSTEL_ASSIGN_OR_RETURN(std::optional<Versioned<v1::Case>> row,
                           LoadRow<v1::Case>(tx, "SELECT version, record FROM cases WHERE id = ?",
                                             {case_id}));
  if (!row.has_value()) return NotFound("case", CaseName(case_id));
  row->record.set_name(CaseName(case_id));
  return std::move(*row);
}

absl::StatusOr<int64_t> InsertCase(Transaction& tx, v1::Case& record) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement insert,
      tx.Prepare("INSERT INTO cases (municipality, village, postcode, house_number, "
                 "house_number_addition, building_id, external_reference, risk_category, "
                 "priority_rank, waiting_since_micros, vulnerable, monument, farm, high_rise, "
                 "contact_subject, cluster, plan_status, has_open_inspection_request, version, "
                 "record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  record.clear_name();
  BindCaseColumns(insert, record, 1);
  HERSTEL_RETURN_IF_ERROR(insert.Run());
  int64_t case_id = tx.LastInsertRowId();
  record.set_name(CaseName(case_id));
  HERSTEL_RETURN_IF_ERROR(WriteTracks(tx, case_id, record, /*replace=*/false));
  return case_id;
}

absl::Status SaveCase(Transaction& tx, int64_t case_id, Versioned<v1::Case>& stored) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement update,
      tx.Prepare("UPDATE cases SET municipality = ?, village = ?, postcode = ?, house_number = ?, "
                 "house_number_addition = ?, building_id = ?, external_reference = ?, "
                 "risk_category = ?, priority_rank = ?, waiting_since_micros = ?, vulnerable = ?, "
                 "monument = ?, farm = ?, high_rise = ?, contact_subject = ?, cluster = ?, "
                 "plan_status = ?, has_open_inspection_request = ?, version = ?, record = ? "
                 "WHERE id = ?"));
  ++stored.version;
  BindCaseColumns(update, stored.record, stored.version);
  update.Bind(21, case_id);
  HERSTEL_RETURN_IF_ERROR(update.Run());
  return WriteTracks(tx, case_id, stored.record, /*replace=*/true);
}

absl::StatusOr<std::optional<int64_t>> FindCaseByAddress(Transaction& tx, absl::string_view postcode,
                                                         int64_t house_number,
                                                         absl::string_view addition) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement query, tx.Prepare("SELECT id FROM cases WHERE postcode = ? AND house_number = ? "
                                  "AND house_number_addition = ?"));
  query.Bind(1, postcode).Bind(2, house_number).Bind(3, addition);
  HERSTEL_ASSIGN_OR_RETURN(bool found, query.Step());
  if (!found) return std::optional<int64_t>();
  return std::optional<int64_t>(query.ColumnInt(0));
}

absl::StatusOr<std::optional<int64_t>> FindCaseByExternalReference(Transaction& tx,
                                                                   absl::string_view reference) {
  HERSTEL_ASSIGN_OR_RETURN(Statement query,
                           tx.Prepare("SELECT id FROM cases WHERE external_reference = ?"));
  query.Bind(1, reference);
  HERSTEL_ASSIGN_OR_RETURN(bool found, query.Step());
  if (!found) return std::optional<int64_t>();
  return std::optional<int64_t>(query.ColumnInt(0));
}

absl::StatusOr<CasePage> ListCases(Transaction& tx, const CaseListQuery& query) {
  SqlConditions conditions = query.conditions;
  std::string order;
  std::vector<std::string> key_parts;
  if (!query.after_key.empty()) key_parts = absl::StrSplit(query.after_key, '|');
  auto key_at = [&](size_t i) -> absl::StatusOr<int64_t> {
    int64_t value;
    if (i >= key_parts.size() || !absl::SimpleAtoi(key_parts[i], &value)) {
      return FieldError("page_token", "is not a token this service issued");
    }
    return value;
  };
  switch (query.order) {
    case CaseOrder::kPriority:
      order = "c.priority_rank, c.waiting_since_micros, c.id";
      if (!key_parts.empty()) {
        HERSTEL_ASSIGN_OR_RETURN(int64_t rank, key_at(0));
        HERSTEL_ASSIGN_OR_RETURN(int64_t waiting, key_at(1));
        HERSTEL_ASSIGN_OR_RETURN(int64_t id, key_at(2));
        conditions.Add("(c.priority_rank, c.waiting_since_micros, c.id) > (?, ?, ?)",
                       {rank, waiting, id});
      }
      break;
    case CaseOrder::kWaitingTime:
      order = "c.waiting_since_micros, c.id";
      if (!key_parts.empty()) {
        HERSTEL_ASSIGN_OR_RETURN(int64_t waiting, key_at(0));
        HERSTEL_ASSIGN_OR_RETURN(int64_t id, key_at(1));
        conditions.Add("(c.waiting_since_micros, c.id) > (?, ?)", {waiting, id});
      }
      break;
    case CaseOrder::kCreateTime:
      order = "c.id";
      if (!key_parts.empty()) {
        HERSTEL_ASSIGN_OR_RETURN(int64_t id, key_at(0));
        conditions.Add("c.id > ?", {id});
      }
      break;
  }
  std::string sql = absl::StrCat(
      "SELECT c.id, c.priority_rank, c.waiting_since_micros, c.version, c.record FROM cases c",
      conditions.Where(), " ORDER BY ", order, " LIMIT ?");
  HERSTEL_ASSIGN_OR_RETURN(Statement statement, tx.Prepare(sql));
  int next = conditions.Bind(statement);
  statement.Bind(next, static_cast<int64_t>(query.limit) + 1);
  CasePage page;
  std::string key;
  while (true) {
    HERSTEL_ASSIGN_OR_RETURN(bool has_row, statement.Step());
    if (!has_row) break;
    if (static_cast<int>(page.cases.size()) == query.limit) {
      page.last_key = key;
      break;
    }
    int64_t id = statement.ColumnInt(0);
    Versioned<v1::Case> stored;
    stored.version = statement.ColumnInt(3);
    HERSTEL_ASSIGN_OR_RETURN(stored.record, ParseRecord<v1::Case>(statement.ColumnBlob(4)));
    stored.record.set_name(CaseName(id));
    page.cases.push_back(std::move(stored));
    switch (query.order) {
      case CaseOrder::kPriority:
        key = absl::StrCat(statement.ColumnInt(1), "|", statement.ColumnInt(2), "|", id);
        break;
      case CaseOrder::kWaitingTime:
        key = absl::StrCat(statement.ColumnInt(2), "|", id);
        break;
      case CaseOrder::kCreateTime:
        key = absl::StrCat(id);
        break;
    }
  }
  return page;
}

// ---- Personal data -------------------------------------------------------------

absl::StatusOr<std::optional<Versioned<v1::CasePersonalData>>> LoadPersonalData(Transaction& tx,
                                                                               int64_t case_id) {
  return LoadRow<v1::CasePersonalData>(
      tx, "SELECT version, record FROM case_personal_data WHERE case_id = ?", {case_id});
}

absl::Status SavePersonalData(Transaction& tx, int64_t case_id,
                              Versioned<v1::CasePersonalData>& stored) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement upsert,
      tx.Prepare("INSERT INTO case_personal_data (case_id, version, record) VALUES (?, ?, ?) "
                 "ON CONFLICT (case_id) DO UPDATE SET version = excluded.version, "
                 "record = excluded.record"));
  ++stored.version;
  stored.record.clear_etag();
  upsert.Bind(1, case_id).Bind(2, stored.version).BindBlob(3, stored.record.SerializeAsString());
  return upsert.Run();
}

// ---- Handovers -------------------------------------------------------------------

absl::Status InsertHandover(Transaction& tx, int64_t case_id, v1::ContactHandover& record) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement last,
      tx.Prepare("SELECT COALESCE(MAX(number), 0) FROM contact_handovers WHERE case_id = ?"));
  last.Bind(1, case_id);
  HERSTEL_RETURN_IF_ERROR(last.Step().status());
  return InsertHandoverNumbered(tx, case_id, last.ColumnInt(0) + 1, record);
}

absl::Status InsertHandoverNumbered(Transaction& tx, int64_t case_id, int64_t number,
                                    v1::ContactHandover& record) {
  record.set_name(absl::StrCat(CaseName(case_id), "/contact-handovers/", number));
  HERSTEL_ASSIGN_OR_RETURN(
      Statement insert,
      tx.Prepare("INSERT INTO contact_handovers (case_id, number, from_subject, to_subject, "
                 "to_organisation, record) VALUES (?, ?, ?, ?, ?, ?)"));
  insert.Bind(1, case_id)
      .Bind(2, number)
      .Bind(3, record.from().subject())
      .Bind(4, record.to().subject())
      .Bind(5, record.to().organisation())
      .BindBlob(6, record.SerializeAsString());
  return insert.Run();
}

absl::StatusOr<std::vector<std::pair<int64_t, v1::ContactHandover>>> ListHandovers(
    Transaction& tx, int64_t case_id, const SqlConditions& conditions, int64_t after, int limit) {
  SqlConditions all = conditions;
  all.Add("h.case_id = ?", {case_id});
  all.Add("h.number > ?", {after});
  std::string sql = absl::StrCat("SELECT h.number, h.record FROM contact_handovers h", all.Where(),
                                 " ORDER BY h.number LIMIT ?");
  HERSTEL_ASSIGN_OR_RETURN(Statement statement, tx.Prepare(sql));
  statement.Bind(all.Bind(statement), static_cast<int64_t>(limit));
  std::vector<std::pair<int64_t, v1::ContactHandover>> rows;
  while (true) {
    HERSTEL_ASSIGN_OR_RETURN(bool has_row, statement.Step());
    if (!has_row) break;
    HERSTEL_ASSIGN_OR_RETURN(v1::ContactHandover record,
                             ParseRecord<v1::ContactHandover>(statement.ColumnBlob(1)));
    rows.emplace_back(statement.ColumnInt(0), std::move(record));
  }
  return rows;
}

// ---- Plan ------------------------------------------------------------------------

absl::StatusOr<Versioned<v1::CasePlan>> LoadPlan(Transaction& tx, int64_t case_id) {
  HERSTEL_ASSIGN_OR_RETURN(
      std::optional<Versioned<v1::CasePlan>> row,
      LoadRow<v1::CasePlan>(tx, "SELECT version, record FROM case_plans WHERE case_id = ?",
                            {case_id}));
  if (!row.has_value()) return NotFound("plan", absl::StrCat(CaseName(case_id), "/plan"));
  row->record.set_name(absl::StrCat(CaseName(case_id), "/plan"));
  row->record.set_etag(EtagOf(row->version));
  return std::move(*row);
}

absl::Status SavePlan(Transaction& tx, int64_t case_id, Versioned<v1::CasePlan>& stored) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement upsert,
      tx.Prepare("INSERT INTO case_plans (case_id, version, record) VALUES (?, ?, ?) "
                 "ON CONFLICT (case_id) DO UPDATE SET version = excluded.version, "
                 "record = excluded.record"));
  ++stored.version;
  stored.record.set_name(absl::StrCat(CaseName(case_id), "/plan"));
  stored.record.set_etag(EtagOf(stored.version));
  upsert.Bind(1, case_id).Bind(2, stored.version).BindBlob(3, stored.record.SerializeAsString());
  return upsert.Run();
}

// ---- Clusters --------------------------------------------------------------------

absl::StatusOr<int64_t> InsertCluster(Transaction& tx, v1::Cluster& record) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement insert,
      tx.Prepare("INSERT INTO clusters (municipality, track, display_name, version, record) "
                 "VALUES (?, ?, ?, 1, ?)"));
  insert.Bind(1, record.municipality())
      .Bind(2, static_cast<int64_t>(record.track()))
      .Bind(3, record.display_name())
      .BindBlob(4, record.SerializeAsString());
  HERSTEL_RETURN_IF_ERROR(insert.Run());
  int64_t cluster_id = tx.LastInsertRowId();
  record.set_name(ClusterName(cluster_id));
  return cluster_id;
}

absl::StatusOr<Versioned<v1::Cluster>> LoadCluster(Transaction& tx, int64_t cluster_id) {
  HERSTEL_ASSIGN_OR_RETURN(
      std::optional<Versioned<v1::Cluster>> row,
      LoadRow<v1::Cluster>(tx, "SELECT version, record FROM clusters WHERE id = ?", {cluster_id}));
  if (!row.has_value()) return NotFound("cluster", ClusterName(cluster_id));
  row->record.set_name(ClusterName(cluster_id));
  row->record.set_etag(EtagOf(row->version));
  return std::move(*row);
}

absl::Status SaveCluster(Transaction& tx, int64_t cluster_id, Versioned<v1::Cluster>& stored) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement update,
      tx.Prepare("UPDATE clusters SET display_name = ?, version = ?, record = ? WHERE id = ?"));
  ++stored.version;
  stored.record.set_etag(EtagOf(stored.version));
  update.Bind(1, stored.record.display_name())
      .Bind(2, stored.version)
      .BindBlob(3, stored.record.SerializeAsString())
      .Bind(4, cluster_id);
  return update.Run();
}

absl::StatusOr<std::vector<int64_t>> ListClusterIds(Transaction& tx,
                                                    const SqlConditions& conditions) {
  std::string sql = absl::StrCat("SELECT k.id FROM clusters k", conditions.Where(), " ORDER BY k.id");
  HERSTEL_ASSIGN_OR_RETURN(Statement statement, tx.Prepare(sql));
  conditions.Bind(statement);
  std::vector<int64_t> ids;
  while (true) {
    HERSTEL_ASSIGN_OR_RETURN(bool has_row, statement.Step());
    if (!has_row) break;
    ids.push_back(statement.ColumnInt(0));
  }
  return ids;
}

absl::StatusOr<std::vector<int64_t>> ListClusterMembers(Transaction& tx, absl::string_view cluster) {
  HERSTEL_ASSIGN_OR_RETURN(Statement statement,
                           tx.Prepare("SELECT id FROM cases WHERE cluster = ? AND cluster <> '' ORDER BY id"));
  statement.Bind(1, cluster);
  std::vector<int64_t> ids;
  while (true) {
    HERSTEL_ASSIGN_OR_RETURN(bool has_row, statement.Step());
    if (!has_row) break;
    ids.push_back(statement.ColumnInt(0));
  }
  return ids;
}

absl::StatusOr<ClusterAggregate> LoadClusterAggregate(Transaction& tx, absl::string_view cluster,
                                                      v1::Track track) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement query,
      tx.Prepare("SELECT c.risk_category, COUNT(*), MIN(t.phase), MAX(t.phase), "
                 "MIN(CASE WHEN t.active = 1 THEN t.phase_enter_micros END), "
                 "SUM(CASE WHEN t.case_id IS NULL OR t.active = 0 THEN 1 ELSE 0 END) "
                 "FROM cases c LEFT JOIN case_tracks t ON t.case_id = c.id AND t.track = ? "
                 "WHERE c.cluster = ? AND c.cluster <> '' GROUP BY c.risk_category ORDER BY c.risk_category"));
  query.Bind(1, static_cast<int64_t>(track)).Bind(2, cluster);
  ClusterAggregate aggregate;
  int64_t min_phase = std::numeric_limits<int64_t>::max();
  int64_t max_phase = 0;
  bool any_inactive = false;
  while (true) {
    HERSTEL_ASSIGN_OR_RETURN(bool has_row, query.Step());
    if (!has_row) break;
    int count = static_cast<int>(query.ColumnInt(1));
    aggregate.case_count += count;
    aggregate.risk_counts.emplace_back(static_cast<v1::RiskCategory>(query.ColumnInt(0)), count);
    if (!query.ColumnIsNull(2)) {
      min_phase = std::min(min_phase, query.ColumnInt(2));
      max_phase = std::max(max_phase, query.ColumnInt(3));
    }
    if (!query.ColumnIsNull(4)) {
      absl::Time enter = MicrosToTime(query.ColumnInt(4));
      if (!aggregate.earliest_phase_enter.has_value() || enter < *aggregate.earliest_phase_enter) {
        aggregate.earliest_phase_enter = enter;
      }
    }
    if (query.ColumnInt(5) > 0) any_inactive = true;
  }
  aggregate.same_phase = aggregate.case_count > 0 && !any_inactive && min_phase == max_phase;
  if (aggregate.same_phase) aggregate.phase = static_cast<v1::Phase>(min_phase);
  return aggregate;
}

absl::StatusOr<std::vector<ClusterStandingRow>> ListClusterStandings(
    Transaction& tx, absl::string_view municipality) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement query,
      tx.Prepare("SELECT k.id, MIN(c.priority_rank), "
                 "MIN(CASE WHEN t.active = 1 THEN t.phase_enter_micros END) "
                 "FROM clusters k LEFT JOIN cases c ON c.cluster = 'clusters/' || k.id AND c.cluster <> '' "
                 "LEFT JOIN case_tracks t ON t.case_id = c.id AND t.track = k.track "
                 "WHERE k.municipality = ? GROUP BY k.id ORDER BY k.id"));
  query.Bind(1, municipality);
  std::vector<ClusterStandingRow> rows;
  while (true) {
    HERSTEL_ASSIGN_OR_RETURN(bool has_row, query.Step());
    if (!has_row) break;
    ClusterStandingRow row;
    row.cluster_id = query.ColumnInt(0);
    if (!query.ColumnIsNull(1)) row.best_rank = static_cast<int>(query.ColumnInt(1));
    if (!query.ColumnIsNull(2)) row.earliest_phase_enter = MicrosToTime(query.ColumnInt(2));
    rows.push_back(row);
  }
  return rows;
}

absl::StatusOr<std::optional<Versioned<v1::ClusterPriority>>> LoadClusterPriority(
    Transaction& tx, absl::string_view municipality) {
  return LoadRow<v1::ClusterPriority>(
      tx, "SELECT version, record FROM cluster_priorities WHERE municipality = ?",
      {std::string(municipality)});
}

absl::Status SaveClusterPriority(Transaction& tx, absl::string_view municipality,
                                 Versioned<v1::ClusterPriority>& stored) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement upsert,
      tx.Prepare("INSERT INTO cluster_priorities (municipality, version, record) VALUES (?, ?, ?) "
                 "ON CONFLICT (municipality) DO UPDATE SET version = excluded.version, "
                 "record = excluded.record"));
  ++stored.version;
  stored.record.set_etag(EtagOf(stored.version));
  upsert.Bind(1, municipality).Bind(2, stored.version).BindBlob(3, stored.record.SerializeAsString());
  return upsert.Run();
}

// ---- Inspection requests -----------------------------------------------------------

namespace {

void BindInspectionColumns(Statement& statement, const v1::InspectionRequest& record, int first) {
  statement.Bind(first, static_cast<int64_t>(record.status()))
      .Bind(first + 1, TimeUtil::TimestampToMicroseconds(record.request_time()))
      .Bind(first + 2, TimeUtil::TimestampToMicroseconds(record.target_time()));
  if (record.has_close_time()) {
    statement.Bind(first + 3, TimeUtil::TimestampToMicroseconds(record.close_time()));
  } else {
    statement.BindNull(first + 3);
  }
}

}  // namespace

absl::StatusOr<int64_t> InsertInspectionRequest(Transaction& tx, int64_t case_id,
                                                absl::string_view village,
                                                v1::InspectionRequest& record) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement insert,
      tx.Prepare("INSERT INTO inspection_requests (case_id, municipality, village, status, "
                 "request_micros, target_micros, close_micros, version, record) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)"));
  insert.Bind(1, case_id).Bind(2, record.municipality()).Bind(3, village);
  BindInspectionColumns(insert, record, 4);
  insert.BindBlob(8, record.SerializeAsString());
  HERSTEL_RETURN_IF_ERROR(insert.Run());
  int64_t id = tx.LastInsertRowId();
  record.set_name(absl::StrCat(CaseName(case_id), "/inspection-requests/", id));
  // The id is known only now; the stored record carries its name for lists.
  HERSTEL_ASSIGN_OR_RETURN(Statement named,
                           tx.Prepare("UPDATE inspection_requests SET record = ? WHERE id = ?"));
  named.BindBlob(1, record.SerializeAsString()).Bind(2, id);
  HERSTEL_RETURN_IF_ERROR(named.Run());
  record.set_etag(EtagOf(1));
  return id;
}

absl::StatusOr<Versioned<v1::InspectionRequest>> LoadInspectionRequest(Transaction& tx,
                                                                      int64_t case_id,
                                                                      int64_t request_id) {
  HERSTEL_ASSIGN_OR_RETURN(
      std::optional<Versioned<v1::InspectionRequest>> row,
      LoadRow<v1::InspectionRequest>(
          tx, "SELECT version, record FROM inspection_requests WHERE id = ? AND case_id = ?",
          {request_id, case_id}));
  std::string name = absl::StrCat(CaseName(case_id), "/inspection-requests/", request_id);
  if (!row.has_value()) return NotFound("inspection request", name);
  row->record.set_name(name);
  row->record.set_etag(EtagOf(row->version));
  return std::move(*row);
}

absl::Status SaveInspectionRequest(Transaction& tx, int64_t request_id,
                                   Versioned<v1::InspectionRequest>& stored) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement update,
      tx.Prepare("UPDATE inspection_requests SET status = ?, request_micros = ?, target_micros = ?, "
                 "close_micros = ?, version = ?, record = ? WHERE id = ?"));
  ++stored.version;
  stored.record.set_etag(EtagOf(stored.version));
  BindInspectionColumns(update, stored.record, 1);
  update.Bind(5, stored.version).BindBlob(6, stored.record.SerializeAsString()).Bind(7, request_id);
  return update.Run();
}

// ---- Bottlenecks -------------------------------------------------------------------

absl::StatusOr<int64_t> InsertBottleneck(Transaction& tx, int64_t case_id, v1::Bottleneck& record) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement insert,
      tx.Prepare("INSERT INTO bottlenecks (case_id, municipality, category, status, track, "
                 "raised_by, resolved_by, raise_micros, version, record) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?)"));
  insert.Bind(1, case_id)
      .Bind(2, record.municipality())
      .Bind(3, static_cast<int64_t>(record.category()))
      .Bind(4, static_cast<int64_t>(record.status()))
      .Bind(5, static_cast<int64_t>(record.track()))
      .Bind(6, record.raised_by())
      .Bind(7, record.resolved_by())
      .Bind(8, TimeUtil::TimestampToMicroseconds(record.raise_time()))
      .BindBlob(9, record.SerializeAsString());
  HERSTEL_RETURN_IF_ERROR(insert.Run());
  int64_t id = tx.LastInsertRowId();
  record.set_name(absl::StrCat(CaseName(case_id), "/bottlenecks/", id));
  HERSTEL_ASSIGN_OR_RETURN(Statement named, tx.Prepare("UPDATE bottlenecks SET record = ? WHERE id = ?"));
  named.BindBlob(1, record.SerializeAsString()).Bind(2, id);
  HERSTEL_RETURN_IF_ERROR(named.Run());
  record.set_etag(EtagOf(1));
  return id;
}

absl::StatusOr<Versioned<v1::Bottleneck>> LoadBottleneck(Transaction& tx, int64_t case_id,
                                                         int64_t bottleneck_id) {
  HERSTEL_ASSIGN_OR_RETURN(
      std::optional<Versioned<v1::Bottleneck>> row,
      LoadRow<v1::Bottleneck>(tx, "SELECT version, record FROM bottlenecks WHERE id = ? AND case_id = ?",
                              {bottleneck_id, case_id}));
  std::string name = absl::StrCat(CaseName(case_id), "/bottlenecks/", bottleneck_id);
  if (!row.has_value()) return NotFound("bottleneck", name);
  row->record.set_name(name);
  row->record.set_etag(EtagOf(row->version));
  return std::move(*row);
}

absl::Status SaveBottleneck(Transaction& tx, int64_t bottleneck_id,
                            Versioned<v1::Bottleneck>& stored) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement update,
      tx.Prepare("UPDATE bottlenecks SET status = ?, resolved_by = ?, version = ?, record = ? "
                 "WHERE id = ?"));
  ++stored.version;
  stored.record.set_etag(EtagOf(stored.version));
  update.Bind(1, static_cast<int64_t>(stored.record.status()))
      .Bind(2, stored.record.resolved_by())
      .Bind(3, stored.version)
      .BindBlob(4, stored.record.SerializeAsString())
      .Bind(5, bottleneck_id);
  return update.Run();
}

// ---- Decision requests -------------------------------------------------------------

absl::Status InsertDecisionRequest(Transaction& tx, int64_t case_id, absl::string_view key,
                                   v1::CaseDecisionRequest& record) {
  record.set_name(absl::StrCat(CaseName(case_id), "/decision-requests/", key));
  record.set_etag(EtagOf(1));
  HERSTEL_ASSIGN_OR_RETURN(
      Statement insert,
      tx.Prepare("INSERT INTO decision_requests (case_id, request_key, municipality, status, kind, "
                 "track, requested_by, escalation, decided_level, request_micros, version, record) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)"));
  insert.Bind(1, case_id)
      .Bind(2, key)
      .Bind(3, record.municipality())
      .Bind(4, static_cast<int64_t>(record.status()))
      .Bind(5, static_cast<int64_t>(record.kind()))
      .Bind(6, static_cast<int64_t>(record.track()))
      .Bind(7, record.requested_by())
      .Bind(8, record.escalation())
      .Bind(9, static_cast<int64_t>(record.decided_level()))
      .Bind(10, TimeUtil::TimestampToMicroseconds(record.request_time()))
      .BindBlob(11, record.SerializeAsString());
  return insert.Run();
}

absl::StatusOr<std::optional<Versioned<v1::CaseDecisionRequest>>> LoadDecisionRequest(
    Transaction& tx, int64_t case_id, absl::string_view key) {
  HERSTEL_ASSIGN_OR_RETURN(
      std::optional<Versioned<v1::CaseDecisionRequest>> row,
      LoadRow<v1::CaseDecisionRequest>(
          tx, "SELECT version, record FROM decision_requests WHERE case_id = ? AND request_key = ?",
          {case_id, std::string(key)}));
  if (row.has_value()) row->record.set_etag(EtagOf(row->version));
  return row;
}

absl::Status SaveDecisionRequest(Transaction& tx, int64_t case_id, absl::string_view key,
                                 Versioned<v1::CaseDecisionRequest>& stored) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement update,
      tx.Prepare("UPDATE decision_requests SET status = ?, escalation = ?, decided_level = ?, "
                 "version = ?, record = ? WHERE case_id = ? AND request_key = ?"));
  ++stored.version;
  stored.record.set_etag(EtagOf(stored.version));
  update.Bind(1, static_cast<int64_t>(stored.record.status()))
      .Bind(2, stored.record.escalation())
      .Bind(3, static_cast<int64_t>(stored.record.decided_level()))
      .Bind(4, stored.version)
      .BindBlob(5, stored.record.SerializeAsString())
      .Bind(6, case_id)
      .Bind(7, key);
  return update.Run();
}

absl::Status SavePendingEscalationEvent(Transaction& tx, absl::string_view decision_request,
                                        const v1::Event& event) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement insert,
      tx.Prepare("INSERT OR IGNORE INTO pending_escalation_events (decision_request, sequence, event) "
                 "VALUES (?, ?, ?)"));
  insert.Bind(1, decision_request).Bind(2, event.sequence()).BindBlob(3, event.SerializeAsString());
  return insert.Run();
}

absl::StatusOr<std::vector<v1::Event>> TakePendingEscalationEvents(
    Transaction& tx, absl::string_view decision_request) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement query,
      tx.Prepare("SELECT event FROM pending_escalation_events WHERE decision_request = ? "
                 "ORDER BY sequence"));
  query.Bind(1, decision_request);
  std::vector<v1::Event> events;
  while (true) {
    HERSTEL_ASSIGN_OR_RETURN(bool has_row, query.Step());
    if (!has_row) break;
    HERSTEL_ASSIGN_OR_RETURN(v1::Event event, ParseRecord<v1::Event>(query.ColumnBlob(0)));
    events.push_back(std::move(event));
  }
  if (events.empty()) return events;
  HERSTEL_ASSIGN_OR_RETURN(
      Statement remove,
      tx.Prepare("DELETE FROM pending_escalation_events WHERE decision_request = ?"));
  remove.Bind(1, decision_request);
  HERSTEL_RETURN_IF_ERROR(remove.Run());
  return events;
}

absl::StatusOr<RecordPage> ReadRecordPage(
    Transaction& tx, const std::string& sql, const SqlConditions& conditions, int limit,
    int record_column, const std::function<std::string(const Statement&)>& key_of_row) {
  HERSTEL_ASSIGN_OR_RETURN(Statement statement, tx.Prepare(sql));
  statement.Bind(conditions.Bind(statement), static_cast<int64_t>(limit) + 1);
  RecordPage page;
  std::string key;
  while (true) {
    HERSTEL_ASSIGN_OR_RETURN(bool has_row, statement.Step());
    if (!has_row) break;
    if (static_cast<int>(page.records.size()) == limit) {
      page.last_key = key;
      break;
    }
    page.records.push_back(statement.ColumnBlob(record_column));
    key = key_of_row(statement);
  }
  return page;
}

}  // namespace herstel::case_service
