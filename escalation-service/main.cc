// escalation-service: the escalation ladder.
// Flags, wiring and signal handling only; see herstel/server.h.
//
// Own flags:
//   --clock_file         a file holding an RFC 3339 time that the service
//                        takes as "now" (read on every use; tests and drills
//                        drive time with it); while absent, the system clock
//   --mandate_address    host:port of the mandate-service
//   --mandate_timeout_ms deadline of each mandate-service call
//   --sweep_interval_ms  how often the overdue sweep runs
//   --bodies_file        default bodies loaded into an empty store; empty: none
#include "absl/flags/flag.h"
#include "body_loader.h"
#include "domain/calendar.h"
#include "domain/clock.h"
#include "escalation_grpc_service.h"
#include "herstel/server.h"
#include "mandate_gateway.h"
#include "overdue_sweeper.h"
#include "store/escalation_store.h"

ABSL_FLAG(std::string, clock_file, "",
          "file holding an RFC 3339 time used as the current time; empty or absent: system clock");
ABSL_FLAG(std::string, mandate_address, "127.0.0.1:50052", "host:port of the mandate-service");
ABSL_FLAG(int, mandate_timeout_ms, 3000, "deadline of each call to the mandate-service, in ms");
ABSL_FLAG(int, sweep_interval_ms, 5000, "interval of the overdue sweep, in ms");
ABSL_FLAG(std::string, bodies_file, HERSTEL_DEFAULT_BODIES_FILE,
          "JSON file of the ladder's bodies, loaded when the store holds no body yet; empty: none");

int main(int argc, char** argv) {
  using namespace herstel::escalation;
  herstel::ServiceDescription description{"escalation-service", "127.0.0.1:50053",
                                          "data/escalation.db", {"herstel.v1.EscalationService"},
                                          EscalationMigrations()};
  // Outlive the server: RunServiceMain stops the background work before returning.
  std::unique_ptr<Clock> clock;
  return herstel::RunServiceMain(
      argc, argv, description,
      [&clock](herstel::ServiceEnvironment& environment)
          -> absl::StatusOr<herstel::ServiceParts> {
        absl::StatusOr<absl::TimeZone> zone = WorkingDayCalendar::AmsterdamZone();
        if (!zone.ok()) return zone.status();
        if (absl::GetFlag(FLAGS_clock_file).empty()) {
          clock = std::make_unique<SystemClock>();
        } else {
          clock = std::make_unique<FileClock>(absl::GetFlag(FLAGS_clock_file));
        }
        if (!absl::GetFlag(FLAGS_bodies_file).empty()) {
          absl::StatusOr<int> loaded = LoadDefaultBodiesIfEmpty(
              environment.store, absl::GetFlag(FLAGS_bodies_file), clock->Now());
          if (!loaded.ok()) return loaded.status();
        }
        auto mandate = std::make_unique<MandateGateway>(
            environment.key, absl::GetFlag(FLAGS_mandate_address),
            absl::Milliseconds(absl::GetFlag(FLAGS_mandate_timeout_ms)));
        auto service = std::make_unique<EscalationGrpcService>(
            environment.store, environment.key, *clock, *zone, std::move(mandate));
        EscalationGrpcService* sweeping = service.get();
        auto sweeper = std::make_shared<OverdueSweeper>(
            [sweeping](int limit) { return sweeping->SweepOverdue(limit); },
            absl::Milliseconds(std::max(10, absl::GetFlag(FLAGS_sweep_interval_ms))));
        sweeper->Start();
        herstel::ServiceParts parts;
        parts.services.push_back(std::move(service));
        parts.stop_background_work = [sweeper] { sweeper->Stop(); };
        return parts;
      });
}
