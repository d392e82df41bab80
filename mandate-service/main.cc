// mandate-service: the mandate register and the budget ledger that never
// overspends. Flags, wiring and signal handling only; see herstel/server.h.
#include "absl/flags/flag.h"
#include "expiry_sweeper.h"
#include "herstel/server.h"
#include "mandate_grpc_service.h"
#include "register_loader.h"
#include "store/schema.h"

ABSL_FLAG(std::string, register_file, HERSTEL_DEFAULT_REGISTER_FILE,
          "JSON mandate register loaded when the store holds no mandate yet");
ABSL_FLAG(int, expiry_sweep_ms, 1000,
          "how often expired reservations are released and expired authorisations lapsed");

int main(int argc, char** argv) {
  herstel::ServiceDescription description{"mandate-service", "127.0.0.1:50052", "data/mandate.db",
                                          {"herstel.v1.MandateService"},
                                          herstel::mandate::MandateSchema()};
  return herstel::RunServiceMain(
      argc, argv, description,
      [](herstel::ServiceEnvironment& environment) -> absl::StatusOr<herstel::ServiceParts> {
        absl::StatusOr<int> loaded = herstel::mandate::LoadDefaultRegisterIfEmpty(
            environment.store, absl::GetFlag(FLAGS_register_file));
        if (!loaded.ok()) return loaded.status();
        auto sweeper = std::make_shared<herstel::mandate::ExpirySweeper>(
            environment.store, absl::Milliseconds(absl::GetFlag(FLAGS_expiry_sweep_ms)));
        herstel::ServiceParts parts;
        parts.services.push_back(
            std::make_unique<herstel::mandate::MandateGrpcService>(environment.store, environment.key));
        parts.stop_background_work = [sweeper] { sweeper->Stop(); };
        return parts;
      });
}
