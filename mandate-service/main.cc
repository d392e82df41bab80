// mandate-service: mandate register and budget ledger.
// Flags, wiring and signal handling only; see herstel/server.h.
#include "herstel/outbox.h"
#include "herstel/server.h"
#include "herstel/v1/mandate_service.grpc.pb.h"

int main(int argc, char** argv) {
  herstel::ServiceDescription description{
      "mandate-service", "127.0.0.1:50052", "data/mandate.db", {"herstel.v1.MandateService"}, {"mandate-service", {}}};
  return herstel::RunServiceMain(
      argc, argv, description,
      [](herstel::ServiceEnvironment& environment) -> absl::StatusOr<herstel::ServiceParts> {
        herstel::ServiceParts parts;
        parts.services.push_back(
            std::make_unique<herstel::WithWatchEvents<herstel::v1::MandateService::Service>>(
                environment.store, environment.key, "mandate-service"));
        return parts;
      });
}
