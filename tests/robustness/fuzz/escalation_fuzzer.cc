// libFuzzer target: every RPC of the escalation-service, in process, over a
// store holding the default bodies; its mandate-service is unreachable, so
// reservations of granted amounts fail fast as UNAVAILABLE outcomes.
#include <cstdio>
#include <cstdlib>

#include "body_loader.h"
#include "domain/calendar.h"
#include "domain/clock.h"
#include "escalation_grpc_service.h"
#include "mandate_gateway.h"
#include "service_fuzzer.h"
#include "store/escalation_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace herstel;
  static const escalation::SystemClock* clock = new escalation::SystemClock();
  return robustness::FuzzServiceOnce(
      "herstel.v1.EscalationService", escalation::EscalationMigrations(),
      [](Store& store, const TokenKey& key) {
        absl::StatusOr<absl::TimeZone> zone = escalation::WorkingDayCalendar::AmsterdamZone();
        absl::StatusOr<int> loaded =
            escalation::LoadDefaultBodiesIfEmpty(store, HERSTEL_DEFAULT_BODIES_FILE, clock->Now());
        if (!zone.ok() || !loaded.ok()) {
          std::fprintf(stderr, "set-up failed: %s %s\n", zone.status().ToString().c_str(),
                       loaded.status().ToString().c_str());
          std::abort();
        }
        auto mandate = std::make_unique<escalation::MandateGateway>(key, "127.0.0.1:1", absl::Milliseconds(200));
        std::vector<std::unique_ptr<grpc::Service>> services;
        services.push_back(std::make_unique<escalation::EscalationGrpcService>(store, key, *clock, *zone,
                                                                               std::move(mandate)));
        return services;
      },
      data, size);
}
