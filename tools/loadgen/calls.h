// The calls herstel-loadgen makes, one small function per operation, shared
// by the single-operation scenarios and the suite-wide mix.
//
// Contract:
// - Every call carries "authorization: Bearer <token>" (none for an empty
//   token) and a deadline of kCallTimeout, so no caller waits forever.
// - The functions return the gRPC status of their last call and never retry;
//   a domain refusal (FAILED_PRECONDITION, ABORTED, ...) is the caller's to
//   count. Traffic goes only to the addresses given (127.0.0.1 in the docs).
// - The List helpers read every page up to `limit` items, for set-up before a
//   run (they are not timed).
#ifndef HERSTEL_TOOLS_LOADGEN_CALLS_H_
#define HERSTEL_TOOLS_LOADGEN_CALLS_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/status/statusor.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "herstel/identity.h"
#include "herstel/v1/case_service.grpc.pb.h"
#include "herstel/v1/escalation_service.grpc.pb.h"
#include "herstel/v1/mandate_service.grpc.pb.h"
#include "herstel/v1/reporting_service.grpc.pb.h"

namespace herstel::loadgen {

inline constexpr std::chrono::seconds kCallTimeout{30};
inline constexpr char kReserveNotAllowed[] = "not allowed (CheckAndReserve answer)";

// A channel of its own (distinct channels get distinct connections).
std::shared_ptr<grpc::Channel> OpenChannel(const std::string& address, int index);

// Stubs of one service over `channels` connections, shared round-robin by the callers.
template <typename Service>
class StubPool {
 public:
  // `address` may name several replicas, comma-separated: the channels (at
  // least one per replica) go to them in turn, so callers spread over all.
  StubPool(const std::string& address, int channels) {
    std::vector<std::string> replicas = absl::StrSplit(address, ',', absl::SkipEmpty());
    if (replicas.empty()) replicas.push_back(address);
    int count = std::max<int>(std::max(1, channels), replicas.size());
    for (int i = 0; i < count; ++i) {
      stubs_.push_back(Service::NewStub(OpenChannel(replicas[i % replicas.size()], i)));
    }
  }
  typename Service::Stub& For(int caller) const { return *stubs_[caller % stubs_.size()]; }

 private:
  std::vector<std::unique_ptr<typename Service::Stub>> stubs_;
};

// A token for (role, subject, organisation), all municipalities, two hours.
std::string Mint(const TokenKey& key, v1::Role role, const std::string& subject, const std::string& organisation);

// One unary call with the token and the deadline.
template <typename Stub, typename Request, typename Response>
grpc::Status Call(Stub& stub, grpc::Status (Stub::*rpc)(grpc::ClientContext*, const Request&, Response*),
                  const std::string& token, const Request& request, Response* response) {
  grpc::ClientContext context;
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
  return (stub.*rpc)(&context, request, response);
}

// ---- Reads -----------------------------------------------------------------

grpc::Status GetCase(v1::CaseService::Stub& stub, const std::string& token, const std::string& name, v1::Case* answer);
// One page of 50 cases with `filter`.
grpc::Status ListCases(v1::CaseService::Stub& stub, const std::string& token, const std::string& filter);
// The internal monitor of one municipality.
grpc::Status GetMonitor(v1::ReportingService::Stub& stub, const std::string& token, const std::string& municipality);

// ---- Mandate-service -------------------------------------------------------

// CheckDecision for a custom solution of `amount_cents` in `municipality`.
grpc::Status CheckDecision(v1::MandateService::Stub& stub, const std::string& token, const std::string& municipality,
                           int64_t amount_cents, const std::string& request_id);
// CheckAndReserve of `amount_cents` on `budget_line`, then CommitReservation
// when allowed; *allowed tells whether the check allowed it (when not, count
// the OK answer as kReserveNotAllowed).
grpc::Status ReserveAndCommit(v1::MandateService::Stub& stub, const std::string& token, const std::string& municipality,
                              const std::string& budget_line, int64_t amount_cents, const std::string& request_id,
                              bool* allowed);

// ---- Set-up (not timed) ----------------------------------------------------

// Cases in creation order, at most `limit`.
absl::StatusOr<std::vector<v1::Case>> ListCaseSample(v1::CaseService::Stub& stub, const std::string& token, int limit);
// Every budget line.
absl::StatusOr<std::vector<v1::BudgetLine>> ListBudgetLines(v1::MandateService::Stub& stub, const std::string& token);
// Every escalation body.
absl::StatusOr<std::vector<v1::EscalationBody>> ListBodies(v1::EscalationService::Stub& stub, const std::string& token);

}  // namespace herstel::loadgen

#endif  // HERSTEL_TOOLS_LOADGEN_CALLS_H_
