#include "store/escalation_store.h"

#include <random>
#include <variant>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "domain/ladder.h"
#include "domain/policies.h"
#include "escalation_mapping.h"
#include "herstel/errors.h"
#include "herstel/status_macros.h"

namespace herstel::escalation {
namespace {

constexpr absl::string_view kSchema = R"sql(
CREATE TABLE escalations (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  status INTEGER NOT NULL,
  level INTEGER NOT NULL,
  reason INTEGER NOT NULL,
  body TEXT NOT NULL,
  decision_request TEXT NOT NULL,
  due_time_micros INTEGER NOT NULL,
  running_due_micros INTEGER,
  sweep_due_micros INTEGER,
  data BLOB NOT NULL);
CREATE INDEX escalations_by_due ON escalations (due_time_micros, id);
CREATE INDEX escalations_running_due ON escalations (running_due_micros)
  WHERE running_due_micros IS NOT NULL;
CREATE INDEX escalations_sweep_due ON escalations (sweep_due_micros)
  WHERE sweep_due_micros IS NOT NULL;
CREATE INDEX escalations_by_status ON escalations (status, id);
CREATE INDEX escalations_by_level ON escalations (level, id);
CREATE INDEX escalations_by_body ON escalations (body, id);
CREATE INDEX escalations_by_decision_request ON escalations (decision_request)
  WHERE decision_request != '';
CREATE TABLE escalation_municipalities (
  municipality TEXT NOT NULL,
  escalation_id INTEGER NOT NULL REFERENCES escalations (id),
  PRIMARY KEY (municipality, escalation_id)) WITHOUT ROWID;
CREATE TABLE escalation_cases (
  case_name TEXT NOT NULL,
  escalation_id INTEGER NOT NULL REFERENCES escalations (id),
  PRIMARY KEY (case_name, escalation_id)) WITHOUT ROWID;
CREATE TABLE escalation_decisions (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  escalation_id INTEGER NOT NULL REFERENCES escalations (id),
  outcome INTEGER NOT NULL,
  level INTEGER NOT NULL,
  spendable_status INTEGER NOT NULL,
  body TEXT NOT NULL,
  data BLOB NOT NULL);
CREATE INDEX escalation_decisions_by_escalation ON escalation_decisions (escalation_id, id);
CREATE INDEX escalation_decisions_by_spendable ON escalation_decisions (spendable_status, id);
CREATE TABLE escalation_bodies (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  level INTEGER NOT NULL,
  municipality TEXT NOT NULL,
  data BLOB NOT NULL,
  UNIQUE (level, municipality));
CREATE TABLE escalation_meetings (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  body TEXT NOT NULL,
  status INTEGER NOT NULL,
  start_micros INTEGER NOT NULL,
  data BLOB NOT NULL);
CREATE INDEX escalation_meetings_by_start ON escalation_meetings (start_micros, id);
CREATE TABLE escalation_agenda_items (
  escalation TEXT NOT NULL,
  meeting_id INTEGER NOT NULL REFERENCES escalation_meetings (id),
  PRIMARY KEY (escalation, meeting_id)) WITHOUT ROWID;
CREATE TABLE escalation_policies (
  name TEXT PRIMARY KEY,
  data BLOB NOT NULL);
)sql";

using Value = std::variant<int64_t, std::string>;

absl::StatusOr<Statement> PrepareBound(Transaction& tx, const std::string& sql,
                                       const std::vector<Value>& values) {
  HERSTEL_ASSIGN_OR_RETURN(Statement statement, tx.Prepare(sql));
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::holds_alternative<int64_t>(values[i])) {
      statement.Bind(static_cast<int>(i + 1), std::get<int64_t>(values[i]));
    } else {
      statement.Bind(static_cast<int>(i + 1), absl::string_view(std::get<std::string>(values[i])));
    }
  }
  return statement;
}

template <typename Message>
absl::StatusOr<Message> Parse(const std::string& bytes, absl::string_view what) {
  Message message;
  if (!message.ParseFromString(bytes)) {
    return absl::InternalError(absl::StrCat("stored ", what, " cannot be read"));
  }
  return message;
}

absl::Status NotFound(absl::string_view what, absl::string_view name) {
  return DomainError(absl::StatusCode::kNotFound, "NOT_FOUND",
                     absl::StrCat(what, " '", name, "' does not exist"));
}

absl::StatusOr<int64_t> RowId(Transaction& tx, absl::string_view table, const std::string& name) {
  HERSTEL_ASSIGN_OR_RETURN(Statement query,
                           tx.Prepare(absl::StrCat("SELECT id FROM ", table, " WHERE name = ?")));
  query.Bind(1, name);
  HERSTEL_ASSIGN_OR_RETURN(bool found, query.Step());
  if (!found) return absl::NotFoundError(name);
  return query.ColumnInt(0);
}

// Parses a key written by EncodeKey: integers separated by ':'.
absl::StatusOr<std::vector<int64_t>> DecodeKey(const std::string& key, size_t parts) {
  std::vector<int64_t> values;
  for (absl::string_view part : absl::StrSplit(key, ':')) {
    int64_t value;
    if (!absl::SimpleAtoi(part, &value)) return FieldError("page_token", "is damaged");
    values.push_back(value);
  }
  if (values.size() != parts) return FieldError("page_token", "is damaged");
  return values;
}

// Runs `sql` (selecting data then the key columns) and collects one page.
template <typename Message>
absl::StatusOr<std::pair<std::vector<Message>, std::string>> RunPage(
    Transaction& tx, const std::string& sql, const std::vector<Value>& values, int limit,
    int key_columns) {
  HERSTEL_ASSIGN_OR_RETURN(Statement query, PrepareBound(tx, sql, values));
  std::vector<Message> items;
  std::string last_key;
  bool more = false;
  while (true) {
    HERSTEL_ASSIGN_OR_RETURN(bool row, query.Step());
    if (!row) break;
    if (static_cast<int>(items.size()) == limit) {
      more = true;
      break;
    }
    HERSTEL_ASSIGN_OR_RETURN(Message message, Parse<Message>(query.ColumnBlob(0), "object"));
    items.push_back(std::move(message));
    last_key.clear();
    for (int column = 1; column <= key_columns; ++column) {
      absl::StrAppend(&last_key, column > 1 ? ":" : "", query.ColumnInt(column));
    }
  }
  return std::make_pair(std::move(items), more ? last_key : std::string());
}

}  // namespace

MigrationSet EscalationMigrations() {
  return MigrationSet{"escalation-service", {{1, "escalations, decisions, bodies, meetings, policies", kSchema}}};
}

std::string NewEtag() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return absl::StrCat(absl::Hex(generator(), absl::kZeroPad16));
}

absl::StatusOr<int64_t> EscalationStore::NextNumber(Transaction& tx, absl::string_view table) {
  HERSTEL_ASSIGN_OR_RETURN(Statement query,
                           tx.Prepare(absl::StrCat("SELECT COALESCE(MAX(id), 0) + 1 FROM ", table)));
  HERSTEL_ASSIGN_OR_RETURN(bool row, query.Step());
  if (!row) return absl::InternalError("cannot number a new row");
  return query.ColumnInt(0);
}

absl::Status EscalationStore::PutEscalation(Transaction& tx, const Escalation& e) {
  const int64_t due = absl::ToUnixMicros(e.due_time);
  const bool running = IsActive(e.status);
  const bool sweep = running && !BreachRecordedAtCurrentLevel(e);
  std::string data = ToProto(e).SerializeAsString();
  absl::StatusOr<int64_t> existing = RowId(tx, "escalations", e.name);
  if (existing.ok()) {
    HERSTEL_ASSIGN_OR_RETURN(
        Statement update,
        tx.Prepare("UPDATE escalations SET status = ?, level = ?, body = ?, due_time_micros = ?, "
                   "running_due_micros = ?, sweep_due_micros = ?, data = ? WHERE id = ?"));
    update.Bind(1, static_cast<int64_t>(e.status)).Bind(2, static_cast<int64_t>(e.level)).Bind(3, e.body).Bind(4, due);
    if (running) update.Bind(5, due); else update.BindNull(5);
    if (sweep) update.Bind(6, due); else update.BindNull(6);
    update.BindBlob(7, data).Bind(8, *existing);
    return update.Run();
  }
  HERSTEL_ASSIGN_OR_RETURN(
      Statement insert,
      tx.Prepare("INSERT INTO escalations (name, status, level, reason, body, decision_request, "
                 "due_time_micros, running_due_micros, sweep_due_micros, data) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  insert.Bind(1, e.name).Bind(2, static_cast<int64_t>(e.status)).Bind(3, static_cast<int64_t>(e.level))
      .Bind(4, static_cast<int64_t>(e.reason)).Bind(5, e.body).Bind(6, e.decision_request).Bind(7, due);
  if (running) insert.Bind(8, due); else insert.BindNull(8);
  if (sweep) insert.Bind(9, due); else insert.BindNull(9);
  insert.BindBlob(10, data);
  HERSTEL_RETURN_IF_ERROR(insert.Run());
  const int64_t id = tx.LastInsertRowId();
  for (const std::string& municipality : e.municipalities) {
    HERSTEL_ASSIGN_OR_RETURN(
        Statement link,
        tx.Prepare("INSERT INTO escalation_municipalities (municipality, escalation_id) VALUES (?, ?)"));
    link.Bind(1, municipality).Bind(2, id);
    HERSTEL_RETURN_IF_ERROR(link.Run());
  }
  for (const std::string& case_name : e.subject.cases) {
    HERSTEL_ASSIGN_OR_RETURN(
        Statement link,
        tx.Prepare("INSERT INTO escalation_cases (case_name, escalation_id) VALUES (?, ?)"));
    link.Bind(1, case_name).Bind(2, id);
    HERSTEL_RETURN_IF_ERROR(link.Run());
  }
  return absl::OkStatus();
}

absl::StatusOr<Escalation> EscalationStore::GetEscalation(Transaction& tx, const std::string& name) {
  HERSTEL_ASSIGN_OR_RETURN(Statement query, tx.Prepare("SELECT data FROM escalations WHERE name = ?"));
  query.Bind(1, name);
  HERSTEL_ASSIGN_OR_RETURN(bool found, query.Step());
  if (!found) return NotFound("escalation", name);
  HERSTEL_ASSIGN_OR_RETURN(v1::Escalation proto, Parse<v1::Escalation>(query.ColumnBlob(0), name));
  return FromProto(proto);
}

absl::StatusOr<Page<Escalation>> EscalationStore::ListEscalations(Transaction& tx,
                                                                  const EscalationQuery& q) {
  // overdue=true reads the index of running due times, so it costs per overdue
  // escalation. Left to itself SQLite walks the whole table newest first for
  // the default order (it avoids the sort), and the overdue ones are the old
  // ones: 40 ms at 100,000 open (docs/benchmarks/escalation.md).
  const char* from = q.overdue.value_or(false)
                         ? "escalations e INDEXED BY escalations_running_due"
                         : "escalations e";
  std::string sql = absl::StrCat(q.order_by_due_time ? "SELECT data, due_time_micros, id FROM "
                                                     : "SELECT data, id FROM ",
                                 from, " WHERE 1 = 1");
  std::vector<Value> values;
  auto add = [&](absl::string_view clause, Value value) {
    absl::StrAppend(&sql, " AND ", clause);
    values.push_back(std::move(value));
  };
  if (q.level) add("level = ?", int64_t{*q.level});
  if (q.status) add("status = ?", int64_t{*q.status});
  if (q.reason) add("reason = ?", int64_t{*q.reason});
  if (q.body) add("body = ?", *q.body);
  if (q.decision_request) add("decision_request = ?", *q.decision_request);
  if (q.municipality) {
    add("EXISTS (SELECT 1 FROM escalation_municipalities m WHERE m.municipality = ? AND "
        "m.escalation_id = e.id)",
        *q.municipality);
  }
  if (q.case_name) {
    add("EXISTS (SELECT 1 FROM escalation_cases c WHERE c.case_name = ? AND c.escalation_id = e.id)",
        *q.case_name);
  }
  const int64_t now = absl::ToUnixMicros(q.now);
  if (q.overdue.has_value()) {
    if (*q.overdue) {
      add("running_due_micros <= ?", now);
    } else {
      add("(running_due_micros IS NULL OR running_due_micros > ?)", now);
    }
  }
  if (q.order_by_due_time) {
    if (!q.after_key.empty()) {
      HERSTEL_ASSIGN_OR_RETURN(std::vector<int64_t> key, DecodeKey(q.after_key, 2));
      absl::StrAppend(&sql, " AND (due_time_micros, id) > (?, ?)");
      values.push_back(key[0]);
      values.push_back(key[1]);
    }
    absl::StrAppend(&sql, " ORDER BY due_time_micros, id LIMIT ?");
  } else {
    if (!q.after_key.empty()) {
      HERSTEL_ASSIGN_OR_RETURN(std::vector<int64_t> key, DecodeKey(q.after_key, 1));
      add("id < ?", key[0]);
    }
    absl::StrAppend(&sql, " ORDER BY id DESC LIMIT ?");
  }
  values.push_back(int64_t{q.limit + 1});
  HERSTEL_ASSIGN_OR_RETURN(auto page, RunPage<v1::Escalation>(tx, sql, values, q.limit,
                                                              q.order_by_due_time ? 2 : 1));
  Page<Escalation> result;
  for (const v1::Escalation& proto : page.first) result.items.push_back(FromProto(proto));
  result.next_key = page.second;
  return result;
}

absl::StatusOr<std::vector<Escalation>> EscalationStore::BreachCandidates(Transaction& tx,
                                                                          absl::Time now, int limit) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement query,
      tx.Prepare("SELECT data FROM escalations WHERE sweep_due_micros IS NOT NULL AND "
                 "sweep_due_micros <= ? ORDER BY sweep_due_micros LIMIT ?"));
  query.Bind(1, absl::ToUnixMicros(now)).Bind(2, int64_t{limit});
  std::vector<Escalation> escalations;
  while (true) {
    HERSTEL_ASSIGN_OR_RETURN(bool row, query.Step());
    if (!row) break;
    HERSTEL_ASSIGN_OR_RETURN(v1::Escalation proto,
                             Parse<v1::Escalation>(query.ColumnBlob(0), "escalation"));
    escalations.push_back(FromProto(proto));
  }
  return escalations;
}

absl::Status EscalationStore::PutDecision(Transaction& tx, const Decision& d) {
  HERSTEL_ASSIGN_OR_RETURN(int64_t escalation_id, RowId(tx, "escalations", d.escalation));
  HERSTEL_ASSIGN_OR_RETURN(
      Statement put,
      tx.Prepare("INSERT INTO escalation_decisions (name, escalation_id, outcome, level, "
                 "spendable_status, body, data) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) "
                 "DO UPDATE SET spendable_status = excluded.spendable_status, data = excluded.data"));
  put.Bind(1, d.name).Bind(2, escalation_id).Bind(3, static_cast<int64_t>(d.outcome))
      .Bind(4, static_cast<int64_t>(d.level)).Bind(5, static_cast<int64_t>(d.spendable_status))
      .Bind(6, d.body).BindBlob(7, ToProto(d).SerializeAsString());
  return put.Run();
}

absl::StatusOr<Decision> EscalationStore::GetDecision(Transaction& tx, const std::string& name) {
  HERSTEL_ASSIGN_OR_RETURN(Statement query,
                           tx.Prepare("SELECT data FROM escalation_decisions WHERE name = ?"));
  query.Bind(1, name);
  HERSTEL_ASSIGN_OR_RETURN(bool found, query.Step());
  if (!found) return NotFound("decision", name);
  HERSTEL_ASSIGN_OR_RETURN(v1::EscalationDecision proto,
                           Parse<v1::EscalationDecision>(query.ColumnBlob(0), name));
  return FromProto(proto);
}

absl::StatusOr<Page<Decision>> EscalationStore::ListDecisions(Transaction& tx,
                                                              const DecisionQuery& q) {
  std::string sql = "SELECT data, id FROM escalation_decisions d WHERE 1 = 1";
  std::vector<Value> values;
  auto add = [&](absl::string_view clause, Value value) {
    absl::StrAppend(&sql, " AND ", clause);
    values.push_back(std::move(value));
  };
  if (q.escalation) {
    absl::StatusOr<int64_t> id = RowId(tx, "escalations", *q.escalation);
    if (!id.ok()) return NotFound("escalation", *q.escalation);
    add("escalation_id = ?", *id);
  }
  if (q.outcome) add("outcome = ?", int64_t{*q.outcome});
  if (q.level) add("level = ?", int64_t{*q.level});
  if (q.spendable_status) add("spendable_status = ?", int64_t{*q.spendable_status});
  if (q.body) add("body = ?", *q.body);
  if (q.municipality) {
    add("EXISTS (SELECT 1 FROM escalation_municipalities m WHERE m.municipality = ? AND "
        "m.escalation_id = d.escalation_id)",
        *q.municipality);
  }
  if (!q.after_key.empty()) {
    HERSTEL_ASSIGN_OR_RETURN(std::vector<int64_t> key, DecodeKey(q.after_key, 1));
    add("id < ?", key[0]);
  }
  absl::StrAppend(&sql, " ORDER BY id DESC LIMIT ?");
  values.push_back(int64_t{q.limit + 1});
  HERSTEL_ASSIGN_OR_RETURN(auto page, RunPage<v1::EscalationDecision>(tx, sql, values, q.limit, 1));
  Page<Decision> result;
  for (const auto& proto : page.first) result.items.push_back(FromProto(proto));
  result.next_key = page.second;
  return result;
}

absl::Status EscalationStore::InsertBody(Transaction& tx, const Body& body) {
  const std::string municipality = body.municipalities.empty() ? "" : body.municipalities[0];
  HERSTEL_ASSIGN_OR_RETURN(
      Statement existing,
      tx.Prepare("SELECT name FROM escalation_bodies WHERE level = ? AND municipality = ?"));
  existing.Bind(1, static_cast<int64_t>(body.level)).Bind(2, municipality);
  HERSTEL_ASSIGN_OR_RETURN(bool taken, existing.Step());
  if (taken) {
    return DomainError(absl::StatusCode::kAlreadyExists, "BODY_EXISTS_AT_LEVEL",
                       absl::StrCat(existing.ColumnText(0), " already decides at ",
                                    LevelLabel(body.level),
                                    municipality.empty() ? "" : absl::StrCat(" for ", municipality),
                                    "; change that body instead"));
  }
  if (RowId(tx, "escalation_bodies", body.name).ok()) {
    return DomainError(absl::StatusCode::kAlreadyExists, "BODY_EXISTS",
                       absl::StrCat(body.name, " already exists"));
  }
  HERSTEL_ASSIGN_OR_RETURN(
      Statement insert,
      tx.Prepare("INSERT INTO escalation_bodies (name, level, municipality, data) VALUES (?, ?, ?, ?)"));
  insert.Bind(1, body.name).Bind(2, static_cast<int64_t>(body.level)).Bind(3, municipality)
      .BindBlob(4, ToProto(body).SerializeAsString());
  return insert.Run();
}

absl::Status EscalationStore::UpdateBody(Transaction& tx, const Body& body) {
  HERSTEL_ASSIGN_OR_RETURN(Statement update,
                           tx.Prepare("UPDATE escalation_bodies SET data = ? WHERE name = ?"));
  update.BindBlob(1, ToProto(body).SerializeAsString()).Bind(2, body.name);
  return update.Run();
}

absl::StatusOr<Body> EscalationStore::GetBody(Transaction& tx, const std::string& name) {
  HERSTEL_ASSIGN_OR_RETURN(Statement query,
                           tx.Prepare("SELECT data FROM escalation_bodies WHERE name = ?"));
  query.Bind(1, name);
  HERSTEL_ASSIGN_OR_RETURN(bool found, query.Step());
  if (!found) return NotFound("body", name);
  HERSTEL_ASSIGN_OR_RETURN(v1::EscalationBody proto,
                           Parse<v1::EscalationBody>(query.ColumnBlob(0), name));
  return FromProto(proto);
}

absl::StatusOr<Body> EscalationStore::BodyForLevel(Transaction& tx, EscalationLevel level,
                                                   const std::string& lead_municipality) {
  const std::string municipality =
      level == v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP ? lead_municipality : "";
  HERSTEL_ASSIGN_OR_RETURN(
      Statement query,
      tx.Prepare("SELECT data FROM escalation_bodies WHERE level = ? AND municipality = ?"));
  query.Bind(1, static_cast<int64_t>(level)).Bind(2, municipality);
  HERSTEL_ASSIGN_OR_RETURN(bool found, query.Step());
  if (!found) {
    return DomainError(
        absl::StatusCode::kFailedPrecondition, "NO_BODY_AT_LEVEL",
        absl::StrCat("no body decides at ", LevelLabel(level),
                     municipality.empty() ? "" : absl::StrCat(" for ", municipality),
                     "; an operator or the national coordinator creates it with CreateBody"),
        {{"level", v1::EscalationLevel_Name(level)}, {"municipality", municipality}});
  }
  HERSTEL_ASSIGN_OR_RETURN(v1::EscalationBody proto,
                           Parse<v1::EscalationBody>(query.ColumnBlob(0), "body"));
  return FromProto(proto);
}

absl::StatusOr<Page<Body>> EscalationStore::ListBodies(Transaction& tx, const BodyQuery& q) {
  std::string sql = "SELECT data, id FROM escalation_bodies WHERE 1 = 1";
  std::vector<Value> values;
  if (q.level) {
    absl::StrAppend(&sql, " AND level = ?");
    values.push_back(int64_t{*q.level});
  }
  if (q.municipality) {
    absl::StrAppend(&sql, " AND municipality = ?");
    values.push_back(*q.municipality);
  }
  if (!q.after_key.empty()) {
    HERSTEL_ASSIGN_OR_RETURN(std::vector<int64_t> key, DecodeKey(q.after_key, 1));
    absl::StrAppend(&sql, " AND id > ?");
    values.push_back(key[0]);
  }
  absl::StrAppend(&sql, " ORDER BY id LIMIT ?");
  values.push_back(int64_t{q.limit + 1});
  HERSTEL_ASSIGN_OR_RETURN(auto page, RunPage<v1::EscalationBody>(tx, sql, values, q.limit, 1));
  Page<Body> result;
  for (const auto& proto : page.first) result.items.push_back(FromProto(proto));
  result.next_key = page.second;
  return result;
}

absl::Status EscalationStore::PutMeeting(Transaction& tx, const Meeting& meeting) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement put,
      tx.Prepare("INSERT INTO escalation_meetings (name, body, status, start_micros, data) "
                 "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET status = excluded.status, "
                 "start_micros = excluded.start_micros, data = excluded.data"));
  put.Bind(1, meeting.name).Bind(2, meeting.body).Bind(3, static_cast<int64_t>(meeting.status))
      .Bind(4, absl::ToUnixMicros(meeting.start_time)).BindBlob(5, ToProto(meeting).SerializeAsString());
  HERSTEL_RETURN_IF_ERROR(put.Run());
  HERSTEL_ASSIGN_OR_RETURN(int64_t id, RowId(tx, "escalation_meetings", meeting.name));
  HERSTEL_ASSIGN_OR_RETURN(Statement clear,
                           tx.Prepare("DELETE FROM escalation_agenda_items WHERE meeting_id = ?"));
  clear.Bind(1, id);
  HERSTEL_RETURN_IF_ERROR(clear.Run());
  for (const AgendaItem& item : meeting.agenda) {
    HERSTEL_ASSIGN_OR_RETURN(
        Statement link,
        tx.Prepare("INSERT INTO escalation_agenda_items (escalation, meeting_id) VALUES (?, ?)"));
    link.Bind(1, item.escalation).Bind(2, id);
    HERSTEL_RETURN_IF_ERROR(link.Run());
  }
  return absl::OkStatus();
}

absl::StatusOr<Meeting> EscalationStore::GetMeeting(Transaction& tx, const std::string& name) {
  HERSTEL_ASSIGN_OR_RETURN(Statement query,
                           tx.Prepare("SELECT data FROM escalation_meetings WHERE name = ?"));
  query.Bind(1, name);
  HERSTEL_ASSIGN_OR_RETURN(bool found, query.Step());
  if (!found) return NotFound("meeting", name);
  HERSTEL_ASSIGN_OR_RETURN(v1::EscalationMeeting proto,
                           Parse<v1::EscalationMeeting>(query.ColumnBlob(0), name));
  return FromProto(proto);
}

absl::StatusOr<Page<Meeting>> EscalationStore::ListMeetings(Transaction& tx, const MeetingQuery& q) {
  std::string sql = "SELECT data, start_micros, id FROM escalation_meetings g WHERE 1 = 1";
  std::vector<Value> values;
  auto add = [&](absl::string_view clause, Value value) {
    absl::StrAppend(&sql, " AND ", clause);
    values.push_back(std::move(value));
  };
  if (q.body) add("body = ?", *q.body);
  if (q.status) add("status = ?", int64_t{*q.status});
  if (q.escalation) {
    add("EXISTS (SELECT 1 FROM escalation_agenda_items a WHERE a.escalation = ? AND "
        "a.meeting_id = g.id)",
        *q.escalation);
  }
  if (!q.after_key.empty()) {
    HERSTEL_ASSIGN_OR_RETURN(std::vector<int64_t> key, DecodeKey(q.after_key, 2));
    absl::StrAppend(&sql, " AND (start_micros, id) > (?, ?)");
    values.push_back(key[0]);
    values.push_back(key[1]);
  }
  absl::StrAppend(&sql, " ORDER BY start_micros, id LIMIT ?");
  values.push_back(int64_t{q.limit + 1});
  HERSTEL_ASSIGN_OR_RETURN(auto page, RunPage<v1::EscalationMeeting>(tx, sql, values, q.limit, 2));
  Page<Meeting> result;
  for (const auto& proto : page.first) result.items.push_back(FromProto(proto));
  result.next_key = page.second;
  return result;
}

absl::StatusOr<TermPolicy> EscalationStore::GetTermPolicy(Transaction& tx) {
  HERSTEL_ASSIGN_OR_RETURN(Statement query,
                           tx.Prepare("SELECT data FROM escalation_policies WHERE name = ?"));
  query.Bind(1, kTermPolicyName);
  HERSTEL_ASSIGN_OR_RETURN(bool found, query.Step());
  if (!found) {
    TermPolicy policy = DefaultTermPolicy();
    policy.etag = "default";
    return policy;
  }
  HERSTEL_ASSIGN_OR_RETURN(v1::EscalationTermPolicy proto,
                           Parse<v1::EscalationTermPolicy>(query.ColumnBlob(0), "term policy"));
  return FromProto(proto);
}

absl::Status EscalationStore::PutTermPolicy(Transaction& tx, const TermPolicy& policy) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement put, tx.Prepare("INSERT INTO escalation_policies (name, data) VALUES (?, ?) "
                                "ON CONFLICT (name) DO UPDATE SET data = excluded.data"));
  put.Bind(1, kTermPolicyName).BindBlob(2, ToProto(policy).SerializeAsString());
  return put.Run();
}

absl::StatusOr<VotingPolicy> EscalationStore::GetVotingPolicy(Transaction& tx) {
  HERSTEL_ASSIGN_OR_RETURN(Statement query,
                           tx.Prepare("SELECT data FROM escalation_policies WHERE name = ?"));
  query.Bind(1, kVotingPolicyName);
  HERSTEL_ASSIGN_OR_RETURN(bool found, query.Step());
  if (!found) {
    VotingPolicy policy = DefaultVotingPolicy();
    policy.etag = "default";
    return policy;
  }
  HERSTEL_ASSIGN_OR_RETURN(v1::EscalationVotingPolicy proto,
                           Parse<v1::EscalationVotingPolicy>(query.ColumnBlob(0), "voting policy"));
  return FromProto(proto);
}

absl::Status EscalationStore::PutVotingPolicy(Transaction& tx, const VotingPolicy& policy) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement put, tx.Prepare("INSERT INTO escalation_policies (name, data) VALUES (?, ?) "
                                "ON CONFLICT (name) DO UPDATE SET data = excluded.data"));
  put.Bind(1, kVotingPolicyName).BindBlob(2, ToProto(policy).SerializeAsString());
  return put.Run();
}

}  // namespace herstel::escalation
