// Benchmark only: a deterministic, realistic history of the Groningen
// recovery as the case-, mandate- and escalation-services would have
// streamed it, written to files the benchmark then follows.
//
// Cases are opened evenly over the years (a fixed seed makes every run
// the same), each with one to four tracks that move phase by phase,
// contact handovers, plans, inspections on request, bottlenecks, and
// decision requests that are decided within a mandate (a reservation and
// its commitment on a municipality's budget line) or escalated up the
// ladder (levels, suspensions, decisions, outcomes applied to the case).
// Payloads are the proto messages the real services append, with the
// fields they fill.
//
// Every event before `stream_end` goes to "<dir>/<source>.events" with
// that source's sequence (1, 2, ...); the events after it (the stream
// continuing while the reporting-service follows) go, in time order, to
// "<dir>/tail.events" until `tail_events` of them are written. Record
// format: a 4-byte little-endian length and the serialised v1::Event; in
// the tail file each record is preceded by one byte, the source's index
// in kStorySources.
#ifndef HERSTEL_REPORTING_BENCH_EVENT_STORY_H_
#define HERSTEL_REPORTING_BENCH_EVENT_STORY_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "herstel/v1/common.pb.h"

namespace herstel::reporting::bench {

inline constexpr const char* kStorySources[] = {"case-service", "mandate-service",
                                                "escalation-service"};
inline constexpr int kStorySourceCount = 3;

struct StoryOptions {
  int64_t cases = 20000;
  absl::Time stream_start;  // first case opened (budget lines exist from its year on)
  absl::Time stream_end;    // last event of the rebuild stream is before this
  int64_t tail_events = 2000;
  // Only the first this many municipalities (largest first) of the 14; fewer
  // areas make the public suppression smaller (a scaling check).
  int municipalities = 14;
  uint32_t seed = 20240117;
};

struct StoryCounts {
  int64_t events[kStorySourceCount] = {0, 0, 0};  // per source, before stream_end
  int64_t tail_events = 0;
  int64_t total() const { return events[0] + events[1] + events[2]; }
};

// Writes the story into `directory` (which must exist).
absl::StatusOr<StoryCounts> WriteStory(const StoryOptions& options, const std::string& directory);

// Reads records written by WriteStory, one after the other.
class EventFileReader {
 public:
  // `with_source`: records carry the source byte (the tail file).
  static absl::StatusOr<std::unique_ptr<EventFileReader>> Open(const std::string& path,
                                                               bool with_source);
  ~EventFileReader();
  EventFileReader(const EventFileReader&) = delete;
  EventFileReader& operator=(const EventFileReader&) = delete;

  // The next event (and its source index when the file carries one); false at the end.
  bool Next(v1::Event& event, int* source = nullptr);

 private:
  EventFileReader(std::FILE* file, bool with_source) : file_(file), with_source_(with_source) {}
  std::FILE* file_;
  bool with_source_;
  std::string buffer_;
};

}  // namespace herstel::reporting::bench

#endif  // HERSTEL_REPORTING_BENCH_EVENT_STORY_H_
