#include "service_fuzzer.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "fuzz_input.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/stubs/logging.h"
#include "grpc/support/log.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "herstel/event_notifier.h"
#include "raw_call.h"

namespace herstel::robustness {
namespace {

using ::herstel::tools::CallWithBytes;
using ::herstel::tools::RawCallResult;

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::MessageFactory;
using google::protobuf::MethodDescriptor;

constexpr std::chrono::milliseconds kCallDeadline(5000);
constexpr char kFuzzKey[] = "herstel-fuzzing-key-0123456789-abcdef";

[[noreturn]] void Finding(const std::string& what) {
  std::fprintf(stderr, "\n==herstel finding== %s\n", what.c_str());
  std::fflush(stderr);
  abort();
}

class ServiceFuzzer {
 public:
  ServiceFuzzer(const std::string& grpc_service, const MigrationSet& migrations,
                const ServiceFactory& factory) {
    // Parse failures of invalid UTF-8 are expected by the thousand.
    google::protobuf::SetLogHandler(nullptr);
    gpr_set_log_verbosity(GPR_LOG_SEVERITY_ERROR);
    const char* temporary = getenv("TMPDIR");
    std::string pattern = absl::StrCat(temporary != nullptr ? temporary : "/tmp", "/herstel-fuzz-XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) Finding("cannot create a temporary folder");
    directory_ = pattern;
    // libFuzzer ends with exit(); the store's folder goes with the process.
    static std::string* removed_at_exit = new std::string(directory_);
    atexit([] {
      std::string command = absl::StrCat("rm -rf '", *removed_at_exit, "'");
      if (std::system(command.c_str()) != 0) std::fprintf(stderr, "could not remove %s\n", removed_at_exit->c_str());
    });
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(directory_ + "/store.db", migrations);
    if (!store.ok()) Finding(absl::StrCat("cannot open the store: ", store.status().ToString()));
    store_ = std::move(*store);
    key_ = std::make_unique<TokenKey>(*TokenKey::FromSecret(kFuzzKey));
    services_ = factory(*store_, *key_);
    grpc::ServerBuilder builder;
    for (const auto& service : services_) builder.RegisterService(service.get());
    // A loopback port rather than server_->InProcessChannel(): Debian's gRPC
    // 1.51 in-process transport keeps ~30 KB per call, which ends a long run
    // out of memory.
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    server_ = builder.BuildAndStart();
    if (server_ == nullptr || port == 0) Finding("the server did not start");
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());

    service_ = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(grpc_service);
    if (service_ == nullptr) Finding(absl::StrCat("unknown service ", grpc_service));
    tokens_.push_back("");
    for (int role = 1; role < kFuzzRoleCount; ++role) {
      Caller caller;
      caller.subject = absl::StrCat("fuzz-", role);
      caller.organisation = "NCG";
      caller.role = static_cast<v1::Role>(role);
      // Half the roles see every municipality, half only Eemsdelta.
      caller.municipalities = {role % 2 == 0 ? "*" : "municipalities/eemsdelta"};
      caller.expires = absl::Now() + absl::Hours(24 * 365);
      tokens_.push_back(key_->Mint(caller));
    }
  }

  void Run(const uint8_t* data, size_t size) {
    if (size < kFuzzHeaderBytes) return;
    const MethodDescriptor* method = service_->method(data[0] % service_->method_count());
    const std::string& token = tokens_[data[1] % kFuzzRoleCount];
    bool forge_page_token = (data[2] & kFuzzForgePageToken) != 0;
    std::string request(reinterpret_cast<const char*>(data) + kFuzzHeaderBytes, size - kFuzzHeaderBytes);
    const std::string path = absl::StrCat("/", service_->full_name(), "/", method->name());

    if (forge_page_token) request = WithForgedPageToken(*method, path, token, request);
    const Message* prototype = MessageFactory::generated_factory()->GetPrototype(method->input_type());
    std::unique_ptr<Message> parsed(prototype->New());
    bool parseable = parsed->ParseFromString(request);
    // A stream that would follow live events is told to stop at the end
    // (a request that does not parse is refused before it could follow).
    const FieldDescriptor* stop = method->input_type()->FindFieldByName("stop_at_end");
    if (method->server_streaming() && stop != nullptr && parseable &&
        stop->cpp_type() == FieldDescriptor::CPPTYPE_BOOL && !stop->is_repeated()) {
      parsed->GetReflection()->SetBool(parsed.get(), stop, true);
      request = parsed->SerializeAsString();
    }

    int64_t head_before = store_->notifier().latest_sequence();
    RawCallResult result = CallWithBytes(channel_, path, {request}, token, kCallDeadline);
    int64_t head_after = store_->notifier().latest_sequence();
    const grpc::Status& status = result.status;
    std::string what = absl::StrCat(method->full_name(), " answered ", status.error_code(), " (",
                                    status.error_message(), ")");
    if (status.error_code() == grpc::StatusCode::UNKNOWN) Finding(what);
    if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) Finding(what + ": no answer in time");
    if (status.error_code() == grpc::StatusCode::INTERNAL && parseable) {
      Finding(what + " to a request the parser accepts");
    }
    if (!status.ok() && head_after != head_before) {
      Finding(absl::StrCat(what, " yet appended events ", head_before + 1, "..", head_after));
    }
  }

 private:
  // `request` with its page_token replaced by one bound to the request's own
  // query (digest from a real first page) followed by the fuzzed bytes.
  std::string WithForgedPageToken(const MethodDescriptor& method, const std::string& path,
                                  const std::string& token, const std::string& request) {
    const FieldDescriptor* page_token = method.input_type()->FindFieldByName("page_token");
    const FieldDescriptor* page_size = method.input_type()->FindFieldByName("page_size");
    const FieldDescriptor* next_page_token = method.output_type()->FindFieldByName("next_page_token");
    if (page_token == nullptr || next_page_token == nullptr ||
        page_token->type() != FieldDescriptor::TYPE_STRING || page_token->is_repeated()) {
      return request;
    }
    const Message* prototype = MessageFactory::generated_factory()->GetPrototype(method.input_type());
    std::unique_ptr<Message> asked(prototype->New());
    if (!asked->ParseFromString(request)) return request;
    std::string fuzzed_key = asked->GetReflection()->GetString(*asked, page_token);
    std::unique_ptr<Message> first(asked->New());
    first->CopyFrom(*asked);
    first->GetReflection()->ClearField(first.get(), page_token);
    if (page_size != nullptr && page_size->cpp_type() == FieldDescriptor::CPPTYPE_INT32) {
      first->GetReflection()->SetInt32(first.get(), page_size, 1);
    }
    RawCallResult page = CallWithBytes(channel_, path, {first->SerializeAsString()}, token, kCallDeadline);
    if (!page.status.ok() || page.responses.size() != 1) return request;
    std::unique_ptr<Message> answer(
        MessageFactory::generated_factory()->GetPrototype(method.output_type())->New());
    if (!answer->ParseFromString(page.responses[0])) return request;
    std::string issued;
    if (!absl::WebSafeBase64Unescape(answer->GetReflection()->GetString(*answer, next_page_token), &issued) ||
        issued.size() < 8) {
      return request;
    }
    asked->GetReflection()->SetString(asked.get(), page_token,
                                      absl::WebSafeBase64Escape(issued.substr(0, 8) + fuzzed_key));
    return asked->SerializeAsString();
  }

  std::string directory_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<TokenKey> key_;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  const google::protobuf::ServiceDescriptor* service_ = nullptr;
  std::vector<std::string> tokens_;
};

}  // namespace

int FuzzServiceOnce(const std::string& grpc_service, const MigrationSet& migrations,
                    const ServiceFactory& factory, const uint8_t* data, size_t size) {
  // Never destroyed: libFuzzer ends the process with exit().
  static ServiceFuzzer* fuzzer = new ServiceFuzzer(grpc_service, migrations, factory);
  fuzzer->Run(data, size);
  return 0;
}

}  // namespace herstel::robustness
