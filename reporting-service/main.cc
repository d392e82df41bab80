// reporting-service: the monitor, the three questions and the yearly report.
// Flags and wiring only; see reporting_grpc_service.h and reporting_followers.h.
#include "absl/flags/flag.h"
#include "herstel/server.h"
#include "reporting_followers.h"
#include "reporting_grpc_service.h"
#include "store/reporting_store.h"

ABSL_FLAG(std::string, case_address, "127.0.0.1:50051",
          "case-service to follow (host:port); empty: not followed");
ABSL_FLAG(std::string, mandate_address, "127.0.0.1:50052",
          "mandate-service to follow (host:port); empty: not followed");
ABSL_FLAG(std::string, escalation_address, "127.0.0.1:50053",
          "escalation-service to follow (host:port); empty: not followed");
ABSL_FLAG(int, status_interval_seconds, 5,
          "how often source lag is probed, backlog weeks evaluated and gauges refreshed");

ABSL_FLAG(int, standing_interval_seconds, 60,
          "how often the periods asked for without naming one (this year to date) and the "
          "years of the next yearly report are published again in the background when events "
          "arrived; 0: only when asked");

int main(int argc, char** argv) {
  herstel::ServiceDescription description{"reporting-service", "127.0.0.1:50054",
                                          "data/reporting.db", {"herstel.v1.ReportingService"},
                                          herstel::reporting::ReportingMigrations()};
  return herstel::RunServiceMain(
      argc, argv, description,
      [](herstel::ServiceEnvironment& environment) -> absl::StatusOr<herstel::ServiceParts> {
        auto followers = std::make_shared<herstel::reporting::ReportingFollowers>(
            environment.store, environment.key,
            std::vector<herstel::reporting::ReportingFollowers::Source>{
                {"case-service", absl::GetFlag(FLAGS_case_address)},
                {"mandate-service", absl::GetFlag(FLAGS_mandate_address)},
                {"escalation-service", absl::GetFlag(FLAGS_escalation_address)}},
            environment.metrics.registry(),
            absl::Seconds(std::max(1, absl::GetFlag(FLAGS_status_interval_seconds))));
        followers->Start();
        herstel::ServiceParts parts;
        parts.services.push_back(std::make_unique<herstel::reporting::ReportingGrpcService>(
            environment.store, environment.key, *followers, environment.metrics.registry(),
            absl::GetFlag(FLAGS_standing_interval_seconds) > 0
                ? absl::Seconds(absl::GetFlag(FLAGS_standing_interval_seconds))
                : absl::InfiniteDuration()));
        parts.stop_background_work = [followers] { followers->Stop(); };
        return parts;
      });
}
