// Server bootstrap shared by the four services. It parses the common flags,
// opens the store, wires health checking (grpc.health.v1), server reflection,
// metrics and the call log, and on SIGTERM or SIGINT turns health to
// NOT_SERVING, lets in-flight calls finish within --drain_seconds, and exits 0.
//
// Common flags: --listen, --store, --metrics_listen, --token_key_file,
// --drain_seconds. A service adds its own flags in its main.cc.
#ifndef HERSTEL_SERVER_H_
#define HERSTEL_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/impl/service_type.h"
#include "herstel/identity.h"
#include "herstel/observability.h"
#include "herstel/store.h"

namespace herstel {

// What distinguishes one service binary from another.
struct ServiceDescription {
  std::string name;                  // "case-service"; also the error domain
  std::string default_listen;        // e.g. "127.0.0.1:50051"
  std::string default_store;         // e.g. "data/case.db"
  std::vector<std::string> grpc_service_names;  // "herstel.v1.CaseService", for health
  MigrationSet migrations;
};

// What a service's factory gets to build its gRPC services with.
struct ServiceEnvironment {
  Store& store;
  const TokenKey& key;
  Metrics& metrics;
};

// A service's gRPC services plus what must stop before the store closes
// (followers, sweepers). Built by the service's factory after the store opens.
struct ServiceParts {
  std::vector<std::unique_ptr<grpc::Service>> services;
  std::function<void()> stop_background_work = [] {};
};

using ServiceFactory = std::function<absl::StatusOr<ServiceParts>(ServiceEnvironment&)>;

// The whole life of a service binary; returns main's exit code. Call first
// thing in main (it blocks SIGTERM/SIGINT before any thread starts).
int RunServiceMain(int argc, char** argv, const ServiceDescription& description,
                   const ServiceFactory& factory);

}  // namespace herstel

#endif  // HERSTEL_SERVER_H_
