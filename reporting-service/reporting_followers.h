// Following the case-, mandate- and escalation-services' event streams.
//
// One herstel::EventFollower per source applies events to the aggregates
// and stores its cursor in the same transaction (restarts, outages and
// duplicate deliveries neither lose nor double-count); events that queue up
// (a rebuild, a catch-up) share transactions as kFollowerBatching says. A status
// loop probes each source for how far behind we are, evaluates backlog
// alerts for newly completed weeks and refreshes the operators' gauges.
#ifndef HERSTEL_REPORTING_REPORTING_FOLLOWERS_H_
#define HERSTEL_REPORTING_REPORTING_FOLLOWERS_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "herstel/follower.h"
#include "herstel/identity.h"
#include "herstel/service_client.h"
#include "herstel/store.h"
#include "herstel/v1/reporting_service.pb.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "store/aggregate_batch.h"

namespace herstel::reporting {

class ReportingFollowers {
 public:
  struct Source {
    std::string name;     // "case-service", ...
    std::string address;  // host:port; empty: not followed
  };

  ReportingFollowers(Store& store, const TokenKey& key, std::vector<Source> sources,
                     prometheus::Registry& registry, absl::Duration status_interval);
  ~ReportingFollowers();
  ReportingFollowers(const ReportingFollowers&) = delete;
  ReportingFollowers& operator=(const ReportingFollowers&) = delete;

  void Start();
  // Stops the followers and the status loop; joins their threads.
  void Stop();

  // Per source: cursor, lag, connection (for GetFollowerStatus).
  absl::StatusOr<v1::FollowerStatus> Status();

 private:
  struct Probe {
    int64_t source_sequence = 0;
    int64_t oldest_unapplied_commit_micros = 0;  // 0: none or unknown
    std::string last_error;
  };
  struct Followed {
    Source source;
    std::unique_ptr<ServiceClient> client;
    std::unique_ptr<EventFollower> follower;
    EventFollower::OpenStream open;
    int64_t cursor_at_start = 0;
    // The case-service's case states across transactions (KeptStates).
    KeptStates kept_cases;
  };

  void StatusLoop();
  // Asks the source for its head and its oldest event we have not applied.
  Probe ProbeSource(Followed& followed, int64_t cursor);
  void RefreshGauges();

  Store& store_;
  const TokenKey& key_;
  std::vector<Followed> followed_;
  const absl::Duration status_interval_;
  prometheus::Family<prometheus::Gauge>& backlogs_;
  prometheus::Family<prometheus::Gauge>& overdue_escalations_;
  prometheus::Family<prometheus::Gauge>& budget_left_;
  prometheus::Family<prometheus::Gauge>& lag_events_;
  prometheus::Family<prometheus::Gauge>& lag_seconds_;
  prometheus::Family<prometheus::Gauge>& cursor_;

  absl::Mutex mutex_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::vector<Probe> probes_ ABSL_GUARDED_BY(mutex_);
  std::thread status_thread_;
};

}  // namespace herstel::reporting

#endif  // HERSTEL_REPORTING_REPORTING_FOLLOWERS_H_
