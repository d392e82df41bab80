// Test-only: builds real herstel.v1.Event messages of the followed services
// and keeps an independent count of what the monitor must show, computed
// from the same story without the service's aggregation code.
#ifndef HERSTEL_REPORTING_TEST_TEST_EVENTS_H_
#define HERSTEL_REPORTING_TEST_TEST_EVENTS_H_

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/util/time_util.h"
#include "herstel/v1/case_service.pb.h"
#include "herstel/v1/escalation_service.pb.h"
#include "herstel/v1/mandate_service.pb.h"

namespace herstel::reporting::testing {

// One event of a story, before a source gives it a sequence.
struct StoryEvent {
  std::string source;  // "case-service", ...
  std::string resource;
  absl::Time at;
  std::shared_ptr<google::protobuf::Message> payload;
};

inline v1::Event ToEvent(const StoryEvent& story, int64_t sequence) {
  v1::Event event;
  event.set_sequence(sequence);
  event.set_type(story.payload->GetDescriptor()->full_name());
  event.set_resource(story.resource);
  *event.mutable_commit_time() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(story.at));
  event.mutable_payload()->PackFrom(*story.payload);
  return event;
}

// What the monitor must say for one area, counted directly from the story.
struct ExpectedArea {
  std::map<std::pair<int, int>, int64_t> open_per_track_phase;
  int64_t open_cases = 0;
  int64_t opened = 0;
  int64_t closed = 0;
  int64_t one_contact = 0;
  int64_t covers_all = 0;
  int64_t handovers = 0;
  int64_t bottlenecks_raised = 0;
  int64_t bottlenecks_solved = 0;
  int64_t decisions_within = 0;
  int64_t decisions_escalated = 0;
  int64_t inspections_waiting = 0;
  int64_t escalations_open_local = 0;
  std::map<std::pair<int, int>, std::vector<absl::Duration>> lead_times;
};

// A random but reproducible story of cases in a few villages, over weeks.
class Story {
 public:
  static constexpr const char* kMunicipalities[] = {"municipalities/eemsdelta",
                                                    "municipalities/oldambt"};

  Story(int cases, absl::Time start, uint32_t seed) : random_(seed) {
    absl::Time at = start;
    for (int number = 1; number <= cases; ++number) {
      at += absl::Minutes(5 + random_() % 600);
      CreateCase(number, at);
    }
    // Then each case moves on a little, in time order per case.
    for (int number = 1; number <= cases; ++number) Advance(number, created_at_[number]);
    std::stable_sort(events_.begin(), events_.end(),
                     [](const StoryEvent& a, const StoryEvent& b) { return a.at < b.at; });
  }

  const std::vector<StoryEvent>& events() const { return events_; }

  // The independent count for `municipality`/`village` ("" for all) over
  // events before `until`.
  ExpectedArea Expect(const std::string& municipality, const std::string& village,
                      absl::Time until) const {
    ExpectedArea expected;
    struct Case {
      std::string municipality, village;
      std::map<int, std::pair<int, absl::Time>> active;  // track -> (phase, since)
      bool contact = true;
      std::vector<int> plan;
      bool has_plan = false;
    };
    std::map<std::string, Case> cases;
    auto in_area = [&](const Case& c) {
      return (municipality.empty() || c.municipality == municipality) &&
             (village.empty() || c.village == village);
    };
    for (const StoryEvent& event : events_) {
      if (event.at >= until) break;
      const std::string& type = event.payload->GetDescriptor()->full_name();
      if (type == "herstel.v1.CaseCreated") {
        const auto& created = static_cast<const v1::CaseCreated&>(*event.payload);
        Case& c = cases[created.case_()];
        c.municipality = created.municipality();
        c.village = created.village();
        for (const auto& track : created.tracks()) c.active[track.track()] = {track.phase(), event.at};
        if (in_area(c)) expected.opened++;
      } else if (type == "herstel.v1.PhaseAdvanced") {
        const auto& advanced = static_cast<const v1::PhaseAdvanced&>(*event.payload);
        Case& c = cases[advanced.case_()];
        auto& [phase, since] = c.active[advanced.track()];
        if (in_area(c)) expected.lead_times[{advanced.track(), phase}].push_back(event.at - since);
        phase = advanced.to_phase();
        since = event.at;
      } else if (type == "herstel.v1.TrackCompleted") {
        const auto& completed = static_cast<const v1::TrackCompleted&>(*event.payload);
        Case& c = cases[completed.case_()];
        auto [phase, since] = c.active[completed.track()];
        if (in_area(c)) expected.lead_times[{completed.track(), phase}].push_back(event.at - since);
        c.active.erase(completed.track());
        if (c.active.empty() && in_area(c)) expected.closed++;
      } else if (type == "herstel.v1.ContactPersonHandedOver") {
        const auto& handover = static_cast<const v1::ContactPersonHandedOver&>(*event.payload);
        if (in_area(cases[handover.case_()])) expected.handovers++;
      } else if (type == "herstel.v1.CasePlanUpdated") {
        const auto& plan = static_cast<const v1::CasePlanUpdated&>(*event.payload);
        Case& c = cases[plan.case_()];
        c.has_plan = true;
        c.plan.assign(plan.covered_tracks().begin(), plan.covered_tracks().end());
      } else if (type == "herstel.v1.BottleneckRaised") {
        if (in_area(cases[CaseName(event.resource)])) expected.bottlenecks_raised++;
      } else if (type == "herstel.v1.BottleneckResolved") {
        if (in_area(cases[CaseName(event.resource)])) expected.bottlenecks_solved++;
      } else if (type == "herstel.v1.CaseDecisionRequested") {
        const auto& requested = static_cast<const v1::CaseDecisionRequested&>(*event.payload);
        if (!in_area(cases[CaseName(event.resource)])) continue;
        if (requested.status() == v1::CASE_DECISION_REQUEST_STATUS_DECIDED_WITHIN_MANDATE) {
          expected.decisions_within++;
        } else {
          expected.decisions_escalated++;
        }
      } else if (type == "herstel.v1.InspectionRequested") {
        if (in_area(cases[CaseName(event.resource)])) expected.inspections_waiting++;
      } else if (type == "herstel.v1.EscalationOpened") {
        const auto& opened = static_cast<const v1::EscalationOpened&>(*event.payload);
        if (village.empty() && (municipality.empty() || opened.municipalities(0) == municipality)) {
          expected.escalations_open_local++;
        }
      }
    }
    for (const auto& [name, c] : cases) {
      if (!in_area(c) || c.active.empty()) continue;
      expected.open_cases++;
      for (const auto& [track, phase_since] : c.active) {
        expected.open_per_track_phase[{track, phase_since.first}]++;
      }
      if (c.contact) expected.one_contact++;
      bool covers = c.has_plan;
      for (const auto& [track, phase_since] : c.active) {
        covers &= std::find(c.plan.begin(), c.plan.end(), track) != c.plan.end();
      }
      if (covers) expected.covers_all++;
    }
    return expected;
  }

  static std::string Village(const std::string& municipality, int index) {
    return absl::StrCat(municipality, "/villages/v", index);
  }

 private:
  static std::string CaseName(const std::string& resource) {
    size_t slash = resource.find('/', 6);
    return resource.substr(0, slash);
  }

  template <typename Payload>
  void Add(const std::string& source, const std::string& resource, absl::Time at,
           const Payload& payload) {
    events_.push_back({source, resource, at, std::make_shared<Payload>(payload)});
  }

  void CreateCase(int number, absl::Time at) {
    std::string name = absl::StrCat("cases/", number);
    const char* municipality = kMunicipalities[random_() % 2];
    v1::CaseCreated created;
    created.set_case_(name);
    created.set_municipality(municipality);
    created.set_village(Village(municipality, static_cast<int>(random_() % 3)));
    created.set_risk_category(random_() % 5 == 0 ? v1::RISK_CATEGORY_AOS : v1::RISK_CATEGORY_P90);
    created.mutable_contact_person()->set_subject(absl::StrCat("cm-", random_() % 20));
    int tracks = 1 + static_cast<int>(random_() % 2);
    for (int track = 1; track <= tracks; ++track) {
      auto* entry = created.add_tracks();
      entry->set_track(static_cast<v1::Track>(track == 1 ? v1::TRACK_STRENGTHENING : v1::TRACK_DAMAGE));
      entry->set_phase(v1::PHASE_INTAKE);
      entry->set_state(v1::CASE_TRACK_STATE_ACTIVE);
    }
    municipality_[number] = municipality;
    tracks_[number] = tracks;
    created_at_[number] = at;
    Add("case-service", name, at, created);
  }

  void Advance(int number, absl::Time at) {
    std::string name = absl::StrCat("cases/", number);
    const std::string& municipality = municipality_[number];
    int steps = static_cast<int>(random_() % 7);
    for (int step = 0; step < steps; ++step) {
      at += absl::Hours(1 + random_() % 200);
      v1::PhaseAdvanced advanced;
      advanced.set_case_(name);
      advanced.set_track(v1::TRACK_STRENGTHENING);
      advanced.set_from_phase(static_cast<v1::Phase>(1 + step));
      advanced.set_to_phase(static_cast<v1::Phase>(2 + step));
      advanced.set_municipality(municipality);
      if (step == 5) break;  // completion is its own event
      Add("case-service", name, at, advanced);
    }
    if (steps == 6 && tracks_[number] == 1) {
      at += absl::Hours(5);
      v1::TrackCompleted completed;
      completed.set_case_(name);
      completed.set_track(v1::TRACK_STRENGTHENING);
      completed.set_municipality(municipality);
      Add("case-service", name, at, completed);
    }
    if (random_() % 4 == 0) {
      at += absl::Minutes(30);
      v1::ContactPersonHandedOver handover;
      handover.set_case_(name);
      handover.mutable_from()->set_subject("cm-a");
      handover.mutable_to()->set_subject("cm-b");
      handover.set_municipality(municipality);
      Add("case-service", name, at, handover);
    }
    if (random_() % 3 == 0) {
      at += absl::Minutes(30);
      v1::CasePlanUpdated plan;
      plan.set_case_(name);
      plan.set_status(v1::CASE_PLAN_STATUS_DRAFT);
      plan.add_covered_tracks(v1::TRACK_STRENGTHENING);
      plan.set_municipality(municipality);
      Add("case-service", name, at, plan);
    }
    if (random_() % 5 == 0) {
      at += absl::Minutes(30);
      std::string bottleneck = absl::StrCat(name, "/bottlenecks/1");
      v1::BottleneckRaised raised;
      raised.set_bottleneck(bottleneck);
      raised.set_category(v1::BOTTLENECK_CATEGORY_RULES_DONT_FIT);
      raised.set_municipality(municipality);
      Add("case-service", bottleneck, at, raised);
      if (random_() % 2 == 0) {
        v1::BottleneckResolved resolved;
        resolved.set_bottleneck(bottleneck);
        resolved.set_category(v1::BOTTLENECK_CATEGORY_RULES_DONT_FIT);
        *resolved.mutable_raise_time() =
            google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(at));
        resolved.set_municipality(municipality);
        Add("case-service", bottleneck, at + absl::Hours(30), resolved);
      }
    }
    if (random_() % 4 == 0) {
      at += absl::Minutes(30);
      bool within = random_() % 3 != 0;
      v1::CaseDecisionRequested requested;
      requested.set_decision_request(absl::StrCat(name, "/decision-requests/1"));
      requested.set_status(within ? v1::CASE_DECISION_REQUEST_STATUS_DECIDED_WITHIN_MANDATE
                                  : v1::CASE_DECISION_REQUEST_STATUS_AWAITING_ESCALATION);
      requested.set_municipality(municipality);
      Add("case-service", requested.decision_request(), at, requested);
      if (!within) {
        v1::EscalationOpened opened;
        opened.set_escalation(absl::StrCat("escalations/", number));
        opened.set_level(v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP);
        opened.add_municipalities(municipality);
        Add("escalation-service", opened.escalation(), at + absl::Minutes(1), opened);
      }
    }
    if (random_() % 6 == 0) {
      at += absl::Minutes(30);
      v1::InspectionRequested requested;
      requested.set_inspection_request(absl::StrCat(name, "/inspection-requests/1"));
      requested.set_municipality(municipality);
      Add("case-service", requested.inspection_request(), at, requested);
    }
  }

  std::mt19937 random_;
  std::vector<StoryEvent> events_;
  std::map<int, std::string> municipality_;
  std::map<int, int> tracks_;
  std::map<int, absl::Time> created_at_;
};

// Nearest-rank percentile of exact durations, in whole tenths of a day.
inline double ExactPercentileDays(std::vector<absl::Duration> values, double percent) {
  std::sort(values.begin(), values.end());
  size_t rank = std::max<size_t>(1, static_cast<size_t>(std::ceil(percent / 100.0 * values.size())));
  return std::floor(absl::ToDoubleHours(values[rank - 1]) / 2.4) / 10.0;
}

}  // namespace herstel::reporting::testing

#endif  // HERSTEL_REPORTING_TEST_TEST_EVENTS_H_
