// The case-service's tables in the embedded store, and the reads and writes
// the gRPC layer composes inside one transaction.
//
// Each resource row holds the resource as a serialized protobuf message
// (`record`) plus the columns its lists filter and order on; every write
// bumps `version`, which is the resource's etag. Personal data lives in its
// own table (case_personal_data) and nowhere else. Names: cases/{id},
// clusters/{id}, cases/{id}/contact-handovers/{n},
// cases/{id}/inspection-requests/{id}, cases/{id}/bottlenecks/{id},
// cases/{id}/decision-requests/{key}.
#ifndef HERSTEL_CASE_SERVICE_STORE_CASE_STORE_H_
#define HERSTEL_CASE_SERVICE_STORE_CASE_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "herstel/store.h"
#include "herstel/v1/case_service.pb.h"
#include "store/sql_conditions.h"

namespace herstel::case_service {

// The schema, component "case-service".
const MigrationSet& CaseServiceMigrations();

// ---- Names -------------------------------------------------------------------

std::string CaseName(int64_t case_id);
std::string ClusterName(int64_t cluster_id);
// "cases/{id}" → id; INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<int64_t> ParseCaseName(absl::string_view name, absl::string_view field);
absl::StatusOr<int64_t> ParseClusterName(absl::string_view name, absl::string_view field);
// "cases/{id}/{collection}/{child}" → (id, child); `collection` e.g. "bottlenecks".
absl::StatusOr<std::pair<int64_t, std::string>> ParseChildName(absl::string_view name,
                                                               absl::string_view collection,
                                                               absl::string_view field);
// "cases/{id}/{singleton}" → id, e.g. singleton "plan".
absl::StatusOr<int64_t> ParseSingletonName(absl::string_view name, absl::string_view singleton,
                                           absl::string_view field);

// A resource as stored, with its version (the etag).
template <typename Message>
struct Versioned {
  int64_t version = 0;
  Message record;
};

// ABORTED (ETAG_MISMATCH) when `etag` is non-empty and not `version`.
absl::Status CheckEtag(absl::string_view etag, int64_t version, absl::string_view field = "etag");
std::string EtagOf(int64_t version);

absl::Time MicrosToTime(int64_t micros);
int64_t TimeToMicros(absl::Time time);

// ---- Cases -------------------------------------------------------------------

// NOT_FOUND when the case doesn't exist.
absl::StatusOr<Versioned<v1::Case>> LoadCase(Transaction& tx, int64_t case_id);
// Inserts a new case (version 1) with its tracks; sets record.name. The
// address and external reference must be free (ABORTED otherwise).
absl::StatusOr<int64_t> InsertCase(Transaction& tx, v1::Case& record);
// Writes `stored.record` back with version + 1 (updates stored.version).
absl::Status SaveCase(Transaction& tx, int64_t case_id, Versioned<v1::Case>& stored);
// The case holding an address, if any.
absl::StatusOr<std::optional<int64_t>> FindCaseByAddress(Transaction& tx, absl::string_view postcode,
                                                         int64_t house_number,
                                                         absl::string_view addition);
absl::StatusOr<std::optional<int64_t>> FindCaseByExternalReference(Transaction& tx,
                                                                   absl::string_view reference);

enum class CaseOrder { kPriority, kWaitingTime, kCreateTime };

struct CaseListQuery {
  SqlConditions conditions;  // on table alias c (cases)
  CaseOrder order = CaseOrder::kPriority;
  std::string after_key;  // from the page token; "" for the first page
  int limit = 50;
};

struct CasePage {
  std::vector<Versioned<v1::Case>> cases;  // named; etag left for the caller
  std::string last_key;  // key of the last case when more may follow, else ""
};

// One page of cases in `order`, keyset-paged after `after_key`.
absl::StatusOr<CasePage> ListCases(Transaction& tx, const CaseListQuery& query);

// ---- Personal data (stored apart) ---------------------------------------------

absl::StatusOr<std::optional<Versioned<v1::CasePersonalData>>> LoadPersonalData(Transaction& tx,
                                                                               int64_t case_id);
// Inserts or replaces with version + 1.
absl::Status SavePersonalData(Transaction& tx, int64_t case_id,
                              Versioned<v1::CasePersonalData>& stored);

// ---- Contact handovers -------------------------------------------------------

// Appends a handover; sets record.name.
absl::Status InsertHandover(Transaction& tx, int64_t case_id, v1::ContactHandover& record);
// The same with its number known (1 for the first handover of a new case).
absl::Status InsertHandoverNumbered(Transaction& tx, int64_t case_id, int64_t number,
                                    v1::ContactHandover& record);
// Handovers after number `after` (oldest first); conditions on alias h.
absl::StatusOr<std::vector<std::pair<int64_t, v1::ContactHandover>>> ListHandovers(
    Transaction& tx, int64_t case_id, const SqlConditions& conditions, int64_t after, int limit);

// ---- Plan --------------------------------------------------------------------

// The plan; a case always has one (created with it).
absl::StatusOr<Versioned<v1::CasePlan>> LoadPlan(Transaction& tx, int64_t case_id);
absl::Status SavePlan(Transaction& tx, int64_t case_id, Versioned<v1::CasePlan>& stored);

// ---- Clusters ----------------------------------------------------------------

absl::StatusOr<int64_t> InsertCluster(Transaction& tx, v1::Cluster& record);
absl::StatusOr<Versioned<v1::Cluster>> LoadCluster(Transaction& tx, int64_t cluster_id);
absl::Status SaveCluster(Transaction& tx, int64_t cluster_id, Versioned<v1::Cluster>& stored);
// Cluster ids matching `conditions` (alias k), by id.
absl::StatusOr<std::vector<int64_t>> ListClusterIds(Transaction& tx, const SqlConditions& conditions);
// Ids of the member cases of a cluster, by id.
absl::StatusOr<std::vector<int64_t>> ListClusterMembers(Transaction& tx, absl::string_view cluster);

// What a cluster's members look like on the cluster's track.
struct ClusterAggregate {
  int case_count = 0;
  std::vector<std::pair<v1::RiskCategory, int>> risk_counts;  // by category
  bool same_phase = false;  // every member active on the track in one phase
  v1::Phase phase = v1::PHASE_UNSPECIFIED;
  std::optional<absl::Time> earliest_phase_enter;  // of an active member track
};
absl::StatusOr<ClusterAggregate> LoadClusterAggregate(Transaction& tx, absl::string_view cluster,
                                                      v1::Track track);

// The ordering facts of every cluster of `municipality`: (cluster id, best
// priority rank of a member or 3 when empty, earliest active phase entry).
struct ClusterStandingRow {
  int64_t cluster_id = 0;
  int best_rank = 3;
  std::optional<absl::Time> earliest_phase_enter;
};
absl::StatusOr<std::vector<ClusterStandingRow>> ListClusterStandings(Transaction& tx,
                                                                    absl::string_view municipality);

absl::StatusOr<std::optional<Versioned<v1::ClusterPriority>>> LoadClusterPriority(
    Transaction& tx, absl::string_view municipality);
absl::Status SaveClusterPriority(Transaction& tx, absl::string_view municipality,
                                 Versioned<v1::ClusterPriority>& stored);

// ---- Inspection requests -----------------------------------------------------

// `village` is the case's village, kept for filtering.
absl::StatusOr<int64_t> InsertInspectionRequest(Transaction& tx, int64_t case_id,
                                                absl::string_view village,
                                                v1::InspectionRequest& record);
absl::StatusOr<Versioned<v1::InspectionRequest>> LoadInspectionRequest(Transaction& tx,
                                                                      int64_t case_id,
                                                                      int64_t request_id);
absl::Status SaveInspectionRequest(Transaction& tx, int64_t request_id,
                                   Versioned<v1::InspectionRequest>& stored);

// ---- Bottlenecks -------------------------------------------------------------

absl::StatusOr<int64_t> InsertBottleneck(Transaction& tx, int64_t case_id, v1::Bottleneck& record);
absl::StatusOr<Versioned<v1::Bottleneck>> LoadBottleneck(Transaction& tx, int64_t case_id,
                                                         int64_t bottleneck_id);
absl::Status SaveBottleneck(Transaction& tx, int64_t bottleneck_id,
                            Versioned<v1::Bottleneck>& stored);

// ---- Decision requests -------------------------------------------------------

absl::Status InsertDecisionRequest(Transaction& tx, int64_t case_id, absl::string_view key,
                                   v1::CaseDecisionRequest& record);
absl::StatusOr<std::optional<Versioned<v1::CaseDecisionRequest>>> LoadDecisionRequest(
    Transaction& tx, int64_t case_id, absl::string_view key);
absl::Status SaveDecisionRequest(Transaction& tx, int64_t case_id, absl::string_view key,
                                 Versioned<v1::CaseDecisionRequest>& stored);

// An escalation event that arrived before its decision request was recorded;
// applied when the request is recorded. Keyed by the request's name.
absl::Status SavePendingEscalationEvent(Transaction& tx, absl::string_view decision_request,
                                        const v1::Event& event);
// The pending events of a request, oldest first, removed from the table.
absl::StatusOr<std::vector<v1::Event>> TakePendingEscalationEvents(Transaction& tx,
                                                                  absl::string_view decision_request);

// ---- Generic keyset page over a child table ----------------------------------

// A page of records from `sql` (which selects `key_columns...`, record and
// ends with "WHERE ... ORDER BY ... LIMIT ?"): the caller builds the SQL.
struct RecordPage {
  std::vector<std::string> records;  // serialized messages
  std::string last_key;
};
// Runs `sql` binding `conditions` and then the limit (limit + 1 rows are
// asked to know whether more follow); `key_of_row` builds the page key from
// the current row (columns before the record column `record_column`).
absl::StatusOr<RecordPage> ReadRecordPage(
    Transaction& tx, const std::string& sql, const SqlConditions& conditions, int limit,
    int record_column, const std::function<std::string(const Statement&)>& key_of_row);

}  // namespace herstel::case_service

#endif  // HERSTEL_CASE_SERVICE_STORE_CASE_STORE_H_
