// Bad input against the real service processes: for every RPC of every
// service (enumerated from the compiled-in descriptors), a corpus of
// malformed requests built by reflection (malformed_corpus.h), sent as raw
// bytes with an operator token. Each call must end with a status before its
// deadline, never UNKNOWN and never INTERNAL for a request the protobuf
// parser accepts; an error answer must leave the store unchanged (the
// service's WatchEvents head stays put); and after the corpus the process
// still says SERVING. A table of the codes per service is printed.
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "grpc/health/v1/health.pb.h"
#include "gtest/gtest.h"
#include "harness/service_process.h"
#include "herstel/v1/common.pb.h"
#include "malformed_corpus.h"
#include "raw_call.h"

namespace herstel::robustness {
namespace {

using ::herstel::tools::CallWithBytes;
using ::herstel::tools::RawCallResult;

using google::protobuf::MessageFactory;
using google::protobuf::MethodDescriptor;
using google::protobuf::ServiceDescriptor;
using herstel::testing::ServiceProcess;
using herstel::testing::TestEnvironment;

constexpr std::chrono::milliseconds kCallDeadline(5000);

// One service under test, with a real mandate-service beside it when it
// calls one. Adding a service: one line here and one word in CMakeLists.txt.
struct ServiceUnderTest {
  const char* name;          // also the store folder
  const char* binary;
  const char* grpc_service;  // full name in the descriptor pool
  // Extra flags, given the mandate-service's address ("" when none runs).
  std::vector<std::string> (*flags)(const std::string& mandate_address);
  bool needs_mandate;
};

// Names the parameter in test listings (ctest shows it).
void PrintTo(const ServiceUnderTest& service, std::ostream* out) { *out << service.name; }

std::vector<std::string> NoFlags(const std::string&) { return {}; }
std::vector<std::string> EscalationFlags(const std::string& mandate) {
  return {absl::StrCat("--mandate_address=", mandate), "--mandate_timeout_ms=1000"};
}
// Followers off: the reporting-service's own stream then changes only
// through its own RPCs.
std::vector<std::string> ReportingFlags(const std::string&) {
  return {"--case_address=", "--mandate_address=", "--escalation_address="};
}
#ifdef HERSTEL_CASE_SERVICE_BINARY
std::vector<std::string> CaseFlags(const std::string& mandate) {
  return {absl::StrCat("--mandate_address=", mandate), "--peer_timeout_ms=1000"};
}
#endif

const ServiceUnderTest kServices[] = {
    {"mandate", HERSTEL_MANDATE_SERVICE_BINARY, "herstel.v1.MandateService", NoFlags, false},
    {"escalation", HERSTEL_ESCALATION_SERVICE_BINARY, "herstel.v1.EscalationService", EscalationFlags, true},
    {"reporting", HERSTEL_REPORTING_SERVICE_BINARY, "herstel.v1.ReportingService", ReportingFlags, false},
#ifdef HERSTEL_CASE_SERVICE_BINARY
    {"case", HERSTEL_CASE_SERVICE_BINARY, "herstel.v1.CaseService", CaseFlags, true},
#endif
};

std::string CodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {
      "OK",        "CANCELLED",          "UNKNOWN",           "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
      "NOT_FOUND", "ALREADY_EXISTS",     "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
      "FAILED_PRECONDITION", "ABORTED",  "OUT_OF_RANGE",      "UNIMPLEMENTED",    "INTERNAL",
      "UNAVAILABLE", "DATA_LOSS",        "UNAUTHENTICATED"};
  int index = static_cast<int>(code);
  return index >= 0 && index < 17 ? kNames[index] : absl::StrCat("CODE_", index);
}

// Answers counted by code, per service and per kind of malformed request,
// for the tables printed at the end.
using CodeCounts = std::map<std::string, std::map<std::string, int>>;
CodeCounts& CodesByService() {
  static auto* codes = new CodeCounts();
  return *codes;
}
CodeCounts& CodesByKind() {
  static auto* codes = new CodeCounts();
  return *codes;
}

void PrintTable(const std::string& title, const CodeCounts& counts) {
  std::set<std::string> columns;
  for (const auto& [row, codes] : counts) {
    for (const auto& [code, count] : codes) columns.insert(code);
  }
  auto padded = [](const std::string& text, size_t width) {
    return text.size() >= width ? text : std::string(width - text.size(), ' ') + text;
  };
  std::string header = absl::StrCat(title, std::string(title.size() < 16 ? 16 - title.size() : 0, ' '));
  for (const std::string& code : columns) header += absl::StrCat(" | ", code);
  std::cout << header << "\n";
  for (const auto& [row, codes] : counts) {
    std::string line = row + std::string(row.size() < 16 ? 16 - row.size() : 0, ' ');
    for (const std::string& code : columns) {
      line += absl::StrCat(" | ", padded(absl::StrCat(codes.count(code) ? codes.at(code) : 0), code.size()));
    }
    std::cout << line << "\n";
  }
}

class MalformedRequestTest : public ::testing::TestWithParam<ServiceUnderTest> {
 protected:
  static void TearDownTestSuite() {
    std::cout << "\nMalformed requests: answers by code\n";
    PrintTable("service", CodesByService());
    std::cout << "\n";
    PrintTable("request", CodesByKind());
    std::cout.flush();
  }

  // The events after `after` in the service's stream (sequence order).
  static std::vector<v1::Event> EventsAfter(const ServiceProcess& process, const std::string& service,
                                            int64_t after, const std::string& token) {
    v1::WatchEventsRequest request;
    request.set_after_sequence(after);
    request.set_stop_at_end(true);
    RawCallResult result = CallWithBytes(process.channel(), absl::StrCat("/", service, "/WatchEvents"),
                                         {request.SerializeAsString()}, token, kCallDeadline);
    EXPECT_TRUE(result.status.ok()) << service << " WatchEvents: " << result.status.error_message();
    std::vector<v1::Event> events;
    for (const std::string& bytes : result.responses) {
      events.emplace_back();
      events.back().ParseFromString(bytes);
    }
    return events;
  }

  static bool Serving(const ServiceProcess& process) {
    grpc::health::v1::HealthCheckRequest request;
    RawCallResult result = CallWithBytes(process.channel(), "/grpc.health.v1.Health/Check",
                                         {request.SerializeAsString()}, "", kCallDeadline);
    grpc::health::v1::HealthCheckResponse response;
    return result.status.ok() && result.responses.size() == 1 &&
           response.ParseFromString(result.responses[0]) &&
           response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
  }
};

TEST_P(MalformedRequestTest, EveryRpcAnswersMalformedRequestsPreciselyAndChangesNothing) {
  const ServiceUnderTest& service = GetParam();
  TestEnvironment environment;
  std::unique_ptr<ServiceProcess> mandate;
  std::string mandate_address;
  if (service.needs_mandate) {
    auto started = environment.StartService(HERSTEL_MANDATE_SERVICE_BINARY, "mandate-peer");
    ASSERT_TRUE(started.ok()) << started.status();
    mandate = std::move(*started);
    mandate_address = mandate->address();
  }
  auto started = environment.StartService(service.binary, service.name, service.flags(mandate_address));
  ASSERT_TRUE(started.ok()) << started.status();
  const ServiceProcess& process = **started;
  const std::string token = environment.Token(v1::ROLE_OPERATOR);

  const ServiceDescriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service.grpc_service);
  ASSERT_NE(descriptor, nullptr) << service.grpc_service;

  std::vector<v1::Event> backlog = EventsAfter(process, service.grpc_service, 0, token);
  int64_t head = backlog.empty() ? 0 : backlog.back().sequence();
  std::map<std::string, int>& codes = CodesByService()[service.name];
  int calls = 0;
  bool crashed = false;
  for (int m = 0; m < descriptor->method_count() && !crashed; ++m) {
    const MethodDescriptor* method = descriptor->method(m);
    const std::string path = absl::StrCat("/", descriptor->full_name(), "/", method->name());
    std::unique_ptr<google::protobuf::Message> base(
        MessageFactory::generated_factory()->GetPrototype(method->input_type())->New());
    PrepareBaseRequest(*base);
    for (const MalformedRequest& request : BuildMalformedCorpus(*base)) {
      const std::string what = absl::StrCat(method->name(), " [", request.kind, "] ", request.label);
      RawCallResult result = CallWithBytes(process.channel(), path, {request.bytes}, token, kCallDeadline);
      ++calls;
      grpc::StatusCode code = result.status.error_code();
      ++codes[CodeName(code)];
      ++CodesByKind()[request.kind][CodeName(code)];
      // Worth a look, though no broken promise: an answer the caller could
      // not read (RESOURCE_EXHAUSTED: the error echoed too much), or a huge
      // string accepted.
      if (code == grpc::StatusCode::RESOURCE_EXHAUSTED ||
          (code == grpc::StatusCode::OK && request.kind == "huge string")) {
        std::cout << "  note: " << service.name << " " << what << " -> " << CodeName(code) << " "
                  << result.status.error_message().substr(0, 120) << "\n";
      }
      EXPECT_NE(code, grpc::StatusCode::UNKNOWN) << what << ": " << result.status.error_message();
      EXPECT_NE(code, grpc::StatusCode::DEADLINE_EXCEEDED) << what << " did not answer in time";
      // gRPC answers INTERNAL itself when it cannot parse the request
      // (garbage, invalid UTF-8); from a service it means a bug.
      if (request.parseable) {
        EXPECT_NE(code, grpc::StatusCode::INTERNAL) << what << ": " << result.status.error_message();
      }
      if (code == grpc::StatusCode::UNAVAILABLE && !Serving(process)) {
        const std::string log = process.ReadLog();
        ADD_FAILURE() << service.name << " stopped answering after " << what << ": "
                      << result.status.error_message() << "\nlog tail:\n"
                      << log.substr(log.size() > 4000 ? log.size() - 4000 : 0);
        crashed = true;
        break;
      }
      std::vector<v1::Event> appended = EventsAfter(process, service.grpc_service, head, token);
      if (!appended.empty()) {
        if (!result.status.ok()) {
          std::vector<std::string> types;
          for (const v1::Event& event : appended) types.push_back(absl::StrCat(event.type(), " ", event.resource()));
          ADD_FAILURE() << what << " answered " << CodeName(code) << " yet the store changed: "
                        << absl::StrJoin(types, ", ");
        }
        head = appended.back().sequence();
      }
    }
  }
  EXPECT_TRUE(crashed || Serving(process)) << service.name << " is not SERVING after the corpus";
  std::cout << service.name << ": " << calls << " malformed calls over " << descriptor->method_count()
            << " RPCs; call log " << process.ReadLog().size() / 1024 << " KiB\n";
}

INSTANTIATE_TEST_SUITE_P(EveryService, MalformedRequestTest, ::testing::ValuesIn(kServices),
                         [](const ::testing::TestParamInfo<ServiceUnderTest>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace herstel::robustness
