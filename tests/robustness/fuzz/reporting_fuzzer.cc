// libFuzzer target: every RPC of the reporting-service, in process, over an
// empty store; its followers are not started (no source to follow).
#include "prometheus/registry.h"
#include "reporting_followers.h"
#include "reporting_grpc_service.h"
#include "service_fuzzer.h"
#include "store/reporting_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace herstel;
  return robustness::FuzzServiceOnce(
      "herstel.v1.ReportingService", reporting::ReportingMigrations(),
      [](Store& store, const TokenKey& key) {
        static auto* registry = new prometheus::Registry();
        static auto* followers = new reporting::ReportingFollowers(
            store, key, {}, *registry, absl::Seconds(5));
        std::vector<std::unique_ptr<grpc::Service>> services;
        services.push_back(std::make_unique<reporting::ReportingGrpcService>(
            store, key, *followers, *registry, absl::InfiniteDuration()));
        return services;
      },
      data, size);
}
