// The four services as real processes: health, reflection, identity,
// unimplemented RPCs, event streams, metrics, the call log, SIGTERM draining
// and the herstelctl CLI.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/service_process.h"
#include "herstel/errors.h"
#include "herstel/status_matchers.h"
#include "json_call.h"

namespace herstel::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using tools::CallWithJson;
using tools::JsonCallResult;

struct ServiceBinary {
  const char* name;
  const char* path;
  const char* grpc_service;
};

const ServiceBinary kServices[] = {
    {"case", HERSTEL_CASE_SERVICE_BINARY, "herstel.v1.CaseService"},
    {"mandate", HERSTEL_MANDATE_SERVICE_BINARY, "herstel.v1.MandateService"},
    {"escalation", HERSTEL_ESCALATION_SERVICE_BINARY, "herstel.v1.EscalationService"},
    {"reporting", HERSTEL_REPORTING_SERVICE_BINARY, "herstel.v1.ReportingService"},
};

class SuiteTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    environment_ = new TestEnvironment();
    for (const ServiceBinary& service : kServices) {
      absl::StatusOr<std::unique_ptr<ServiceProcess>> process =
          environment_->StartService(service.path, service.name);
      ASSERT_TRUE(process.ok()) << process.status();
      processes_.push_back(std::move(*process));
    }
  }
  static void TearDownTestSuite() {
    processes_.clear();
    delete environment_;
  }

  static JsonCallResult Call(const ServiceProcess& process, const std::string& method,
                             const std::string& json, const std::string& token) {
    absl::StatusOr<JsonCallResult> result =
        CallWithJson(process.channel(), method, json, token, absl::Seconds(10));
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : JsonCallResult{};
  }

  static std::string OperatorToken() { return environment_->Token(v1::ROLE_OPERATOR); }

  static TestEnvironment* environment_;
  static std::vector<std::unique_ptr<ServiceProcess>> processes_;
};

TestEnvironment* SuiteTest::environment_ = nullptr;
std::vector<std::unique_ptr<ServiceProcess>> SuiteTest::processes_;

TEST_F(SuiteTest, EveryServiceReportsServingForItselfAndOverall) {
  for (size_t i = 0; i < processes_.size(); ++i) {
    for (std::string name : {std::string(""), std::string(kServices[i].grpc_service)}) {
      JsonCallResult result = Call(*processes_[i], "grpc.health.v1.Health/Check",
                                   absl::StrCat("{\"service\": \"", name, "\"}"), "");
      EXPECT_THAT(result.status, IsOk()) << kServices[i].name;
      ASSERT_EQ(result.responses_json.size(), 1u);
      EXPECT_THAT(result.responses_json[0], HasSubstr("SERVING"));
    }
  }
}

TEST_F(SuiteTest, ReflectionListsTheServiceAndDescribesHealth) {
  for (size_t i = 0; i < processes_.size(); ++i) {
    JsonCallResult listed =
        Call(*processes_[i], "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
             R"([{"list_services": ""}, {"file_containing_symbol": "grpc.health.v1.Health"}])", "");
    ASSERT_THAT(listed.status, IsOk());
    ASSERT_EQ(listed.responses_json.size(), 2u);
    EXPECT_THAT(listed.responses_json[0], HasSubstr(kServices[i].grpc_service));
    EXPECT_THAT(listed.responses_json[0], HasSubstr("grpc.health.v1.Health"));
    EXPECT_THAT(listed.responses_json[1], HasSubstr("file_descriptor_response"));
    EXPECT_THAT(listed.responses_json[1], Not(HasSubstr("error_response")));
  }
}

TEST_F(SuiteTest, CallsWithoutAValidTokenAreUnauthenticated) {
  TokenKey other = *TokenKey::FromSecret("a-different-key-that-is-long-enough-0123");
  Caller expired;
  expired.subject = "u-1";
  expired.role = v1::ROLE_OPERATOR;
  expired.expires = absl::Now() - absl::Minutes(1);
  struct Case {
    std::string token;
    std::string why;
  };
  const Case cases[] = {
      {"", "no authorization metadata"},
      {"not-a-token", "v1.<payload>.<signature>"},
      {other.Mint(expired), "signature does not match"},
      {environment_->key().Mint(expired), "expired"},
  };
  for (size_t i = 0; i < processes_.size(); ++i) {
    for (const Case& each : cases) {
      JsonCallResult result =
          Call(*processes_[i], absl::StrCat(kServices[i].grpc_service, "/WatchEvents"),
               R"({"stop_at_end": true})", each.token);
      EXPECT_THAT(result.status, StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr(each.why)))
          << kServices[i].name;
      EXPECT_EQ(GetErrorDetail(result.status)->domain(), absl::StrCat(kServices[i].name, "-service"));
    }
  }
}

TEST_F(SuiteTest, EventStreamsServeAuthorisedRolesOnly) {
  for (size_t i = 0; i < processes_.size(); ++i) {
    std::string method = absl::StrCat(kServices[i].grpc_service, "/WatchEvents");
    JsonCallResult allowed = Call(*processes_[i], method, R"({"stop_at_end": true})", OperatorToken());
    EXPECT_THAT(allowed.status, IsOk());
    JsonCallResult refused = Call(*processes_[i], method, R"({"stop_at_end": true})",
                                  environment_->Token(v1::ROLE_PUBLIC));
    EXPECT_THAT(refused.status, StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("public")));
    JsonCallResult negative =
        Call(*processes_[i], method, R"({"after_sequence": -1})", OperatorToken());
    EXPECT_THAT(negative.status,
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("after_sequence")));
  }
}

TEST_F(SuiteTest, AServiceThisProcessDoesNotServeAnswersUnimplemented) {
  JsonCallResult result = Call(*processes_[0], "herstel.v1.MandateService/GetMandate",
                               R"({"name": "mandates/m-1"})", OperatorToken());
  EXPECT_THAT(result.status, StatusIs(absl::StatusCode::kUnimplemented));
  EXPECT_THAT(result.responses_json, IsEmpty());
}

TEST_F(SuiteTest, EveryCallIsLoggedAsOneJsonLineWithoutTheToken) {
  std::string token = OperatorToken();
  Call(*processes_[1], "herstel.v1.MandateService/WatchEvents", R"({"stop_at_end": true})", token);
  std::string log;
  for (int attempt = 0; attempt < 50; ++attempt) {
    log = processes_[1]->ReadLog();
    if (log.find("\"method\":\"/herstel.v1.MandateService/WatchEvents\"") != std::string::npos) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_THAT(log, HasSubstr("\"method\":\"/herstel.v1.MandateService/WatchEvents\""));
  EXPECT_THAT(log, HasSubstr("\"code\":\"OK\""));
  EXPECT_THAT(log, HasSubstr("\"caller\":\"test-user\""));
  EXPECT_THAT(log, HasSubstr("\"latency_ms\""));
  EXPECT_THAT(log, Not(HasSubstr(token)));
}

std::string HttpGet(int port, const std::string& path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return "";
  }
  std::string request = absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: localhost\r\n\r\n");
  ::send(fd, request.data(), request.size(), 0);
  std::string response;
  char buffer[4096];
  ssize_t got;
  while ((got = ::recv(fd, buffer, sizeof(buffer), 0)) > 0) response.append(buffer, got);
  close(fd);
  return response;
}

TEST(ServiceLifecycleTest, MetricsCountCallsByServiceMethodAndCode) {
  TestEnvironment environment;
  int metrics_port = PickFreePort();
  auto process = environment.StartService(HERSTEL_ESCALATION_SERVICE_BINARY, "escalation",
                                          {absl::StrCat("--metrics_listen=127.0.0.1:", metrics_port)});
  ASSERT_TRUE(process.ok()) << process.status();
  auto result = CallWithJson((*process)->channel(), "herstel.v1.EscalationService/WatchEvents",
                             R"({"stop_at_end": true})", "", absl::Seconds(5));
  ASSERT_TRUE(result.ok());
  std::string metrics = HttpGet(metrics_port, "/metrics");
  EXPECT_THAT(metrics, HasSubstr("grpc_server_handled_total{"));
  EXPECT_THAT(metrics, HasSubstr("grpc_code=\"UNAUTHENTICATED\""));
  EXPECT_THAT(metrics, HasSubstr("grpc_method=\"WatchEvents\""));
  EXPECT_THAT(metrics, HasSubstr("grpc_service=\"herstel.v1.EscalationService\""));
  EXPECT_THAT(metrics, HasSubstr("grpc_server_handling_seconds_bucket"));
}

TEST(ServiceLifecycleTest, SigtermEndsStreamsCleanlyAndExitsZeroWithinFiveSeconds) {
  TestEnvironment environment;
  auto process = environment.StartService(HERSTEL_CASE_SERVICE_BINARY, "case");
  ASSERT_TRUE(process.ok()) << process.status();
  std::string token = environment.Token(v1::ROLE_SERVICE);
  absl::StatusOr<JsonCallResult> in_flight;
  std::thread watcher([&] {
    in_flight = CallWithJson((*process)->channel(), "herstel.v1.CaseService/WatchEvents",
                             R"({"after_sequence": 0})", token, absl::Seconds(30));
  });
  absl::SleepFor(absl::Milliseconds(300));  // let the stream open
  absl::Time sent = absl::Now();
  absl::StatusOr<int> exit_code = (*process)->Terminate(absl::Seconds(5));
  absl::Duration took = absl::Now() - sent;
  watcher.join();
  ASSERT_TRUE(exit_code.ok()) << exit_code.status();
  EXPECT_EQ(*exit_code, 0);
  EXPECT_LT(took, absl::Seconds(5));
  ASSERT_TRUE(in_flight.ok());
  // The stream was told to reconnect elsewhere, not cut off.
  EXPECT_THAT(in_flight->status, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("shutting down")));
  std::string log = (*process)->ReadLog();
  EXPECT_THAT(log, HasSubstr("\"event\":\"draining\""));
  EXPECT_THAT(log, HasSubstr("\"event\":\"stopped\""));
}

TEST(ServiceLifecycleTest, RefusesToStartWithoutAKey) {
  TestEnvironment environment;
  ServiceProcess::Options options{HERSTEL_MANDATE_SERVICE_BINARY,
                                  environment.directory() + "/mandate",
                                  environment.directory() + "/missing.key", {}, ""};
  auto process = ServiceProcess::Start(options);
  EXPECT_THAT(process, StatusIs(absl::StatusCode::kInternal, HasSubstr("cannot read token key")));
}

// Runs herstelctl with `arguments`; returns its exit code and fills `output`.
int RunCli(const std::string& arguments, std::string& output) {
  std::string command = absl::StrCat(HERSTELCTL_BINARY, " ", arguments, " 2>&1");
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[4096];
  size_t got;
  output.clear();
  while ((got = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, got);
  int status = pclose(pipe);
  return WEXITSTATUS(status);
}

TEST_F(SuiteTest, HerstelctlReachesEveryServiceAndReportsErrors) {
  std::string output;
  ASSERT_EQ(RunCli(absl::StrCat("mint-token --key_file=", environment_->key_file(),
                                " --subject=ops-1 --role=operator"),
                   output),
            0)
      << output;
  std::string token(output.substr(0, output.find('\n')));
  for (size_t i = 0; i < processes_.size(); ++i) {
    const std::string& address = processes_[i]->address();
    EXPECT_EQ(RunCli(absl::StrCat("health ", address), output), 0) << output;
    EXPECT_THAT(output, HasSubstr("SERVING"));
    EXPECT_EQ(RunCli(absl::StrCat("--token=", token, " call ", address, " ",
                                  kServices[i].grpc_service,
                                  "/WatchEvents '{\"stop_at_end\": true}'"),
                     output),
              0)
        << output;
    EXPECT_EQ(RunCli(absl::StrCat("call ", address, " ", kServices[i].grpc_service,
                                  "/WatchEvents '{\"stop_at_end\": true}'"),
                     output),
              1);
    EXPECT_THAT(output, HasSubstr("UNAUTHENTICATED"));
    EXPECT_THAT(output, HasSubstr("\"domain\""));
  }
  EXPECT_EQ(RunCli("call 127.0.0.1:1 herstel.v1.CaseService/NoSuchMethod '{}'", output), 2);
  EXPECT_THAT(output, HasSubstr("has no method 'NoSuchMethod'"));
  EXPECT_EQ(RunCli(absl::StrCat("call ", processes_[0]->address(),
                                " herstel.v1.CaseService/WatchEvents '{\"no_such_field\": 1}'"),
                   output),
            2);
  EXPECT_THAT(output, HasSubstr("does not fit herstel.v1.WatchEventsRequest"));
  EXPECT_EQ(RunCli("services", output), 0);
  EXPECT_THAT(output, HasSubstr("herstel.v1.ReportingService"));
}

}  // namespace
}  // namespace herstel::testing
