#include "loader.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "generator.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "herstel/errors.h"
#include "herstel/identity.h"
#include "herstel/status_macros.h"
#include "herstel/v1/case_service.grpc.pb.h"
#include "herstel/v1/escalation_service.grpc.pb.h"
#include "herstel/v1/mandate_service.grpc.pb.h"
#include "herstel/v1/reporting_service.grpc.pb.h"
#include "nlohmann/json.hpp"

namespace herstel::demo {
namespace {

using google::protobuf::util::TimeUtil;

constexpr int kRowsPerMessage = 1000;          // BulkImportCases' maximum
constexpr int kMessagesPerImportStream = 100;  // a stream per 100,000 rows
constexpr int kMinClusterMembers = 3;          // a treintje of fewer homes is not formed
constexpr int kListPageSize = 1000;

google::protobuf::Timestamp ToProto(absl::Time time) {
  return TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(time));
}

// "CaseService/CreateCluster (request_id x) failed: FAILED_PRECONDITION: ...",
// followed by the service's error detail.
std::string DescribeFailure(absl::string_view method, absl::string_view request_id,
                            const absl::Status& status) {
  std::string text = absl::StrCat(method, request_id.empty() ? "" : absl::StrCat(" (request_id ", request_id, ")"),
                                  " failed: ", absl::StatusCodeToString(status.code()), ": ", status.message());
  std::optional<v1::ErrorDetail> detail = GetErrorDetail(status);
  if (detail.has_value()) {
    absl::StrAppend(&text, "\n  detail: reason ", detail->reason(), " from ", detail->domain());
    for (const v1::FieldViolation& violation : detail->field_violations()) {
      absl::StrAppend(&text, "\n  field ", violation.field(), ": ", violation.description());
    }
    if (detail->can_decide_level() != v1::ESCALATION_LEVEL_UNSPECIFIED) {
      absl::StrAppend(&text, "\n  can decide: ", v1::EscalationLevel_Name(detail->can_decide_level()));
    }
    std::map<std::string, std::string> facts(detail->metadata().begin(), detail->metadata().end());
    for (const auto& [key, value] : facts) absl::StrAppend(&text, "\n  ", key, " = ", value);
  }
  return text;
}

// The case-service answers this when it was started without the address of
// a peer (--mandate_address, --escalation_address): nothing to retry.
bool IsPeerNotConfigured(const absl::Status& status) {
  std::optional<v1::ErrorDetail> detail = GetErrorDetail(status);
  return detail.has_value() && detail->reason() == "PEER_NOT_CONFIGURED";
}

// One unary call with a token and a deadline. UNAVAILABLE is retried a few
// times with the same request (every change carries a request_id, so a retry
// is safe); any other error ends the call with the method and the detail.
template <typename Stub, typename Request, typename Response>
absl::Status Call(absl::string_view method, Stub& stub,
                  grpc::Status (Stub::*rpc)(grpc::ClientContext*, const Request&, Response*),
                  const std::string& token, const Request& request, Response* response,
                  absl::Duration timeout, absl::string_view request_id = "") {
  for (int attempt = 1;; ++attempt) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + token);
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    absl::Status status = FromGrpcStatus((stub.*rpc)(&context, request, response));
    if (status.ok()) return status;
    std::optional<v1::ErrorDetail> detail = GetErrorDetail(status);
    if (status.code() == absl::StatusCode::kUnavailable && attempt < 4 && !IsPeerNotConfigured(status)) {
      absl::SleepFor(absl::Milliseconds(250) * attempt);
      continue;
    }
    absl::Status described(status.code(), DescribeFailure(method, request_id, status));
    return detail.has_value() ? WithDetail(described, *detail) : described;
  }
}

// Every page of a List call; `items` picks the repeated field of a response.
template <typename Stub, typename Request, typename Response, typename Items, typename Each>
absl::Status ListAll(absl::string_view method, Stub& stub,
                     grpc::Status (Stub::*rpc)(grpc::ClientContext*, const Request&, Response*),
                     const std::string& token, Request request, Items items, Each each,
                     absl::Duration timeout) {
  request.set_page_size(kListPageSize);
  while (true) {
    Response response;
    HERSTEL_RETURN_IF_ERROR(Call(method, stub, rpc, token, request, &response, timeout));
    for (const auto& item : items(response)) each(item);
    if (response.next_page_token().empty()) return absl::OkStatus();
    request.set_page_token(response.next_page_token());
  }
}

// Runs work(0..count-1) on `callers` threads; the first error stops the rest.
absl::Status ForEachParallel(int64_t count, int callers, const std::function<absl::Status(int64_t)>& work) {
  std::atomic<int64_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mutex;
  absl::Status first_error;
  auto run = [&] {
    while (!failed.load()) {
      int64_t item = next.fetch_add(1);
      if (item >= count) return;
      absl::Status status = work(item);
      if (!status.ok()) {
        std::lock_guard<std::mutex> lock(mutex);
        if (first_error.ok()) first_error = status;
        failed = true;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 1; i < std::max(1, callers); ++i) threads.emplace_back(run);
  run();
  for (std::thread& thread : threads) thread.join();
  return first_error;
}

// Tokens minted from the key file, one per identity, cached.
class Tokens {
 public:
  explicit Tokens(TokenKey key) : key_(std::move(key)) {}
  std::string For(const std::string& subject, v1::Role role, const std::string& organisation,
                  const std::string& municipality) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string key = absl::StrCat(subject, "|", role, "|", organisation, "|", municipality);
    auto found = cache_.find(key);
    if (found != cache_.end()) return found->second;
    Caller caller{subject, organisation, role, {municipality.empty() ? "*" : municipality},
                  absl::Now() + absl::Hours(12)};
    return cache_[key] = key_.Mint(caller);
  }

 private:
  TokenKey key_;
  std::mutex mutex_;
  std::map<std::string, std::string> cache_;
};

// FNV-1a: a hash that is the same in every build, for request ids.
uint64_t StableHash(absl::string_view text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::string IdOf(absl::string_view name) {
  size_t slash = name.rfind('/');
  return std::string(slash == absl::string_view::npos ? name : name.substr(slash + 1));
}

// Subject of the demo's steering-group member on one seat of a body.
std::string SeatSubject(absl::string_view body_id, absl::string_view member_id) {
  return absl::StrCat("demo-seat-", body_id, "-", member_id);
}

bool SeatIsCurrent(const v1::EscalationBodyMember& member, absl::Time now) {
  if (member.has_start_time() && absl::FromUnixSeconds(member.start_time().seconds()) > now) return false;
  return !member.has_end_time() || absl::FromUnixSeconds(member.end_time().seconds()) > now;
}

bool IsOpenStatus(v1::EscalationStatus status) {
  return status == v1::ESCALATION_STATUS_OPEN || status == v1::ESCALATION_STATUS_ACKNOWLEDGED ||
         status == v1::ESCALATION_STATUS_SCHEDULED;
}

bool IsFinal(v1::CaseDecisionRequestStatus status) {
  return status == v1::CASE_DECISION_REQUEST_STATUS_GRANTED ||
         status == v1::CASE_DECISION_REQUEST_STATUS_PARTLY_GRANTED ||
         status == v1::CASE_DECISION_REQUEST_STATUS_DENIED ||
         status == v1::CASE_DECISION_REQUEST_STATUS_REFERRED ||
         status == v1::CASE_DECISION_REQUEST_STATUS_WITHDRAWN;
}

// A counter of one kind, safe across the parallel callers.
struct Counter {
  std::atomic<int64_t> total{0};
  std::atomic<int64_t> changed{0};
};

struct CaseEntry {
  std::string name;     // "cases/{id}", empty when not (yet) in the case-service
  std::string cluster;  // "clusters/{id}" or empty
};

class DemoRun {
 public:
  DemoRun(const Region& region, const LoaderOptions& options, TokenKey key)
      : region_(region), options_(options), tokens_(std::move(key)) {
    auto channel = [](const std::string& address) {
      grpc::ChannelArguments arguments;
      arguments.SetMaxReceiveMessageSize(64 * 1024 * 1024);
      return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), arguments);
    };
    cases_ = v1::CaseService::NewStub(channel(options.case_address));
    mandates_ = v1::MandateService::NewStub(channel(options.mandate_address));
    escalations_ = v1::EscalationService::NewStub(channel(options.escalation_address));
    if (!options.reporting_address.empty()) {
      reporting_ = v1::ReportingService::NewStub(channel(options.reporting_address));
    }
    operator_ = tokens_.For("demo-operator", v1::ROLE_OPERATOR, "NCG", "");
  }

  absl::StatusOr<Summary> Run() {
    const absl::Time start = absl::Now();
    const std::pair<const char*, absl::Status (DemoRun::*)()> steps[] = {
        {"budget lines", &DemoRun::EnsureBudgetLines},
        {"body seats", &DemoRun::EnsureBodySeats},
        {"cases", &DemoRun::EnsureCases},
        {"clusters", &DemoRun::EnsureClusters},
        {"bottlenecks", &DemoRun::EnsureBottlenecks},
        {"inspections", &DemoRun::EnsureInspections},
        {"decision requests", &DemoRun::EnsureDecisions},
        {"escalations", &DemoRun::EnsureEscalationActivity},
        {"followers", &DemoRun::Settle},
        {"counting", &DemoRun::CountEscalations},
    };
    for (const auto& [name, step] : steps) {
      if (options_.cases_only && step != &DemoRun::EnsureCases) continue;
      const absl::Time step_start = absl::Now();
      HERSTEL_RETURN_IF_ERROR((this->*step)());
      summary_.steps.emplace_back(name, absl::Now() - step_start);
      // Progress for long runs, on standard error so the summary stays clean.
      std::cerr << absl::StrFormat("herstel-demo: %s done in %.2f s\n", name,
                                   absl::ToDoubleSeconds(absl::Now() - step_start));
    }
    summary_.elapsed = absl::Now() - start;
    return summary_;
  }

 private:
  absl::Duration timeout() const { return options_.call_timeout; }

  std::string ContactToken(int64_t index) {
    const CaseFacts& facts = facts_[index];
    v1::CaseContactPerson person = ContactPersonOf(region_, facts);
    return tokens_.For(person.subject(), person.role(), person.organisation(),
                       region_.municipalities()[facts.municipality].name);
  }

  std::string RequestId(absl::string_view what, int64_t index, absl::string_view step = "") {
    return absl::StrCat("demo-", options_.seed, "-", what, "-", index, step.empty() ? "" : "-", step);
  }

  // A step that needs a peer the case-service was not given is left out,
  // loudly: the summary names what is missing and how to wire it.
  void Skip(absl::string_view what, const absl::Status& status) {
    std::lock_guard<std::mutex> lock(warnings_mutex_);
    if (!skipped_.insert(std::string(what)).second) return;  // said once, with the first refusal
    summary_.warnings.push_back(
        absl::StrCat("left out ", what, ": the case-service has no peer address (start it with "
                     "--mandate_address and --escalation_address): ", status.message()));
  }

  void Record(const std::string& key, const std::string& label, int64_t total, int64_t changed) {
    summary_.kinds.push_back({key, label, total, changed});
  }
  void Record(const std::string& key, const std::string& label, const Counter& counter) {
    Record(key, label, counter.total.load(), counter.changed.load());
  }

  // ---- Budget lines --------------------------------------------------------------

  absl::Status EnsureBudgetLines() {
    std::set<std::string> existing;
    HERSTEL_RETURN_IF_ERROR(ListAll(
        "MandateService/ListBudgetLines", *mandates_, &v1::MandateService::Stub::ListBudgetLines, operator_,
        v1::ListBudgetLinesRequest(), [](const v1::ListBudgetLinesResponse& r) -> const auto& { return r.budget_lines(); },
        [&](const v1::BudgetLine& line) { existing.insert(line.name()); }, timeout()));
    int64_t total = 0;
    int64_t created = 0;
    for (const BudgetLinePlan& plan : DemoBudgetLines(region_)) {
      ++total;
      if (existing.count(absl::StrCat("budget-lines/", plan.id)) > 0) continue;
      v1::CreateBudgetLineRequest request;
      request.set_budget_line_id(plan.id);
      request.set_request_id(absl::StrCat("demo-line-", plan.id));
      *request.mutable_budget_line() = plan.line;
      v1::BudgetLine created_line;
      HERSTEL_RETURN_IF_ERROR(Call("MandateService/CreateBudgetLine", *mandates_,
                                   &v1::MandateService::Stub::CreateBudgetLine, operator_, request,
                                   &created_line, timeout(), request.request_id()));
      ++created;
    }
    Record("budget_lines", "budget lines", total, created);
    return absl::OkStatus();
  }

  // ---- Bodies: a demo member on every seat of the bodies the demo decides at ----

  absl::Status EnsureBodySeats() {
    std::vector<v1::EscalationBody> bodies;
    HERSTEL_RETURN_IF_ERROR(ListAll(
        "EscalationService/ListBodies", *escalations_, &v1::EscalationService::Stub::ListBodies, operator_,
        v1::ListBodiesRequest(), [](const v1::ListBodiesResponse& r) -> const auto& { return r.bodies(); },
        [&](const v1::EscalationBody& body) { bodies.push_back(body); }, timeout()));
    std::set<std::string> demo_municipalities;
    for (const DemoMunicipality& municipality : region_.municipalities()) {
      demo_municipalities.insert(municipality.name);
    }
    const absl::Time now = absl::Now();
    int64_t seats = 0;
    int64_t added = 0;
    for (v1::EscalationBody& body : bodies) {
      const bool local = body.level() == v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP &&
                         body.municipalities_size() == 1 && demo_municipalities.count(body.municipalities(0)) > 0;
      if (!local && body.level() != v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION) {
        bodies_[body.name()] = body;
        continue;
      }
      const std::string body_id = IdOf(body.name());
      int64_t missing = 0;
      for (v1::EscalationBodyMember& member : *body.mutable_members()) {
        if (!SeatIsCurrent(member, now)) continue;
        ++seats;
        std::string subject = SeatSubject(body_id, member.member_id());
        if (std::find(member.subjects().begin(), member.subjects().end(), subject) != member.subjects().end()) {
          continue;
        }
        member.add_subjects(subject);
        ++missing;
      }
      if (missing > 0) {
        v1::UpdateBodyRequest request;
        *request.mutable_body() = body;
        request.mutable_update_mask()->add_paths("members");
        // The etag names the version changed, so the id is fixed for this change only.
        request.set_request_id(absl::StrCat("demo-seats-", body_id, "-", body.etag()));
        v1::EscalationBody updated;
        HERSTEL_RETURN_IF_ERROR(Call("EscalationService/UpdateBody", *escalations_,
                                     &v1::EscalationService::Stub::UpdateBody, operator_, request, &updated,
                                     timeout(), request.request_id()));
        body = updated;
        added += missing;
      }
      bodies_[body.name()] = body;
    }
    Record("body_seats", "body seats with a demo member", seats, added);
    return absl::OkStatus();
  }

  // ---- Cases ---------------------------------------------------------------------

  absl::Status IndexCases() {
    entries_.assign(options_.cases, CaseEntry());
    v1::ListCasesRequest request;
    request.set_order_by("create_time");
    return ListAll(
        "CaseService/ListCases", *cases_, &v1::CaseService::Stub::ListCases, operator_, request,
        [](const v1::ListCasesResponse& r) -> const auto& { return r.cases(); },
        [&](const v1::Case& record) {
          std::optional<int64_t> index = IndexOfExternalReference(options_.seed, record.external_reference());
          if (index.has_value() && *index < options_.cases) entries_[*index] = {record.name(), record.cluster()};
        },
        timeout());
  }

  absl::Status EnsureCases() {
    HERSTEL_RETURN_IF_ERROR(IndexCases());
    CaseGenerator generator(region_, options_.seed, options_.as_of);
    facts_.resize(options_.cases);

    std::unique_ptr<grpc::ClientContext> context;  // one per import stream
    std::unique_ptr<grpc::ClientWriter<v1::BulkImportCasesRequest>> writer;
    v1::BulkImportCasesResponse response;
    std::string stream_request_id;
    int messages_in_stream = 0;
    int64_t imported = 0;
    int64_t sent = 0;
    absl::Time import_start;

    auto finish_stream = [&]() -> absl::Status {
      if (writer == nullptr) return absl::OkStatus();
      writer->WritesDone();
      absl::Status status = FromGrpcStatus(writer->Finish());
      writer.reset();
      context.reset();
      if (!status.ok()) {
        return absl::Status(status.code(),
                            DescribeFailure("CaseService/BulkImportCases", stream_request_id, status));
      }
      if (response.failed_count() > 0) {
        std::string rows;
        for (int i = 0; i < std::min(5, response.errors_size()); ++i) {
          const v1::BulkImportRowError& error = response.errors(i);
          absl::StrAppend(&rows, "\n  row ", error.row_number(), " (", error.external_reference(), "): ",
                          error.reason());
          for (const v1::FieldViolation& violation : error.field_violations()) {
            absl::StrAppend(&rows, "; ", violation.field(), ": ", violation.description());
          }
        }
        bool taken = std::any_of(response.errors().begin(), response.errors().end(),
                                 [](const v1::BulkImportRowError& error) { return error.reason() == "ADDRESS_HAS_CASE"; });
        return absl::FailedPreconditionError(absl::StrCat(
            "CaseService/BulkImportCases (request_id ", stream_request_id, ") refused ", response.failed_count(),
            " of ", response.received_count(), " rows:", rows,
            taken ? "\n  (the store holds other cases at these addresses, e.g. a region of another --seed; "
                    "one store holds one demo region)"
                  : ""));
      }
      imported += response.imported_count();
      std::cerr << absl::StrFormat("herstel-demo: imported %d cases in %.1f s\n", imported,
                                   absl::ToDoubleSeconds(absl::Now() - import_start));
      return absl::OkStatus();
    };
    auto send = [&](v1::BulkImportCasesRequest& message, int64_t first_index) -> absl::Status {
      if (writer == nullptr) {
        if (sent == 0) import_start = absl::Now();
        context = std::make_unique<grpc::ClientContext>();
        context->AddMetadata("authorization", "Bearer " + operator_);
        // A stream carries up to 100,000 rows: it gets more time than a unary call.
        context->set_deadline(absl::ToChronoTime(absl::Now() + std::max(timeout(), absl::Minutes(30))));
        response.Clear();
        stream_request_id = RequestId("import", first_index);
        writer = cases_->BulkImportCases(context.get(), &response);
        messages_in_stream = 0;
      }
      message.set_request_id(stream_request_id);
      sent += message.rows_size();
      if (!writer->Write(message)) return finish_stream();  // Finish says why the stream broke
      if (++messages_in_stream >= kMessagesPerImportStream) return finish_stream();
      return absl::OkStatus();
    };

    v1::BulkImportCasesRequest message;
    int64_t first_in_message = -1;
    for (int64_t index = 0; index < options_.cases; ++index) {
      v1::Case record = generator.Next(facts_[index]);
      if (!entries_[index].name.empty()) continue;  // imported before
      if (first_in_message < 0) first_in_message = index;
      v1::BulkImportCaseRow* row = message.add_rows();
      row->set_row_number(index + 1);
      *row->mutable_case_() = std::move(record);
      if (message.rows_size() == kRowsPerMessage) {
        HERSTEL_RETURN_IF_ERROR(send(message, first_in_message));
        message.Clear();
        first_in_message = -1;
      }
    }
    if (message.rows_size() > 0) HERSTEL_RETURN_IF_ERROR(send(message, first_in_message));
    HERSTEL_RETURN_IF_ERROR(finish_stream());
    clusters_ = generator.clusters();
    if (sent > 0) {
      summary_.import_time = absl::Now() - import_start;
      summary_.imported_cases = imported;
      HERSTEL_RETURN_IF_ERROR(IndexCases());
    }
    for (int64_t index = 0; index < options_.cases; ++index) {
      if (entries_[index].name.empty()) {
        return absl::InternalError(absl::StrCat("case ", ExternalReference(options_.seed, index),
                                                " is not in the case-service after the import"));
      }
    }
    Record("cases", "cases", options_.cases, imported);
    return absl::OkStatus();
  }

  // ---- Clusters (treintjes) -----------------------------------------------------------

  absl::Status EnsureClusters() {
    Counter clusters;
    Counter members;
    HERSTEL_RETURN_IF_ERROR(ForEachParallel(
        static_cast<int64_t>(clusters_.size()), options_.parallel_callers, [&](int64_t item) -> absl::Status {
          const ClusterPlan& plan = clusters_[item];
          if (static_cast<int>(plan.members.size()) < kMinClusterMembers) return absl::OkStatus();
          const DemoMunicipality& municipality = region_.municipalities()[plan.municipality];
          const std::string token =
              tokens_.For(absl::StrCat("demo-ncg-", municipality.id, "-01"), v1::ROLE_NCG_RESIDENT_CASE_MANAGER,
                          "NCG", municipality.name);
          std::set<std::string> existing;
          std::vector<std::string> missing;
          for (int64_t index : plan.members) {
            const CaseEntry& entry = entries_[index];
            if (entry.cluster.empty()) {
              missing.push_back(entry.name);
            } else {
              existing.insert(entry.cluster);
            }
          }
          clusters.total += 1;
          members.total += static_cast<int64_t>(plan.members.size());
          if (missing.empty()) return absl::OkStatus();
          // The member list is part of the request, so its hash is part of the id.
          const std::string members_hash =
              absl::StrFormat("%016x", StableHash(absl::StrJoin(missing, ",")));
          if (existing.empty()) {
            v1::CreateClusterRequest request;
            v1::Cluster* cluster = request.mutable_cluster();
            cluster->set_display_name(plan.display_name);
            cluster->set_municipality(municipality.name);
            cluster->set_track(v1::TRACK_STRENGTHENING);
            cluster->set_description(absl::StrCat(
                "Treintje versterking in ", municipality.villages[plan.village].display_name,
                ": woningen die samen opname, beoordeling, plan en uitvoering doorlopen"));
            for (const std::string& name : missing) request.add_cases(name);
            request.set_request_id(absl::StrCat("demo-", options_.seed, "-cluster-", plan.key, "-", members_hash));
            v1::Cluster created;
            HERSTEL_RETURN_IF_ERROR(Call("CaseService/CreateCluster", *cases_, &v1::CaseService::Stub::CreateCluster,
                                         token, request, &created, timeout(), request.request_id()));
          } else {
            // Grown since an earlier run with fewer cases: add the new members.
            v1::AddClusterCasesRequest request;
            request.set_cluster(*existing.begin());
            for (const std::string& name : missing) request.add_cases(name);
            request.set_request_id(
                absl::StrCat("demo-", options_.seed, "-cluster-", plan.key, "-add-", members_hash));
            v1::Cluster grown;
            HERSTEL_RETURN_IF_ERROR(Call("CaseService/AddClusterCases", *cases_,
                                         &v1::CaseService::Stub::AddClusterCases, token, request, &grown,
                                         timeout(), request.request_id()));
          }
          clusters.changed += 1;
          members.changed += static_cast<int64_t>(missing.size());
          return absl::OkStatus();
        }));
    Record("clusters", "clusters", clusters);
    Record("cluster_members", "cases in clusters", members);
    return absl::OkStatus();
  }

  // ---- Bottlenecks (knelpunten) ---------------------------------------------------------

  absl::Status EnsureBottlenecks() {
    std::map<std::string, v1::Bottleneck> existing;  // by case
    v1::ListBottlenecksRequest list;
    list.set_parent("cases/-");
    HERSTEL_RETURN_IF_ERROR(ListAll(
        "CaseService/ListBottlenecks", *cases_, &v1::CaseService::Stub::ListBottlenecks, operator_, list,
        [](const v1::ListBottlenecksResponse& r) -> const auto& { return r.bottlenecks(); },
        [&](const v1::Bottleneck& bottleneck) {
          existing.emplace(bottleneck.name().substr(0, bottleneck.name().find("/bottlenecks/")), bottleneck);
        },
        timeout()));
    std::vector<std::pair<int64_t, BottleneckPlan>> plans;
    for (int64_t index = 0; index < options_.cases; ++index) {
      std::optional<BottleneckPlan> plan = PlanBottleneck(options_.seed, index, facts_[index]);
      if (plan.has_value()) plans.emplace_back(index, std::move(*plan));
    }
    Counter raised;
    Counter escalated;
    Counter resolved;
    std::mutex mutex;
    HERSTEL_RETURN_IF_ERROR(ForEachParallel(
        static_cast<int64_t>(plans.size()), options_.parallel_callers, [&](int64_t item) -> absl::Status {
          const auto& [index, plan] = plans[item];
          const std::string token = ContactToken(index);
          v1::Bottleneck bottleneck;
          {
            std::lock_guard<std::mutex> lock(mutex);
            auto found = existing.find(entries_[index].name);
            if (found != existing.end()) bottleneck = found->second;
          }
          raised.total += 1;
          if (bottleneck.name().empty()) {
            v1::CreateBottleneckRequest request;
            request.set_parent(entries_[index].name);
            request.mutable_bottleneck()->set_category(plan.category);
            request.mutable_bottleneck()->set_description(plan.description);
            request.mutable_bottleneck()->set_track(plan.track);
            request.set_request_id(RequestId("bottleneck", index));
            HERSTEL_RETURN_IF_ERROR(Call("CaseService/CreateBottleneck", *cases_,
                                         &v1::CaseService::Stub::CreateBottleneck, token, request, &bottleneck,
                                         timeout(), request.request_id()));
            raised.changed += 1;
          }
          if (plan.fate == BottleneckFate::kEscalated && bottleneck.status() == v1::BOTTLENECK_STATUS_OPEN) {
            v1::EscalateBottleneckRequest request;
            request.set_name(bottleneck.name());
            request.set_reason(plan.escalation_reason);
            request.set_request_id(RequestId("bottleneck", index, "escalate"));
            absl::Status status = Call("CaseService/EscalateBottleneck", *cases_,
                                       &v1::CaseService::Stub::EscalateBottleneck, token, request, &bottleneck,
                                       timeout(), request.request_id());
            if (IsPeerNotConfigured(status)) {
              Skip("bottleneck escalations", status);
            } else {
              HERSTEL_RETURN_IF_ERROR(status);
              escalated.changed += 1;
            }
          }
          if (plan.fate == BottleneckFate::kResolved && bottleneck.status() == v1::BOTTLENECK_STATUS_OPEN) {
            v1::ResolveBottleneckRequest request;
            request.set_name(bottleneck.name());
            request.set_resolution(plan.resolution);
            request.set_request_id(RequestId("bottleneck", index, "resolve"));
            HERSTEL_RETURN_IF_ERROR(Call("CaseService/ResolveBottleneck", *cases_,
                                         &v1::CaseService::Stub::ResolveBottleneck, token, request, &bottleneck,
                                         timeout(), request.request_id()));
            resolved.changed += 1;
          }
          if (bottleneck.status() == v1::BOTTLENECK_STATUS_ESCALATED) {
            escalated.total += 1;
            std::lock_guard<std::mutex> lock(mutex);
            bottleneck_escalations_.insert(bottleneck.escalation());
          }
          if (bottleneck.status() == v1::BOTTLENECK_STATUS_RESOLVED) resolved.total += 1;
          return absl::OkStatus();
        }));
    Record("bottlenecks", "bottlenecks", raised);
    Record("bottlenecks_escalated", "  of which escalated", escalated);
    Record("bottlenecks_resolved", "  of which resolved", resolved);
    return absl::OkStatus();
  }

  // ---- Inspections on request (opname op verzoek) -----------------------------------------

  absl::Status EnsureInspections() {
    std::map<std::string, v1::InspectionRequest> existing;  // by case
    v1::ListInspectionRequestsRequest list;
    list.set_parent("cases/-");
    HERSTEL_RETURN_IF_ERROR(ListAll(
        "CaseService/ListInspectionRequests", *cases_, &v1::CaseService::Stub::ListInspectionRequests, operator_,
        list, [](const v1::ListInspectionRequestsResponse& r) -> const auto& { return r.inspection_requests(); },
        [&](const v1::InspectionRequest& inspection) {
          existing.emplace(inspection.name().substr(0, inspection.name().find("/inspection-requests/")),
                           inspection);
        },
        timeout()));
    std::vector<std::pair<int64_t, InspectionPlan>> plans;
    for (int64_t index = 0; index < options_.cases; ++index) {
      std::optional<InspectionPlan> plan = PlanInspection(options_.seed, index, facts_[index], options_.as_of);
      if (plan.has_value()) plans.emplace_back(index, std::move(*plan));
    }
    Counter requested;
    Counter scheduled;
    Counter inspected;
    std::mutex mutex;
    HERSTEL_RETURN_IF_ERROR(ForEachParallel(
        static_cast<int64_t>(plans.size()), options_.parallel_callers, [&](int64_t item) -> absl::Status {
          const auto& [index, plan] = plans[item];
          const std::string token = ContactToken(index);
          v1::InspectionRequest inspection;
          {
            std::lock_guard<std::mutex> lock(mutex);
            auto found = existing.find(entries_[index].name);
            if (found != existing.end()) inspection = found->second;
          }
          requested.total += 1;
          if (inspection.name().empty()) {
            v1::CreateInspectionRequestRequest request;
            request.set_parent(entries_[index].name);
            request.mutable_inspection_request()->set_reason(plan.reason);
            *request.mutable_inspection_request()->mutable_request_time() = ToProto(plan.request_time);
            request.set_request_id(RequestId("inspection", index));
            HERSTEL_RETURN_IF_ERROR(Call("CaseService/CreateInspectionRequest", *cases_,
                                         &v1::CaseService::Stub::CreateInspectionRequest, token, request,
                                         &inspection, timeout(), request.request_id()));
            requested.changed += 1;
          }
          if (plan.fate != InspectionFate::kStaysOpen &&
              inspection.status() == v1::INSPECTION_REQUEST_STATUS_OPEN) {
            v1::ScheduleInspectionRequestRequest request;
            request.set_name(inspection.name());
            *request.mutable_schedule_time() = ToProto(plan.schedule_time);
            request.set_request_id(RequestId("inspection", index, "schedule"));
            HERSTEL_RETURN_IF_ERROR(Call("CaseService/ScheduleInspectionRequest", *cases_,
                                         &v1::CaseService::Stub::ScheduleInspectionRequest, token, request,
                                         &inspection, timeout(), request.request_id()));
            if (plan.fate == InspectionFate::kScheduled) scheduled.changed += 1;
          }
          if (plan.fate == InspectionFate::kInspected &&
              inspection.status() == v1::INSPECTION_REQUEST_STATUS_SCHEDULED) {
            v1::CloseInspectionRequestRequest request;
            request.set_name(inspection.name());
            request.set_status(v1::INSPECTION_REQUEST_STATUS_INSPECTED);
            *request.mutable_close_time() = ToProto(plan.schedule_time);
            request.set_note(plan.result);
            request.set_request_id(RequestId("inspection", index, "close"));
            HERSTEL_RETURN_IF_ERROR(Call("CaseService/CloseInspectionRequest", *cases_,
                                         &v1::CaseService::Stub::CloseInspectionRequest, token, request,
                                         &inspection, timeout(), request.request_id()));
            inspected.changed += 1;
          }
          if (inspection.status() == v1::INSPECTION_REQUEST_STATUS_SCHEDULED) scheduled.total += 1;
          if (inspection.status() == v1::INSPECTION_REQUEST_STATUS_INSPECTED) inspected.total += 1;
          return absl::OkStatus();
        }));
    Record("inspection_requests", "inspection requests", requested);
    Record("inspections_scheduled", "  of which scheduled", scheduled);
    Record("inspections_inspected", "  of which inspected", inspected);
    return absl::OkStatus();
  }

  // ---- Decision requests (maatwerk) -----------------------------------------------------

  absl::Status EnsureDecisions() {
    std::map<std::string, v1::CaseDecisionRequest> existing;  // by case
    v1::ListCaseDecisionRequestsRequest list;
    list.set_parent("cases/-");
    HERSTEL_RETURN_IF_ERROR(ListAll(
        "CaseService/ListCaseDecisionRequests", *cases_, &v1::CaseService::Stub::ListCaseDecisionRequests,
        operator_, list,
        [](const v1::ListCaseDecisionRequestsResponse& r) -> const auto& { return r.decision_requests(); },
        [&](const v1::CaseDecisionRequest& request) {
          existing.emplace(request.name().substr(0, request.name().find("/decision-requests/")), request);
        },
        timeout()));
    decision_plans_ = PlanDecisions(region_, options_.seed, facts_);
    Counter within;
    Counter escalated;
    // One after the other: each reserves money, and the order keeps the ledger's story readable.
    for (const DecisionPlan& plan : decision_plans_) {
      const std::string& case_name = entries_[plan.index].name;
      v1::CaseDecisionRequest answer;
      auto found = existing.find(case_name);
      bool created = false;
      if (found != existing.end()) {
        answer = found->second;
      } else {
        v1::CreateCaseDecisionRequestRequest request;
        request.set_parent(case_name);
        v1::CaseDecisionRequest* ask = request.mutable_decision_request();
        ask->set_kind(v1::DECISION_KIND_CUSTOM_SOLUTION);
        ask->set_track(v1::TRACK_STRENGTHENING);
        ask->set_amount_cents(plan.amount_cents);
        for (const v1::CaseBudgetSplit& line : plan.budget_lines) *ask->add_budget_lines() = line;
        ask->set_justification(plan.justification);
        request.set_request_id(RequestId("decision", plan.index));
        absl::Status status = Call("CaseService/CreateCaseDecisionRequest", *cases_,
                                   &v1::CaseService::Stub::CreateCaseDecisionRequest, ContactToken(plan.index),
                                   request, &answer, timeout(), request.request_id());
        if (IsPeerNotConfigured(status)) {
          Skip("decision requests and escalations", status);
          break;
        }
        HERSTEL_RETURN_IF_ERROR(status);
        created = true;
      }
      Counter& kind = answer.escalation().empty() ? within : escalated;
      kind.total += 1;
      if (created) kind.changed += 1;
      decisions_.push_back({&plan, answer});
    }
    Record("decisions_within_mandate", "decision requests within mandate", within);
    Record("decisions_escalated", "decision requests escalated", escalated);
    return absl::OkStatus();
  }

  // ---- The ladder at work ------------------------------------------------------------

  absl::StatusOr<v1::Escalation> GetEscalation(const std::string& name) {
    v1::GetEscalationRequest request;
    request.set_name(name);
    v1::Escalation escalation;
    HERSTEL_RETURN_IF_ERROR(Call("EscalationService/GetEscalation", *escalations_,
                                 &v1::EscalationService::Stub::GetEscalation, operator_, request, &escalation,
                                 timeout()));
    return escalation;
  }

  absl::StatusOr<v1::EscalationBody> BodyOf(const v1::Escalation& escalation) {
    auto found = bodies_.find(escalation.body());
    if (found != bodies_.end()) return found->second;
    v1::GetBodyRequest request;
    request.set_name(escalation.body());
    v1::EscalationBody body;
    HERSTEL_RETURN_IF_ERROR(Call("EscalationService/GetBody", *escalations_, &v1::EscalationService::Stub::GetBody,
                                 operator_, request, &body, timeout()));
    return bodies_[body.name()] = body;
  }

  // Who is present for the body on this escalation: the seats of the state,
  // province, NCG and IMG and those of the municipalities involved. `voters`
  // are the present voting seats (at level 2 exactly the state's and the
  // municipalities' involved); `recorder` is the token that records.
  struct Meeting {
    std::vector<std::string> present;
    std::vector<std::string> voters;
    std::string recorder;
  };
  absl::StatusOr<Meeting> MeetingFor(const v1::Escalation& escalation) {
    HERSTEL_ASSIGN_OR_RETURN(v1::EscalationBody body, BodyOf(escalation));
    const std::set<std::string> involved(escalation.municipalities().begin(), escalation.municipalities().end());
    const absl::Time now = absl::Now();
    Meeting meeting;
    for (const v1::EscalationBodyMember& member : body.members()) {
      if (!SeatIsCurrent(member, now)) continue;
      if (!member.municipality().empty() && involved.count(member.municipality()) == 0) continue;
      if (member.organisation_kind() == v1::BODY_ORGANISATION_KIND_INVITED_PARTNER) continue;
      meeting.present.push_back(member.member_id());
      if (!member.voting()) continue;
      meeting.voters.push_back(member.member_id());
      // The municipality's seat records at a local steering group, the state's at level 2.
      const bool records = meeting.recorder.empty() ||
                           (escalation.level() == v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP
                                ? member.organisation_kind() == v1::BODY_ORGANISATION_KIND_MUNICIPALITY
                                : member.organisation_kind() == v1::BODY_ORGANISATION_KIND_STATE);
      if (records) {
        meeting.recorder = tokens_.For(SeatSubject(IdOf(body.name()), member.member_id()),
                                       v1::ROLE_STEERING_GROUP_MEMBER, member.organisation(), member.municipality());
      }
    }
    if (meeting.recorder.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("body ", body.name(), " has no current voting seat to record a decision on ",
                       escalation.name()));
    }
    return meeting;
  }

  absl::Status Acknowledge(const v1::Escalation& escalation, int64_t index) {
    HERSTEL_ASSIGN_OR_RETURN(Meeting meeting, MeetingFor(escalation));
    v1::AcknowledgeEscalationRequest request;
    request.set_name(escalation.name());
    request.set_note("In behandeling genomen; voorbereiding door het secretariaat");
    request.set_request_id(RequestId("escalation", index, "acknowledge"));
    v1::Escalation answer;
    HERSTEL_RETURN_IF_ERROR(Call("EscalationService/AcknowledgeEscalation", *escalations_,
                                 &v1::EscalationService::Stub::AcknowledgeEscalation, meeting.recorder, request,
                                 &answer, timeout(), request.request_id()));
    ++acknowledged_now_;
    return absl::OkStatus();
  }

  absl::Status Decide(const v1::Escalation& escalation, int64_t index, v1::EscalationDecisionOutcome outcome,
                      int64_t amount_cents, const std::string& rationale) {
    HERSTEL_ASSIGN_OR_RETURN(Meeting meeting, MeetingFor(escalation));
    v1::DecideEscalationRequest request;
    request.set_name(escalation.name());
    request.set_body(escalation.body());
    request.set_outcome(outcome);
    request.set_amount_cents(amount_cents);
    request.set_rationale(rationale);
    if (outcome == v1::ESCALATION_DECISION_OUTCOME_GRANTED ||
        outcome == v1::ESCALATION_DECISION_OUTCOME_PARTLY_GRANTED) {
      request.add_conditions("Uitvoering binnen twaalf maanden na dit besluit");
    }
    for (const std::string& member : meeting.present) request.add_present_members(member);
    // A decision carries when the present voting seats vote for it (every voting rule).
    if (outcome != v1::ESCALATION_DECISION_OUTCOME_CANNOT_DECIDE) {
      for (const std::string& member : meeting.voters) {
        v1::EscalationVote* vote = request.add_votes();
        vote->set_member_id(member);
        vote->set_choice(v1::ESCALATION_VOTE_CHOICE_FOR);
      }
    }
    request.set_request_id(RequestId("escalation", index, absl::StrCat("decide-level-", escalation.level())));
    v1::EscalationDecision decision;
    HERSTEL_RETURN_IF_ERROR(Call("EscalationService/DecideEscalation", *escalations_,
                                 &v1::EscalationService::Stub::DecideEscalation, meeting.recorder, request, &decision,
                                 timeout(), request.request_id()));
    ++decided_now_[outcome];
    return absl::OkStatus();
  }

  absl::Status EnsureEscalationActivity() {
    for (const auto& [plan, request] : decisions_) {
      if (request.escalation().empty()) continue;
      const int64_t index = plan->index;
      HERSTEL_ASSIGN_OR_RETURN(v1::Escalation escalation, GetEscalation(request.escalation()));
      switch (plan->fate) {
        case EscalationFate::kStaysOpen:
          break;
        case EscalationFate::kAcknowledged:
          if (escalation.status() == v1::ESCALATION_STATUS_OPEN) {
            HERSTEL_RETURN_IF_ERROR(Acknowledge(escalation, index));
          }
          break;
        case EscalationFate::kGranted:
          if (IsOpenStatus(escalation.status())) {
            HERSTEL_RETURN_IF_ERROR(Decide(escalation, index, v1::ESCALATION_DECISION_OUTCOME_GRANTED, 0,
                                           "Maatwerk toegekend: de versterking is anders niet uitvoerbaar"));
          }
          break;
        case EscalationFate::kPartlyGranted:
          if (IsOpenStatus(escalation.status())) {
            // Six tenths of the amount asked, in whole hundreds of euros.
            int64_t amount = escalation.amount_asked_cents() * 6 / 10 / 10'000 * 10'000;
            HERSTEL_RETURN_IF_ERROR(Decide(escalation, index, v1::ESCALATION_DECISION_OUTCOME_PARTLY_GRANTED,
                                           amount, "Deels toegekend: alleen het constructieve deel valt onder maatwerk"));
          }
          break;
        case EscalationFate::kDenied:
          if (IsOpenStatus(escalation.status())) {
            HERSTEL_RETURN_IF_ERROR(Decide(escalation, index, v1::ESCALATION_DECISION_OUTCOME_DENIED, 0,
                                           "Afgewezen: de bestaande regeling dekt deze kosten al"));
          }
          break;
        case EscalationFate::kCannotDecideThenGranted:
          if (IsOpenStatus(escalation.status()) &&
              escalation.level() == v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP) {
            HERSTEL_RETURN_IF_ERROR(Decide(escalation, index, v1::ESCALATION_DECISION_OUTCOME_CANNOT_DECIDE, 0,
                                           "De lokale stuurgroep kan hier geen besluit over nemen"));
            HERSTEL_ASSIGN_OR_RETURN(escalation, GetEscalation(request.escalation()));
          }
          if (IsOpenStatus(escalation.status())) {
            HERSTEL_RETURN_IF_ERROR(Decide(escalation, index, v1::ESCALATION_DECISION_OUTCOME_GRANTED, 0,
                                           "Het bestuurlijk overleg kent het maatwerk toe"));
          }
          break;
      }
    }
    return absl::OkStatus();
  }

  // ---- Waiting for the followers ---------------------------------------------------------

  absl::Status Settle() {
    const absl::Time deadline = absl::Now() + options_.settle_timeout;
    // The case-service applies each final escalation outcome to its decision request.
    for (auto& [plan, request] : decisions_) {
      if (request.escalation().empty()) continue;
      HERSTEL_ASSIGN_OR_RETURN(v1::Escalation escalation, GetEscalation(request.escalation()));
      if (escalation.status() != v1::ESCALATION_STATUS_DECIDED) continue;
      while (true) {
        v1::GetCaseDecisionRequestRequest get;
        get.set_name(request.name());
        HERSTEL_RETURN_IF_ERROR(Call("CaseService/GetCaseDecisionRequest", *cases_,
                                     &v1::CaseService::Stub::GetCaseDecisionRequest, operator_, get, &request,
                                     timeout()));
        const bool money_expected = request.status() == v1::CASE_DECISION_REQUEST_STATUS_GRANTED ||
                                    request.status() == v1::CASE_DECISION_REQUEST_STATUS_PARTLY_GRANTED;
        if (IsFinal(request.status()) && (!money_expected || !request.reservation().empty())) break;
        if (absl::Now() > deadline) {
          return absl::DeadlineExceededError(absl::StrCat(
              "the case-service did not apply the outcome of ", escalation.name(), " to ", request.name(),
              " within ", absl::FormatDuration(options_.settle_timeout), " (status ",
              v1::CaseDecisionRequestStatus_Name(request.status()),
              "); is it started with --escalation_address?"));
        }
        absl::SleepFor(absl::Milliseconds(100));
      }
    }
    if (reporting_ == nullptr) return absl::OkStatus();
    // The reporting-service has applied every event of its sources, twice in a row.
    int caught_up = 0;
    while (caught_up < 2) {
      v1::FollowerStatus status;
      HERSTEL_RETURN_IF_ERROR(Call("ReportingService/GetFollowerStatus", *reporting_,
                                   &v1::ReportingService::Stub::GetFollowerStatus, operator_,
                                   v1::GetFollowerStatusRequest(), &status, timeout()));
      bool all = status.sources_size() > 0;
      std::string behind;
      for (const v1::ReportingSourceStatus& source : status.sources()) {
        if (!source.connected() || source.lag_events() != 0 || source.cursor_sequence() != source.source_sequence()) {
          all = false;
          absl::StrAppend(&behind, " ", source.source(), " at ", source.cursor_sequence(), "/",
                          source.source_sequence(), source.connected() ? "" : " (not connected)");
        }
      }
      caught_up = all ? caught_up + 1 : 0;
      if (caught_up < 2) {
        if (absl::Now() > deadline) {
          // The data is in its services; only the monitor lags behind. Said, not fatal.
          summary_.warnings.push_back(absl::StrCat("the reporting-service had not caught up after ",
                                                   absl::FormatDuration(options_.settle_timeout),
                                                   ", so its monitor lags:", behind));
          return absl::OkStatus();
        }
        absl::SleepFor(absl::Milliseconds(300));
      }
    }
    return absl::OkStatus();
  }

  // ---- What the ladder holds now ------------------------------------------------------------

  absl::Status CountEscalations() {
    std::set<std::string> names = bottleneck_escalations_;
    for (const auto& [plan, request] : decisions_) {
      if (!request.escalation().empty()) names.insert(request.escalation());
    }
    int64_t acknowledged = 0;
    int64_t decided = 0;
    std::map<v1::EscalationDecisionOutcome, int64_t> outcomes;
    for (const std::string& name : names) {
      HERSTEL_ASSIGN_OR_RETURN(v1::Escalation escalation, GetEscalation(name));
      if (escalation.status() == v1::ESCALATION_STATUS_ACKNOWLEDGED) ++acknowledged;
      if (escalation.status() == v1::ESCALATION_STATUS_DECIDED) ++decided;
      if (escalation.decisions_size() == 0) continue;
      v1::ListEscalationDecisionsRequest list;
      list.set_parent(name);
      HERSTEL_RETURN_IF_ERROR(ListAll(
          "EscalationService/ListEscalationDecisions", *escalations_,
          &v1::EscalationService::Stub::ListEscalationDecisions, operator_, list,
          [](const v1::ListEscalationDecisionsResponse& r) -> const auto& { return r.decisions(); },
          [&](const v1::EscalationDecision& decision) { ++outcomes[decision.outcome()]; }, timeout()));
    }
    int64_t decisions = 0;
    int64_t decisions_now = 0;
    for (const auto& [outcome, count] : outcomes) decisions += count;
    for (const auto& [outcome, count] : decided_now_) decisions_now += count;
    const int64_t final_now = decisions_now - decided_now_[v1::ESCALATION_DECISION_OUTCOME_CANNOT_DECIDE];
    Record("escalations", "escalations (decision requests and bottlenecks)", static_cast<int64_t>(names.size()),
           summary_.Find("decisions_escalated")->changed + summary_.Find("bottlenecks_escalated")->changed);
    Record("escalations_acknowledged", "  acknowledged, not yet decided", acknowledged, acknowledged_now_);
    Record("escalations_decided", "  decided", decided, final_now);
    Record("escalation_decisions", "escalation decisions", decisions, decisions_now);
    auto outcome = [&](const char* key, const char* label, v1::EscalationDecisionOutcome which) {
      Record(key, label, outcomes[which], decided_now_[which]);
    };
    outcome("decisions_granted", "  granted", v1::ESCALATION_DECISION_OUTCOME_GRANTED);
    outcome("decisions_partly_granted", "  partly granted", v1::ESCALATION_DECISION_OUTCOME_PARTLY_GRANTED);
    outcome("decisions_denied", "  denied", v1::ESCALATION_DECISION_OUTCOME_DENIED);
    outcome("decisions_cannot_decide", "  cannot decide (moved up a level)",
            v1::ESCALATION_DECISION_OUTCOME_CANNOT_DECIDE);
    return absl::OkStatus();
  }

  const Region& region_;
  const LoaderOptions& options_;
  Tokens tokens_;
  std::string operator_;
  std::unique_ptr<v1::CaseService::Stub> cases_;
  std::unique_ptr<v1::MandateService::Stub> mandates_;
  std::unique_ptr<v1::EscalationService::Stub> escalations_;
  std::unique_ptr<v1::ReportingService::Stub> reporting_;

  std::vector<CaseFacts> facts_;
  std::vector<CaseEntry> entries_;
  std::vector<ClusterPlan> clusters_;
  std::map<std::string, v1::EscalationBody> bodies_;
  std::vector<DecisionPlan> decision_plans_;
  std::vector<std::pair<const DecisionPlan*, v1::CaseDecisionRequest>> decisions_;
  std::set<std::string> bottleneck_escalations_;
  int64_t acknowledged_now_ = 0;
  std::map<v1::EscalationDecisionOutcome, int64_t> decided_now_;
  std::mutex warnings_mutex_;
  std::set<std::string> skipped_;
  Summary summary_;
};

}  // namespace

const KindCount* Summary::Find(const std::string& key) const {
  for (const KindCount& kind : kinds) {
    if (kind.key == key) return &kind;
  }
  return nullptr;
}

std::string Summary::ToText() const {
  std::string text = absl::StrFormat("  %-50s %9s %9s\n", "", "total", "new");
  for (const KindCount& kind : kinds) {
    absl::StrAppend(&text, absl::StrFormat("  %-50s %9d %9d\n", kind.label, kind.total, kind.changed));
  }
  double seconds = absl::ToDoubleSeconds(import_time);
  if (imported_cases > 0 && seconds > 0) {
    absl::StrAppend(&text, absl::StrFormat("  import: %d cases in %.2f s = %.0f cases/s through BulkImportCases\n",
                                           imported_cases, seconds, imported_cases / seconds));
  } else {
    absl::StrAppend(&text, "  import: nothing to import\n");
  }
  absl::StrAppend(&text, absl::StrFormat("  time: %.2f s (", absl::ToDoubleSeconds(elapsed)));
  for (size_t i = 0; i < steps.size(); ++i) {
    absl::StrAppend(&text, i == 0 ? "" : ", ",
                    absl::StrFormat("%s %.2f s", steps[i].first, absl::ToDoubleSeconds(steps[i].second)));
  }
  absl::StrAppend(&text, ")\n");
  for (const std::string& warning : warnings) absl::StrAppend(&text, "  warning: ", warning, "\n");
  return text;
}

std::string Summary::ToJson(uint64_t seed, int64_t cases) const {
  nlohmann::json json;
  json["seed"] = seed;
  json["cases"] = cases;
  for (const KindCount& kind : kinds) json["kinds"][kind.key] = {{"total", kind.total}, {"new", kind.changed}};
  json["imported_cases"] = imported_cases;
  json["import_seconds"] = absl::ToDoubleSeconds(import_time);
  json["seconds"] = absl::ToDoubleSeconds(elapsed);
  json["warnings"] = warnings;
  for (const auto& [step, time] : steps) json["step_seconds"][step] = absl::ToDoubleSeconds(time);
  return json.dump(2);
}

absl::StatusOr<Summary> LoadDemo(const Region& region, const LoaderOptions& options) {
  HERSTEL_ASSIGN_OR_RETURN(TokenKey key, TokenKey::FromFile(options.key_file));
  DemoRun run(region, options, std::move(key));
  return run.Run();
}

}  // namespace herstel::demo
