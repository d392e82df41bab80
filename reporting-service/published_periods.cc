#include "published_periods.h"

#include <utility>

namespace herstel::reporting {

PublishedPeriods::PublishedPeriods(Publisher publisher, size_t capacity,
                                   StandingPeriods standing)
    : publisher_(std::move(publisher)), capacity_(capacity), standing_(std::move(standing)) {
  worker_ = std::thread([this] { RunBackground(); });
}

PublishedPeriods::~PublishedPeriods() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
  }
  worker_.join();
}

PublishedPeriods::Entry& PublishedPeriods::Find(const PeriodKey& key) {
  for (auto entry = entries_.begin(); entry != entries_.end(); ++entry) {
    if (entry->key == key) {
      entries_.splice(entries_.begin(), entries_, entry);
      return entries_.front();
    }
  }
  entries_.push_front(Entry{key, nullptr, false});
  if (entries_.size() > capacity_) entries_.pop_back();
  return entries_.front();
}

absl::StatusOr<PublishedPeriod> PublishedPeriods::Latest(const PeriodKey& key,
                                                         const std::string& current_cursors) {
  absl::MutexLock lock(&mutex_);
  Entry& entry = Find(key);
  if (entry.last == nullptr) return PublishWaiting(key, current_cursors);
  if (entry.last->cursors != current_cursors && !entry.publishing) {
    entry.publishing = true;
    stale_.push_back(key);
  }
  return *entry.last;
}

absl::StatusOr<PublishedPeriod> PublishedPeriods::Fresh(const PeriodKey& key,
                                                        const std::string& current_cursors) {
  absl::MutexLock lock(&mutex_);
  Entry& entry = Find(key);
  if (entry.last != nullptr && entry.last->cursors == current_cursors) return *entry.last;
  return PublishWaiting(key, current_cursors);
}

absl::StatusOr<PublishedPeriod> PublishedPeriods::PublishWaiting(
    const PeriodKey& key, const std::string& current_cursors) {
  auto none_under_way = [this, &key]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    for (const Entry& entry : entries_) {
      if (entry.key == key) return !entry.publishing;
    }
    return true;
  };
  mutex_.Await(absl::Condition(&none_under_way));
  Entry& entry = Find(key);
  if (entry.last != nullptr && entry.last->cursors == current_cursors) return *entry.last;
  entry.publishing = true;
  mutex_.Unlock();
  absl::StatusOr<PublishedPeriod> published = publisher_(key);
  mutex_.Lock();
  Store(key, published);
  return published;
}

void PublishedPeriods::Store(const PeriodKey& key, absl::StatusOr<PublishedPeriod> published) {
  Entry& entry = Find(key);
  entry.publishing = false;
  if (published.ok()) entry.last = std::make_shared<const PublishedPeriod>(*std::move(published));
}

void PublishedPeriods::QueueStanding() {
  mutex_.Unlock();
  std::vector<PeriodKey> keys = standing_.keys();
  absl::StatusOr<std::string> cursors = standing_.cursors();
  mutex_.Lock();
  if (!cursors.ok()) return;  // the store answers again at the next check
  for (const PeriodKey& key : keys) {
    Entry& entry = Find(key);
    if (entry.publishing || (entry.last != nullptr && entry.last->cursors == *cursors)) continue;
    entry.publishing = true;
    stale_.push_back(key);
  }
}

void PublishedPeriods::RunBackground() {
  absl::MutexLock lock(&mutex_);
  absl::Time next_standing = absl::Now() + standing_.interval;
  while (true) {
    auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
      return stopping_ || !stale_.empty();
    };
    mutex_.AwaitWithDeadline(absl::Condition(&has_work), next_standing);
    if (stopping_) return;
    if (absl::Now() >= next_standing) {
      QueueStanding();
      next_standing = absl::Now() + standing_.interval;
      if (stopping_) return;
    }
    if (stale_.empty()) continue;
    PeriodKey key = stale_.front();
    stale_.pop_front();
    const absl::Time started = absl::Now();
    mutex_.Unlock();
    absl::StatusOr<PublishedPeriod> published = publisher_(key);
    mutex_.Lock();
    Store(key, std::move(published));
    // Rests as long as it worked: while events keep arriving, publishing
    // takes at most half of one core.
    mutex_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Now() - started);
  }
}

}  // namespace herstel::reporting
