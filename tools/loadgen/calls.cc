#include "calls.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/security/credentials.h"

namespace herstel::loadgen {
namespace {

constexpr int kSetUpPageSize = 1000;

// Every page of a List call up to `limit` items; `items` picks the repeated field.
template <typename Stub, typename Request, typename Response, typename Items>
auto ListAll(Stub& stub, grpc::Status (Stub::*rpc)(grpc::ClientContext*, const Request&, Response*),
             const std::string& token, Request request, Items items, size_t limit, const char* what)
    -> absl::StatusOr<std::vector<typename std::decay_t<decltype(items(Response()))>::value_type>> {
  std::vector<typename std::decay_t<decltype(items(Response()))>::value_type> all;
  request.set_page_size(kSetUpPageSize);
  while (all.size() < limit) {
    Response page;
    grpc::Status status = Call(stub, rpc, token, request, &page);
    if (!status.ok()) {
      return absl::UnavailableError(absl::StrCat("cannot list ", what, ": ", status.error_message()));
    }
    for (const auto& item : items(page)) {
      if (all.size() < limit) all.push_back(item);
    }
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  return all;
}

}  // namespace

std::shared_ptr<grpc::Channel> OpenChannel(const std::string& address, int index) {
  grpc::ChannelArguments arguments;
  arguments.SetInt("grpc.channel_id", index);  // distinct channels, distinct connections
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), arguments);
}

std::string Mint(const TokenKey& key, v1::Role role, const std::string& subject, const std::string& organisation) {
  Caller caller{subject, organisation, role, {"*"}, absl::Now() + absl::Hours(2)};
  return key.Mint(caller);
}

grpc::Status GetCase(v1::CaseService::Stub& stub, const std::string& token, const std::string& name, v1::Case* answer) {
  v1::GetCaseRequest request;
  request.set_name(name);
  return Call(stub, &v1::CaseService::Stub::GetCase, token, request, answer);
}

grpc::Status ListCases(v1::CaseService::Stub& stub, const std::string& token, const std::string& filter) {
  v1::ListCasesRequest request;
  request.set_page_size(50);
  request.set_filter(filter);
  v1::ListCasesResponse page;
  return Call(stub, &v1::CaseService::Stub::ListCases, token, request, &page);
}

grpc::Status GetMonitor(v1::ReportingService::Stub& stub, const std::string& token, const std::string& municipality) {
  v1::GetMonitorRequest request;
  request.mutable_scope()->set_municipality(municipality);
  v1::Monitor monitor;
  return Call(stub, &v1::ReportingService::Stub::GetMonitor, token, request, &monitor);
}

grpc::Status CheckDecision(v1::MandateService::Stub& stub, const std::string& token, const std::string& municipality,
                           int64_t amount_cents, const std::string& request_id) {
  v1::CheckDecisionRequest request;
  request.set_kind(v1::DECISION_KIND_CUSTOM_SOLUTION);
  request.set_amount_cents(amount_cents);
  request.set_municipality(municipality);
  request.set_request_id(request_id);
  v1::CheckDecisionResponse response;
  return Call(stub, &v1::MandateService::Stub::CheckDecision, token, request, &response);
}

grpc::Status ReserveAndCommit(v1::MandateService::Stub& stub, const std::string& token, const std::string& municipality,
                              const std::string& budget_line, int64_t amount_cents, const std::string& request_id,
                              bool* allowed) {
  v1::CheckAndReserveRequest reserve;
  reserve.set_kind(v1::DECISION_KIND_CUSTOM_SOLUTION);
  reserve.set_municipality(municipality);
  v1::BudgetLineAmount* part = reserve.add_lines();
  part->set_budget_line(budget_line);
  part->set_amount_cents(amount_cents);
  reserve.set_reference("loadgen");
  reserve.set_request_id(absl::StrCat(request_id, "-reserve"));
  v1::CheckAndReserveResponse reserved;
  *allowed = false;
  grpc::Status status = Call(stub, &v1::MandateService::Stub::CheckAndReserve, token, reserve, &reserved);
  if (!status.ok() || !reserved.result().allowed()) return status;
  *allowed = true;
  v1::CommitReservationRequest commit;
  commit.set_name(reserved.reservation().name());
  commit.set_request_id(absl::StrCat(request_id, "-commit"));
  v1::Reservation committed;
  return Call(stub, &v1::MandateService::Stub::CommitReservation, token, commit, &committed);
}

absl::StatusOr<std::vector<v1::Case>> ListCaseSample(v1::CaseService::Stub& stub, const std::string& token, int limit) {
  v1::ListCasesRequest request;
  request.set_order_by("create_time");
  return ListAll(
      stub, &v1::CaseService::Stub::ListCases, token, request,
      [](const v1::ListCasesResponse& page) -> const auto& { return page.cases(); },
      static_cast<size_t>(std::max(0, limit)), "cases");
}

absl::StatusOr<std::vector<v1::BudgetLine>> ListBudgetLines(v1::MandateService::Stub& stub, const std::string& token) {
  return ListAll(
      stub, &v1::MandateService::Stub::ListBudgetLines, token, v1::ListBudgetLinesRequest(),
      [](const v1::ListBudgetLinesResponse& page) -> const auto& { return page.budget_lines(); }, SIZE_MAX,
      "budget lines");
}

absl::StatusOr<std::vector<v1::EscalationBody>> ListBodies(v1::EscalationService::Stub& stub,
                                                           const std::string& token) {
  return ListAll(
      stub, &v1::EscalationService::Stub::ListBodies, token, v1::ListBodiesRequest(),
      [](const v1::ListBodiesResponse& page) -> const auto& { return page.bodies(); }, SIZE_MAX, "bodies");
}

}  // namespace herstel::loadgen
