#include "store/mandate_store.h"

#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/time_util.h"
#include "herstel/errors.h"
#include "herstel/status_macros.h"

namespace herstel::mandate::store {
namespace {

using google::protobuf::util::TimeUtil;

int64_t Micros(const google::protobuf::Timestamp& timestamp) {
  return TimeUtil::TimestampToMicroseconds(timestamp);
}

google::protobuf::Timestamp Timestamp(absl::Time time) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(time));
}

// Hex of the first 8 bytes of SHA-256 over the message without its etag.
template <typename Message>
std::string ComputeEtag(Message message) {
  message.clear_etag();
  std::string bytes = message.SerializeAsString();
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), 8));
}

absl::StatusOr<int64_t> NextSeq(Transaction& tx, absl::string_view table) {
  HERSTEL_ASSIGN_OR_RETURN(Statement query,
                           tx.Prepare(absl::StrCat("SELECT COALESCE(MAX(seq), 0) + 1 FROM ", table)));
  HERSTEL_RETURN_IF_ERROR(query.Step().status());
  return query.ColumnInt(0);
}

// The id part of "prefix/id", or "" when `name` does not start with `prefix/`.
std::string IdOf(absl::string_view name, absl::string_view prefix) {
  std::string head = absl::StrCat(prefix, "/");
  if (!absl::StartsWith(name, head)) return "";
  return std::string(name.substr(head.size()));
}

absl::Status NotFound(absl::string_view what, absl::string_view name) {
  return DomainError(absl::StatusCode::kNotFound, "NOT_FOUND", absl::StrCat("no ", what, " named '", name, "'"),
                     {{"name", std::string(name)}});
}

template <typename Message>
absl::StatusOr<Message> LoadBlob(Transaction& tx, absl::string_view table, absl::string_view id,
                                 absl::string_view what, absl::string_view name) {
  HERSTEL_ASSIGN_OR_RETURN(Statement query,
                           tx.Prepare(absl::StrCat("SELECT data FROM ", table, " WHERE id = ?")));
  query.Bind(1, id);
  HERSTEL_ASSIGN_OR_RETURN(bool found, query.Step());
  if (!found) return NotFound(what, name);
  Message message;
  if (!message.ParseFromString(query.ColumnBlob(0))) {
    return absl::DataLossError(absl::StrCat("stored ", what, " ", name, " can't be read"));
  }
  return message;
}

template <typename Message>
absl::StatusOr<std::vector<Message>> ParseAll(const std::vector<std::string>& blobs);

// Stores a changed resource's state and blob under a fresh etag.
template <typename Message>
absl::Status SaveStateAndData(Transaction& tx, absl::string_view table, absl::string_view prefix,
                              Message& message) {
  message.set_etag(ComputeEtag(message));
  HERSTEL_ASSIGN_OR_RETURN(
      Statement update, tx.Prepare(absl::StrCat("UPDATE ", table, " SET state = ?, data = ? WHERE id = ?")));
  update.Bind(1, int64_t{message.state()})
      .BindBlob(2, message.SerializeAsString())
      .Bind(3, IdOf(message.name(), prefix));
  return update.Run();
}

// Every row's first column (a blob), parsed.
template <typename Message>
absl::StatusOr<std::vector<Message>> ReadAll(Statement& query) {
  std::vector<std::string> blobs;
  while (true) {
    HERSTEL_ASSIGN_OR_RETURN(bool row, query.Step());
    if (!row) break;
    blobs.push_back(query.ColumnBlob(0));
  }
  return ParseAll<Message>(blobs);
}

template <typename Message>
absl::StatusOr<std::vector<Message>> ParseAll(const std::vector<std::string>& blobs) {
  std::vector<Message> messages(blobs.size());
  for (size_t i = 0; i < blobs.size(); ++i) {
    if (!messages[i].ParseFromString(blobs[i])) return absl::DataLossError("stored row can't be read");
  }
  return messages;
}

// Turns a List filter into SQL conditions, one mapping per allowed field.
struct FilterField {
  std::string name;
  // Builds the condition from the parsed filter; nullopt when the field is absent.
  std::function<absl::StatusOr<std::optional<SqlCondition>>(const Filter&)> condition;
};

FilterField TextField(std::string name, std::string sql) {
  return {name, [name, sql](const Filter& filter) -> absl::StatusOr<std::optional<SqlCondition>> {
            std::optional<std::string> value = filter.Text(name);
            if (!value.has_value()) return std::optional<SqlCondition>();
            return std::optional<SqlCondition>(SqlCondition{sql, {*value}});
          }};
}

FilterField IntegerField(std::string name, std::string sql) {
  return {name, [name, sql](const Filter& filter) -> absl::StatusOr<std::optional<SqlCondition>> {
            HERSTEL_ASSIGN_OR_RETURN(std::optional<int64_t> value, filter.Integer(name));
            if (!value.has_value()) return std::optional<SqlCondition>();
            return std::optional<SqlCondition>(SqlCondition{sql, {*value}});
          }};
}

FilterField BooleanField(std::string name, std::string sql) {
  return {name, [name, sql](const Filter& filter) -> absl::StatusOr<std::optional<SqlCondition>> {
            HERSTEL_ASSIGN_OR_RETURN(std::optional<bool> value, filter.Boolean(name));
            if (!value.has_value()) return std::optional<SqlCondition>();
            return std::optional<SqlCondition>(SqlCondition{sql, {int64_t{*value ? 1 : 0}}});
          }};
}

template <typename Enum>
FilterField EnumField(std::string name, std::string sql, bool (*parse)(const std::string&, Enum*)) {
  return {name, [name, sql, parse](const Filter& filter) -> absl::StatusOr<std::optional<SqlCondition>> {
            HERSTEL_ASSIGN_OR_RETURN(std::optional<Enum> value, filter.EnumValue(name, parse));
            if (!value.has_value()) return std::optional<SqlCondition>();
            return std::optional<SqlCondition>(SqlCondition{sql, {int64_t{*value}}});
          }};
}

// `sql` with one `?` per time, e.g. "check_micros >= ?".
FilterField TimeField(std::string name, std::string sql, int placeholders = 1) {
  return {name, [name, sql, placeholders](const Filter& filter) -> absl::StatusOr<std::optional<SqlCondition>> {
            HERSTEL_ASSIGN_OR_RETURN(std::optional<absl::Time> value, filter.Time(name));
            if (!value.has_value()) return std::optional<SqlCondition>();
            SqlCondition condition{sql, {}};
            for (int i = 0; i < placeholders; ++i) condition.values.push_back(absl::ToUnixMicros(*value));
            return std::optional<SqlCondition>(condition);
          }};
}

absl::StatusOr<std::vector<SqlCondition>> ConditionsFor(absl::string_view filter_text,
                                                        const std::vector<FilterField>& fields) {
  std::vector<std::string> names;
  for (const FilterField& field : fields) names.push_back(field.name);
  HERSTEL_ASSIGN_OR_RETURN(Filter filter, Filter::Parse(filter_text, names));
  std::vector<SqlCondition> conditions;
  for (const FilterField& field : fields) {
    HERSTEL_ASSIGN_OR_RETURN(std::optional<SqlCondition> condition, field.condition(filter));
    if (condition.has_value()) conditions.push_back(std::move(*condition));
  }
  return conditions;
}

// Maps an order_by text to a sort column; INVALID_ARGUMENT naming the choices.
absl::StatusOr<std::pair<std::string, bool>> SortColumn(
    absl::string_view order_by, const std::vector<std::pair<std::string, std::string>>& choices) {
  if (order_by.empty()) return std::make_pair(choices.front().second, false);
  std::vector<std::string> names;
  for (const auto& [text, column] : choices) {
    if (order_by == text) return std::make_pair(column, false);
    if (order_by == absl::StrCat(text, " desc")) return std::make_pair(column, true);
    names.push_back(text);
  }
  return FieldError("order_by", absl::StrCat("must be one of ", absl::StrJoin(names, ", "),
                                             " (optionally followed by \" desc\")"));
}

template <typename Message>
absl::StatusOr<ListResult<Message>> RunList(Transaction& tx, KeysetQuery query,
                                            absl::string_view filter, absl::string_view order_by,
                                            const PageRequest& page) {
  query.page_size = page.page_size;
  query.page_token = page.page_token;
  query.query_fingerprint = absl::StrCat(query.table, "\n", filter, "\n", order_by);
  HERSTEL_ASSIGN_OR_RETURN(KeysetPage rows, ReadKeysetPage(tx, query));
  ListResult<Message> result;
  HERSTEL_ASSIGN_OR_RETURN(result.items, ParseAll<Message>(rows.blobs));
  result.next_page_token = rows.next_page_token;
  return result;
}

std::string JoinedMunicipalities(const v1::Authorisation& authorisation) {
  return absl::StrCat("|", absl::StrJoin(authorisation.municipalities(), "|"), "|");
}

}  // namespace

// ---- Mandates ---------------------------------------------------------------

absl::StatusOr<v1::Mandate> InsertMandate(Transaction& tx, v1::Mandate mandate, absl::string_view id) {
  HERSTEL_ASSIGN_OR_RETURN(int64_t seq, NextSeq(tx, "mandates"));
  std::string chosen = id.empty() ? absl::StrCat("m-", seq) : std::string(id);
  mandate.set_name(absl::StrCat("mandates/", chosen));
  mandate.set_state(v1::MANDATE_STATE_ACTIVE);
  *mandate.mutable_create_time() = Timestamp(absl::Now());
  mandate.set_etag(ComputeEtag(mandate));
  HERSTEL_ASSIGN_OR_RETURN(
      Statement insert,
      tx.Prepare("INSERT INTO mandates (seq, id, parent, state, grantor_kind, holder_role, "
                 "holder_organisation, holder_municipality, holder_level, valid_from_micros, "
                 "valid_until_micros, create_micros, data) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) "
                 "ON CONFLICT (id) DO NOTHING"));
  insert.Bind(1, seq)
      .Bind(2, chosen)
      .Bind(3, mandate.parent())
      .Bind(4, int64_t{mandate.state()})
      .Bind(5, int64_t{mandate.grantor().kind()})
      .Bind(6, int64_t{mandate.holder().role()})
      .Bind(7, mandate.holder().organisation())
      .Bind(8, mandate.holder().municipality())
      .Bind(9, int64_t{mandate.holder().level()})
      .Bind(10, Micros(mandate.valid_from()))
      .Bind(11, Micros(mandate.valid_until()))
      .Bind(12, Micros(mandate.create_time()))
      .BindBlob(13, mandate.SerializeAsString());
  HERSTEL_RETURN_IF_ERROR(insert.Run());
  if (tx.ChangedRows() == 0) {
    return DomainError(absl::StatusCode::kAlreadyExists, "MANDATE_EXISTS",
                       absl::StrCat(mandate.name(), " already exists; choose another mandate_id"));
  }
  for (int kind : mandate.decision_kinds()) {
    HERSTEL_ASSIGN_OR_RETURN(
        Statement kinds,
        tx.Prepare("INSERT OR IGNORE INTO mandate_kinds (kind, mandate_seq) VALUES (?, ?)"));
    kinds.Bind(1, int64_t{kind}).Bind(2, seq);
    HERSTEL_RETURN_IF_ERROR(kinds.Run());
  }
  return mandate;
}

absl::Status SaveMandate(Transaction& tx, v1::Mandate& mandate) {
  return SaveStateAndData(tx, "mandates", "mandates", mandate);
}

absl::StatusOr<v1::Mandate> GetMandate(Transaction& tx, absl::string_view name) {
  return LoadBlob<v1::Mandate>(tx, "mandates", IdOf(name, "mandates"), "mandate", name);
}

absl::StatusOr<std::vector<v1::Mandate>> ChildMandates(Transaction& tx, absl::string_view name) {
  HERSTEL_ASSIGN_OR_RETURN(Statement query,
                           tx.Prepare("SELECT data FROM mandates WHERE parent = ? ORDER BY seq"));
  query.Bind(1, name);
  return ReadAll<v1::Mandate>(query);
}

absl::StatusOr<int64_t> CountMandates(Transaction& tx) {
  HERSTEL_ASSIGN_OR_RETURN(Statement query, tx.Prepare("SELECT COUNT(*) FROM mandates"));
  HERSTEL_RETURN_IF_ERROR(query.Step().status());
  return query.ColumnInt(0);
}

absl::StatusOr<std::vector<MandateInContext>> MandatesCoveringKind(Transaction& tx,
                                                                   v1::DecisionKind kind, int year) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement query,
      tx.Prepare("SELECT m.data FROM mandate_kinds k JOIN mandates m ON m.seq = k.mandate_seq "
                 "WHERE k.kind = ? ORDER BY m.seq"));
  query.Bind(1, int64_t{kind});
  HERSTEL_ASSIGN_OR_RETURN(std::vector<v1::Mandate> mandates, ReadAll<v1::Mandate>(query));
  std::vector<MandateInContext> candidates;
  for (v1::Mandate& mandate : mandates) {
    MandateInContext candidate;
    std::string parent = mandate.parent();
    while (!parent.empty() && candidate.ancestors.size() < 32) {
      HERSTEL_ASSIGN_OR_RETURN(v1::Mandate ancestor, GetMandate(tx, parent));
      parent = ancestor.parent();
      candidate.ancestors.push_back(std::move(ancestor));
    }
    HERSTEL_ASSIGN_OR_RETURN(candidate.used_in_decision_year_cents,
                             MandateUsage(tx, mandate.name(), year));
    mandate.set_used_this_year_cents(candidate.used_in_decision_year_cents);
    candidate.mandate = std::move(mandate);
    candidates.push_back(std::move(candidate));
  }
  return candidates;
}

absl::Status AddMandateUsage(Transaction& tx, absl::string_view mandate, int year, int64_t delta_cents) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement upsert,
      tx.Prepare("INSERT INTO mandate_usage (mandate, year, used_cents) VALUES (?, ?, ?) "
                 "ON CONFLICT (mandate, year) DO UPDATE SET used_cents = mandate_usage.used_cents + excluded.used_cents"));
  upsert.Bind(1, mandate).Bind(2, int64_t{year}).Bind(3, delta_cents);
  return upsert.Run();
}

absl::StatusOr<int64_t> MandateUsage(Transaction& tx, absl::string_view mandate, int year) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement query, tx.Prepare("SELECT used_cents FROM mandate_usage WHERE mandate = ? AND year = ?"));
  query.Bind(1, mandate).Bind(2, int64_t{year});
  HERSTEL_ASSIGN_OR_RETURN(bool found, query.Step());
  return found ? query.ColumnInt(0) : 0;
}

absl::StatusOr<ListResult<v1::Mandate>> ListMandates(Transaction& tx, absl::string_view filter,
                                                     absl::string_view order_by,
                                                     const PageRequest& page) {
  KeysetQuery query;
  query.table = "mandates";
  HERSTEL_ASSIGN_OR_RETURN(auto sort, SortColumn(order_by, {{"create_time", "seq"},
                                                            {"valid_until", "valid_until_micros"}}));
  std::tie(query.sort_column, query.descending) = sort;
  HERSTEL_ASSIGN_OR_RETURN(
      query.conditions,
      ConditionsFor(filter,
                    {EnumField("state", "state = ?", &v1::MandateState_Parse),
                     EnumField("grantor_kind", "grantor_kind = ?", &v1::MandateGrantorKind_Parse),
                     EnumField("holder_role", "holder_role = ?", &v1::Role_Parse),
                     TextField("holder_organisation", "holder_organisation = ?"),
                     TextField("holder_municipality", "holder_municipality = ?"),
                     EnumField("holder_level", "holder_level = ?", &v1::EscalationLevel_Parse),
                     EnumField("decision_kind",
                               "seq IN (SELECT mandate_seq FROM mandate_kinds WHERE kind = ?)",
                               &v1::DecisionKind_Parse),
                     TextField("parent", "parent = ?"),
                     TimeField("valid_at", "valid_from_micros <= ? AND valid_until_micros > ?", 2)}));
  HERSTEL_ASSIGN_OR_RETURN(ListResult<v1::Mandate> result,
                           RunList<v1::Mandate>(tx, query, filter, order_by, page));
  int year = absl::ToCivilYear(absl::Now(), absl::UTCTimeZone()).year();
  for (v1::Mandate& mandate : result.items) {
    HERSTEL_ASSIGN_OR_RETURN(int64_t used, MandateUsage(tx, mandate.name(), year));
    mandate.set_used_this_year_cents(used);
  }
  return result;
}

// ---- Decision log -----------------------------------------------------------

absl::StatusOr<std::string> AppendDecisionLog(Transaction& tx, v1::MandateDecisionLogEntry& entry) {
  HERSTEL_ASSIGN_OR_RETURN(int64_t seq, NextSeq(tx, "decision_log"));
  entry.set_name(absl::StrCat("decision-log/", seq));
  entry.mutable_result()->set_decision_log_entry(entry.name());
  entry.mutable_result()->clear_explanations();
  HERSTEL_ASSIGN_OR_RETURN(
      Statement insert,
      tx.Prepare("INSERT INTO decision_log (seq, check_micros, caller_subject, caller_role, actor, kind, "
                 "municipality, allowed, mandate, operation, reference, data) "
                 "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"));
  insert.Bind(1, seq)
      .Bind(2, Micros(entry.check_time()))
      .Bind(3, entry.caller().subject())
      .Bind(4, int64_t{entry.caller().role()})
      .Bind(5, entry.actor())
      .Bind(6, int64_t{entry.kind()})
      .Bind(7, entry.municipality())
      .Bind(8, int64_t{entry.result().allowed() ? 1 : 0})
      .Bind(9, entry.result().mandate())
      .Bind(10, int64_t{entry.operation()})
      .Bind(11, entry.reference())
      .BindBlob(12, entry.SerializeAsString());
  HERSTEL_RETURN_IF_ERROR(insert.Run());
  return entry.name();
}

absl::StatusOr<ListResult<v1::MandateDecisionLogEntry>> ListDecisionLog(
    Transaction& tx, absl::string_view filter, absl::string_view order_by, const PageRequest& page) {
  KeysetQuery query;
  query.table = "decision_log";
  HERSTEL_ASSIGN_OR_RETURN(auto sort, SortColumn(order_by, {{"check_time", "seq"}}));
  std::tie(query.sort_column, query.descending) = sort;
  HERSTEL_ASSIGN_OR_RETURN(
      query.conditions,
      ConditionsFor(filter, {TextField("caller_subject", "caller_subject = ?"),
                             EnumField("caller_role", "caller_role = ?", &v1::Role_Parse),
                             TextField("actor", "actor = ?"),
                             EnumField("kind", "kind = ?", &v1::DecisionKind_Parse),
                             TextField("municipality", "municipality = ?"),
                             BooleanField("allowed", "allowed = ?"),
                             TextField("mandate", "mandate = ?"),
                             EnumField("operation", "operation = ?", &v1::DecisionLogOperation_Parse),
                             TextField("reference", "reference = ?"),
                             TimeField("from_time", "check_micros >= ?"),
                             TimeField("until_time", "check_micros < ?")}));
  return RunList<v1::MandateDecisionLogEntry>(tx, query, filter, order_by, page);
}

// ---- Authorisations ---------------------------------------------------------

absl::StatusOr<v1::Authorisation> InsertAuthorisation(Transaction& tx, v1::Authorisation authorisation) {
  HERSTEL_ASSIGN_OR_RETURN(int64_t seq, NextSeq(tx, "authorisations"));
  std::string id = absl::StrCat("a-", seq);
  authorisation.set_name(absl::StrCat("authorisations/", id));
  authorisation.set_state(v1::AUTHORISATION_STATE_ACTIVE);
  authorisation.set_etag(ComputeEtag(authorisation));
  HERSTEL_ASSIGN_OR_RETURN(
      Statement insert,
      tx.Prepare("INSERT INTO authorisations (seq, id, state, level, kind, escalation, reference, "
                 "municipalities, expire_micros, data) VALUES (?,?,?,?,?,?,?,?,?,?)"));
  insert.Bind(1, seq)
      .Bind(2, id)
      .Bind(3, int64_t{authorisation.state()})
      .Bind(4, int64_t{authorisation.level()})
      .Bind(5, int64_t{authorisation.kind()})
      .Bind(6, authorisation.escalation())
      .Bind(7, authorisation.reference())
      .Bind(8, JoinedMunicipalities(authorisation))
      .Bind(9, Micros(authorisation.expire_time()))
      .BindBlob(10, authorisation.SerializeAsString());
  HERSTEL_RETURN_IF_ERROR(insert.Run());
  return authorisation;
}

absl::Status SaveAuthorisation(Transaction& tx, v1::Authorisation& authorisation) {
  return SaveStateAndData(tx, "authorisations", "authorisations", authorisation);
}

absl::StatusOr<v1::Authorisation> GetAuthorisation(Transaction& tx, absl::string_view name) {
  return LoadBlob<v1::Authorisation>(tx, "authorisations", IdOf(name, "authorisations"),
                                     "authorisation", name);
}

absl::StatusOr<ListResult<v1::Authorisation>> ListAuthorisations(Transaction& tx,
                                                                 absl::string_view filter,
                                                                 const PageRequest& page) {
  KeysetQuery query;
  query.table = "authorisations";
  query.sort_column = "seq";
  FilterField municipality{
      "municipality", [](const Filter& f) -> absl::StatusOr<std::optional<SqlCondition>> {
        std::optional<std::string> value = f.Text("municipality");
        if (!value.has_value()) return std::optional<SqlCondition>();
        return std::optional<SqlCondition>(
            SqlCondition{"instr(municipalities, ?) > 0", {absl::StrCat("|", *value, "|")}});
      }};
  HERSTEL_ASSIGN_OR_RETURN(
      query.conditions,
      ConditionsFor(filter, {EnumField("level", "level = ?", &v1::EscalationLevel_Parse),
                             EnumField("kind", "kind = ?", &v1::DecisionKind_Parse), municipality,
                             EnumField("state", "state = ?", &v1::AuthorisationState_Parse),
                             TextField("escalation", "escalation = ?"),
                             TextField("reference", "reference = ?")}));
  return RunList<v1::Authorisation>(tx, query, filter, "", page);
}

absl::StatusOr<std::vector<v1::Authorisation>> AuthorisationsDueToExpire(Transaction& tx,
                                                                         absl::Time now, int limit) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement query,
      tx.Prepare("SELECT data FROM authorisations WHERE state = ? AND expire_micros <= ? "
                 "ORDER BY expire_micros LIMIT ?"));
  query.Bind(1, int64_t{v1::AUTHORISATION_STATE_ACTIVE})
      .Bind(2, absl::ToUnixMicros(now))
      .Bind(3, int64_t{limit});
  return ReadAll<v1::Authorisation>(query);
}

// ---- Budget lines and the journal -------------------------------------------

absl::StatusOr<v1::BudgetLine> InsertBudgetLine(Transaction& tx, v1::BudgetLine line, absl::string_view id) {
  HERSTEL_ASSIGN_OR_RETURN(int64_t seq, NextSeq(tx, "budget_lines"));
  std::string chosen = id.empty() ? absl::StrCat("bl-", seq) : std::string(id);
  line.set_name(absl::StrCat("budget-lines/", chosen));
  *line.mutable_create_time() = Timestamp(absl::Now());
  *line.mutable_update_time() = line.create_time();
  line.set_ceiling_cents(0);
  line.set_reserved_cents(0);
  line.set_committed_cents(0);
  line.set_available_cents(0);
  line.set_etag(ComputeEtag(line));
  HERSTEL_ASSIGN_OR_RETURN(
      Statement insert,
      tx.Prepare("INSERT INTO budget_lines (seq, id, source, owner, municipality, area, year, "
                 "ceiling_cents, reserved_cents, committed_cents, create_micros, update_micros, data) "
                 "VALUES (?,?,?,?,?,?,?,0,0,0,?,?,?) ON CONFLICT (id) DO NOTHING"));
  insert.Bind(1, seq)
      .Bind(2, chosen)
      .Bind(3, int64_t{line.source()})
      .Bind(4, line.owner())
      .Bind(5, line.municipality())
      .Bind(6, line.area())
      .Bind(7, int64_t{line.year()})
      .Bind(8, Micros(line.create_time()))
      .Bind(9, Micros(line.update_time()))
      .BindBlob(10, line.SerializeAsString());
  HERSTEL_RETURN_IF_ERROR(insert.Run());
  if (tx.ChangedRows() == 0) {
    return DomainError(absl::StatusCode::kAlreadyExists, "BUDGET_LINE_EXISTS",
                       absl::StrCat(line.name(), " already exists; choose another budget_line_id"));
  }
  return line;
}

absl::StatusOr<v1::BudgetLine> GetBudgetLine(Transaction& tx, absl::string_view name) {
  return LoadBlob<v1::BudgetLine>(tx, "budget_lines", IdOf(name, "budget-lines"), "budget line", name);
}

LineTotals TotalsOf(const v1::BudgetLine& line) {
  return {line.ceiling_cents(), line.reserved_cents(), line.committed_cents()};
}

absl::Status SaveBudgetLine(Transaction& tx, v1::BudgetLine& line, const LineTotals& totals) {
  line.set_ceiling_cents(totals.ceiling_cents);
  line.set_reserved_cents(totals.reserved_cents);
  line.set_committed_cents(totals.committed_cents);
  line.set_available_cents(totals.available_cents());
  *line.mutable_update_time() = Timestamp(absl::Now());
  line.set_etag(ComputeEtag(line));
  HERSTEL_ASSIGN_OR_RETURN(
      Statement update,
      tx.Prepare("UPDATE budget_lines SET owner = ?, ceiling_cents = ?, reserved_cents = ?, "
                 "committed_cents = ?, update_micros = ?, data = ? WHERE id = ?"));
  update.Bind(1, line.owner())
      .Bind(2, totals.ceiling_cents)
      .Bind(3, totals.reserved_cents)
      .Bind(4, totals.committed_cents)
      .Bind(5, Micros(line.update_time()))
      .BindBlob(6, line.SerializeAsString())
      .Bind(7, IdOf(line.name(), "budget-lines"));
  return update.Run();
}

absl::StatusOr<ListResult<v1::BudgetLine>> ListBudgetLines(Transaction& tx, absl::string_view filter,
                                                           absl::string_view order_by,
                                                           const PageRequest& page) {
  KeysetQuery query;
  query.table = "budget_lines";
  HERSTEL_ASSIGN_OR_RETURN(auto sort, SortColumn(order_by, {{"name", "id"},
                                                            {"year", "year"},
                                                            {"available_cents", "available_cents"}}));
  std::tie(query.sort_column, query.descending) = sort;
  HERSTEL_ASSIGN_OR_RETURN(
      query.conditions,
      ConditionsFor(filter, {EnumField("source", "source = ?", &v1::BudgetSource_Parse),
                             TextField("owner", "owner = ?"), TextField("municipality", "municipality = ?"),
                             TextField("area", "area = ?"), IntegerField("year", "year = ?")}));
  return RunList<v1::BudgetLine>(tx, query, filter, order_by, page);
}

absl::StatusOr<int64_t> PostMovement(Transaction& tx, absl::string_view from_line,
                                     absl::string_view to_line, const Movement& movement,
                                     absl::string_view reservation, const PostingOrigin& origin) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement next_movement,
      tx.Prepare("SELECT COALESCE(MAX(movement_id), 0) + 1 FROM journal_entries"));
  HERSTEL_RETURN_IF_ERROR(next_movement.Step().status());
  int64_t movement_id = next_movement.ColumnInt(0);
  struct Side {
    absl::string_view line;
    v1::JournalAccount account;
    int64_t amount_cents;
  };
  for (const Side& side : {Side{from_line, movement.from, -movement.amount_cents},
                           Side{to_line, movement.to, movement.amount_cents}}) {
    HERSTEL_ASSIGN_OR_RETURN(int64_t seq, NextSeq(tx, "journal_entries"));
    v1::JournalEntry entry;
    entry.set_name(absl::StrCat(side.line, "/journal-entries/", seq));
    entry.set_sequence(seq);
    entry.set_movement_id(movement_id);
    entry.set_movement_kind(movement.kind);
    entry.set_budget_line(std::string(side.line));
    entry.set_account(side.account);
    entry.set_amount_cents(side.amount_cents);
    entry.set_reservation(std::string(reservation));
    entry.set_request_id(origin.request_id);
    entry.set_actor(origin.actor);
    *entry.mutable_post_time() = Timestamp(origin.post_time);
    HERSTEL_ASSIGN_OR_RETURN(
        Statement insert,
        tx.Prepare("INSERT INTO journal_entries (seq, movement_id, movement_kind, line, account, "
                   "amount_cents, reservation, request_id, actor, post_micros, data) "
                   "VALUES (?,?,?,?,?,?,?,?,?,?,?)"));
    insert.Bind(1, seq)
        .Bind(2, movement_id)
        .Bind(3, int64_t{movement.kind})
        .Bind(4, side.line)
        .Bind(5, int64_t{side.account})
        .Bind(6, side.amount_cents)
        .Bind(7, reservation)
        .Bind(8, origin.request_id)
        .Bind(9, origin.actor)
        .Bind(10, absl::ToUnixMicros(origin.post_time))
        .BindBlob(11, entry.SerializeAsString());
    HERSTEL_RETURN_IF_ERROR(insert.Run());
  }
  return movement_id;
}

absl::StatusOr<ListResult<v1::JournalEntry>> ListJournal(Transaction& tx, absl::string_view parent,
                                                         absl::string_view filter,
                                                         const PageRequest& page) {
  KeysetQuery query;
  query.table = "journal_entries";
  query.sort_column = "seq";
  HERSTEL_ASSIGN_OR_RETURN(
      query.conditions,
      ConditionsFor(filter, {EnumField("account", "account = ?", &v1::JournalAccount_Parse),
                             EnumField("movement_kind", "movement_kind = ?", &v1::JournalMovementKind_Parse),
                             IntegerField("movement_id", "movement_id = ?"),
                             TextField("reservation", "reservation = ?"),
                             {"after_sequence",
                              [](const Filter& f) -> absl::StatusOr<std::optional<SqlCondition>> {
                                HERSTEL_ASSIGN_OR_RETURN(std::optional<int64_t> after,
                                                         f.Integer("after_sequence"));
                                if (!after.has_value()) return std::optional<SqlCondition>();
                                return std::optional<SqlCondition>(SqlCondition{"seq > ?", {*after}});
                              }},
                             TimeField("from_time", "post_micros >= ?"),
                             TimeField("until_time", "post_micros < ?")}));
  if (parent != "budget-lines/-") {
    query.conditions.push_back({"line = ?", {std::string(parent)}});
  }
  return RunList<v1::JournalEntry>(tx, query, absl::StrCat(parent, "\n", filter), "", page);
}

absl::StatusOr<v1::BudgetBalance> BalanceAsOf(Transaction& tx, absl::string_view line, absl::Time as_of) {
  as_of = std::min(as_of, absl::Now());  // the future holds nothing the journal doesn't know yet
  HERSTEL_ASSIGN_OR_RETURN(
      Statement query,
      tx.Prepare("SELECT account, SUM(amount_cents), MAX(seq) FROM journal_entries "
                 "WHERE line = ? AND post_micros <= ? GROUP BY account"));
  query.Bind(1, line).Bind(2, absl::ToUnixMicros(as_of));
  v1::BudgetBalance balance;
  balance.set_budget_line(std::string(line));
  *balance.mutable_as_of_time() = Timestamp(as_of);
  while (true) {
    HERSTEL_ASSIGN_OR_RETURN(bool row, query.Step());
    if (!row) break;
    int64_t sum = query.ColumnInt(1);
    balance.set_journal_sequence(std::max(balance.journal_sequence(), query.ColumnInt(2)));
    switch (query.ColumnInt(0)) {
      case v1::JOURNAL_ACCOUNT_AVAILABLE: balance.set_available_cents(sum); break;
      case v1::JOURNAL_ACCOUNT_RESERVED: balance.set_reserved_cents(sum); break;
      case v1::JOURNAL_ACCOUNT_COMMITTED: balance.set_committed_cents(sum); break;
      default: break;
    }
  }
  balance.set_ceiling_cents(balance.available_cents() + balance.reserved_cents() +
                            balance.committed_cents());
  return balance;
}

absl::StatusOr<std::pair<int64_t, int64_t>> JournalSum(Transaction& tx) {
  HERSTEL_ASSIGN_OR_RETURN(Statement query,
                           tx.Prepare("SELECT COALESCE(SUM(amount_cents), 0), COUNT(*) FROM journal_entries"));
  HERSTEL_RETURN_IF_ERROR(query.Step().status());
  return std::make_pair(query.ColumnInt(0), query.ColumnInt(1));
}

// ---- Reservations -----------------------------------------------------------

absl::StatusOr<v1::Reservation> InsertReservation(Transaction& tx, v1::Reservation reservation,
                                                  int usage_year) {
  HERSTEL_ASSIGN_OR_RETURN(int64_t seq, NextSeq(tx, "reservations"));
  std::string id = absl::StrCat("r-", seq);
  reservation.set_name(absl::StrCat("reservations/", id));
  reservation.set_state(v1::RESERVATION_STATE_ACTIVE);
  *reservation.mutable_create_time() = Timestamp(absl::Now());
  reservation.set_etag(ComputeEtag(reservation));
  int64_t expire_micros =
      reservation.has_expire_time() ? Micros(reservation.expire_time()) : std::numeric_limits<int64_t>::max();
  HERSTEL_ASSIGN_OR_RETURN(
      Statement insert,
      tx.Prepare("INSERT INTO reservations (seq, id, state, expire_micros, reference, mandate, "
                 "authorisation, reserved_by, usage_year, create_micros, data) "
                 "VALUES (?,?,?,?,?,?,?,?,?,?,?)"));
  insert.Bind(1, seq)
      .Bind(2, id)
      .Bind(3, int64_t{reservation.state()})
      .Bind(4, expire_micros)
      .Bind(5, reservation.reference())
      .Bind(6, reservation.mandate())
      .Bind(7, reservation.authorisation())
      .Bind(8, reservation.reserved_by())
      .Bind(9, int64_t{usage_year})
      .Bind(10, Micros(reservation.create_time()))
      .BindBlob(11, reservation.SerializeAsString());
  HERSTEL_RETURN_IF_ERROR(insert.Run());
  for (const v1::ReservationLine& line : reservation.lines()) {
    HERSTEL_ASSIGN_OR_RETURN(
        Statement link, tx.Prepare("INSERT INTO reservation_lines (line, reservation_seq) VALUES (?, ?)"));
    link.Bind(1, line.budget_line()).Bind(2, seq);
    HERSTEL_RETURN_IF_ERROR(link.Run());
  }
  return reservation;
}

absl::Status SaveReservation(Transaction& tx, v1::Reservation& reservation) {
  return SaveStateAndData(tx, "reservations", "reservations", reservation);
}

absl::StatusOr<v1::Reservation> GetReservation(Transaction& tx, absl::string_view name) {
  return LoadBlob<v1::Reservation>(tx, "reservations", IdOf(name, "reservations"), "reservation", name);
}

absl::StatusOr<int> ReservationUsageYear(Transaction& tx, absl::string_view name) {
  HERSTEL_ASSIGN_OR_RETURN(Statement query,
                           tx.Prepare("SELECT usage_year FROM reservations WHERE id = ?"));
  query.Bind(1, IdOf(name, "reservations"));
  HERSTEL_ASSIGN_OR_RETURN(bool found, query.Step());
  if (!found) return NotFound("reservation", name);
  return static_cast<int>(query.ColumnInt(0));
}

absl::StatusOr<ListResult<v1::Reservation>> ListReservations(Transaction& tx, absl::string_view filter,
                                                             absl::string_view order_by,
                                                             const PageRequest& page) {
  KeysetQuery query;
  query.table = "reservations";
  HERSTEL_ASSIGN_OR_RETURN(auto sort, SortColumn(order_by, {{"create_time", "seq"},
                                                            {"expire_time", "expire_micros"}}));
  std::tie(query.sort_column, query.descending) = sort;
  HERSTEL_ASSIGN_OR_RETURN(
      query.conditions,
      ConditionsFor(filter,
                    {TextField("budget_line",
                               "seq IN (SELECT reservation_seq FROM reservation_lines WHERE line = ?)"),
                     EnumField("state", "state = ?", &v1::ReservationState_Parse),
                     TextField("reference", "reference = ?"), TextField("mandate", "mandate = ?"),
                     TextField("authorisation", "authorisation = ?"),
                     TextField("reserved_by", "reserved_by = ?")}));
  return RunList<v1::Reservation>(tx, query, filter, order_by, page);
}

absl::StatusOr<std::vector<v1::Reservation>> ReservationsDueToExpire(Transaction& tx, absl::Time now,
                                                                     int limit) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement query,
      tx.Prepare("SELECT data FROM reservations WHERE state = ? AND expire_micros <= ? "
                 "ORDER BY expire_micros LIMIT ?"));
  query.Bind(1, int64_t{v1::RESERVATION_STATE_ACTIVE})
      .Bind(2, absl::ToUnixMicros(now))
      .Bind(3, int64_t{limit});
  return ReadAll<v1::Reservation>(query);
}

}  // namespace herstel::mandate::store
