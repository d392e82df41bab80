#include "reporting_followers.h"

#include "google/protobuf/util/time_util.h"
#include "herstel/status_macros.h"
#include "herstel/v1/case_service.grpc.pb.h"
#include "herstel/v1/escalation_service.grpc.pb.h"
#include "herstel/v1/mandate_service.grpc.pb.h"
#include "store/reporting_store.h"

namespace herstel::reporting {
namespace {

using google::protobuf::util::TimeUtil;

constexpr absl::Duration kProbeTimeout = absl::Seconds(3);
constexpr absl::Duration kStreamTokenLifetime = absl::Hours(12);

template <typename Service>
EventFollower::OpenStream OpenStreamOf(const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = std::shared_ptr<typename Service::Stub>(Service::NewStub(channel));
  return [stub](grpc::ClientContext* context, const v1::WatchEventsRequest& request) {
    return stub->WatchEvents(context, request);
  };
}

EventFollower::OpenStream OpenStreamFor(const std::string& source,
                                        const std::shared_ptr<grpc::Channel>& channel) {
  if (source == "case-service") return OpenStreamOf<v1::CaseService>(channel);
  if (source == "mandate-service") return OpenStreamOf<v1::MandateService>(channel);
  return OpenStreamOf<v1::EscalationService>(channel);
}

}  // namespace

ReportingFollowers::ReportingFollowers(Store& store, const TokenKey& key,
                                       std::vector<Source> sources,
                                       prometheus::Registry& registry,
                                       absl::Duration status_interval)
    : store_(store),
      key_(key),
      status_interval_(status_interval),
      backlogs_(prometheus::BuildGauge()
                    .Name("herstel_reporting_backlog_alerts_active")
                    .Help("Backlog alerts (stuwmeren) active now")
                    .Register(registry)),
      overdue_escalations_(prometheus::BuildGauge()
                               .Name("herstel_reporting_escalations_overdue")
                               .Help("Open escalations past their level's due time, per level")
                               .Register(registry)),
      budget_left_(prometheus::BuildGauge()
                       .Name("herstel_reporting_budget_left_cents")
                       .Help("Ceiling minus reserved minus committed, per budget line, euro cents")
                       .Register(registry)),
      lag_events_(prometheus::BuildGauge()
                      .Name("herstel_reporting_event_lag_events")
                      .Help("Events of a source not applied yet")
                      .Register(registry)),
      lag_seconds_(prometheus::BuildGauge()
                       .Name("herstel_reporting_event_lag_seconds")
                       .Help("Age of the oldest event of a source not applied yet")
                       .Register(registry)),
      cursor_(prometheus::BuildGauge()
                  .Name("herstel_reporting_event_cursor")
                  .Help("Last applied event sequence per source")
                  .Register(registry)) {
  for (Source& source : sources) {
    Followed& followed = followed_.emplace_back();
    followed.source = std::move(source);
  }
  absl::MutexLock lock(&mutex_);
  probes_.resize(followed_.size());
}

ReportingFollowers::~ReportingFollowers() { Stop(); }

void ReportingFollowers::Start() {
  for (Followed& followed : followed_) {
    if (followed.source.address.empty()) continue;
    followed.client = std::make_unique<ServiceClient>(key_, "reporting-service",
                                                      followed.source.address);
    followed.open = OpenStreamFor(followed.source.name, followed.client->channel());
    const std::string source = followed.source.name;
    ServiceClient* client = followed.client.get();
    KeptStates* kept_cases = KeepsCaseStates(source) ? &followed.kept_cases : nullptr;
    followed.follower = std::make_unique<EventFollower>(
        store_, source, followed.open,
        [source, kept_cases](Transaction& tx) {
          return BeginSourceEvents(tx, source, kept_cases);
        },
        [client](grpc::ClientContext& context) {
          client->Prepare(context, kStreamTokenLifetime);
        },
        kFollowerBatching);
    followed.follower->Start();
    followed.cursor_at_start = followed.follower->cursor();
  }
  status_thread_ = std::thread([this] { StatusLoop(); });
}

void ReportingFollowers::Stop() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
  }
  if (status_thread_.joinable()) status_thread_.join();
  for (Followed& followed : followed_) {
    if (followed.follower != nullptr) followed.follower->Stop();
  }
}

ReportingFollowers::Probe ReportingFollowers::ProbeSource(Followed& followed, int64_t cursor) {
  Probe probe;
  // Whether an event after `after` exists; its commit time in `commit_micros`.
  auto exists_after = [&](int64_t after, int64_t* commit_micros) -> absl::StatusOr<bool> {
    grpc::ClientContext context;
    followed.client->Prepare(context, kProbeTimeout);
    v1::WatchEventsRequest request;
    request.set_after_sequence(after);
    request.set_stop_at_end(true);
    auto stream = followed.open(&context, request);
    v1::Event event;
    bool found = stream->Read(&event);
    if (found) {
      if (commit_micros != nullptr) {
        *commit_micros = TimeUtil::TimestampToMicroseconds(event.commit_time());
      }
      context.TryCancel();
      stream->Finish();
      return true;
    }
    grpc::Status finished = stream->Finish();
    if (!finished.ok()) {
      return absl::UnavailableError(absl::StrCat(followed.source.name, " at ",
                                                 followed.source.address, ": ",
                                                 finished.error_message()));
    }
    return false;
  };
  absl::StatusOr<bool> behind = exists_after(cursor, &probe.oldest_unapplied_commit_micros);
  if (!behind.ok()) {
    probe.last_error = std::string(behind.status().message());
    return probe;
  }
  probe.source_sequence = cursor;
  if (!*behind) return probe;
  // The head lies after the cursor: double the step until nothing follows,
  // then halve back (a few one-event reads, whatever the lag).
  int64_t known = cursor + 1;
  int64_t step = 1;
  int64_t beyond = -1;
  while (beyond < 0) {
    absl::StatusOr<bool> more = exists_after(known + step - 1, nullptr);
    if (!more.ok()) {
      probe.last_error = std::string(more.status().message());
      probe.source_sequence = known;
      return probe;
    }
    if (*more) {
      known = known + step;
      step *= 2;
    } else {
      beyond = known + step - 1;  // nothing after this
    }
  }
  // Events exist through `known`; none after `beyond`.
  int64_t low = known;
  int64_t high = beyond;
  while (low < high) {
    int64_t middle = low + (high - low + 1) / 2;
    absl::StatusOr<bool> more = exists_after(middle - 1, nullptr);
    if (!more.ok()) break;
    if (*more) {
      low = middle;
    } else {
      high = middle - 1;
    }
  }
  probe.source_sequence = low;
  return probe;
}

void ReportingFollowers::StatusLoop() {
  while (true) {
    for (size_t index = 0; index < followed_.size(); ++index) {
      Followed& followed = followed_[index];
      if (followed.follower == nullptr) continue;
      Probe probe = ProbeSource(followed, followed.follower->cursor());
      absl::MutexLock lock(&mutex_);
      probes_[index] = probe;
    }
    absl::Status evaluated = store_.Write([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(v1::ReportingSettings settings, LoadSettings(tx));
      return EvaluateBacklogs(tx, absl::Now(), settings.backlog_weeks()).status();
    });
    if (!evaluated.ok()) {
      absl::MutexLock lock(&mutex_);
      for (Probe& probe : probes_) {
        if (probe.last_error.empty()) probe.last_error = std::string(evaluated.message());
      }
    }
    RefreshGauges();
    absl::MutexLock lock(&mutex_);
    auto stopping = [this]() ABSL_SHARED_LOCKS_REQUIRED(mutex_) { return stopping_; };
    mutex_.AwaitWithTimeout(absl::Condition(&stopping), status_interval_);
    if (stopping_) return;
  }
}

void ReportingFollowers::RefreshGauges() {
  absl::StatusOr<OperatorFigures> figures;
  absl::Status read = store_.Read([&](Transaction& tx) -> absl::Status {
    figures = LoadOperatorFigures(tx, absl::Now());
    return figures.status();
  });
  if (read.ok()) {
    backlogs_.Add({}).Set(static_cast<double>(figures->active_backlog_alerts));
    for (int level = 1; level <= 3; ++level) {
      int64_t overdue = 0;
      for (const auto& [at_level, count] : figures->overdue_escalations_per_level) {
        if (at_level == level) overdue = count;
      }
      overdue_escalations_
          .Add({{"level", v1::EscalationLevel_Name(static_cast<v1::EscalationLevel>(level))}})
          .Set(static_cast<double>(overdue));
    }
    for (const auto& [line, left] : figures->budget_left_cents_per_line) {
      budget_left_.Add({{"budget_line", line}}).Set(static_cast<double>(left));
    }
  }
  absl::MutexLock lock(&mutex_);
  for (size_t index = 0; index < followed_.size(); ++index) {
    const Followed& followed = followed_[index];
    if (followed.follower == nullptr) continue;
    const Probe& probe = probes_[index];
    int64_t cursor = followed.follower->cursor();
    const std::map<std::string, std::string> labels{{"source", followed.source.name}};
    cursor_.Add(labels).Set(static_cast<double>(cursor));
    lag_events_.Add(labels).Set(static_cast<double>(std::max<int64_t>(0, probe.source_sequence - cursor)));
    double lag = probe.oldest_unapplied_commit_micros > 0 && probe.source_sequence > cursor
                     ? absl::ToDoubleSeconds(absl::Now() - absl::FromUnixMicros(
                                                               probe.oldest_unapplied_commit_micros))
                     : 0.0;
    lag_seconds_.Add(labels).Set(lag);
  }
}

absl::StatusOr<v1::FollowerStatus> ReportingFollowers::Status() {
  std::vector<SourceProgress> progress;
  HERSTEL_RETURN_IF_ERROR(store_.Read([&](Transaction& tx) -> absl::Status {
    HERSTEL_ASSIGN_OR_RETURN(progress, LoadSourceProgress(tx));
    return absl::OkStatus();
  }));
  v1::FollowerStatus status;
  absl::MutexLock lock(&mutex_);
  for (size_t index = 0; index < followed_.size(); ++index) {
    const Followed& followed = followed_[index];
    v1::ReportingSourceStatus* source = status.add_sources();
    source->set_source(followed.source.name);
    source->set_address(followed.source.address);
    for (const SourceProgress& entry : progress) {
      if (entry.source != followed.source.name) continue;
      source->set_cursor_sequence(entry.cursor);
      if (entry.last_commit_micros > 0) {
        *source->mutable_last_event_commit_time() =
            TimeUtil::MicrosecondsToTimestamp(entry.last_commit_micros);
        *source->mutable_last_apply_time() =
            TimeUtil::MicrosecondsToTimestamp(entry.last_apply_micros);
      }
    }
    if (followed.follower == nullptr) {
      source->set_last_error("not followed: no address configured");
      continue;
    }
    const Probe& probe = probes_[index];
    int64_t cursor = source->cursor_sequence();
    source->set_source_sequence(std::max(probe.source_sequence, cursor));
    source->set_lag_events(std::max<int64_t>(0, probe.source_sequence - cursor));
    if (source->lag_events() > 0 && probe.oldest_unapplied_commit_micros > 0) {
      *source->mutable_lag() = TimeUtil::MicrosecondsToDuration(
          absl::ToUnixMicros(absl::Now()) - probe.oldest_unapplied_commit_micros);
    }
    source->set_connected(followed.follower->connected());
    source->set_last_error(probe.last_error);
    source->set_events_applied(std::max<int64_t>(0, followed.follower->cursor() - followed.cursor_at_start));
  }
  *status.mutable_generate_time() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(absl::Now()));
  return status;
}

}  // namespace herstel::reporting
