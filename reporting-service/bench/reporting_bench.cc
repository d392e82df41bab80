// reporting_bench: how fast the reporting-service rebuilds, follows and
// answers, over a generated but realistic history (see event_story.h).
// Not a test: it prints figures for docs/benchmarks/reporting.md.
//
// 1. Writes the story to files (in a child process, so the generator's
//    memory is not counted in ours).
// 2. Rebuild: three herstel::EventFollower instances, the followers' own
//    code (queued events applied part by part in long transactions with
//    the cursor, duplicate check, kept case states, the store's group
//    commit across the three sources), read the three streams from the
//    files from sequence 0 into an empty store. Peak RSS (getrusage)
//    is sampled at 10%, 50% and 100% of the events.
// 3. Following: the events after the rebuild arrive one at a time, each
//    applied exactly as EventFollower applies one (one write transaction
//    with its cursor); the time of each is recorded.
// 4. Backlog evaluation of every week (what the status loop does first
//    after a rebuild).
// 5a. Publishing the year: reading every area's figures, solving the
//    public suppression, storing its pattern as the service does.
// 5. GetMonitor for one municipality over gRPC on loopback: exact
//    (internal caller) and public view, while nothing changes and while
//    events keep arriving (each call after a newly applied event: answered
//    from the last publication while the next is published in the
//    background), and how long until the monitor reflects the last event.
// 6. GenerateAnnualReport for one year over gRPC: as it comes (the year
//    before is solved now), then after new events moved the cursors (both
//    years read again; their stored patterns still fit).
//
// The default size (10,000 cases, 30 s allowed for the suppression solve)
// runs in one to two minutes; --full is the size
// (1,000,000 cases, about twelve million events).
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <numeric>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/event_story.h"
#include "domain/calendar.h"
#include "domain/publication.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "herstel/follower.h"
#include "herstel/status_macros.h"
#include "herstel/store.h"
#include "prometheus/registry.h"
#include "reporting_followers.h"
#include "reporting_grpc_service.h"
#include "store/reporting_store.h"

ABSL_FLAG(int64_t, cases, 10000, "cases in the generated history (about 12 events each)");
ABSL_FLAG(bool, full, false, "the issue's size: 1,000,000 cases (about 12,000,000 events)");
ABSL_FLAG(int64_t, follow_events, 2000, "events applied one at a time after the rebuild");
ABSL_FLAG(int, monitor_calls, 200, "GetMonitor calls per view while nothing changes");
ABSL_FLAG(int, live_monitor_calls, 30,
          "GetMonitor calls each after a newly applied event (at most 120 s of them)");
ABSL_FLAG(int, municipalities, 14,
          "municipalities in the story (the largest first); fewer areas, smaller suppression");
ABSL_FLAG(std::string, municipality, "municipalities/groningen",
          "the municipality of GetMonitor (groningen has the most cases)");
ABSL_FLAG(int, year, 2025, "the year of the monitor period and of the yearly report");
ABSL_FLAG(int, follower_part, herstel::reporting::kFollowerBatching.part,
          "queued events each follower applies at once during the rebuild (the service's "
          "setting by default)");
ABSL_FLAG(int64_t, follower_transaction, herstel::reporting::kFollowerBatching.transaction,
          "events each follower applies per write transaction at most during the rebuild "
          "(the service's setting by default; 1 = one transaction per event)");
ABSL_FLAG(int, solve_deadline_seconds, 30,
          "give up waiting for the suppression of one period (and skip GetMonitor and the "
          "yearly report, which need it) after this long");
ABSL_FLAG(std::string, directory, "", "work folder; default a new one under /tmp");
ABSL_FLAG(bool, keep, false, "keep the work folder (story files and store) afterwards");

namespace herstel::reporting::bench {
namespace {

using google::protobuf::util::TimeUtil;

// --- Measuring ----------------------------------------------------------------

double PeakRssMib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

double CurrentRssMib() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0;
  long pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return static_cast<double>(pages_resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) /
         (1024.0 * 1024.0);
}

double FileMib(const std::string& path) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) return 0;
  return static_cast<double>(info.st_size) / (1024.0 * 1024.0);
}

struct Latencies {
  std::vector<double> micros;
  void Add(absl::Duration duration) { micros.push_back(absl::ToDoubleMicroseconds(duration)); }
  double Percentile(double percent) const {
    if (micros.empty()) return 0;
    std::vector<double> sorted = micros;
    std::sort(sorted.begin(), sorted.end());
    size_t rank = static_cast<size_t>(std::ceil(percent / 100.0 * sorted.size()));
    return sorted[std::max<size_t>(rank, 1) - 1];
  }
  double Mean() const {
    return micros.empty() ? 0
                          : std::accumulate(micros.begin(), micros.end(), 0.0) / micros.size();
  }
  std::string Summary(double unit, const char* unit_name) const {
    return absl::StrFormat("n=%d mean %.2f %s, p50 %.2f %s, p99 %.2f %s, max %.2f %s",
                           micros.size(), Mean() / unit, unit_name, Percentile(50) / unit,
                           unit_name, Percentile(99) / unit, unit_name, Percentile(100) / unit,
                           unit_name);
  }
};

// --- A source's stream, read from its story file ---------------------------------

// The follower's view of WatchEvents: the events after the requested
// sequence, then the end of the stream (as with stop_at_end).
class FileEventStream : public grpc::ClientReaderInterface<v1::Event> {
 public:
  FileEventStream(std::unique_ptr<EventFileReader> reader, int64_t after)
      : reader_(std::move(reader)), after_(after) {}

  bool Read(v1::Event* event) override {
    if (reader_ == nullptr) return false;
    while (reader_->Next(*event)) {
      if (event->sequence() > after_) return true;
    }
    return false;
  }
  bool NextMessageSize(uint32_t* size) override {
    *size = 1 << 20;
    return true;
  }
  grpc::Status Finish() override { return grpc::Status::OK; }
  void WaitForInitialMetadata() override {}

 private:
  std::unique_ptr<EventFileReader> reader_;
  int64_t after_;
};

// --- The benchmark ------------------------------------------------------------

struct Milestone {
  int percent;
  int64_t events;
  double seconds;
  double cpu_seconds;
  double peak_rss_mib;
  double rss_mib;
  double store_mib;
};

std::string Indent(const std::string& text) { return absl::StrCat("  ", text); }

// Events applied between the two yearly reports.
constexpr int kEventsBeforeSecondReport = 10;

// "solved N, stored M": herstel_reporting_publications_total in `registry`.
std::string PublicationCounts(prometheus::Registry& registry) {
  std::string counts;
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    if (family.name != "herstel_reporting_publications_total") continue;
    for (const prometheus::ClientMetric& metric : family.metric) {
      absl::StrAppend(&counts, counts.empty() ? "" : ", ", metric.label.at(0).value, " ",
                      metric.counter.value);
    }
  }
  return counts;
}

absl::Status Run() {
  const int64_t cases = absl::GetFlag(FLAGS_full) ? 1'000'000 : absl::GetFlag(FLAGS_cases);
  const int year = absl::GetFlag(FLAGS_year);
  const std::string municipality = absl::GetFlag(FLAGS_municipality);
  std::string directory = absl::GetFlag(FLAGS_directory);
  if (directory.empty()) {
    char pattern[] = "/tmp/reporting-bench-XXXXXX";
    if (mkdtemp(pattern) == nullptr) return absl::InternalError("can't make a work folder");
    directory = pattern;
  } else {
    std::filesystem::create_directories(directory);
  }
  const std::string db_path = directory + "/reporting.db";
  std::filesystem::remove(db_path);
  std::filesystem::remove(db_path + "-wal");
  std::filesystem::remove(db_path + "-shm");

  StoryOptions options;
  options.cases = cases;
  options.stream_start = absl::FromCivil(absl::CivilDay(2020, 1, 1), absl::UTCTimeZone());
  options.stream_end = absl::FromCivil(absl::CivilDay(2026, 10, 1), absl::UTCTimeZone());
  options.municipalities = absl::GetFlag(FLAGS_municipalities);
  // Followed one at a time, each before a live GetMonitor, before the second yearly report.
  options.tail_events = absl::GetFlag(FLAGS_follow_events) +
                        absl::GetFlag(FLAGS_live_monitor_calls) + kEventsBeforeSecondReport;

  std::cout << "reporting_bench: " << cases << " cases, work folder " << directory << "\n";
  // 1. The story, written by a child so its memory is not ours.
  absl::Time generate_start = absl::Now();
  pid_t child = fork();
  if (child < 0) return absl::InternalError("fork failed");
  if (child == 0) {
    absl::StatusOr<StoryCounts> counts = WriteStory(options, directory);
    if (!counts.ok()) {
      std::cerr << counts.status() << "\n";
      _exit(1);
    }
    std::ofstream out(directory + "/counts.txt");
    out << counts->events[0] << " " << counts->events[1] << " " << counts->events[2] << " "
        << counts->tail_events << "\n";
    out.close();
    _exit(0);
  }
  int child_status = 0;
  waitpid(child, &child_status, 0);
  if (!WIFEXITED(child_status) || WEXITSTATUS(child_status) != 0) {
    return absl::InternalError("writing the story failed");
  }
  StoryCounts counts;
  {
    std::ifstream in(directory + "/counts.txt");
    in >> counts.events[0] >> counts.events[1] >> counts.events[2] >> counts.tail_events;
  }
  const int64_t total = counts.total();
  double story_mib = 0;
  for (const char* source : kStorySources) {
    story_mib += FileMib(absl::StrCat(directory, "/", source, ".events"));
  }
  std::cout << "story: " << total << " events (" << counts.events[0] << " case, "
            << counts.events[1] << " mandate, " << counts.events[2] << " escalation; "
            << absl::StrFormat("%.1f", static_cast<double>(total) / cases)
            << " per case), " << absl::StrFormat("%.0f MiB serialised", story_mib)
            << ", written in " << absl::FormatDuration(absl::Now() - generate_start)
            << "; then " << counts.tail_events << " events to follow\n";

  HERSTEL_ASSIGN_OR_RETURN(std::unique_ptr<Store> store,
                           Store::Open(db_path, ReportingMigrations()));
  std::cout << Indent(absl::StrFormat("empty store open: peak RSS %.1f MiB, RSS %.1f MiB\n",
                                      PeakRssMib(), CurrentRssMib()));

  // 2. Rebuild through the followers.
  const EventFollower::Batching batching{absl::GetFlag(FLAGS_follower_part),
                                         absl::GetFlag(FLAGS_follower_transaction)};
  std::vector<std::unique_ptr<EventFollower>> followers;
  KeptStates kept_cases;  // as ReportingFollowers keeps them for the case-service
  for (int source = 0; source < kStorySourceCount; ++source) {
    const std::string path = absl::StrCat(directory, "/", kStorySources[source], ".events");
    const int64_t events = counts.events[source];
    const std::string name = kStorySources[source];
    KeptStates* kept = KeepsCaseStates(name) ? &kept_cases : nullptr;
    followers.push_back(std::make_unique<EventFollower>(
        *store, name,
        [path, events](grpc::ClientContext*, const v1::WatchEventsRequest& request)
            -> std::unique_ptr<grpc::ClientReaderInterface<v1::Event>> {
          std::unique_ptr<EventFileReader> reader;
          if (request.after_sequence() < events) {
            absl::StatusOr<std::unique_ptr<EventFileReader>> opened =
                EventFileReader::Open(path, false);
            if (opened.ok()) reader = std::move(*opened);
          }
          return std::make_unique<FileEventStream>(std::move(reader), request.after_sequence());
        },
        [name, kept](Transaction& tx) { return BeginSourceEvents(tx, name, kept); },
        [](grpc::ClientContext&) {}, batching));
  }
  std::vector<Milestone> milestones;
  const int percents[] = {10, 20, 30, 40, 50, 60, 70, 80, 90, 100};
  size_t next_milestone = 0;
  const double rebuild_cpu_start = CpuSeconds();
  absl::Time rebuild_start = absl::Now();
  for (auto& follower : followers) follower->Start();
  while (next_milestone < std::size(percents)) {
    int64_t applied = 0;
    for (auto& follower : followers) applied += follower->cursor();
    while (next_milestone < std::size(percents) &&
           applied >= total * percents[next_milestone] / 100) {
      milestones.push_back({percents[next_milestone], applied,
                            absl::ToDoubleSeconds(absl::Now() - rebuild_start),
                            CpuSeconds() - rebuild_cpu_start, PeakRssMib(),
                            CurrentRssMib(), FileMib(db_path) + FileMib(db_path + "-wal")});
      ++next_milestone;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  const double rebuild_seconds = milestones.back().seconds;
  const double rebuild_cpu_seconds = milestones.back().cpu_seconds;
  for (auto& follower : followers) follower->Stop();
  kept_cases.Drop();  // as the service's follower does at its first live event
  std::cout << "rebuild (3 EventFollowers, parts of " << batching.part << ", up to "
            << batching.transaction << " events per transaction): " << total << " events in " << absl::StrFormat("%.1f", rebuild_seconds)
            << " s = " << absl::StrFormat("%.0f", total / rebuild_seconds)
            << " events/s wall clock; CPU " << absl::StrFormat("%.1f", rebuild_cpu_seconds)
            << " s = " << absl::StrFormat("%.1f", 1e6 * rebuild_cpu_seconds / total)
            << " us per event = " << absl::StrFormat("%.0f", total / rebuild_cpu_seconds)
            << " events per CPU second\n";
  double previous_seconds = 0;
  int64_t previous_events = 0;
  for (const Milestone& milestone : milestones) {
    std::cout << Indent(absl::StrFormat(
        "at %3d%% (%d events, %.1f s, CPU %.1f s): %.0f events/s in this stretch, peak RSS %.1f "
        "MiB, RSS %.1f MiB, store %.0f MiB\n",
        milestone.percent, milestone.events, milestone.seconds, milestone.cpu_seconds,
        (milestone.events - previous_events) / std::max(1e-9, milestone.seconds - previous_seconds),
        milestone.peak_rss_mib, milestone.rss_mib, milestone.store_mib));
    previous_seconds = milestone.seconds;
    previous_events = milestone.events;
  }

  // What the store holds: aggregates, not events.
  HERSTEL_RETURN_IF_ERROR(store->Read([&](Transaction& tx) -> absl::Status {
    std::string line = "store rows:";
    for (const char* table : {"day_counters", "stock_spans", "entity_states", "due_items",
                              "item_days", "budget_balances"}) {
      HERSTEL_ASSIGN_OR_RETURN(Statement count,
                               tx.Prepare(absl::StrCat("SELECT COUNT(*) FROM ", table)));
      HERSTEL_RETURN_IF_ERROR(count.Step().status());
      absl::StrAppend(&line, " ", table, " ", count.ColumnInt(0));
    }
    std::cout << Indent(line) << "\n";
    return absl::OkStatus();
  }));

  // 3. Following one event at a time.
  HERSTEL_ASSIGN_OR_RETURN(std::unique_ptr<EventFileReader> tail,
                           EventFileReader::Open(directory + "/tail.events", true));
  auto apply_one = [&](const v1::Event& event, int source) -> absl::Status {
    const std::string name = kStorySources[source];
    return store->Write([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(int64_t stored, LoadCursor(tx, name));
      if (event.sequence() <= stored) return absl::OkStatus();
      HERSTEL_RETURN_IF_ERROR(ApplySourceEvents(tx, name, {event}));
      return SaveCursor(tx, name, event.sequence());
    });
  };
  Latencies follow;
  {
    v1::Event event;
    int source = 0;
    for (int64_t index = 0; index < absl::GetFlag(FLAGS_follow_events) && tail->Next(event, &source);
         ++index) {
      absl::Time start = absl::Now();
      HERSTEL_RETURN_IF_ERROR(apply_one(event, source));
      follow.Add(absl::Now() - start);
    }
  }
  std::cout << "following, one event per transaction: " << follow.Summary(1, "us") << "\n";

  // 4. Backlog evaluation of every week since the first.
  absl::Time backlog_start = absl::Now();
  int backlog_changes = 0;
  HERSTEL_RETURN_IF_ERROR(store->Write([&](Transaction& tx) -> absl::Status {
    HERSTEL_ASSIGN_OR_RETURN(backlog_changes, EvaluateBacklogs(tx, absl::Now(), 4));
    return absl::OkStatus();
  }));
  std::cout << "backlog evaluation of all weeks: "
            << absl::FormatDuration(absl::Now() - backlog_start) << ", " << backlog_changes
            << " alerts raised or cleared\n";

  // 5a. Where a first GetMonitor's time goes: reading the period's figures
  // of every area, then solving the public suppression over all of them.
  {
    const DayPeriod period{DayNumber(YearStart(year)), DayNumber(YearStart(year + 1))};
    auto figures = std::make_shared<PeriodFigures>();
    absl::Time load_start = absl::Now();
    HERSTEL_RETURN_IF_ERROR(store->Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(*figures, LoadPeriodFigures(tx, period, std::nullopt));
      return absl::OkStatus();
    }));
    absl::Duration load = absl::Now() - load_start;
    size_t cells = figures->areas.size() * static_cast<size_t>(figures->layout().size());
    std::cout << "publishing " << year << ": " << figures->areas.size() << " areas x "
              << figures->layout().size() << " cells = " << cells << " cells; reading them "
              << absl::StrFormat("%.1f ms", absl::ToDoubleMilliseconds(load)) << "\n";
    // The solver can't be interrupted: it runs on its own thread and, when
    // it outlives the deadline, is left behind (the process ends with _exit).
    struct Solve {
      std::atomic<bool> done{false};
      std::unique_ptr<Publication> publication;  // set before done
    };
    auto solved = std::make_shared<Solve>();
    absl::Time solve_start = absl::Now();
    std::thread([figures, solved] {
      solved->publication = std::make_unique<Publication>(figures, 10);
      solved->done.store(true);
    }).detach();
    absl::Time give_up = solve_start + absl::Seconds(absl::GetFlag(FLAGS_solve_deadline_seconds));
    while (!solved->done.load() && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(5));
    if (!solved->done.load()) {
      std::cout << Indent(absl::StrFormat(
                       "suppression solve NOT finished after %d s: GetMonitor and the yearly "
                       "report (which need it) are not measured\n",
                       absl::GetFlag(FLAGS_solve_deadline_seconds)))
                << absl::StrFormat("end: peak RSS %.1f MiB, RSS %.1f MiB\n", PeakRssMib(),
                                   CurrentRssMib());
      std::cout.flush();
      if (!absl::GetFlag(FLAGS_keep)) std::filesystem::remove_all(directory);
      _exit(0);
    }
    std::cout << Indent(absl::StrFormat("suppression solve: %.1f ms\n",
                                        absl::ToDoubleMilliseconds(absl::Now() - solve_start)));
    {
      // What the public sees of the published cells (FigureLayout::IsPublic),
      // and whether a reader of it can pin any hidden one.
      absl::Time audit_start = absl::Now();
      std::vector<int> pinned = solved->publication->PinnedCells();
      const FigureLayout& layout = solved->publication->layout();
      std::map<CellSuppression, size_t> published;
      const std::vector<CellSuppression>& pattern = solved->publication->pattern();
      for (size_t cell = 0; cell < pattern.size(); ++cell) {
        if (layout.IsPublic(static_cast<int>(cell % layout.size()))) ++published[pattern[cell]];
      }
      std::cout << Indent(absl::StrFormat(
          "public cells: %d shown, %d \"<10\", %d hidden to protect them, %d withheld "
          "(not published); hidden cells a reader can pin: %d (checked in %.1f ms)\n",
          published[CellSuppression::kNone], published[CellSuppression::kPrimary],
          published[CellSuppression::kSecondary], published[CellSuppression::kWithheld],
          pinned.size(), absl::ToDoubleMilliseconds(absl::Now() - audit_start)));
    }
    // Stored as the service stores it, so GetMonitor's first call and the
    // yearly report find it while the year's figures stay the same.
    HERSTEL_RETURN_IF_ERROR(store->Write([&](Transaction& tx) {
      return SaveSuppressionPattern(tx, period, 10, SuppressionDigest(*figures, 10),
                                    solved->publication->pattern(), absl::Now());
    }));
  }

  // 5. GetMonitor over gRPC on loopback.
  HERSTEL_ASSIGN_OR_RETURN(TokenKey key,
                           TokenKey::FromSecret("reporting-bench-secret-of-at-least-32-bytes"));
  prometheus::Registry registry;
  ReportingFollowers unused_followers(*store, key, {}, registry, absl::Hours(1));
  ReportingGrpcService service(*store, key, unused_followers, registry, absl::InfiniteDuration());
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) return absl::InternalError("can't start the gRPC server");
  auto stub = v1::ReportingService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  auto token = [&](v1::Role role, std::vector<std::string> municipalities) {
    Caller caller;
    caller.subject = "reporting-bench";
    caller.organisation = "bench";
    caller.role = role;
    caller.municipalities = std::move(municipalities);
    caller.expires = absl::Now() + absl::Hours(2);
    return absl::StrCat("Bearer ", key.Mint(caller));
  };
  const std::string internal_token = token(v1::ROLE_MUNICIPAL_CASE_MANAGER, {municipality});
  const std::string public_token = token(v1::ROLE_PUBLIC, {});
  const std::string operator_token = token(v1::ROLE_OPERATOR, {"*"});
  v1::GetMonitorRequest monitor_request;
  monitor_request.mutable_scope()->set_municipality(municipality);
  *monitor_request.mutable_start_time() =
      TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(YearStart(year)));
  *monitor_request.mutable_end_time() =
      TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(YearStart(year + 1)));
  auto monitor = [&](const std::string& bearer, bool exact, v1::Monitor& answer) -> absl::Status {
    grpc::ClientContext context;
    context.AddMetadata("authorization", bearer);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(10));
    grpc::Status status = stub->GetMonitor(&context, monitor_request, &answer);
    if (!status.ok()) return absl::InternalError(status.error_message());
    if (answer.exact() != exact) return absl::InternalError("unexpected view");
    return absl::OkStatus();
  };
  v1::Monitor answer;
  absl::Time first_start = absl::Now();
  HERSTEL_RETURN_IF_ERROR(monitor(internal_token, true, answer));
  absl::Duration first = absl::Now() - first_start;
  std::cout << "GetMonitor " << municipality << " " << year << " (" << answer.ByteSizeLong()
            << " bytes, " << answer.weekly_flows_size() << " weekly flows, "
            << answer.backlog_alerts_size() << " backlog alerts)\n";
  std::cout << Indent(absl::StrFormat(
      "first call after the rebuild (reads the year, takes the pattern stored above): %.1f ms\n",
                                      absl::ToDoubleMilliseconds(first)));
  Latencies warm_internal;
  Latencies warm_public;
  for (int call = 0; call < absl::GetFlag(FLAGS_monitor_calls); ++call) {
    absl::Time start = absl::Now();
    HERSTEL_RETURN_IF_ERROR(monitor(internal_token, true, answer));
    warm_internal.Add(absl::Now() - start);
    start = absl::Now();
    HERSTEL_RETURN_IF_ERROR(monitor(public_token, false, answer));
    warm_public.Add(absl::Now() - start);
  }
  std::cout << Indent("nothing changing, internal (exact): " + warm_internal.Summary(1000, "ms") +
                      "\n");
  std::cout << Indent("nothing changing, public view:      " + warm_public.Summary(1000, "ms") +
                      "\n");
  Latencies live;
  {
    absl::Time give_up = absl::Now() + absl::Seconds(120);
    v1::Event event;
    int source = 0;
    for (int call = 0; call < absl::GetFlag(FLAGS_live_monitor_calls) && absl::Now() < give_up &&
                       tail->Next(event, &source);
         ++call) {
      HERSTEL_RETURN_IF_ERROR(apply_one(event, source));
      absl::Time start = absl::Now();
      HERSTEL_RETURN_IF_ERROR(monitor(call % 2 == 0 ? internal_token : public_token,
                                      call % 2 == 0, answer));
      live.Add(absl::Now() - start);
    }
  }
  std::cout << Indent("each call after a new event (internal and public alternating): " +
                      live.Summary(1000, "ms") + "\n");
  // How long until the monitor reflects the last event: the background
  // publication the calls above started (bounded: 10 minutes).
  {
    std::string cursors_now;
    HERSTEL_RETURN_IF_ERROR(store->Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(std::vector<SourceProgress> progress, LoadSourceProgress(tx));
      for (const SourceProgress& entry : progress) absl::StrAppend(&cursors_now, entry.cursor, ";");
      return absl::OkStatus();
    }));
    absl::Time start = absl::Now();
    bool fresh = false;
    while (!fresh && absl::Now() - start < absl::Minutes(10)) {
      HERSTEL_RETURN_IF_ERROR(monitor(internal_token, true, answer));
      std::string answered;
      for (const v1::ReportingSourceCursor& cursor : answer.as_of()) {
        absl::StrAppend(&answered, cursor.sequence(), ";");
      }
      fresh = answered == cursors_now;
      if (!fresh) absl::SleepFor(absl::Milliseconds(20));
    }
    std::cout << Indent(absl::StrFormat(
        "the monitor reflects the last event %.1f s after its call (background publication)%s\n",
        absl::ToDoubleSeconds(absl::Now() - start), fresh ? "" : ": NOT within 10 minutes"));
  }

  // 6. The yearly report: first as it comes (publishing both years unless
  // published before), then after new events (later than the report's
  // years) moved the cursors: both years are read again, and their stored
  // suppression patterns still fit.
  for (int attempt = 1; attempt <= 2; ++attempt) {
    if (attempt == 2) {
      v1::Event event;
      int source = 0;
      for (int applied = 0; applied < kEventsBeforeSecondReport && tail->Next(event, &source);
           ++applied) {
        HERSTEL_RETURN_IF_ERROR(apply_one(event, source));
      }
    }
    v1::GenerateAnnualReportRequest request;
    request.set_year(year);
    request.set_request_id(absl::StrCat("reporting-bench-", absl::ToUnixNanos(absl::Now()), "-",
                                        attempt));
    v1::AnnualReport report;
    grpc::ClientContext context;
    context.AddMetadata("authorization", operator_token);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(30));
    absl::Time start = absl::Now();
    grpc::Status status = stub->GenerateAnnualReport(&context, request, &report);
    absl::Duration took = absl::Now() - start;
    if (!status.ok()) return absl::InternalError(status.error_message());
    std::cout << "GenerateAnnualReport " << year << " (revision " << report.revision() << "): "
              << absl::StrFormat("%.2f s", absl::ToDoubleSeconds(took)) << ", markdown "
              << report.markdown().size() << " bytes, html " << report.html().size() << " bytes, "
              << report.tables_size() << " tables; publications so far: "
              << PublicationCounts(registry) << "\n";
  }
  std::cout << absl::StrFormat("end: peak RSS %.1f MiB, RSS %.1f MiB, store %.0f MiB\n",
                               PeakRssMib(), CurrentRssMib(),
                               FileMib(db_path) + FileMib(db_path + "-wal"));
  server->Shutdown();
  store.reset();
  if (!absl::GetFlag(FLAGS_keep)) std::filesystem::remove_all(directory);
  std::cout.flush();
  return absl::OkStatus();
}

}  // namespace
}  // namespace herstel::reporting::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  absl::Status status = herstel::reporting::bench::Run();
  if (!status.ok()) {
    std::cerr << "reporting_bench: " << status << "\n";
    return 1;
  }
  return 0;
}
