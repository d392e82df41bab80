#include "domain/clock.h"

#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/ascii.h"

namespace herstel::escalation {

bool ParseRfc3339(const std::string& text, absl::Time* time) {
  std::string error;
  return absl::ParseTime(absl::RFC3339_full, std::string(absl::StripAsciiWhitespace(text)), time,
                         &error);
}

absl::Time FileClock::Now() const {
  std::ifstream file(path_);
  if (!file) return absl::Now();
  std::stringstream content;
  content << file.rdbuf();
  absl::Time time;
  if (ParseRfc3339(content.str(), &time)) return time;
  absl::MutexLock lock(&mutex_);
  if (content.str() != last_reported_content_) {
    last_reported_content_ = content.str();
    std::cerr << "{\"service\":\"escalation-service\",\"event\":\"clock_file_unreadable\","
                 "\"detail\":\"not an RFC 3339 time; using the system time\"}"
              << std::endl;
  }
  return absl::Now();
}

}  // namespace herstel::escalation
