#include "store/schema.h"

namespace herstel::mandate {

const MigrationSet& MandateSchema() {
  static const MigrationSet* schema = new MigrationSet{
      "mandate-service",
      {{1, "mandate register, decision log, authorisations, budget ledger", R"sql(
CREATE TABLE mandates (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  parent TEXT NOT NULL,
  state INTEGER NOT NULL,
  grantor_kind INTEGER NOT NULL,
  holder_role INTEGER NOT NULL,
  holder_organisation TEXT NOT NULL,
  holder_municipality TEXT NOT NULL,
  holder_level INTEGER NOT NULL,
  valid_from_micros INTEGER NOT NULL,
  valid_until_micros INTEGER NOT NULL,
  create_micros INTEGER NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX mandates_by_parent ON mandates (parent);
CREATE TABLE mandate_kinds (
  kind INTEGER NOT NULL,
  mandate_seq INTEGER NOT NULL REFERENCES mandates (seq),
  PRIMARY KEY (kind, mandate_seq)
) WITHOUT ROWID;
CREATE TABLE mandate_usage (
  mandate TEXT NOT NULL,
  year INTEGER NOT NULL,
  used_cents INTEGER NOT NULL,
  PRIMARY KEY (mandate, year)
) WITHOUT ROWID;
CREATE TABLE decision_log (
  seq INTEGER PRIMARY KEY,
  check_micros INTEGER NOT NULL,
  caller_subject TEXT NOT NULL,
  caller_role INTEGER NOT NULL,
  actor TEXT NOT NULL,
  kind INTEGER NOT NULL,
  municipality TEXT NOT NULL,
  allowed INTEGER NOT NULL,
  mandate TEXT NOT NULL,
  operation INTEGER NOT NULL,
  reference TEXT NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX decision_log_by_time ON decision_log (check_micros);
CREATE TABLE authorisations (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  state INTEGER NOT NULL,
  level INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  escalation TEXT NOT NULL,
  reference TEXT NOT NULL,
  municipalities TEXT NOT NULL,
  expire_micros INTEGER NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX authorisations_by_expiry ON authorisations (state, expire_micros);
CREATE TABLE budget_lines (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  source INTEGER NOT NULL,
  owner TEXT NOT NULL,
  municipality TEXT NOT NULL,
  area TEXT NOT NULL,
  year INTEGER NOT NULL,
  ceiling_cents INTEGER NOT NULL,
  reserved_cents INTEGER NOT NULL,
  committed_cents INTEGER NOT NULL,
  available_cents INTEGER GENERATED ALWAYS AS (ceiling_cents - reserved_cents - committed_cents) VIRTUAL,
  create_micros INTEGER NOT NULL,
  update_micros INTEGER NOT NULL,
  data BLOB NOT NULL,
  CHECK (reserved_cents >= 0 AND committed_cents >= 0 AND reserved_cents + committed_cents <= ceiling_cents)
);
CREATE TABLE journal_entries (
  seq INTEGER PRIMARY KEY,
  movement_id INTEGER NOT NULL,
  movement_kind INTEGER NOT NULL,
  line TEXT NOT NULL,
  account INTEGER NOT NULL,
  amount_cents INTEGER NOT NULL,
  reservation TEXT NOT NULL,
  request_id TEXT NOT NULL,
  actor TEXT NOT NULL,
  post_micros INTEGER NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX journal_by_line ON journal_entries (line, seq);
CREATE INDEX journal_by_movement ON journal_entries (movement_id);
CREATE TABLE reservations (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  state INTEGER NOT NULL,
  expire_micros INTEGER NOT NULL,
  reference TEXT NOT NULL,
  mandate TEXT NOT NULL,
  authorisation TEXT NOT NULL,
  reserved_by TEXT NOT NULL,
  usage_year INTEGER NOT NULL,
  create_micros INTEGER NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX reservations_by_expiry ON reservations (state, expire_micros);
CREATE TABLE reservation_lines (
  line TEXT NOT NULL,
  reservation_seq INTEGER NOT NULL REFERENCES reservations (seq),
  PRIMARY KEY (line, reservation_seq)
) WITHOUT ROWID;
)sql"}}};
  return *schema;
}

}  // namespace herstel::mandate
