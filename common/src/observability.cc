#include "herstel/observability.h"

#include <chrono>
#include <iostream>
#include <mutex>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "google/protobuf/message.h"
#include "grpcpp/support/status.h"
#include "nlohmann/json.hpp"

namespace herstel {
namespace {

using grpc::experimental::InterceptionHookPoints;

constexpr size_t kMaxLoggedRequestId = 128;

const char* CodeName(int code) {
  static const char* const kNames[] = {
      "OK",           "CANCELLED",         "UNKNOWN",           "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED", "NOT_FOUND",    "ALREADY_EXISTS",    "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",   "OUT_OF_RANGE",
      "UNIMPLEMENTED", "INTERNAL",          "UNAVAILABLE",       "DATA_LOSS",
      "UNAUTHENTICATED"};
  if (code < 0 || code > 16) return "UNKNOWN";
  return kNames[code];
}

class ObservabilityInterceptor : public grpc::experimental::Interceptor {
 public:
  ObservabilityInterceptor(grpc::experimental::ServerRpcInfo* info, const std::string& service,
                           Metrics& metrics, const TokenKey& key)
      : method_(info->method()),
        service_(service),
        metrics_(metrics),
        key_(key),
        started_(absl::Now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      NoteCaller(*methods->GetRecvInitialMetadata());
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        absl::StartsWith(method_, "/herstel.") && methods->GetRecvMessage() != nullptr) {
      NoteRequestId(*static_cast<const google::protobuf::Message*>(methods->GetRecvMessage()));
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      Finish(methods->GetSendStatus());
    }
    methods->Proceed();
  }

 private:
  void NoteCaller(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
    auto it = metadata.find("authorization");
    if (it == metadata.end()) return;
    absl::string_view header(it->second.data(), it->second.size());
    if (!absl::StartsWith(header, "Bearer ")) return;
    absl::StatusOr<Caller> caller = key_.Verify(header.substr(7), absl::Now());
    caller_ = caller.ok() ? caller->subject : "(invalid token)";
  }

  void NoteRequestId(const google::protobuf::Message& request) {
    const google::protobuf::FieldDescriptor* field =
        request.GetDescriptor()->FindFieldByName("request_id");
    if (field == nullptr || field->type() != google::protobuf::FieldDescriptor::TYPE_STRING ||
        field->is_repeated()) {
      return;
    }
    // Clipped: a request_id longer than the services accept is refused anyway,
    // and the log line must stay one short line.
    request_id_ = request.GetReflection()->GetString(request, field).substr(0, kMaxLoggedRequestId);
  }

  void Finish(const grpc::Status& status) {
    double seconds = absl::ToDoubleSeconds(absl::Now() - started_);
    int code = static_cast<int>(status.error_code());
    metrics_.RecordCall(method_, code, seconds);
    if (absl::StartsWith(method_, "/grpc.health.")) return;
    nlohmann::json line = {
        {"time", absl::FormatTime(absl::RFC3339_full, absl::Now(), absl::UTCTimeZone())},
        {"service", service_},
        {"method", method_},
        {"code", CodeName(code)},
        {"latency_ms", seconds * 1000.0},
        {"caller", caller_},
        {"request_id", request_id_},
    };
    WriteLogLine(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }

  const std::string method_;
  const std::string& service_;
  Metrics& metrics_;
  const TokenKey& key_;
  const absl::Time started_;
  std::string caller_ = "(none)";
  std::string request_id_;
};

class ObservabilityInterceptorFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  ObservabilityInterceptorFactory(std::string service, Metrics& metrics, const TokenKey& key)
      : service_(std::move(service)), metrics_(metrics), key_(key) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new ObservabilityInterceptor(info, service_, metrics_, key_);
  }

 private:
  const std::string service_;
  Metrics& metrics_;
  const TokenKey& key_;
};

}  // namespace

Metrics::Metrics(const std::string& listen)
    : registry_(std::make_shared<prometheus::Registry>()),
      handled_(prometheus::BuildCounter()
                   .Name("grpc_server_handled_total")
                   .Help("Completed RPCs by service, method and status code.")
                   .Register(*registry_)),
      handling_seconds_(prometheus::BuildHistogram()
                            .Name("grpc_server_handling_seconds")
                            .Help("Time from receiving an RPC to sending its status.")
                            .Register(*registry_)) {
  if (!listen.empty()) {
    exposer_ = std::make_unique<prometheus::Exposer>(listen);
    exposer_->RegisterCollectable(registry_);
  }
}

void Metrics::RecordCall(const std::string& full_method, int grpc_code, double seconds) {
  std::vector<std::string> parts = absl::StrSplit(full_method, '/', absl::SkipEmpty());
  std::string service = parts.size() == 2 ? parts[0] : "unknown";
  std::string method = parts.size() == 2 ? parts[1] : full_method;
  handled_.Add({{"grpc_service", service}, {"grpc_method", method}, {"grpc_code", CodeName(grpc_code)}})
      .Increment();
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
  handling_seconds_.Add({{"grpc_service", service}, {"grpc_method", method}}, kBuckets)
      .Observe(seconds);
}

void WriteLogLine(const std::string& json_line) {
  static std::mutex* mutex = new std::mutex;
  std::lock_guard<std::mutex> lock(*mutex);
  std::cerr << json_line << '\n' << std::flush;
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeObservabilityInterceptorFactory(std::string service_name, Metrics& metrics,
                                    const TokenKey& key) {
  return std::make_unique<ObservabilityInterceptorFactory>(std::move(service_name), metrics, key);
}

}  // namespace herstel
