// case-service: one case, one plan, one contact person per home.
// Flags, wiring and signal handling only; see herstel/server.h.
#include "herstel/outbox.h"
#include "herstel/server.h"
#include "herstel/v1/case_service.grpc.pb.h"

int main(int argc, char** argv) {
  herstel::ServiceDescription description{
      "case-service", "127.0.0.1:50051", "data/case.db", {"herstel.v1.CaseService"}, {"case-service", {}}};
  return herstel::RunServiceMain(
      argc, argv, description,
      [](herstel::ServiceEnvironment& environment) -> absl::StatusOr<herstel::ServiceParts> {
        herstel::ServiceParts parts;
        parts.services.push_back(
            std::make_unique<herstel::WithWatchEvents<herstel::v1::CaseService::Service>>(
                environment.store, environment.key, "case-service"));
        return parts;
      });
}
