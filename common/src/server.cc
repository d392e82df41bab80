#include "herstel/server.h"

#include <signal.h>

#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "herstel/event_notifier.h"
#include "nlohmann/json.hpp"

ABSL_FLAG(std::string, listen, "", "host:port to serve gRPC on (default: the service's own port)");
ABSL_FLAG(std::string, store, "", "path of the embedded SQLite store (default: data/<service>.db)");
ABSL_FLAG(std::string, metrics_listen, "",
          "host:port to serve Prometheus metrics on; empty turns metrics serving off");
ABSL_FLAG(std::string, token_key_file, "data/token.key",
          "file holding the shared token signing key (at least 32 bytes)");
ABSL_FLAG(int, drain_seconds, 4, "seconds in-flight calls get to finish after SIGTERM");

namespace herstel {
namespace {

void LogEvent(const std::string& service, const std::string& event, nlohmann::json fields = {}) {
  fields["service"] = service;
  fields["event"] = event;
  fields["time"] = absl::FormatTime(absl::RFC3339_full, absl::Now(), absl::UTCTimeZone());
  WriteLogLine(fields.dump());
}

int Fail(const std::string& service, const std::string& what) {
  LogEvent(service, "startup_failed", {{"error", what}});
  return 1;
}

}  // namespace

int RunServiceMain(int argc, char** argv, const ServiceDescription& description,
                   const ServiceFactory& factory) {
  // Block termination signals in every thread; this thread waits for them.
  sigset_t termination;
  sigemptyset(&termination);
  sigaddset(&termination, SIGTERM);
  sigaddset(&termination, SIGINT);
  pthread_sigmask(SIG_BLOCK, &termination, nullptr);

  absl::SetProgramUsageMessage(absl::StrCat(description.name, " of the Herstel suite"));
  absl::ParseCommandLine(argc, argv);
  const std::string& name = description.name;
  std::string listen = absl::GetFlag(FLAGS_listen);
  if (listen.empty()) listen = description.default_listen;
  std::string store_path = absl::GetFlag(FLAGS_store);
  if (store_path.empty()) store_path = description.default_store;

  absl::StatusOr<TokenKey> key = TokenKey::FromFile(absl::GetFlag(FLAGS_token_key_file));
  if (!key.ok()) return Fail(name, std::string(key.status().message()));
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(store_path, description.migrations);
  if (!store.ok()) return Fail(name, std::string(store.status().message()));

  std::unique_ptr<Metrics> metrics;
  try {
    metrics = std::make_unique<Metrics>(absl::GetFlag(FLAGS_metrics_listen));
  } catch (const std::exception& error) {
    return Fail(name, absl::StrCat("cannot serve metrics on ",
                                   absl::GetFlag(FLAGS_metrics_listen), ": ", error.what()));
  }
  ServiceEnvironment environment{**store, *key, *metrics};
  absl::StatusOr<ServiceParts> parts = factory(environment);
  if (!parts.ok()) return Fail(name, std::string(parts.status().message()));

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int selected_port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &selected_port);
  for (const auto& service : parts->services) builder.RegisterService(service.get());
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(MakeObservabilityInterceptorFactory(name, *metrics, *key));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || selected_port == 0) {
    return Fail(name, absl::StrCat("cannot listen on ", listen));
  }
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  health->SetServingStatus("", true);
  for (const std::string& service_name : description.grpc_service_names) {
    health->SetServingStatus(service_name, true);
  }
  LogEvent(name, "serving",
           {{"listen", listen},
            {"port", selected_port},
            {"store", StoreLocationForLogs(store_path)},
            {"metrics_listen", absl::GetFlag(FLAGS_metrics_listen)}});

  int signal_number = 0;
  sigwait(&termination, &signal_number);
  LogEvent(name, "draining", {{"signal", signal_number}});
  health->SetServingStatus(false);
  (*store)->notifier().Close();
  server->Shutdown(std::chrono::system_clock::now() +
                   std::chrono::seconds(absl::GetFlag(FLAGS_drain_seconds)));
  server->Wait();
  parts->stop_background_work();
  LogEvent(name, "stopped");
  return 0;
}

}  // namespace herstel
