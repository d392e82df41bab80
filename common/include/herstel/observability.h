// Operator-facing observability shared by every service: Prometheus metrics
// over HTTP (prometheus-cpp) and one structured JSON log line per call.
//
// Metrics: grpc_server_handled_total{grpc_service,grpc_method,grpc_code} and
// grpc_server_handling_seconds (histogram). A log line holds method, code,
// latency, the caller's subject and the request_id, never personal data.
// Health checks are counted but not logged, so probes do not flood the log.
#ifndef HERSTEL_OBSERVABILITY_H_
#define HERSTEL_OBSERVABILITY_H_

#include <memory>
#include <string>

#include "grpcpp/support/server_interceptor.h"
#include "herstel/identity.h"
#include "prometheus/counter.h"
#include "prometheus/exposer.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace herstel {

class Metrics {
 public:
  // Creates the registry; serves it on `listen` ("host:port") when non-empty.
  explicit Metrics(const std::string& listen);

  // Counts one finished call and its duration.
  void RecordCall(const std::string& full_method, int grpc_code, double seconds);
  // The registry, for a service's own domain gauges.
  prometheus::Registry& registry() { return *registry_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& handling_seconds_;
};

// Writes one JSON object as a line to standard error, whole (thread-safe).
void WriteLogLine(const std::string& json_line);

// Creates the per-call interceptor that feeds Metrics and the call log.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeObservabilityInterceptorFactory(std::string service_name, Metrics& metrics,
                                    const TokenKey& key);

}  // namespace herstel

#endif  // HERSTEL_OBSERVABILITY_H_
