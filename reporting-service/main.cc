// reporting-service: the monitor and the yearly report.
// Flags, wiring and signal handling only; see herstel/server.h.
#include "herstel/outbox.h"
#include "herstel/server.h"
#include "herstel/v1/reporting_service.grpc.pb.h"

int main(int argc, char** argv) {
  herstel::ServiceDescription description{
      "reporting-service", "127.0.0.1:50054", "data/reporting.db", {"herstel.v1.ReportingService"}, {"reporting-service", {}}};
  return herstel::RunServiceMain(
      argc, argv, description,
      [](herstel::ServiceEnvironment& environment) -> absl::StatusOr<herstel::ServiceParts> {
        herstel::ServiceParts parts;
        parts.services.push_back(
            std::make_unique<herstel::WithWatchEvents<herstel::v1::ReportingService::Service>>(
                environment.store, environment.key, "reporting-service"));
        return parts;
      });
}
