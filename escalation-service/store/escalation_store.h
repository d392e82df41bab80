// The escalation-service's tables in the embedded store. Each object is kept
// as its herstel.v1 message (see escalation_mapping.h) beside the columns
// that filters, paging and the overdue sweep need:
//  - running_due_micros is set only while the term clock runs, so "overdue"
//    is an index range (cost per overdue escalation, not per open one);
//  - sweep_due_micros is additionally cleared once the current level's
//    breach is recorded, so the sweep touches each breach once.
// Every function runs inside the caller's transaction.
#ifndef HERSTEL_ESCALATION_STORE_ESCALATION_STORE_H_
#define HERSTEL_ESCALATION_STORE_ESCALATION_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "domain/model.h"
#include "herstel/store.h"

namespace herstel::escalation {

// Schema of component "escalation-service".
MigrationSet EscalationMigrations();

// A fresh opaque etag.
std::string NewEtag();

struct EscalationQuery {
  std::optional<int> level;
  std::optional<int> status;
  std::optional<int> reason;
  std::optional<std::string> municipality;
  std::optional<std::string> body;
  std::optional<std::string> case_name;
  std::optional<std::string> decision_request;
  std::optional<bool> overdue;   // judged at `now`
  absl::Time now;
  bool order_by_due_time = false;  // else newest first
  std::string after_key;           // from the previous page; "" for the first
  int limit = 50;
};

struct DecisionQuery {
  std::optional<std::string> escalation;  // unset: all escalations
  std::optional<int> outcome;
  std::optional<int> level;
  std::optional<int> spendable_status;
  std::optional<std::string> body;
  std::optional<std::string> municipality;
  std::string after_key;
  int limit = 50;
};

struct BodyQuery {
  std::optional<int> level;
  std::optional<std::string> municipality;
  std::string after_key;
  int limit = 50;
};

struct MeetingQuery {
  std::optional<std::string> body;
  std::optional<int> status;
  std::optional<std::string> escalation;
  std::string after_key;
  int limit = 50;
};

// A page of results plus the key to continue after ("" when this was the last page).
template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_key;
};

class EscalationStore {
 public:
  // Next free number for a generated id in `table` (escalations, bodies, meetings).
  static absl::StatusOr<int64_t> NextNumber(Transaction& tx, absl::string_view table);

  static absl::Status PutEscalation(Transaction& tx, const Escalation& escalation);
  // NOT_FOUND naming the escalation when absent.
  static absl::StatusOr<Escalation> GetEscalation(Transaction& tx, const std::string& name);
  static absl::StatusOr<Page<Escalation>> ListEscalations(Transaction& tx,
                                                          const EscalationQuery& query);
  // Escalations whose current level's term ended at or before `now` and
  // whose breach is not recorded yet, earliest due first.
  static absl::StatusOr<std::vector<Escalation>> BreachCandidates(Transaction& tx, absl::Time now,
                                                                  int limit);

  static absl::Status PutDecision(Transaction& tx, const Decision& decision);
  static absl::StatusOr<Decision> GetDecision(Transaction& tx, const std::string& name);
  static absl::StatusOr<Page<Decision>> ListDecisions(Transaction& tx, const DecisionQuery& query);

  // ALREADY_EXISTS (BODY_EXISTS_AT_LEVEL) when the level (and municipality) already has a body.
  static absl::Status InsertBody(Transaction& tx, const Body& body);
  static absl::Status UpdateBody(Transaction& tx, const Body& body);
  static absl::StatusOr<Body> GetBody(Transaction& tx, const std::string& name);
  // The body deciding at `level` for `lead_municipality` (only level 1 is per
  // municipality); FAILED_PRECONDITION NO_BODY_AT_LEVEL when none exists.
  static absl::StatusOr<Body> BodyForLevel(Transaction& tx, EscalationLevel level,
                                           const std::string& lead_municipality);
  static absl::StatusOr<Page<Body>> ListBodies(Transaction& tx, const BodyQuery& query);

  static absl::Status PutMeeting(Transaction& tx, const Meeting& meeting);
  static absl::StatusOr<Meeting> GetMeeting(Transaction& tx, const std::string& name);
  static absl::StatusOr<Page<Meeting>> ListMeetings(Transaction& tx, const MeetingQuery& query);

  // The policies; the defaults until first changed.
  static absl::StatusOr<TermPolicy> GetTermPolicy(Transaction& tx);
  static absl::Status PutTermPolicy(Transaction& tx, const TermPolicy& policy);
  static absl::StatusOr<VotingPolicy> GetVotingPolicy(Transaction& tx);
  static absl::Status PutVotingPolicy(Transaction& tx, const VotingPolicy& policy);
};

}  // namespace herstel::escalation

#endif  // HERSTEL_ESCALATION_STORE_ESCALATION_STORE_H_
