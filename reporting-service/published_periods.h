// The last publication of each period, kept fresh in the background.
//
// Publishing a period (reading every area's figures and solving the public
// suppression) takes seconds on a large store, and every applied event moves
// the source cursors a publication reflects. So a question is answered from
// the period's last publication at once, with the cursors it reflects
// (as_of); when the cursors have moved since, one background worker
// publishes the period again and the next question gets that. Only a
// period never published before is published while the caller waits, and
// callers asking for the same one at the same time share that one solve.
// The worker rests as long as its last publication took, so while events
// keep arriving it uses at most half of one core.
// At most `capacity` periods are kept, the least recently asked dropped.
// Standing periods (the monitor's current period, the years the next yearly
// report needs) are kept published without being asked: every `interval`
// the worker publishes those never published or whose cursors moved, so
// the first question of a day, or a yearly report, rarely waits for a solve.
#ifndef HERSTEL_REPORTING_PUBLISHED_PERIODS_H_
#define HERSTEL_REPORTING_PUBLISHED_PERIODS_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "domain/calendar.h"
#include "domain/publication.h"
#include "herstel/v1/reporting_service.pb.h"

namespace herstel::reporting {

// A period published at some settings, with the source cursors it reflects.
struct PublishedPeriod {
  std::shared_ptr<const Publication> publication;
  std::vector<v1::ReportingSourceCursor> as_of;
  std::string cursors;  // as_of as one comparable string
};

struct PeriodKey {
  DayPeriod period;
  int64_t threshold = 0;
  bool operator==(const PeriodKey& other) const {
    return period.start_day == other.period.start_day &&
           period.end_day == other.period.end_day && threshold == other.threshold;
  }
};

// What to keep published without being asked; see the top of this file.
struct StandingPeriods {
  std::function<std::vector<PeriodKey>()> keys;
  // The cursors now, in PublishedPeriod::cursors' form.
  std::function<absl::StatusOr<std::string>()> cursors;
  absl::Duration interval = absl::InfiniteDuration();
};

class PublishedPeriods {
 public:
  // Publishes a period now: reads its figures and cursors, solves.
  using Publisher = std::function<absl::StatusOr<PublishedPeriod>(const PeriodKey&)>;

  PublishedPeriods(Publisher publisher, size_t capacity, StandingPeriods standing = {});
  // Waits for a background publication under way to finish.
  ~PublishedPeriods();
  PublishedPeriods(const PublishedPeriods&) = delete;
  PublishedPeriods& operator=(const PublishedPeriods&) = delete;

  // The last publication of `key`; `current_cursors` are the cursors now
  // (PublishedPeriod::cursors' form). Publishes in the background when they
  // differ from the last publication's, or now when there is none yet.
  absl::StatusOr<PublishedPeriod> Latest(const PeriodKey& key, const std::string& current_cursors);
  // A publication reflecting at least `current_cursors`: the last one when
  // it does, else one published now (and kept as the last).
  absl::StatusOr<PublishedPeriod> Fresh(const PeriodKey& key, const std::string& current_cursors);

 private:
  struct Entry {
    PeriodKey key;
    std::shared_ptr<const PublishedPeriod> last;  // null until first published
    bool publishing = false;                       // a publication of key is under way
  };

  // The entry of `key`, created (and the oldest dropped) when missing; moved to the front.
  Entry& Find(const PeriodKey& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Publishes `key` while the caller waits; shares a publication under way.
  absl::StatusOr<PublishedPeriod> PublishWaiting(const PeriodKey& key,
                                                 const std::string& current_cursors)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void Store(const PeriodKey& key, absl::StatusOr<PublishedPeriod> published)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void RunBackground();
  // Queues the standing periods that are new or whose cursors moved.
  void QueueStanding() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const Publisher publisher_;
  const size_t capacity_;
  const StandingPeriods standing_;
  absl::Mutex mutex_;
  std::list<Entry> entries_ ABSL_GUARDED_BY(mutex_);  // most recently asked first
  std::deque<PeriodKey> stale_ ABSL_GUARDED_BY(mutex_);  // to publish in the background
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread worker_;
};

}  // namespace herstel::reporting

#endif  // HERSTEL_REPORTING_PUBLISHED_PERIODS_H_
