// herstelctl: the operators' and scripts' command line for the Herstel suite.
//
//   herstelctl call ADDRESS package.Service/Method 'JSON'   any RPC, JSON in and out
//   herstelctl watch ADDRESS package.Service [--after=N]      follow an event stream
//   herstelctl health ADDRESS [package.Service]              grpc.health.v1 check
//   herstelctl services                                      every service and method
//   herstelctl mint-token --subject=... --role=...           a development token
//
// ADDRESS may be left out when HERSTEL_ADDRESS is set; the token comes from
// --token or HERSTEL_TOKEN. Exit code: 0 success, 1 the call failed, 2 usage.
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "herstel/identity.h"
#include "json_call.h"

ABSL_FLAG(std::string, token, "", "bearer token (default: $HERSTEL_TOKEN)");
ABSL_FLAG(int, timeout_ms, 10000, "deadline of a call in milliseconds; 0 waits forever");
ABSL_FLAG(int64_t, after, 0, "watch: stream events after this sequence");
ABSL_FLAG(bool, follow, false, "watch: keep waiting for new events instead of stopping at the end");
ABSL_FLAG(std::string, key_file, "data/token.key", "mint-token: the suite's signing key file");
ABSL_FLAG(std::string, subject, "", "mint-token: pseudonymous id of the caller");
ABSL_FLAG(std::string, role, "", "mint-token: role, e.g. operator, ncg_resident_case_manager");
ABSL_FLAG(std::string, organisation, "", "mint-token: organisation, e.g. NCG");
ABSL_FLAG(std::string, municipalities, "*",
          "mint-token: comma-separated municipality scope, e.g. municipalities/eemsdelta; * for all");
ABSL_FLAG(int, ttl_hours, 12, "mint-token: hours until the token expires");

namespace {

constexpr int kCallFailed = 1;
constexpr int kUsage = 2;

int Usage(const std::string& problem) {
  std::cerr << "herstelctl: " << problem << "\n"
            << "usage:\n"
               "  herstelctl call [ADDRESS] package.Service/Method 'JSON'\n"
               "  herstelctl watch [ADDRESS] package.Service [--after=N] [--follow]\n"
               "  herstelctl health [ADDRESS] [package.Service]\n"
               "  herstelctl services\n"
               "  herstelctl mint-token --subject=ID --role=ROLE [--organisation=ORG]\n"
               "                        [--municipalities=LIST] [--ttl_hours=N] [--key_file=F]\n"
               "ADDRESS defaults to $HERSTEL_ADDRESS; the token to --token or $HERSTEL_TOKEN.\n";
  return kUsage;
}

std::string FromEnvironment(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

// Takes ADDRESS from the arguments when `arguments` has more than `needed`
// entries after the sub-command, else from HERSTEL_ADDRESS.
std::optional<std::string> TakeAddress(std::vector<std::string>& arguments, size_t needed) {
  if (arguments.size() > needed) {
    std::string address = arguments.front();
    arguments.erase(arguments.begin());
    return address;
  }
  std::string address = FromEnvironment("HERSTEL_ADDRESS");
  if (address.empty()) return std::nullopt;
  return address;
}

std::string Token() {
  std::string token = absl::GetFlag(FLAGS_token);
  return token.empty() ? FromEnvironment("HERSTEL_TOKEN") : token;
}

std::optional<absl::Duration> Timeout() {
  int timeout_ms = absl::GetFlag(FLAGS_timeout_ms);
  if (timeout_ms <= 0) return std::nullopt;
  return absl::Milliseconds(timeout_ms);
}

int Call(const std::string& address, const std::string& method, const std::string& json,
         std::optional<absl::Duration> timeout) {
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  absl::StatusOr<herstel::tools::JsonCallResult> result =
      herstel::tools::CallWithJson(channel, method, json, Token(), timeout);
  if (!result.ok()) return Usage(std::string(result.status().message()));
  for (const std::string& response : result->responses_json) std::cout << response << std::endl;
  if (result->status.ok()) return 0;
  std::cerr << "error: " << absl::StatusCodeToString(result->status.code()) << ": "
            << result->status.message() << "\n";
  std::string detail = herstel::tools::ErrorDetailJson(result->status);
  if (!detail.empty()) std::cerr << detail << std::endl;
  return kCallFailed;
}

int MintToken() {
  absl::StatusOr<herstel::TokenKey> key = herstel::TokenKey::FromFile(absl::GetFlag(FLAGS_key_file));
  if (!key.ok()) return Usage(std::string(key.status().message()));
  if (absl::GetFlag(FLAGS_subject).empty()) return Usage("mint-token needs --subject");
  absl::StatusOr<herstel::v1::Role> role = herstel::ParseRole(absl::GetFlag(FLAGS_role));
  if (!role.ok()) return Usage(std::string(role.status().message()));
  herstel::Caller caller;
  caller.subject = absl::GetFlag(FLAGS_subject);
  caller.organisation = absl::GetFlag(FLAGS_organisation);
  caller.role = *role;
  caller.municipalities =
      absl::StrSplit(absl::GetFlag(FLAGS_municipalities), ',', absl::SkipWhitespace());
  caller.expires = absl::Now() + absl::Hours(absl::GetFlag(FLAGS_ttl_hours));
  std::cout << key->Mint(caller) << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("herstelctl: command line for the Herstel suite");
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  std::vector<std::string> arguments(positional.begin() + 1, positional.end());
  if (arguments.empty()) return Usage("missing sub-command");
  std::string command = arguments.front();
  arguments.erase(arguments.begin());

  if (command == "services") {
    for (const std::string& line : herstel::tools::DescribeKnownServices()) std::cout << line << "\n";
    return 0;
  }
  if (command == "mint-token") return MintToken();
  if (command == "call") {
    std::optional<std::string> address = TakeAddress(arguments, 2);
    if (!address.has_value() || arguments.size() != 2) {
      return Usage("call needs ADDRESS (or $HERSTEL_ADDRESS), METHOD and JSON");
    }
    return Call(*address, arguments[0], arguments[1], Timeout());
  }
  if (command == "watch") {
    std::optional<std::string> address = TakeAddress(arguments, 1);
    if (!address.has_value() || arguments.size() != 1) {
      return Usage("watch needs ADDRESS (or $HERSTEL_ADDRESS) and a service name");
    }
    std::string request = absl::StrCat("{\"after_sequence\": ", absl::GetFlag(FLAGS_after),
                                       ", \"stop_at_end\": ",
                                       absl::GetFlag(FLAGS_follow) ? "false" : "true", "}");
    return Call(*address, arguments[0] + "/WatchEvents", request,
                absl::GetFlag(FLAGS_follow) ? std::nullopt : Timeout());
  }
  if (command == "health") {
    // One argument is the address when it has a port, else a service name.
    bool names_address = !arguments.empty() && absl::StrContains(arguments.front(), ":");
    std::optional<std::string> address = TakeAddress(arguments, names_address ? 0 : 1);
    if (!address.has_value() || arguments.size() > 1) {
      return Usage("health needs ADDRESS (or $HERSTEL_ADDRESS) and optionally a service name");
    }
    std::string service = arguments.empty() ? "" : arguments[0];
    return Call(*address, "grpc.health.v1.Health/Check",
                absl::StrCat("{\"service\": \"", service, "\"}"), Timeout());
  }
  return Usage(absl::StrCat("unknown sub-command '", command, "'"));
}
