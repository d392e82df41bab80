// libFuzzer target: every RPC of the case-service, in process, with the
// reference municipalities; its peers are unreachable, so decisions and
// escalations fail fast as UNAVAILABLE.
#include <cstdio>
#include <cstdlib>

#include "case_grpc_service.h"
#include "domain/reference_data.h"
#include "peers/peer_clients.h"
#include "service_fuzzer.h"
#include "store/case_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace herstel;
  return robustness::FuzzServiceOnce(
      "herstel.v1.CaseService", case_service::CaseServiceMigrations(),
      [](Store& store, const TokenKey& key) {
        absl::StatusOr<case_service::ReferenceData> loaded =
            case_service::ReferenceData::LoadFile(HERSTEL_CASE_REFERENCE_FILE);
        if (!loaded.ok()) {
          std::fprintf(stderr, "reference data: %s\n", loaded.status().ToString().c_str());
          std::abort();
        }
        static auto* reference = new case_service::ReferenceData(std::move(*loaded));
        static auto* mandate = new case_service::MandateClient(key, "127.0.0.1:1", absl::Milliseconds(200));
        static auto* escalation =
            new case_service::EscalationClient(key, "127.0.0.1:1", absl::Milliseconds(200));
        std::vector<std::unique_ptr<grpc::Service>> services;
        services.push_back(std::make_unique<case_service::CaseGrpcService>(
            store, key, *reference, mandate, escalation, case_service::CaseServiceOptions{}));
        return services;
      },
      data, size);
}
