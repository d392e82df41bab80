// Test harness: real service binaries as child processes on free loopback
// ports with temporary stores. Start waits until grpc.health.v1 says SERVING.
#ifndef HERSTEL_TESTS_SERVICE_PROCESS_H_
#define HERSTEL_TESTS_SERVICE_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "herstel/identity.h"
#include "store_backends.h"

namespace herstel::testing {

// A free TCP port on 127.0.0.1 (asked from the kernel, then released).
int PickFreePort();

class ServiceProcess {
 public:
  struct Options {
    std::string binary;                    // path of the service executable
    std::string data_directory;            // holds the log (and the store by default)
    std::string key_file;                  // shared token key
    std::vector<std::string> extra_flags;  // e.g. --metrics_listen=...
    std::string store;                     // --store; empty: data_directory/store.db
  };

  // Starts the binary and waits (up to 30 s) for health SERVING.
  static absl::StatusOr<std::unique_ptr<ServiceProcess>> Start(const Options& options);
  // Kills the process if it still runs.
  ~ServiceProcess();

  // Sends SIGTERM and waits up to `timeout`; the exit code, or DEADLINE_EXCEEDED.
  absl::StatusOr<int> Terminate(absl::Duration timeout);
  // SIGKILL, as a crash would.
  void Kill();
  // Starts the stopped (terminated or killed) process again with the same
  // address, store and flags, and waits for health SERVING.
  absl::Status Restart();

  const std::string& address() const { return address_; }
  const std::string& log_path() const { return log_path_; }
  // The --store location the process runs on (a file or a PostgreSQL URI).
  const std::string& store() const { return store_; }
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  // Whole log (standard error) of the process so far.
  std::string ReadLog() const;

 private:
  ServiceProcess() = default;
  // Forks and execs `arguments_` with output appended to the log.
  absl::Status Launch();
  // Waits until health says SERVING, or the process exits, or 30 s pass.
  absl::Status AwaitServing();

  std::vector<std::string> arguments_;
  int port_ = 0;
  pid_t pid_ = -1;
  std::string address_;
  std::string log_path_;
  std::string store_;
  std::shared_ptr<grpc::Channel> channel_;
};

// A temporary folder with a token key: what a suite of services shares.
// Services get stores of `backend`: SQLite files in the folder, or fresh
// databases on the test PostgreSQL server (see store_backends.h).
class TestEnvironment {
 public:
  explicit TestEnvironment(StoreBackend backend = StoreBackendFromEnvironment());
  ~TestEnvironment();
  const std::string& directory() const { return directory_; }
  const std::string& key_file() const { return key_file_; }
  const TokenKey& key() const { return *key_; }
  // A token for `role`, scoped to `municipalities`, valid for an hour.
  std::string Token(v1::Role role, std::vector<std::string> municipalities = {"*"},
                    std::string subject = "test-user") const;
  // Starts `binary` with its own folder named `name` and a fresh store, or,
  // for another replica of a running service, on that service's `store`.
  absl::StatusOr<std::unique_ptr<ServiceProcess>> StartService(
      const std::string& binary, const std::string& name,
      std::vector<std::string> extra_flags = {}, const std::string& store = "") const;

 private:
  StoreBackend backend_;
  std::string directory_;
  std::string key_file_;
  std::unique_ptr<TokenKey> key_;
};

}  // namespace herstel::testing

#endif  // HERSTEL_TESTS_SERVICE_PROCESS_H_
