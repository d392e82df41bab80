// escalation-service: the escalation ladder.
// Flags, wiring and signal handling only; see herstel/server.h.
#include "herstel/outbox.h"
#include "herstel/server.h"
#include "herstel/v1/escalation_service.grpc.pb.h"

int main(int argc, char** argv) {
  herstel::ServiceDescription description{
      "escalation-service", "127.0.0.1:50053", "data/escalation.db", {"herstel.v1.EscalationService"}, {"escalation-service", {}}};
  return herstel::RunServiceMain(
      argc, argv, description,
      [](herstel::ServiceEnvironment& environment) -> absl::StatusOr<herstel::ServiceParts> {
        herstel::ServiceParts parts;
        parts.services.push_back(
            std::make_unique<herstel::WithWatchEvents<herstel::v1::EscalationService::Service>>(
                environment.store, environment.key, "escalation-service"));
        return parts;
      });
}
