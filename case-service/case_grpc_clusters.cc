// Clusters (treintjes) and the cluster priority order of a municipality.
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "case_grpc_service.h"
#include "case_service_internal.h"
#include "domain/cluster_rules.h"
#include "domain/validation.h"
#include "herstel/idempotency.h"
#include "herstel/listing.h"

namespace herstel::case_service {
namespace {

constexpr absl::string_view kPrioritySuffix = "/cluster-priority";

absl::StatusOr<std::string> ParsePriorityName(absl::string_view name, const ReferenceData& reference) {
  absl::string_view municipality = name;
  if (!absl::ConsumeSuffix(&municipality, kPrioritySuffix) ||
      !absl::StartsWith(municipality, "municipalities/")) {
    return FieldError("name", "must be \"municipalities/{municipality}/cluster-priority\"");
  }
  HERSTEL_RETURN_IF_ERROR(reference.ValidateMunicipality(municipality, "name"));
  return std::string(municipality);
}

v1::RiskCategory CategoryForRank(int rank) {
  switch (rank) {
    case 0: return v1::RISK_CATEGORY_AOS;
    case 1: return v1::RISK_CATEGORY_P50;
    case 2: return v1::RISK_CATEGORY_P90;
    default: return v1::RISK_CATEGORY_OTHER;
  }
}

// The effective order of a municipality's clusters (names, highest first)
// and whether an override is in force.
absl::StatusOr<std::pair<std::vector<std::string>, std::vector<std::string>>> MunicipalityOrder(
    Transaction& tx, absl::string_view municipality, absl::Time now) {
  HERSTEL_ASSIGN_OR_RETURN(std::vector<ClusterStandingRow> rows, ListClusterStandings(tx, municipality));
  std::vector<ClusterStanding> standings;
  for (const ClusterStandingRow& row : rows) {
    ClusterStanding standing;
    standing.name = ClusterName(row.cluster_id);
    standing.top_risk_category = CategoryForRank(row.best_rank);
    standing.max_days_in_phase =
        row.earliest_phase_enter.has_value() ? WholeDaysBetween(*row.earliest_phase_enter, now) : 0;
    standings.push_back(std::move(standing));
  }
  HERSTEL_ASSIGN_OR_RETURN(std::optional<Versioned<v1::ClusterPriority>> priority,
                           LoadClusterPriority(tx, municipality));
  std::vector<std::string> override_order;
  if (priority.has_value() && priority->record.overridden()) {
    override_order.assign(priority->record.cluster_order().begin(),
                          priority->record.cluster_order().end());
  }
  return std::make_pair(EffectiveClusterOrder(std::move(standings), override_order), override_order);
}

SteeringGroupDecision DecisionOf(const v1::SteeringGroupDecisionRecord& record) {
  SteeringGroupDecision decision;
  decision.decision = record.decision();
  decision.minutes_reference = record.minutes_reference();
  decision.decided_by = record.decided_by();
  if (record.has_decide_time()) decision.decide_time = FromTimestamp(record.decide_time());
  decision.rationale = record.rationale();
  return decision;
}

}  // namespace

absl::Status CaseGrpcService::PresentCluster(Transaction& tx, int64_t cluster_id, v1::Cluster& cluster) {
  absl::Time now = absl::Now();
  HERSTEL_ASSIGN_OR_RETURN(ClusterAggregate aggregate,
                           LoadClusterAggregate(tx, cluster.name(), cluster.track()));
  cluster.set_case_count(aggregate.case_count);
  cluster.clear_risk_counts();
  std::vector<v1::RiskCategory> risks;
  for (const auto& [risk, count] : aggregate.risk_counts) {
    v1::ClusterRiskCount* entry = cluster.add_risk_counts();
    entry->set_risk_category(risk);
    entry->set_count(count);
    risks.push_back(risk);
  }
  cluster.set_top_risk_category(TopRiskCategory(risks));
  cluster.set_phase(aggregate.same_phase ? aggregate.phase : v1::PHASE_UNSPECIFIED);
  cluster.set_max_days_in_phase(
      aggregate.earliest_phase_enter ? WholeDaysBetween(*aggregate.earliest_phase_enter, now) : 0);
  HERSTEL_ASSIGN_OR_RETURN(auto order, MunicipalityOrder(tx, cluster.municipality(), now));
  const std::vector<std::string>& effective = order.first;
  auto position = std::find(effective.begin(), effective.end(), ClusterName(cluster_id));
  cluster.set_priority_rank(position == effective.end()
                                ? 0
                                : static_cast<int32_t>(position - effective.begin()) + 1);
  cluster.set_priority_overridden(std::find(order.second.begin(), order.second.end(),
                                            ClusterName(cluster_id)) != order.second.end());
  return absl::OkStatus();
}

grpc::Status CaseGrpcService::CreateCluster(ServerContext* context,
                                            const v1::CreateClusterRequest* request,
                                            v1::Cluster* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kManageCluster));
    const v1::Cluster& given = request->cluster();
    FieldViolations violations;
    violations.Require(!given.display_name().empty() && given.display_name().size() <= 200,
                       "cluster.display_name", "is required, at most 200 characters");
    violations.Require(given.description().size() <= kMaxTextLength, "cluster.description",
                       "must be at most 4000 characters");
    violations.Require(v1::Track_IsValid(given.track()), "cluster.track", "is not a known track");
    violations.Require(request->cases_size() <= kMaxClusterCases, "cases",
                       absl::StrCat("at most ", kMaxClusterCases, " cases"));
    HERSTEL_RETURN_IF_ERROR(violations.ToStatus());
    HERSTEL_RETURN_IF_ERROR(reference_.ValidateMunicipality(given.municipality(), "cluster.municipality"));
    HERSTEL_RETURN_IF_ERROR(CheckScope(caller, given.municipality(), CaseAction::kManageCluster));
    absl::Time now = absl::Now();
    return RunIdempotent(
        store_, "herstel.v1.CaseService/CreateCluster", request->request_id(), *request, *response,
        [&](Transaction& tx) -> absl::Status {
          v1::Cluster record;
          record.set_display_name(given.display_name());
          record.set_description(given.description());
          record.set_municipality(given.municipality());
          record.set_track(given.track() == v1::TRACK_UNSPECIFIED ? v1::TRACK_STRENGTHENING : given.track());
          *record.mutable_create_time() = ToTimestamp(now);
          *record.mutable_update_time() = ToTimestamp(now);
          HERSTEL_ASSIGN_OR_RETURN(int64_t cluster_id, InsertCluster(tx, record));
          std::vector<ClusterCandidate> candidates;
          std::vector<std::optional<Versioned<v1::Case>>> loaded;
          for (int i = 0; i < request->cases_size(); ++i) {
            ClusterCandidate candidate{request->cases(i), false, "", ""};
            std::optional<Versioned<v1::Case>> stored;
            if (absl::StatusOr<int64_t> id = ParseCaseName(request->cases(i), "cases"); id.ok()) {
              absl::StatusOr<Versioned<v1::Case>> found = LoadCase(tx, *id);
              if (found.ok() && caller.CoversMunicipality(found->record.municipality())) {
                candidate.found = true;
                candidate.municipality = found->record.municipality();
                candidate.cluster = found->record.cluster();
                stored = std::move(*found);
              }
            }
            candidates.push_back(std::move(candidate));
            loaded.push_back(std::move(stored));
          }
          HERSTEL_RETURN_IF_ERROR(
              ValidateClusterAdditions(record.name(), record.municipality(), 0, candidates));
          v1::ClusterCreated event;
          event.set_cluster(record.name());
          event.set_municipality(record.municipality());
          event.set_track(record.track());
          for (std::optional<Versioned<v1::Case>>& stored : loaded) {
            stored->record.set_cluster(record.name());
            *stored->record.mutable_update_time() = ToTimestamp(now);
            HERSTEL_ASSIGN_OR_RETURN(int64_t case_id, ParseCaseName(stored->record.name(), "cases"));
            HERSTEL_RETURN_IF_ERROR(SaveCase(tx, case_id, *stored));
            event.add_cases(stored->record.name());
          }
          HERSTEL_RETURN_IF_ERROR(
              AppendEvent(tx, event, record.name(), OriginOf(caller, request->request_id())).status());
          record.set_etag(EtagOf(1));
          HERSTEL_RETURN_IF_ERROR(PresentCluster(tx, cluster_id, record));
          *response = record;
          return absl::OkStatus();
        });
  });
}

grpc::Status CaseGrpcService::GetCluster(ServerContext* context, const v1::GetClusterRequest* request,
                                         v1::Cluster* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kRead));
    HERSTEL_ASSIGN_OR_RETURN(int64_t cluster_id, ParseClusterName(request->name(), "name"));
    return store_.Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(Versioned<v1::Cluster> stored, LoadCluster(tx, cluster_id));
      HERSTEL_RETURN_IF_ERROR(CheckScopeFor(caller, stored.record.municipality(), CaseAction::kRead,
                                            stored.record.name()));
      HERSTEL_RETURN_IF_ERROR(PresentCluster(tx, cluster_id, stored.record));
      *response = std::move(stored.record);
      return absl::OkStatus();
    });
  });
}

grpc::Status CaseGrpcService::ListClusters(ServerContext* context,
                                           const v1::ListClustersRequest* request,
                                           v1::ListClustersResponse* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kRead));
    HERSTEL_ASSIGN_OR_RETURN(Filter filter,
                             Filter::Parse(request->filter(), {"municipality", "track", "phase",
                                                               "top_risk_category",
                                                               "priority_overridden"}));
    HERSTEL_ASSIGN_OR_RETURN(int page_size, EffectivePageSize(request->page_size()));
    std::string order_by = request->order_by().empty() ? "priority" : request->order_by();
    if (order_by != "priority" && order_by != "create_time" && order_by != "display_name") {
      return FieldError("order_by", "must be \"priority\", \"create_time\" or \"display_name\"");
    }
    SqlConditions where;
    HERSTEL_RETURN_IF_ERROR(RestrictToScope(caller, filter.Text("municipality"), "k.municipality", where));
    HERSTEL_ASSIGN_OR_RETURN(std::optional<v1::Track> track, filter.EnumValue<v1::Track>("track", v1::Track_Parse));
    if (track) where.Add("k.track = ?", {static_cast<int64_t>(*track)});
    HERSTEL_ASSIGN_OR_RETURN(std::optional<v1::Phase> phase, filter.EnumValue<v1::Phase>("phase", v1::Phase_Parse));
    HERSTEL_ASSIGN_OR_RETURN(std::optional<v1::RiskCategory> top_risk,
                             filter.EnumValue<v1::RiskCategory>("top_risk_category", v1::RiskCategory_Parse));
    HERSTEL_ASSIGN_OR_RETURN(std::optional<bool> overridden, filter.Boolean("priority_overridden"));
    std::string page_query = PageQuery(filter.Canonical(), order_by);
    HERSTEL_ASSIGN_OR_RETURN(std::string after_text, DecodePageToken(request->page_token(), page_query));
    int64_t offset = 0;
    if (!after_text.empty() && (!absl::SimpleAtoi(after_text, &offset) || offset < 0)) {
      return FieldError("page_token", "is not a token this service issued");
    }
    // Clusters are few (at most one per 150 cases) and their order is
    // computed, so the page is cut from the ordered, filtered list.
    return store_.Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, ListClusterIds(tx, where));
      std::vector<v1::Cluster> clusters;
      for (int64_t id : ids) {
        HERSTEL_ASSIGN_OR_RETURN(Versioned<v1::Cluster> stored, LoadCluster(tx, id));
        HERSTEL_RETURN_IF_ERROR(PresentCluster(tx, id, stored.record));
        if (phase && stored.record.phase() != *phase) continue;
        if (top_risk && stored.record.top_risk_category() != *top_risk) continue;
        if (overridden && stored.record.priority_overridden() != *overridden) continue;
        clusters.push_back(std::move(stored.record));
      }
      std::stable_sort(clusters.begin(), clusters.end(), [&](const v1::Cluster& a, const v1::Cluster& b) {
        if (order_by == "display_name") return a.display_name() < b.display_name();
        if (order_by == "create_time") return false;  // ids follow creation
        if (a.municipality() != b.municipality()) return a.municipality() < b.municipality();
        return a.priority_rank() < b.priority_rank();
      });
      for (int64_t i = offset; i < static_cast<int64_t>(clusters.size()) && i < offset + page_size; ++i) {
        *response->add_clusters() = clusters[i];
      }
      if (offset + page_size < static_cast<int64_t>(clusters.size())) {
        response->set_next_page_token(EncodePageToken(absl::StrCat(offset + page_size), page_query));
      }
      return absl::OkStatus();
    });
  });
}

grpc::Status CaseGrpcService::UpdateCluster(ServerContext* context,
                                            const v1::UpdateClusterRequest* request,
                                            v1::Cluster* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kManageCluster));
    HERSTEL_ASSIGN_OR_RETURN(int64_t cluster_id, ParseClusterName(request->cluster().name(), "cluster.name"));
    HERSTEL_RETURN_IF_ERROR(RequireEtag(request->cluster().etag(), "cluster.etag"));
    HERSTEL_RETURN_IF_ERROR(ValidateMask(request->update_mask().paths(), {"display_name", "description"}));
    const v1::Cluster& given = request->cluster();
    FieldViolations violations;
    for (const std::string& path : request->update_mask().paths()) {
      if (path == "display_name") {
        violations.Require(!given.display_name().empty() && given.display_name().size() <= 200,
                           "cluster.display_name", "is required, at most 200 characters");
      }
    }
    violations.Require(given.description().size() <= kMaxTextLength, "cluster.description",
                       "must be at most 4000 characters");
    HERSTEL_RETURN_IF_ERROR(violations.ToStatus());
    return RunIdempotent(
        store_, "herstel.v1.CaseService/UpdateCluster", request->request_id(), *request, *response,
        [&](Transaction& tx) -> absl::Status {
          HERSTEL_ASSIGN_OR_RETURN(Versioned<v1::Cluster> stored, LoadCluster(tx, cluster_id));
          HERSTEL_RETURN_IF_ERROR(CheckScopeFor(caller, stored.record.municipality(),
                                                CaseAction::kManageCluster, stored.record.name()));
          HERSTEL_RETURN_IF_ERROR(CheckEtag(given.etag(), stored.version, "cluster.etag"));
          v1::ClusterUpdated event;
          event.set_cluster(stored.record.name());
          for (const std::string& path : request->update_mask().paths()) {
            if (path == "display_name") stored.record.set_display_name(given.display_name());
            if (path == "description") stored.record.set_description(given.description());
            event.add_changed_fields(path);
          }
          *stored.record.mutable_update_time() = ToTimestamp(absl::Now());
          HERSTEL_RETURN_IF_ERROR(SaveCluster(tx, cluster_id, stored));
          HERSTEL_RETURN_IF_ERROR(AppendEvent(tx, event, stored.record.name(),
                                              OriginOf(caller, request->request_id()))
                                      .status());
          HERSTEL_RETURN_IF_ERROR(PresentCluster(tx, cluster_id, stored.record));
          *response = stored.record;
          return absl::OkStatus();
        });
  });
}

absl::Status CaseGrpcService::ChangeClusterMembers(
    const Caller& caller, bool add, absl::string_view method, const google::protobuf::Message& request,
    absl::string_view cluster_name, const google::protobuf::RepeatedPtrField<std::string>& cases,
    absl::string_view etag, absl::string_view request_id, v1::Cluster& response) {
  HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kManageCluster));
  HERSTEL_ASSIGN_OR_RETURN(int64_t cluster_id, ParseClusterName(cluster_name, "cluster"));
  if (cases.empty() || cases.size() > kMaxClusterCases) {
    return FieldError("cases", absl::StrCat("name 1 to ", kMaxClusterCases, " cases"));
  }
  absl::Time now = absl::Now();
  return RunIdempotent(store_, method, request_id, request, response, [&](Transaction& tx) -> absl::Status {
    HERSTEL_ASSIGN_OR_RETURN(Versioned<v1::Cluster> cluster, LoadCluster(tx, cluster_id));
    HERSTEL_RETURN_IF_ERROR(CheckScopeFor(caller, cluster.record.municipality(),
                                          CaseAction::kManageCluster, cluster.record.name()));
    HERSTEL_RETURN_IF_ERROR(CheckEtag(etag, cluster.version));
    HERSTEL_ASSIGN_OR_RETURN(std::vector<int64_t> members, ListClusterMembers(tx, cluster.record.name()));
    std::vector<ClusterCandidate> candidates;
    std::vector<std::pair<int64_t, Versioned<v1::Case>>> loaded;
    for (const std::string& name : cases) {
      ClusterCandidate candidate{name, false, "", ""};
      if (absl::StatusOr<int64_t> id = ParseCaseName(name, "cases"); id.ok()) {
        absl::StatusOr<Versioned<v1::Case>> found = LoadCase(tx, *id);
        if (found.ok() && caller.CoversMunicipality(found->record.municipality())) {
          candidate.found = true;
          candidate.municipality = found->record.municipality();
          candidate.cluster = found->record.cluster();
          loaded.emplace_back(*id, std::move(*found));
        }
      }
      candidates.push_back(std::move(candidate));
    }
    if (add) {
      HERSTEL_RETURN_IF_ERROR(ValidateClusterAdditions(cluster.record.name(), cluster.record.municipality(),
                                                       static_cast<int>(members.size()), candidates));
    } else {
      HERSTEL_RETURN_IF_ERROR(ValidateClusterRemovals(cluster.record.name(), candidates));
    }
    std::vector<std::string> changed;
    for (auto& [case_id, stored] : loaded) {
      stored.record.set_cluster(add ? cluster.record.name() : "");
      *stored.record.mutable_update_time() = ToTimestamp(now);
      HERSTEL_RETURN_IF_ERROR(SaveCase(tx, case_id, stored));
      changed.push_back(stored.record.name());
    }
    *cluster.record.mutable_update_time() = ToTimestamp(now);
    HERSTEL_RETURN_IF_ERROR(SaveCluster(tx, cluster_id, cluster));
    int count = static_cast<int>(members.size()) + (add ? 1 : -1) * static_cast<int>(changed.size());
    EventOrigin origin = OriginOf(caller, request_id);
    if (add) {
      v1::ClusterCasesAdded event;
      event.set_cluster(cluster.record.name());
      for (const std::string& name : changed) event.add_cases(name);
      event.set_case_count(count);
      HERSTEL_RETURN_IF_ERROR(AppendEvent(tx, event, cluster.record.name(), origin).status());
    } else {
      v1::ClusterCasesRemoved event;
      event.set_cluster(cluster.record.name());
      for (const std::string& name : changed) event.add_cases(name);
      event.set_case_count(count);
      HERSTEL_RETURN_IF_ERROR(AppendEvent(tx, event, cluster.record.name(), origin).status());
    }
    HERSTEL_RETURN_IF_ERROR(PresentCluster(tx, cluster_id, cluster.record));
    response = cluster.record;
    return absl::OkStatus();
  });
}

grpc::Status CaseGrpcService::AddClusterCases(ServerContext* context,
                                              const v1::AddClusterCasesRequest* request,
                                              v1::Cluster* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    return ChangeClusterMembers(caller, true, "herstel.v1.CaseService/AddClusterCases", *request,
                                request->cluster(), request->cases(), request->etag(),
                                request->request_id(), *response);
  });
}

grpc::Status CaseGrpcService::RemoveClusterCases(ServerContext* context,
                                                 const v1::RemoveClusterCasesRequest* request,
                                                 v1::Cluster* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    return ChangeClusterMembers(caller, false, "herstel.v1.CaseService/RemoveClusterCases", *request,
                                request->cluster(), request->cases(), request->etag(),
                                request->request_id(), *response);
  });
}

grpc::Status CaseGrpcService::AdvanceCluster(ServerContext* context,
                                             const v1::AdvanceClusterRequest* request,
                                             v1::AdvanceClusterResponse* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kAdvanceCluster));
    HERSTEL_ASSIGN_OR_RETURN(int64_t cluster_id, ParseClusterName(request->name(), "name"));
    absl::Time now = absl::Now();
    // Everything happens in one transaction: all members move, or none.
    auto advance = [&](Transaction& tx, bool commit) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(Versioned<v1::Cluster> cluster, LoadCluster(tx, cluster_id));
      HERSTEL_RETURN_IF_ERROR(CheckScopeFor(caller, cluster.record.municipality(),
                                            CaseAction::kAdvanceCluster, cluster.record.name()));
      HERSTEL_RETURN_IF_ERROR(CheckEtag(request->etag(), cluster.version));
      HERSTEL_ASSIGN_OR_RETURN(std::vector<int64_t> member_ids, ListClusterMembers(tx, cluster.record.name()));
      std::vector<ClusterMember> members;
      std::vector<Versioned<v1::Case>> stored_members;
      for (int64_t id : member_ids) {
        HERSTEL_ASSIGN_OR_RETURN(Versioned<v1::Case> stored, LoadCase(tx, id));
        members.push_back({stored.record.name(), TracksOf(stored.record)});
        stored_members.push_back(std::move(stored));
      }
      HERSTEL_ASSIGN_OR_RETURN(std::vector<AdvanceBlocker> blockers,
                               FindAdvanceBlockers(cluster.record.track(), request->from_phase(), members));
      v1::Phase to_phase = *NextPhase(request->from_phase());
      response->set_to_phase(to_phase);
      if (!blockers.empty()) {
        if (!commit) {
          for (const AdvanceBlocker& blocker : blockers) {
            v1::ClusterAdvanceBlocker* entry = response->add_blockers();
            entry->set_case_(blocker.case_name);
            entry->set_reason(blocker.reason);
            entry->set_description(blocker.description);
            entry->set_phase(blocker.phase);
          }
        } else {
          v1::ErrorDetail detail;
          detail.set_reason("CLUSTER_ADVANCE_BLOCKED");
          for (const AdvanceBlocker& blocker : blockers) {
            v1::FieldViolation* violation = detail.add_field_violations();
            violation->set_field(blocker.case_name);
            violation->set_description(absl::StrCat(blocker.reason, ": ", blocker.description));
          }
          return WithDetail(absl::FailedPreconditionError(absl::StrCat(
                                blockers.size(), " of ", members.size(), " cases block ",
                                cluster.record.name(), "; nothing moved (see field violations)")),
                            detail);
        }
      }
      for (const ClusterMember& member : members) {
        bool blocked = std::any_of(blockers.begin(), blockers.end(), [&](const AdvanceBlocker& b) {
          return b.case_name == member.name;
        });
        if (!blocked) response->add_advanced_cases(member.name);
      }
      if (commit) {
        EventOrigin origin = OriginOf(caller, request->request_id());
        v1::ClusterAdvanced advanced;
        advanced.set_cluster(cluster.record.name());
        advanced.set_track(cluster.record.track());
        advanced.set_from_phase(request->from_phase());
        advanced.set_to_phase(to_phase);
        advanced.set_case_count(static_cast<int32_t>(members.size()));
        HERSTEL_RETURN_IF_ERROR(AppendEvent(tx, advanced, cluster.record.name(), origin).status());
        for (size_t i = 0; i < stored_members.size(); ++i) {
          Versioned<v1::Case>& stored = stored_members[i];
          std::vector<TrackState> tracks = members[i].tracks;
          HERSTEL_ASSIGN_OR_RETURN(PhaseMove move,
                                   AdvanceTrack(tracks, cluster.record.track(), to_phase, now));
          SetTracks(stored.record, tracks);
          *stored.record.mutable_update_time() = ToTimestamp(now);
          HERSTEL_RETURN_IF_ERROR(SaveCase(tx, member_ids[i], stored));
          v1::PhaseAdvanced event;
          event.set_case_(stored.record.name());
          event.set_track(cluster.record.track());
          event.set_from_phase(move.from_phase);
          event.set_to_phase(move.to_phase);
          *event.mutable_from_phase_enter_time() = ToTimestamp(move.from_phase_enter_time);
          event.set_cluster(cluster.record.name());
          event.set_municipality(stored.record.municipality());
          event.set_village(stored.record.village());
          HERSTEL_RETURN_IF_ERROR(AppendEvent(tx, event, stored.record.name(), origin).status());
        }
        *cluster.record.mutable_update_time() = ToTimestamp(now);
        HERSTEL_RETURN_IF_ERROR(SaveCluster(tx, cluster_id, cluster));
      }
      HERSTEL_RETURN_IF_ERROR(PresentCluster(tx, cluster_id, cluster.record));
      *response->mutable_cluster() = cluster.record;
      return absl::OkStatus();
    };
    if (request->validate_only()) {
      return store_.Read([&](Transaction& tx) { return advance(tx, false); });
    }
    return RunIdempotent(store_, "herstel.v1.CaseService/AdvanceCluster", request->request_id(),
                         *request, *response,
                         [&](Transaction& tx) { return advance(tx, true); });
  });
}

// ---- Priority --------------------------------------------------------------------------

absl::Status CaseGrpcService::CheckPriorityMandate(const Caller& caller, absl::string_view municipality,
                                                   absl::string_view request_id,
                                                   absl::Time inbound_deadline) {
  if (mandate_ == nullptr) {
    return DomainError(absl::StatusCode::kUnavailable, "PEER_NOT_CONFIGURED",
                       "the case-service has no --mandate_address, so it cannot check the "
                       "mandate for overriding the cluster order");
  }
  v1::CheckDecisionRequest check;
  v1::MandateCaller* who = check.mutable_caller();
  who->set_subject(caller.subject);
  who->set_role(caller.role);
  who->set_organisation(caller.organisation);
  for (const std::string& scope : caller.municipalities) {
    if (scope != "*") who->add_municipalities(scope);
  }
  check.set_kind(v1::DECISION_KIND_CLUSTER_PRIORITY);
  check.set_municipality(std::string(municipality));
  check.set_reference(absl::StrCat(municipality, kPrioritySuffix));
  check.set_request_id(absl::StrCat(request_id, "/mandate-check"));
  HERSTEL_ASSIGN_OR_RETURN(v1::CheckDecisionResponse answer, mandate_->CheckDecision(check, inbound_deadline));
  if (answer.result().allowed()) return absl::OkStatus();
  v1::ErrorDetail detail;
  detail.set_reason("NO_MANDATE_FOR_CLUSTER_PRIORITY");
  detail.set_can_decide_level(answer.result().can_decide_level());
  return WithDetail(absl::PermissionDeniedError(absl::StrCat(
                        "the mandate-service found no mandate of yours for the cluster order of ",
                        municipality, ": ", answer.result().denial_message())),
                    detail);
}

grpc::Status CaseGrpcService::GetClusterPriority(ServerContext* context,
                                                 const v1::GetClusterPriorityRequest* request,
                                                 v1::ClusterPriority* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kRead));
    HERSTEL_ASSIGN_OR_RETURN(std::string municipality, ParsePriorityName(request->name(), reference_));
    HERSTEL_RETURN_IF_ERROR(CheckScopeFor(caller, municipality, CaseAction::kRead, request->name()));
    return store_.Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(std::optional<Versioned<v1::ClusterPriority>> stored,
                               LoadClusterPriority(tx, municipality));
      if (stored.has_value()) *response = stored->record;
      response->set_name(request->name());
      response->set_etag(EtagOf(stored.has_value() ? stored->version : 0));
      return absl::OkStatus();
    });
  });
}

grpc::Status CaseGrpcService::OverrideClusterPriority(ServerContext* context,
                                                      const v1::OverrideClusterPriorityRequest* request,
                                                      v1::ClusterPriority* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kSteerClusterPriority));
    HERSTEL_ASSIGN_OR_RETURN(std::string municipality, ParsePriorityName(request->name(), reference_));
    HERSTEL_RETURN_IF_ERROR(CheckScope(caller, municipality, CaseAction::kSteerClusterPriority));
    absl::Time now = absl::Now();
    HERSTEL_RETURN_IF_ERROR(ValidateSteeringGroupDecision(DecisionOf(request->decision()), now, "decision"));
    HERSTEL_RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
    std::vector<std::string> order(request->cluster_order().begin(), request->cluster_order().end());
    HERSTEL_RETURN_IF_ERROR(CheckPriorityMandate(caller, municipality, request->request_id(),
                                                 InboundDeadline(*context)));
    return RunIdempotent(
        store_, "herstel.v1.CaseService/OverrideClusterPriority", request->request_id(), *request,
        *response, [&](Transaction& tx) -> absl::Status {
          SqlConditions where;
          where.Add("k.municipality = ?", {municipality});
          HERSTEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, ListClusterIds(tx, where));
          std::vector<std::string> known;
          for (int64_t id : ids) known.push_back(ClusterName(id));
          HERSTEL_RETURN_IF_ERROR(ValidateClusterOrder(order, known));
          HERSTEL_ASSIGN_OR_RETURN(std::optional<Versioned<v1::ClusterPriority>> loaded,
                                   LoadClusterPriority(tx, municipality));
          Versioned<v1::ClusterPriority> stored = loaded.value_or(Versioned<v1::ClusterPriority>());
          HERSTEL_RETURN_IF_ERROR(CheckEtag(request->etag(), stored.version));
          stored.record.set_name(request->name());
          stored.record.set_overridden(true);
          *stored.record.mutable_cluster_order() = request->cluster_order();
          *stored.record.mutable_decision() = request->decision();
          stored.record.set_recorded_by(caller.subject);
          *stored.record.mutable_record_time() = ToTimestamp(now);
          HERSTEL_RETURN_IF_ERROR(SaveClusterPriority(tx, municipality, stored));
          v1::ClusterPriorityOverridden event;
          event.set_cluster_priority(request->name());
          *event.mutable_cluster_order() = request->cluster_order();
          *event.mutable_decision() = request->decision();
          HERSTEL_RETURN_IF_ERROR(
              AppendEvent(tx, event, request->name(), OriginOf(caller, request->request_id())).status());
          *response = stored.record;
          return absl::OkStatus();
        });
  });
}

grpc::Status CaseGrpcService::ClearClusterPriorityOverride(
    ServerContext* context, const v1::ClearClusterPriorityOverrideRequest* request,
    v1::ClusterPriority* response) {
  return Serve(context, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(CheckRole(caller.role, CaseAction::kSteerClusterPriority));
    HERSTEL_ASSIGN_OR_RETURN(std::string municipality, ParsePriorityName(request->name(), reference_));
    HERSTEL_RETURN_IF_ERROR(CheckScope(caller, municipality, CaseAction::kSteerClusterPriority));
    absl::Time now = absl::Now();
    HERSTEL_RETURN_IF_ERROR(ValidateSteeringGroupDecision(DecisionOf(request->decision()), now, "decision"));
    HERSTEL_RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
    HERSTEL_RETURN_IF_ERROR(CheckPriorityMandate(caller, municipality, request->request_id(),
                                                 InboundDeadline(*context)));
    return RunIdempotent(
        store_, "herstel.v1.CaseService/ClearClusterPriorityOverride", request->request_id(), *request,
        *response, [&](Transaction& tx) -> absl::Status {
          HERSTEL_ASSIGN_OR_RETURN(std::optional<Versioned<v1::ClusterPriority>> loaded,
                                   LoadClusterPriority(tx, municipality));
          if (!loaded.has_value() || !loaded->record.overridden()) {
            return DomainError(absl::StatusCode::kFailedPrecondition, "NO_OVERRIDE",
                               absl::StrCat(municipality, " follows the computed cluster order already"));
          }
          Versioned<v1::ClusterPriority> stored = std::move(*loaded);
          HERSTEL_RETURN_IF_ERROR(CheckEtag(request->etag(), stored.version));
          stored.record.set_overridden(false);
          stored.record.clear_cluster_order();
          *stored.record.mutable_decision() = request->decision();
          stored.record.set_recorded_by(caller.subject);
          *stored.record.mutable_record_time() = ToTimestamp(now);
          HERSTEL_RETURN_IF_ERROR(SaveClusterPriority(tx, municipality, stored));
          v1::ClusterPriorityOverrideCleared event;
          event.set_cluster_priority(request->name());
          *event.mutable_decision() = request->decision();
          HERSTEL_RETURN_IF_ERROR(
              AppendEvent(tx, event, request->name(), OriginOf(caller, request->request_id())).status());
          *response = stored.record;
          return absl::OkStatus();
        });
  });
}

}  // namespace herstel::case_service
