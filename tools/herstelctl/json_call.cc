#include "json_call.h"

#include "raw_call.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "herstel/errors.h"
#include "nlohmann/json.hpp"

namespace herstel::tools {
namespace {

using google::protobuf::DescriptorPool;
using google::protobuf::DynamicMessageFactory;
using google::protobuf::Message;
using google::protobuf::MethodDescriptor;

// The well-known service names this tool can describe (the Herstel API and
// the standard gRPC services every Herstel server offers).
const char* const kServiceNames[] = {
    "herstel.v1.CaseService",       "herstel.v1.MandateService",
    "herstel.v1.EscalationService", "herstel.v1.ReportingService",
    "grpc.health.v1.Health",        "grpc.reflection.v1alpha.ServerReflection"};

absl::StatusOr<const MethodDescriptor*> FindMethod(const std::string& method) {
  std::string name = method;
  if (absl::StartsWith(name, "/")) name = name.substr(1);
  std::vector<std::string> parts = absl::StrSplit(name, '/');
  if (parts.size() != 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "method '", method, "' must be written as package.Service/Method, e.g. "
                            "herstel.v1.CaseService/GetCase"));
  }
  const auto* service = DescriptorPool::generated_pool()->FindServiceByName(parts[0]);
  if (service == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown service '", parts[0], "'; `herstelctl services` lists them"));
  }
  const MethodDescriptor* descriptor = service->FindMethodByName(parts[1]);
  if (descriptor == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("service ", parts[0], " has no method '",
                                                   parts[1], "'"));
  }
  return descriptor;
}

}  // namespace

std::vector<std::string> DescribeKnownServices() {
  std::vector<std::string> lines;
  for (const char* name : kServiceNames) {
    const auto* service = DescriptorPool::generated_pool()->FindServiceByName(name);
    if (service == nullptr) continue;
    lines.push_back(service->full_name());
    for (int i = 0; i < service->method_count(); ++i) {
      const MethodDescriptor* method = service->method(i);
      std::string kind = method->client_streaming() && method->server_streaming() ? " (bidi stream)"
                         : method->client_streaming()                               ? " (client stream)"
                         : method->server_streaming()                               ? " (server stream)"
                                                                                    : "";
      lines.push_back(absl::StrCat("  ", method->name(), "(", method->input_type()->name(),
                                   ") -> ", method->output_type()->name(), kind));
    }
  }
  return lines;
}

absl::StatusOr<JsonCallResult> CallWithJson(const std::shared_ptr<grpc::Channel>& channel,
                                            const std::string& method,
                                            const std::string& requests_json,
                                            const std::string& bearer_token,
                                            std::optional<absl::Duration> timeout) {
  absl::StatusOr<const MethodDescriptor*> found = FindMethod(method);
  if (!found.ok()) return found.status();
  const MethodDescriptor* descriptor = *found;
  DynamicMessageFactory factory(DescriptorPool::generated_pool());
  const Message* request_prototype = factory.GetPrototype(descriptor->input_type());
  const Message* response_prototype = factory.GetPrototype(descriptor->output_type());

  nlohmann::json parsed = nlohmann::json::parse(requests_json, nullptr, false);
  if (parsed.is_discarded()) {
    return absl::InvalidArgumentError("request is not valid JSON");
  }
  std::vector<std::string> request_documents;
  if (parsed.is_array() && descriptor->client_streaming()) {
    for (const auto& element : parsed) request_documents.push_back(element.dump());
  } else {
    request_documents.push_back(parsed.dump());
  }
  std::vector<std::string> serialized_requests;
  for (const std::string& document : request_documents) {
    std::unique_ptr<Message> request(request_prototype->New());
    auto converted = google::protobuf::util::JsonStringToMessage(document, request.get());
    if (!converted.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("request does not fit ",
                                                     descriptor->input_type()->full_name(), ": ",
                                                     converted.message().ToString()));
    }
    serialized_requests.push_back(request->SerializeAsString());
  }

  std::string path = absl::StrCat("/", descriptor->service()->full_name(), "/", descriptor->name());
  std::optional<std::chrono::milliseconds> deadline;
  if (timeout.has_value()) deadline = absl::ToChronoMilliseconds(*timeout);
  RawCallResult raw = CallWithBytes(channel, path, serialized_requests, bearer_token, deadline);

  JsonCallResult result;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  for (const std::string& bytes : raw.responses) {
    std::unique_ptr<Message> response(response_prototype->New());
    response->ParseFromString(bytes);
    std::string json;
    auto printed = google::protobuf::util::MessageToJsonString(*response, &json, options);
    if (!printed.ok()) json = absl::StrCat("{\"unprintable\": \"", printed.message().ToString(), "\"}");
    result.responses_json.push_back(json);
  }
  result.status = FromGrpcStatus(raw.status);
  return result;
}

std::string ErrorDetailJson(const absl::Status& status) {
  std::optional<v1::ErrorDetail> detail = GetErrorDetail(status);
  if (!detail.has_value()) return "";
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(*detail, &json, options).ok()) return "";
  return json;
}

}  // namespace herstel::tools
