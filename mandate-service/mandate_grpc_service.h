// The gRPC layer of the mandate-service: authenticates every call, checks
// who may do what (domain/access.h), validates requests field by field, runs
// each mutation once per request_id in one transaction (ledger_operations.h),
// and maps errors once. Thin by design: the rules live in domain/.
#ifndef HERSTEL_MANDATE_MANDATE_GRPC_SERVICE_H_
#define HERSTEL_MANDATE_MANDATE_GRPC_SERVICE_H_

#include <string>

#include "herstel/outbox.h"
#include "herstel/v1/mandate_service.grpc.pb.h"

namespace herstel::mandate {

inline constexpr char kDomain[] = "mandate-service";

class MandateGrpcService final : public WithWatchEvents<v1::MandateService::Service> {
 public:
  MandateGrpcService(Store& store, const TokenKey& key) : WithWatchEvents(store, key, kDomain) {}

  grpc::Status GrantMandate(grpc::ServerContext* context, const v1::GrantMandateRequest* request,
                            v1::Mandate* response) override;
  grpc::Status GetMandate(grpc::ServerContext* context, const v1::GetMandateRequest* request,
                          v1::Mandate* response) override;
  grpc::Status ListMandates(grpc::ServerContext* context, const v1::ListMandatesRequest* request,
                            v1::ListMandatesResponse* response) override;
  grpc::Status RevokeMandate(grpc::ServerContext* context, const v1::RevokeMandateRequest* request,
                             v1::RevokeMandateResponse* response) override;
  grpc::Status CheckDecision(grpc::ServerContext* context, const v1::CheckDecisionRequest* request,
                             v1::CheckDecisionResponse* response) override;
  grpc::Status ListDecisionLog(grpc::ServerContext* context, const v1::ListDecisionLogRequest* request,
                               v1::ListDecisionLogResponse* response) override;
  grpc::Status RecordAuthorisation(grpc::ServerContext* context,
                                   const v1::RecordAuthorisationRequest* request,
                                   v1::Authorisation* response) override;
  grpc::Status GetAuthorisation(grpc::ServerContext* context, const v1::GetAuthorisationRequest* request,
                                v1::Authorisation* response) override;
  grpc::Status ListAuthorisations(grpc::ServerContext* context,
                                  const v1::ListAuthorisationsRequest* request,
                                  v1::ListAuthorisationsResponse* response) override;
  grpc::Status CreateBudgetLine(grpc::ServerContext* context, const v1::CreateBudgetLineRequest* request,
                                v1::BudgetLine* response) override;
  grpc::Status GetBudgetLine(grpc::ServerContext* context, const v1::GetBudgetLineRequest* request,
                             v1::BudgetLine* response) override;
  grpc::Status ListBudgetLines(grpc::ServerContext* context, const v1::ListBudgetLinesRequest* request,
                               v1::ListBudgetLinesResponse* response) override;
  grpc::Status UpdateBudgetLine(grpc::ServerContext* context, const v1::UpdateBudgetLineRequest* request,
                                v1::BudgetLine* response) override;
  grpc::Status GetBudgetBalance(grpc::ServerContext* context, const v1::GetBudgetBalanceRequest* request,
                                v1::BudgetBalance* response) override;
  grpc::Status ListJournalEntries(grpc::ServerContext* context,
                                  const v1::ListJournalEntriesRequest* request,
                                  v1::ListJournalEntriesResponse* response) override;
  grpc::Status ReserveBudget(grpc::ServerContext* context, const v1::ReserveBudgetRequest* request,
                             v1::Reservation* response) override;
  grpc::Status CheckAndReserve(grpc::ServerContext* context, const v1::CheckAndReserveRequest* request,
                               v1::CheckAndReserveResponse* response) override;
  grpc::Status GetReservation(grpc::ServerContext* context, const v1::GetReservationRequest* request,
                              v1::Reservation* response) override;
  grpc::Status ListReservations(grpc::ServerContext* context, const v1::ListReservationsRequest* request,
                                v1::ListReservationsResponse* response) override;
  grpc::Status CommitReservation(grpc::ServerContext* context,
                                 const v1::CommitReservationRequest* request,
                                 v1::Reservation* response) override;
  grpc::Status ReleaseReservation(grpc::ServerContext* context,
                                  const v1::ReleaseReservationRequest* request,
                                  v1::Reservation* response) override;
  grpc::Status TransferBudget(grpc::ServerContext* context, const v1::TransferBudgetRequest* request,
                              v1::TransferBudgetResponse* response) override;
};

}  // namespace herstel::mandate

#endif  // HERSTEL_MANDATE_MANDATE_GRPC_SERVICE_H_
