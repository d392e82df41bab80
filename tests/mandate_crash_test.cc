// kill -9 the mandate-service in the middle of a write load, restart it on
// the same store, and check that every acknowledged reservation is there,
// that retrying every request (acknowledged or not) reserves nothing twice,
// and that no line is overspent and the journal still sums to zero.
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "harness/service_process.h"
#include "herstel/errors.h"
#include "herstel/v1/mandate_service.grpc.pb.h"

namespace herstel::testing {
namespace {

constexpr int kWriters = 8;
constexpr int64_t kCeiling = 50'000'000;
constexpr int64_t kAsk = 10'000;

class MandateCrashTest : public ::testing::Test {
 protected:
  std::unique_ptr<ServiceProcess> Start() {
    auto process = environment_.StartService(HERSTEL_MANDATE_SERVICE_BINARY, "mandate");
    EXPECT_TRUE(process.ok()) << process.status();
    return process.ok() ? std::move(*process) : nullptr;
  }

  grpc::Status Reserve(v1::MandateService::Stub& stub, const std::string& request_id,
                       v1::CheckAndReserveResponse& response) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + environment_.Token(v1::ROLE_SERVICE));
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    v1::CheckAndReserveRequest request;
    request.mutable_caller()->set_subject("cm-crash");
    request.mutable_caller()->set_role(v1::ROLE_NCG_RESIDENT_CASE_MANAGER);
    request.mutable_caller()->set_organisation("NCG");
    request.set_kind(v1::DECISION_KIND_CUSTOM_SOLUTION);
    request.set_municipality("municipalities/eemsdelta");
    v1::BudgetLineAmount* part = request.add_lines();
    part->set_budget_line("budget-lines/crash-line");
    part->set_amount_cents(kAsk);
    request.set_reference("crash-test");
    request.set_request_id(request_id);
    return stub.CheckAndReserve(&context, request, &response);
  }

  TestEnvironment environment_;
};

TEST_F(MandateCrashTest, AcknowledgedWritesSurviveKillNineAndRetriesNeverDoubleReserve) {
  std::unique_ptr<ServiceProcess> process = Start();
  ASSERT_NE(process, nullptr);
  {
    auto stub = v1::MandateService::NewStub(process->channel());
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + environment_.Token(v1::ROLE_OPERATOR));
    v1::CreateBudgetLineRequest request;
    request.set_budget_line_id("crash-line");
    request.set_request_id("create-crash-line");
    v1::BudgetLine* line = request.mutable_budget_line();
    line->set_display_name("Crash line");
    line->set_source(v1::BUDGET_SOURCE_SAFETY);
    line->set_owner("NCG");
    line->set_year(2026);
    line->set_ceiling_cents(kCeiling);
    v1::BudgetLine created;
    ASSERT_TRUE(stub->CreateBudgetLine(&context, request, &created).ok());
  }

  std::mutex mutex;
  std::map<std::string, std::string> acknowledged;  // request_id -> reservation
  std::vector<std::string> attempted;
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int writer = 0; writer < kWriters; ++writer) {
    writers.emplace_back([&, writer] {
      auto stub = v1::MandateService::NewStub(process->channel());
      for (int sequence = 0; !stop.load(); ++sequence) {
        std::string request_id = absl::StrCat("crash-", writer, "-", sequence);
        {
          std::lock_guard<std::mutex> lock(mutex);
          attempted.push_back(request_id);
        }
        v1::CheckAndReserveResponse response;
        if (Reserve(*stub, request_id, response).ok() && response.result().allowed()) {
          std::lock_guard<std::mutex> lock(mutex);
          acknowledged[request_id] = response.reservation().name();
        }
      }
    });
  }
  absl::SleepFor(absl::Milliseconds(700));
  process->Kill();  // SIGKILL mid-load
  stop.store(true);
  for (auto& writer : writers) writer.join();
  ASSERT_GT(acknowledged.size(), 10u) << "the load did not get going before the kill";

  process = Start();
  ASSERT_NE(process, nullptr);
  auto stub = v1::MandateService::NewStub(process->channel());
  // Retrying every request: acknowledged ones answer their first reservation,
  // the others reserve at most once each.
  std::set<std::string> reservations;
  for (const std::string& request_id : attempted) {
    v1::CheckAndReserveResponse response;
    grpc::Status status = Reserve(*stub, request_id, response);
    ASSERT_TRUE(status.ok()) << request_id << ": " << status.error_message();
    ASSERT_TRUE(response.result().allowed());
    auto it = acknowledged.find(request_id);
    if (it != acknowledged.end()) {
      EXPECT_EQ(response.reservation().name(), it->second) << request_id;
    }
    EXPECT_TRUE(reservations.insert(response.reservation().name()).second)
        << "reservation " << response.reservation().name() << " answered twice";
  }

  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + environment_.Token(v1::ROLE_OPERATOR));
  v1::GetBudgetLineRequest get;
  get.set_name("budget-lines/crash-line");
  v1::BudgetLine line;
  ASSERT_TRUE(stub->GetBudgetLine(&context, get, &line).ok());
  EXPECT_EQ(line.reserved_cents(), static_cast<int64_t>(attempted.size()) * kAsk);
  EXPECT_LE(line.reserved_cents() + line.committed_cents(), line.ceiling_cents());

  int64_t journal_sum = 0;
  v1::ListJournalEntriesRequest list;
  list.set_parent("budget-lines/-");
  list.set_page_size(1000);
  while (true) {
    grpc::ClientContext page_context;
    page_context.AddMetadata("authorization", "Bearer " + environment_.Token(v1::ROLE_OPERATOR));
    v1::ListJournalEntriesResponse page;
    ASSERT_TRUE(stub->ListJournalEntries(&page_context, list, &page).ok());
    for (const auto& entry : page.entries()) journal_sum += entry.amount_cents();
    if (page.next_page_token().empty()) break;
    list.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(journal_sum, 0);
}

}  // namespace
}  // namespace herstel::testing
