// The service's one clock. Every term, due time, breach and decision time is
// read from a Clock, so tests can drive time without sleeping.
//
// FileClock reads an RFC 3339 time from a file on every call (e.g.
// "2026-03-02T09:00:00+01:00"); while the file does not exist it answers the
// system time. A file that exists but cannot be parsed is reported once per
// distinct content and the system time is used, so a typo never stops the
// service.
#ifndef HERSTEL_ESCALATION_DOMAIN_CLOCK_H_
#define HERSTEL_ESCALATION_DOMAIN_CLOCK_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace herstel::escalation {

class Clock {
 public:
  virtual ~Clock() = default;
  // The current time. Thread-safe.
  virtual absl::Time Now() const = 0;
};

// The system time.
class SystemClock : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

// The time held in a file, or the system time while the file is absent.
class FileClock : public Clock {
 public:
  explicit FileClock(std::string path) : path_(std::move(path)) {}
  absl::Time Now() const override;

 private:
  const std::string path_;
  mutable absl::Mutex mutex_;
  mutable std::string last_reported_content_ ABSL_GUARDED_BY(mutex_);
};

// Parses an RFC 3339 time ("2026-03-02T09:00:00Z", offsets allowed).
bool ParseRfc3339(const std::string& text, absl::Time* time);

}  // namespace herstel::escalation

#endif  // HERSTEL_ESCALATION_DOMAIN_CLOCK_H_
