// case-service: one case, one plan, one contact person per home.
// Flags, wiring and signal handling only; see herstel/server.h.
#include <memory>

#include "absl/flags/flag.h"
#include "case_grpc_service.h"
#include "domain/reference_data.h"
#include "herstel/server.h"
#include "peers/peer_clients.h"
#include "store/case_store.h"

ABSL_FLAG(std::string, reference_file, "",
          "JSON file with the municipalities and villages (default: reference/municipalities.json "
          "next to the case-service sources, else case-service/reference/municipalities.json "
          "relative to the working directory)");
ABSL_FLAG(std::string, mandate_address, "",
          "host:port of the mandate-service (decision requests, cluster priority overrides)");
ABSL_FLAG(std::string, escalation_address, "",
          "host:port of the escalation-service (escalations and their outcomes)");
ABSL_FLAG(int, peer_timeout_ms, 3000, "deadline of each call to the mandate- or escalation-service");
ABSL_FLAG(int, inspection_target_days, herstel::case_service::kDefaultInspectionTargetDays,
          "days within which an inspection on request should take place (default 8 weeks)");

int main(int argc, char** argv) {
  using namespace herstel::case_service;
  herstel::ServiceDescription description{"case-service", "127.0.0.1:50051", "data/case.db",
                                          {"herstel.v1.CaseService"}, CaseServiceMigrations()};
  // Owned here so they outlive the gRPC services that borrow them.
  std::unique_ptr<ReferenceData> reference;
  std::unique_ptr<MandateClient> mandate;
  std::unique_ptr<EscalationClient> escalation;
  std::shared_ptr<herstel::EventFollower> follower;
  return herstel::RunServiceMain(
      argc, argv, description,
      [&](herstel::ServiceEnvironment& environment) -> absl::StatusOr<herstel::ServiceParts> {
        std::string reference_file = absl::GetFlag(FLAGS_reference_file);
        if (reference_file.empty()) reference_file = FindDefaultReferenceFile(CASE_SERVICE_SOURCE_DIR);
        absl::StatusOr<ReferenceData> loaded = ReferenceData::LoadFile(reference_file);
        if (!loaded.ok()) return loaded.status();
        reference = std::make_unique<ReferenceData>(std::move(*loaded));
        int target_days = absl::GetFlag(FLAGS_inspection_target_days);
        if (target_days < 1 || target_days > 3650) {
          return absl::InvalidArgumentError("--inspection_target_days must be between 1 and 3650");
        }
        absl::Duration timeout = absl::Milliseconds(absl::GetFlag(FLAGS_peer_timeout_ms));
        if (!absl::GetFlag(FLAGS_mandate_address).empty()) {
          mandate = std::make_unique<MandateClient>(environment.key, absl::GetFlag(FLAGS_mandate_address),
                                                    timeout);
        }
        if (!absl::GetFlag(FLAGS_escalation_address).empty()) {
          escalation = std::make_unique<EscalationClient>(
              environment.key, absl::GetFlag(FLAGS_escalation_address), timeout);
          follower = escalation->MakeFollower(environment.store, FollowedEscalationEventTypes(),
                                              ApplyEscalationEvent);
          follower->Start();
        }
        herstel::ServiceParts parts;
        parts.services.push_back(std::make_unique<CaseGrpcService>(
            environment.store, environment.key, *reference, mandate.get(), escalation.get(),
            CaseServiceOptions{target_days}));
        parts.stop_background_work = [&follower] {
          if (follower) follower->Stop();
        };
        return parts;
      });
}
