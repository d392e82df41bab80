// libFuzzer target: every RPC of the mandate-service, in process, over a
// store holding the default mandate register (see service_fuzzer.h).
#include <cstdio>
#include <cstdlib>

#include "mandate_grpc_service.h"
#include "register_loader.h"
#include "service_fuzzer.h"
#include "store/schema.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace herstel;
  return robustness::FuzzServiceOnce(
      "herstel.v1.MandateService", mandate::MandateSchema(),
      [](Store& store, const TokenKey& key) {
        absl::StatusOr<int> loaded = mandate::LoadDefaultRegisterIfEmpty(store, HERSTEL_DEFAULT_REGISTER_FILE);
        if (!loaded.ok()) {
          std::fprintf(stderr, "default register: %s\n", loaded.status().ToString().c_str());
          std::abort();
        }
        std::vector<std::unique_ptr<grpc::Service>> services;
        services.push_back(std::make_unique<mandate::MandateGrpcService>(store, key));
        return services;
      },
      data, size);
}
