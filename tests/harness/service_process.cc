#include "harness/service_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace herstel::testing {
namespace {

constexpr absl::Duration kStartTimeout = absl::Seconds(30);

bool IsServing(const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Milliseconds(500)));
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  return stub->Check(&context, request, &response).ok() &&
         response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
}

// True once something accepts TCP connections on 127.0.0.1:`port`.
bool Accepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  bool accepted = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return accepted;
}

}  // namespace

int PickFreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  int port = ntohs(address.sin_port);
  close(fd);
  return port;
}

absl::StatusOr<std::unique_ptr<ServiceProcess>> ServiceProcess::Start(const Options& options) {
  std::unique_ptr<ServiceProcess> process(new ServiceProcess());
  process->port_ = PickFreePort();
  process->address_ = absl::StrCat("127.0.0.1:", process->port_);
  std::filesystem::create_directories(options.data_directory);
  process->log_path_ = options.data_directory + "/service.log";
  process->store_ =
      options.store.empty() ? options.data_directory + "/store.db" : options.store;
  process->arguments_ = {
      options.binary,
      "--listen=" + process->address_,
      "--store=" + process->store_,
      "--token_key_file=" + options.key_file,
  };
  process->arguments_.insert(process->arguments_.end(), options.extra_flags.begin(),
                             options.extra_flags.end());
  if (absl::Status launched = process->Launch(); !launched.ok()) return launched;
  if (absl::Status serving = process->AwaitServing(); !serving.ok()) return serving;
  return process;
}

absl::Status ServiceProcess::Restart() {
  if (pid_ >= 0) return absl::FailedPreconditionError("the process still runs; stop it first");
  if (absl::Status launched = Launch(); !launched.ok()) return launched;
  return AwaitServing();
}

absl::Status ServiceProcess::Launch() {
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    int log = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(log, STDOUT_FILENO);
    dup2(log, STDERR_FILENO);
    std::vector<char*> argv;
    for (std::string& argument : arguments_) argv.push_back(argument.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  pid_ = pid;
  return absl::OkStatus();
}

absl::Status ServiceProcess::AwaitServing() {
  absl::Time give_up = absl::Now() + kStartTimeout;
  while (absl::Now() < give_up) {
    int wait_status = 0;
    if (waitpid(pid_, &wait_status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::InternalError(absl::StrCat(arguments_[0], " exited during start: ", ReadLog()));
    }
    // A fresh channel per try: one that failed to connect waits out a backoff.
    if (Accepts(port_)) {
      channel_ = grpc::CreateChannel(address_, grpc::InsecureChannelCredentials());
      if (IsServing(channel_)) return absl::OkStatus();
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  return absl::DeadlineExceededError(
      absl::StrCat(arguments_[0], " did not report SERVING: ", ReadLog()));
}

ServiceProcess::~ServiceProcess() { Kill(); }

absl::StatusOr<int> ServiceProcess::Terminate(absl::Duration timeout) {
  if (pid_ < 0) return absl::FailedPreconditionError("process is not running");
  kill(pid_, SIGTERM);
  absl::Time give_up = absl::Now() + timeout;
  while (absl::Now() < give_up) {
    int wait_status = 0;
    if (waitpid(pid_, &wait_status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return absl::DeadlineExceededError("process did not exit after SIGTERM");
}

void ServiceProcess::Kill() {
  if (pid_ < 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string ServiceProcess::ReadLog() const {
  std::ifstream in(log_path_);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

TestEnvironment::TestEnvironment(StoreBackend backend) : backend_(backend) {
  char pattern[] = "/tmp/herstel-test-XXXXXX";
  directory_ = mkdtemp(pattern);
  key_file_ = directory_ + "/token.key";
  std::string secret = absl::StrCat("test-key-", getpid(), "-0123456789abcdef0123456789abcdef");
  std::ofstream(key_file_) << secret << "\n";
  key_ = std::make_unique<TokenKey>(*TokenKey::FromSecret(secret));
}

TestEnvironment::~TestEnvironment() {
  std::error_code ignored;
  if (std::getenv("HERSTEL_KEEP_TEST_DATA") == nullptr) {
    std::filesystem::remove_all(directory_, ignored);
  }
}

std::string TestEnvironment::Token(v1::Role role, std::vector<std::string> municipalities,
                                   std::string subject) const {
  Caller caller;
  caller.subject = std::move(subject);
  caller.organisation = "test";
  caller.role = role;
  caller.municipalities = std::move(municipalities);
  caller.expires = absl::Now() + absl::Hours(1);
  return key_->Mint(caller);
}

absl::StatusOr<std::unique_ptr<ServiceProcess>> TestEnvironment::StartService(
    const std::string& binary, const std::string& name,
    std::vector<std::string> extra_flags, const std::string& store) const {
  std::string location = store;
  if (location.empty()) {
    std::filesystem::create_directories(directory_ + "/" + name);
    absl::StatusOr<std::string> fresh =
        FreshStoreLocation(backend_, directory_ + "/" + name, "store");
    if (!fresh.ok()) return fresh.status();
    location = *fresh;
  }
  return ServiceProcess::Start(
      {binary, directory_ + "/" + name, key_file_, std::move(extra_flags), location});
}

}  // namespace herstel::testing
