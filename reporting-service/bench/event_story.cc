#include "bench/event_story.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <queue>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/time_util.h"
#include "herstel/v1/case_service.pb.h"
#include "herstel/v1/escalation_service.pb.h"
#include "herstel/v1/mandate_service.pb.h"

namespace herstel::reporting::bench {
namespace {

using google::protobuf::util::TimeUtil;

constexpr int64_t kDay = 86400LL * 1000000;
constexpr int64_t kHour = 3600LL * 1000000;
constexpr int64_t kMinute = 60LL * 1000000;

enum Source { kCaseService = 0, kMandateService = 1, kEscalationService = 2 };

// The municipalities of the earthquake area, with their share of the cases
// (percent) and how many villages or neighbourhoods they are split into.
struct MunicipalityShape {
  const char* slug;
  int share;
  int villages;
};
constexpr MunicipalityShape kMunicipalities[] = {
    {"groningen", 22, 30},      {"eemsdelta", 18, 28},       {"het-hogeland", 14, 30},
    {"midden-groningen", 13, 24}, {"oldambt", 6, 16},        {"westerkwartier", 6, 20},
    {"pekela", 3, 6},           {"veendam", 4, 8},           {"stadskanaal", 3, 10},
    {"westerwolde", 2, 12},     {"tynaarlo", 3, 10},         {"aa-en-hunze", 2, 12},
    {"assen", 3, 8},            {"noordenveld", 1, 8}};
constexpr int kMunicipalityCount = sizeof(kMunicipalities) / sizeof(kMunicipalities[0]);
constexpr int kRegionLine = kMunicipalityCount;  // line index of the regional programme

// What happens next to a case (or, for kBudgetYear, to the budget).
enum Kind : uint8_t {
  kTrackStep,
  kTrackAdded,
  kHandover,
  kPlanAgreed,
  kCaseUpdated,
  kInspectionRequested,
  kInspectionScheduled,
  kInspectionClosed,
  kBottleneckRaised,
  kBottleneckResolved,
  kReservationClose,
  kEscalationAcknowledged,
  kEscalationSuspended,
  kEscalationResumed,
  kEscalationStep,
  kBudgetYear,
};

struct Pending {
  int64_t micros;
  uint64_t order;  // ties in time keep the order they were planned in
  uint32_t case_number;
  Kind kind;
  uint8_t arg;     // track, year offset, ...
  int32_t extra;   // reservation number, ...
  int64_t value;   // amount, raise time, ...
  bool operator>(const Pending& other) const {
    return micros != other.micros ? micros > other.micros : order > other.order;
  }
};

// What the generator remembers of one case (the services' own state, in short).
struct CaseShape {
  uint8_t municipality = 0;
  uint8_t risk = 0;
  uint16_t village = 0;
  uint8_t phase[5] = {0, 0, 0, 0, 0};  // per track; 0 none, 7 completed
  int64_t enter_micros[5] = {0, 0, 0, 0, 0};
  uint8_t handovers = 0;
  bool plan = false;
  bool decision_asked = false;
  bool reassessed = false;
  bool suspended = false;
  uint8_t escalation_level = 0;
  int64_t escalation_due_micros = 0;
};

struct LineTotals {
  int64_t ceiling_cents = 0;
  int64_t reserved_cents = 0;
  int64_t committed_cents = 0;
};

google::protobuf::Timestamp Stamp(int64_t micros) {
  return TimeUtil::MicrosecondsToTimestamp(micros);
}

class StoryWriter {
 public:
  StoryWriter(const StoryOptions& options, std::FILE* const files[kStorySourceCount],
              std::FILE* tail)
      : options_(options),
        random_(options.seed),
        tail_(tail),
        start_micros_(absl::ToUnixMicros(options.stream_start)),
        end_micros_(absl::ToUnixMicros(options.stream_end)),
        first_year_(static_cast<int>(absl::ToCivilYear(options.stream_start, absl::UTCTimeZone()).year())),
        cases_(static_cast<size_t>(options.cases) + 1) {
    for (int source = 0; source < kStorySourceCount; ++source) files_[source] = files[source];
  }

  absl::StatusOr<StoryCounts> Run() {
    int last_year =
        static_cast<int>(absl::ToCivilYear(options_.stream_end, absl::UTCTimeZone()).year()) + 1;
    for (int year = first_year_; year <= last_year; ++year) {
      const int year_offset = year - first_year_;
      Plan(BudgetYearOpenMicros(year_offset), 0, kBudgetYear, static_cast<uint8_t>(year_offset));
    }
    // Cases are opened evenly until a quarter before the stream ends.
    const int64_t open_span = end_micros_ - 91 * kDay - start_micros_;
    const int64_t spacing = std::max<int64_t>(1, open_span / options_.cases);
    for (int64_t number = 1; number <= options_.cases && !stopped_; ++number) {
      int64_t at = start_micros_ + (number - 1) * spacing + Between(0, spacing - 1);
      HandleUntil(at);
      CreateCase(static_cast<uint32_t>(number), at);
    }
    HandleUntil(INT64_MAX);
    for (int source = 0; source < kStorySourceCount; ++source) {
      if (std::ferror(files_[source])) return absl::InternalError("writing the story failed");
    }
    return counts_;
  }

 private:
  int64_t Between(int64_t low, int64_t high) {
    return low + static_cast<int64_t>(random_() % static_cast<uint64_t>(high - low + 1));
  }
  bool Chance(int percent) { return static_cast<int>(random_() % 100) < percent; }

  void Plan(int64_t micros, uint32_t number, Kind kind, uint8_t arg = 0, int32_t extra = 0,
            int64_t value = 0) {
    pending_.push({micros, next_order_++, number, kind, arg, extra, value});
  }

  void HandleUntil(int64_t micros) {
    while (!stopped_ && !pending_.empty() && pending_.top().micros < micros) {
      Pending next = pending_.top();
      pending_.pop();
      Handle(next);
    }
  }

  // --- Writing ----------------------------------------------------------------

  void Emit(Source source, const std::string& resource, int64_t micros,
            const google::protobuf::Message& payload, const std::string& actor) {
    if (stopped_) return;
    v1::Event event;
    event.set_sequence(++sequences_[source]);
    event.set_type(payload.GetDescriptor()->full_name());
    event.set_resource(resource);
    *event.mutable_commit_time() = Stamp(micros);
    event.mutable_payload()->PackFrom(payload);
    event.set_request_id(absl::StrFormat("%016x", random_()));
    event.set_actor(actor);
    std::string bytes = event.SerializeAsString();
    uint32_t size = static_cast<uint32_t>(bytes.size());
    unsigned char length[4] = {static_cast<unsigned char>(size), static_cast<unsigned char>(size >> 8),
                               static_cast<unsigned char>(size >> 16),
                               static_cast<unsigned char>(size >> 24)};
    std::FILE* file = files_[source];
    // Once one event lies past the end, the rest is tail: each stream's
    // events before the end stay dense (1..n) even where an event planned
    // before the end is emitted a minute after it.
    if (micros >= end_micros_ || counts_.tail_events > 0) {
      file = tail_;
      unsigned char index = static_cast<unsigned char>(source);
      std::fwrite(&index, 1, 1, file);
      if (++counts_.tail_events >= options_.tail_events) stopped_ = true;
    } else {
      ++counts_.events[source];
    }
    std::fwrite(length, 1, 4, file);
    std::fwrite(bytes.data(), 1, bytes.size(), file);
  }

  static std::string CaseName(uint32_t number) { return absl::StrCat("cases/", number); }
  std::string Municipality(const CaseShape& shape) const {
    return absl::StrCat("municipalities/", kMunicipalities[shape.municipality].slug);
  }
  std::string Village(const CaseShape& shape) const {
    return absl::StrCat(Municipality(shape), "/villages/v", shape.village);
  }
  static std::string ContactSubject(const CaseShape& shape, int index) {
    return absl::StrCat("cm-", kMunicipalities[shape.municipality].slug, "-", index);
  }
  int LineIndex(int year_offset, int municipality_or_region) const {
    return year_offset * (kMunicipalityCount + 1) + municipality_or_region;
  }
  std::string LineName(int line) const {
    int year = first_year_ + line / (kMunicipalityCount + 1);
    int owner = line % (kMunicipalityCount + 1);
    if (owner == kRegionLine) return absl::StrCat("budget-lines/regio-", year);
    return absl::StrCat("budget-lines/kb-", kMunicipalities[owner].slug, "-", year);
  }
  int YearOffset(int64_t micros) const {
    int year = static_cast<int>(
        absl::ToCivilYear(absl::FromUnixMicros(micros), absl::UTCTimeZone()).year());
    return std::max(0, year - first_year_);
  }
  // New Year, or the stream's start in its first year.
  int64_t BudgetYearOpenMicros(int year_offset) const {
    const int64_t new_year = absl::ToUnixMicros(
        absl::FromCivil(absl::CivilDay(first_year_ + year_offset, 1, 1), absl::UTCTimeZone()));
    return std::max(new_year, start_micros_);
  }
  v1::BudgetBalance Balance(int line, int64_t micros) {
    const LineTotals& totals = lines_[line];
    v1::BudgetBalance balance;
    balance.set_budget_line(LineName(line));
    balance.set_ceiling_cents(totals.ceiling_cents);
    balance.set_reserved_cents(totals.reserved_cents);
    balance.set_committed_cents(totals.committed_cents);
    balance.set_available_cents(
        std::max<int64_t>(0, totals.ceiling_cents - totals.reserved_cents - totals.committed_cents));
    *balance.mutable_as_of_time() = Stamp(micros);
    balance.set_journal_sequence(++journal_sequence_);
    return balance;
  }

  // --- The story --------------------------------------------------------------

  static int64_t PhaseDays(int phase, StoryWriter& writer) {
    switch (phase) {
      case v1::PHASE_INTAKE: return writer.Between(7, 60);
      case v1::PHASE_INSPECTION: return writer.Between(14, 150);
      case v1::PHASE_ASSESSMENT: return writer.Between(14, 180);
      case v1::PHASE_PLAN: return writer.Between(14, 120);
      case v1::PHASE_EXECUTION: return writer.Between(30, 360);
      default: return writer.Between(7, 60);
    }
  }

  void CreateCase(uint32_t number, int64_t at) {
    CaseShape& shape = cases_[number];
    const int used = std::clamp(options_.municipalities, 1, kMunicipalityCount);
    int shares = 0;
    for (int index = 0; index < used; ++index) shares += kMunicipalities[index].share;
    int pick = static_cast<int>(random_() % static_cast<uint64_t>(shares));
    for (int index = 0; index < used; ++index) {
      pick -= kMunicipalities[index].share;
      if (pick < 0) {
        shape.municipality = static_cast<uint8_t>(index);
        break;
      }
    }
    shape.village = static_cast<uint16_t>(random_() % kMunicipalities[shape.municipality].villages);
    int risk = static_cast<int>(random_() % 100);
    shape.risk = risk < 2    ? v1::RISK_CATEGORY_AOS
                 : risk < 22 ? v1::RISK_CATEGORY_P50
                 : risk < 50 ? v1::RISK_CATEGORY_P90
                 : risk < 80 ? v1::RISK_CATEGORY_OTHER
                             : v1::RISK_CATEGORY_INSPECTION_ON_REQUEST;
    bool any = false;
    const int chances[5] = {0, 70, 25, 8, 4};
    for (int track = 1; track <= 4; ++track) {
      if (Chance(chances[track])) {
        shape.phase[track] = v1::PHASE_INTAKE;
        any = true;
      }
    }
    if (!any) shape.phase[v1::TRACK_DAMAGE] = v1::PHASE_INTAKE;

    std::string contact = ContactSubject(shape, static_cast<int>(random_() % 40));
    v1::CaseCreated created;
    created.set_case_(CaseName(number));
    created.set_municipality(Municipality(shape));
    created.set_village(Village(shape));
    created.set_risk_category(static_cast<v1::RiskCategory>(shape.risk));
    created.mutable_flags()->set_vulnerable(Chance(8));
    created.mutable_flags()->set_monument(Chance(2));
    created.mutable_flags()->set_farm(Chance(6));
    created.mutable_contact_person()->set_subject(contact);
    created.mutable_contact_person()->set_role(v1::ROLE_NCG_RESIDENT_CASE_MANAGER);
    created.mutable_contact_person()->set_organisation("NCG");
    for (int track = 1; track <= 4; ++track) {
      if (shape.phase[track] == 0) continue;
      v1::CaseTrackPhase* entry = created.add_tracks();
      entry->set_track(static_cast<v1::Track>(track));
      entry->set_phase(v1::PHASE_INTAKE);
      entry->set_state(v1::CASE_TRACK_STATE_ACTIVE);
      shape.enter_micros[track] = at;
      Plan(at + PhaseDays(v1::PHASE_INTAKE, *this) * kDay + Between(0, 8) * kHour, number,
           kTrackStep, static_cast<uint8_t>(track));
    }
    Emit(kCaseService, CaseName(number), at, created, contact);

    if (shape.risk == v1::RISK_CATEGORY_INSPECTION_ON_REQUEST) {
      Plan(at + Between(1, 48) * kHour, number, kInspectionRequested);
    }
    if (Chance(30)) Plan(at + Between(30, 700) * kDay, number, kHandover);
    if (Chance(3)) Plan(at + Between(10, 400) * kDay, number, kCaseUpdated);
    if (Chance(5)) Plan(at + Between(60, 500) * kDay, number, kTrackAdded);
    if (Chance(8)) Plan(at + Between(30, 600) * kDay, number, kBottleneckRaised);
  }

  void Handle(const Pending& next) {
    if (next.kind == kBudgetYear) return OpenBudgetYear(next.arg, next.micros);
    CaseShape& shape = cases_[next.case_number];
    const uint32_t number = next.case_number;
    const int64_t at = next.micros;
    const std::string name = CaseName(number);
    const std::string actor = ContactSubject(shape, static_cast<int>(number % 40));
    switch (next.kind) {
      case kTrackStep:
        return StepTrack(number, shape, next.arg, at);
      case kTrackAdded: {
        if (shape.phase[v1::TRACK_SUPPORT] != 0) return;
        shape.phase[v1::TRACK_SUPPORT] = v1::PHASE_INTAKE;
        shape.enter_micros[v1::TRACK_SUPPORT] = at;
        v1::CaseTrackAdded added;
        added.set_case_(name);
        added.set_track(v1::TRACK_SUPPORT);
        added.set_municipality(Municipality(shape));
        Emit(kCaseService, name, at, added, actor);
        Plan(at + PhaseDays(v1::PHASE_INTAKE, *this) * kDay, number, kTrackStep,
             v1::TRACK_SUPPORT);
        return;
      }
      case kHandover: {
        v1::ContactPersonHandedOver handover;
        handover.set_case_(name);
        handover.set_handover(absl::StrCat(name, "/contact-handovers/", 2 + shape.handovers));
        handover.mutable_from()->set_subject(ContactSubject(shape, shape.handovers));
        handover.mutable_from()->set_role(v1::ROLE_NCG_RESIDENT_CASE_MANAGER);
        handover.mutable_from()->set_organisation("NCG");
        handover.mutable_to()->set_subject(ContactSubject(shape, shape.handovers + 1));
        handover.mutable_to()->set_role(v1::ROLE_NCG_RESIDENT_CASE_MANAGER);
        handover.mutable_to()->set_organisation("NCG");
        handover.set_municipality(Municipality(shape));
        Emit(kCaseService, name, at, handover, actor);
        ++shape.handovers;
        if (Chance(30)) Plan(at + Between(60, 500) * kDay, number, kHandover);
        return;
      }
      case kPlanAgreed: {
        v1::CasePlanUpdated plan;
        plan.set_case_(name);
        plan.set_status(v1::CASE_PLAN_STATUS_AGREED);
        plan.set_estimated_cost_cents(Between(5000, 250000) * 100);
        for (int track = 1; track <= 4; ++track) {
          if (shape.phase[track] != 0 && shape.phase[track] != 7) {
            plan.add_covered_tracks(static_cast<v1::Track>(track));
          }
        }
        plan.set_covers_all_open_tracks(true);
        plan.set_municipality(Municipality(shape));
        Emit(kCaseService, name, at, plan, actor);
        return;
      }
      case kCaseUpdated: {
        v1::CaseUpdated updated;
        updated.set_case_(name);
        updated.add_changed_fields("risk_category");
        shape.risk = shape.risk == v1::RISK_CATEGORY_P90 ? v1::RISK_CATEGORY_P50
                                                         : v1::RISK_CATEGORY_P90;
        updated.set_municipality(Municipality(shape));
        updated.set_village(Village(shape));
        updated.set_risk_category(static_cast<v1::RiskCategory>(shape.risk));
        Emit(kCaseService, name, at, updated, actor);
        return;
      }
      case kInspectionRequested: {
        v1::InspectionRequested requested;
        requested.set_inspection_request(absl::StrCat(name, "/inspection-requests/1"));
        *requested.mutable_request_time() = Stamp(at);
        *requested.mutable_target_time() = Stamp(at + 56 * kDay);
        requested.set_municipality(Municipality(shape));
        requested.set_village(Village(shape));
        Emit(kCaseService, requested.inspection_request(), at, requested, actor);
        int64_t wait_days = Between(14, 120);
        Plan(at + Between(5, wait_days - 1) * kDay, number, kInspectionScheduled);
        Plan(at + wait_days * kDay, number, kInspectionClosed, 0, 0, at);
        return;
      }
      case kInspectionScheduled: {
        v1::InspectionScheduled scheduled;
        scheduled.set_inspection_request(absl::StrCat(name, "/inspection-requests/1"));
        *scheduled.mutable_schedule_time() = Stamp(at + Between(3, 20) * kDay);
        scheduled.set_municipality(Municipality(shape));
        Emit(kCaseService, scheduled.inspection_request(), at, scheduled, actor);
        return;
      }
      case kInspectionClosed: {
        v1::InspectionRequestClosed closed;
        closed.set_inspection_request(absl::StrCat(name, "/inspection-requests/1"));
        closed.set_status(Chance(92) ? v1::INSPECTION_REQUEST_STATUS_INSPECTED
                                     : v1::INSPECTION_REQUEST_STATUS_CANCELLED);
        *closed.mutable_close_time() = Stamp(at);
        int64_t waited = (at - next.value) / kDay;
        closed.set_waiting_days(static_cast<int32_t>(waited));
        closed.set_overdue(waited > 56);
        closed.set_municipality(Municipality(shape));
        closed.set_village(Village(shape));
        Emit(kCaseService, closed.inspection_request(), at, closed, actor);
        return;
      }
      case kBottleneckRaised: {
        v1::BottleneckRaised raised;
        raised.set_bottleneck(absl::StrCat(name, "/bottlenecks/1"));
        uint8_t category = static_cast<uint8_t>(1 + random_() % 4);
        raised.set_category(static_cast<v1::BottleneckCategory>(category));
        raised.set_track(v1::TRACK_STRENGTHENING);
        raised.set_raised_by_role(v1::ROLE_NCG_RESIDENT_CASE_MANAGER);
        raised.set_municipality(Municipality(shape));
        Emit(kCaseService, raised.bottleneck(), at, raised, actor);
        if (Chance(70)) Plan(at + Between(10, 200) * kDay, number, kBottleneckResolved, category, 0, at);
        return;
      }
      case kBottleneckResolved: {
        v1::BottleneckResolved resolved;
        resolved.set_bottleneck(absl::StrCat(name, "/bottlenecks/1"));
        resolved.set_category(static_cast<v1::BottleneckCategory>(next.arg));
        *resolved.mutable_raise_time() = Stamp(next.value);
        resolved.set_municipality(Municipality(shape));
        Emit(kCaseService, resolved.bottleneck(), at, resolved, actor);
        return;
      }
      case kReservationClose:
        return CloseReservation(next);
      case kEscalationAcknowledged: {
        v1::EscalationAcknowledged acknowledged;
        acknowledged.set_escalation(absl::StrCat("escalations/", number));
        acknowledged.set_level(static_cast<v1::EscalationLevel>(shape.escalation_level));
        Emit(kEscalationService, acknowledged.escalation(), at, acknowledged, "secretary");
        return;
      }
      case kEscalationSuspended: {
        if (shape.escalation_level == 0) return;
        v1::EscalationSuspended suspended;
        suspended.set_escalation(absl::StrCat("escalations/", number));
        suspended.set_level(static_cast<v1::EscalationLevel>(shape.escalation_level));
        Emit(kEscalationService, suspended.escalation(), at, suspended, "secretary");
        shape.suspended = true;
        Plan(at + Between(5, 30) * kDay, number, kEscalationResumed);
        return;
      }
      case kEscalationResumed: {
        if (shape.escalation_level == 0 || !shape.suspended) return;
        int32_t days = static_cast<int32_t>(Between(3, 20));
        shape.escalation_due_micros += days * kDay;
        shape.suspended = false;
        v1::EscalationResumed resumed;
        resumed.set_escalation(absl::StrCat("escalations/", number));
        resumed.set_level(static_cast<v1::EscalationLevel>(shape.escalation_level));
        resumed.set_working_days_suspended(days);
        *resumed.mutable_due_time() = Stamp(shape.escalation_due_micros);
        Emit(kEscalationService, resumed.escalation(), at, resumed, "secretary");
        return;
      }
      case kEscalationStep:
        return StepEscalation(number, shape, at);
      case kBudgetYear:
        return;
    }
  }

  // Years open in order and once: a year is open when `lines_` holds its lines.
  void OpenBudgetYear(int year_offset, int64_t at) {
    if (lines_.size() > static_cast<size_t>(LineIndex(year_offset, 0))) return;
    lines_.resize(static_cast<size_t>(LineIndex(year_offset + 1, 0)));
    for (int owner = 0; owner <= kMunicipalityCount; ++owner) {
      int line = LineIndex(year_offset, owner);
      int share = owner == kRegionLine ? 30 : kMunicipalities[owner].share;
      lines_[line].ceiling_cents = share * 30'000'000LL * 100;
      v1::BudgetLineCreated created;
      v1::BudgetLine* budget = created.mutable_budget_line();
      budget->set_name(LineName(line));
      budget->set_display_name(
          owner == kRegionLine
              ? absl::StrCat("Regionaal programma ", first_year_ + year_offset)
              : absl::StrCat("Knelpuntenbudget ", kMunicipalities[owner].slug, " ",
                             first_year_ + year_offset));
      budget->set_source(owner == kRegionLine ? v1::BUDGET_SOURCE_REGIONAL_PROGRAMME
                                              : v1::BUDGET_SOURCE_BOTTLENECK_BUDGET);
      budget->set_owner(owner == kRegionLine ? "NCG"
                                             : absl::StrCat("municipalities/",
                                                            kMunicipalities[owner].slug));
      if (owner != kRegionLine) {
        budget->set_municipality(absl::StrCat("municipalities/", kMunicipalities[owner].slug));
      }
      budget->set_year(first_year_ + year_offset);
      budget->set_ceiling_cents(lines_[line].ceiling_cents);
      budget->set_available_cents(lines_[line].ceiling_cents);
      *budget->mutable_create_time() = Stamp(at);
      *budget->mutable_update_time() = Stamp(at);
      budget->set_etag("1");
      Emit(kMandateService, budget->name(), at, created, "operator");
    }
  }

  void StepTrack(uint32_t number, CaseShape& shape, int track, int64_t at) {
    const std::string name = CaseName(number);
    const std::string actor = ContactSubject(shape, shape.handovers);
    int phase = shape.phase[track];
    if (phase == 0 || phase == 7) return;
    bool no_action = phase == v1::PHASE_ASSESSMENT && Chance(15);
    if (phase == v1::PHASE_COMPLETION || no_action) {
      v1::TrackCompleted completed;
      completed.set_case_(name);
      completed.set_track(static_cast<v1::Track>(track));
      completed.set_outcome(no_action   ? v1::CASE_TRACK_OUTCOME_NO_ACTION_NEEDED
                            : Chance(5) ? v1::CASE_TRACK_OUTCOME_WITHDRAWN_BY_RESIDENT
                                        : v1::CASE_TRACK_OUTCOME_WORK_DONE);
      completed.set_municipality(Municipality(shape));
      completed.set_village(Village(shape));
      Emit(kCaseService, name, at, completed, actor);
      shape.phase[track] = 7;
      return;
    }
    if (phase == v1::PHASE_PLAN && !shape.reassessed && Chance(4)) {
      v1::TrackReassessed reassessed;
      reassessed.set_case_(name);
      reassessed.set_track(static_cast<v1::Track>(track));
      reassessed.set_from_phase(v1::PHASE_PLAN);
      reassessed.set_to_phase(v1::PHASE_ASSESSMENT);
      reassessed.set_reason("nieuwe opname toont andere schade");
      reassessed.set_municipality(Municipality(shape));
      reassessed.set_village(Village(shape));
      Emit(kCaseService, name, at, reassessed, actor);
      shape.reassessed = true;
      shape.phase[track] = v1::PHASE_ASSESSMENT;
      shape.enter_micros[track] = at;
      Plan(at + PhaseDays(v1::PHASE_ASSESSMENT, *this) * kDay, number, kTrackStep,
           static_cast<uint8_t>(track));
      return;
    }
    v1::PhaseAdvanced advanced;
    advanced.set_case_(name);
    advanced.set_track(static_cast<v1::Track>(track));
    advanced.set_from_phase(static_cast<v1::Phase>(phase));
    advanced.set_to_phase(static_cast<v1::Phase>(phase + 1));
    *advanced.mutable_from_phase_enter_time() = Stamp(shape.enter_micros[track]);
    advanced.set_municipality(Municipality(shape));
    advanced.set_village(Village(shape));
    Emit(kCaseService, name, at, advanced, actor);
    shape.phase[track] = static_cast<uint8_t>(phase + 1);
    shape.enter_micros[track] = at;
    Plan(at + PhaseDays(phase + 1, *this) * kDay + Between(0, 8) * kHour, number, kTrackStep,
         static_cast<uint8_t>(track));
    if (phase + 1 != v1::PHASE_PLAN) return;
    if (!shape.plan) {
      shape.plan = true;
      v1::CasePlanUpdated plan;
      plan.set_case_(name);
      plan.set_status(v1::CASE_PLAN_STATUS_DRAFT);
      plan.set_estimated_cost_cents(Between(5000, 250000) * 100);
      bool all = Chance(90);
      for (int other = 1; other <= 4; ++other) {
        if (shape.phase[other] != 0 && shape.phase[other] != 7 && (all || other == track)) {
          plan.add_covered_tracks(static_cast<v1::Track>(other));
        }
      }
      plan.set_covers_all_open_tracks(all);
      plan.set_municipality(Municipality(shape));
      Emit(kCaseService, name, at + kMinute, plan, actor);
      Plan(at + Between(14, 60) * kDay, number, kPlanAgreed);
    }
    if (!shape.decision_asked && Chance(40)) {
      shape.decision_asked = true;
      RequestDecision(number, shape, at + 2 * kHour);
    }
  }

  void RequestDecision(uint32_t number, CaseShape& shape, int64_t at) {
    const std::string name = CaseName(number);
    const std::string actor = ContactSubject(shape, shape.handovers);
    const int64_t amount_cents = Between(50, 800) * 100 * 100;
    v1::CaseDecisionRequested requested;
    requested.set_decision_request(absl::StrCat(name, "/decision-requests/1"));
    requested.set_kind(Chance(70) ? v1::DECISION_KIND_CUSTOM_SOLUTION
                                  : v1::DECISION_KIND_BOTTLENECK_BUDGET);
    requested.set_amount_cents(amount_cents);
    requested.set_municipality(Municipality(shape));
    if (Chance(85)) {
      int32_t reservation = ++reservations_;
      // A request made just before New Year lands in a year whose budget
      // lines are not open yet; open them first.
      const int year_offset = YearOffset(at);
      OpenBudgetYear(year_offset, BudgetYearOpenMicros(year_offset));
      int line = LineIndex(year_offset, shape.municipality);
      requested.set_status(v1::CASE_DECISION_REQUEST_STATUS_DECIDED_WITHIN_MANDATE);
      requested.set_mandate(absl::StrCat("mandates/", kMunicipalities[shape.municipality].slug, "-cm"));
      requested.set_reservation(absl::StrCat("reservations/", reservation));
      Emit(kCaseService, requested.decision_request(), at, requested, actor);
      Reserve(reservation, line, amount_cents, requested.decision_request(), requested.mandate(),
              actor, at);
      Plan(at + Between(30, 300) * kDay, number, kReservationClose, 0, reservation,
           amount_cents * 1024 + line);
      return;
    }
    std::string escalation = absl::StrCat("escalations/", number);
    requested.set_status(v1::CASE_DECISION_REQUEST_STATUS_AWAITING_ESCALATION);
    requested.set_escalation(escalation);
    requested.set_can_decide_level(v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP);
    Emit(kCaseService, requested.decision_request(), at, requested, actor);
    shape.escalation_level = v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP;
    shape.escalation_due_micros = at + 42 * kDay;
    v1::EscalationOpened opened;
    opened.set_escalation(escalation);
    opened.set_level(v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP);
    opened.set_body(absl::StrCat("bodies/", kMunicipalities[shape.municipality].slug, "-lsg"));
    opened.set_reason(v1::ESCALATION_REASON_OUT_OF_MANDATE);
    opened.add_municipalities(Municipality(shape));
    opened.set_decision_kind(requested.kind());
    opened.set_amount_asked_cents(amount_cents);
    opened.add_cases(name);
    opened.set_decision_request(requested.decision_request());
    *opened.mutable_due_time() = Stamp(shape.escalation_due_micros);
    Emit(kEscalationService, escalation, at + kMinute, opened, "case-service");
    Plan(at + Between(1, 3) * kDay, number, kEscalationAcknowledged);
    if (Chance(8)) Plan(at + Between(5, 20) * kDay, number, kEscalationSuspended);
    Plan(at + Between(10, 60) * kDay, number, kEscalationStep, 0, 0, amount_cents);
  }

  void Reserve(int32_t reservation, int line, int64_t amount_cents, const std::string& reference,
               const std::string& mandate, const std::string& actor, int64_t at) {
    lines_[line].reserved_cents += amount_cents;
    v1::BudgetReserved reserved;
    v1::Reservation* made = reserved.mutable_reservation();
    made->set_name(absl::StrCat("reservations/", reservation));
    v1::ReservationLine* part = made->add_lines();
    part->set_budget_line(LineName(line));
    part->set_amount_cents(amount_cents);
    made->set_amount_cents(amount_cents);
    made->set_state(v1::RESERVATION_STATE_ACTIVE);
    *made->mutable_expire_time() = Stamp(at + 365 * kDay);
    made->set_reference(reference);
    made->set_mandate(mandate);
    made->set_reserved_by(actor);
    *made->mutable_create_time() = Stamp(at);
    made->set_etag("1");
    *reserved.add_balances() = Balance(line, at);
    Emit(kMandateService, made->name(), at + kMinute, reserved, actor);
  }

  void CloseReservation(const Pending& next) {
    const int64_t amount_cents = next.value / 1024;
    const int line = static_cast<int>(next.value % 1024);
    const std::string reservation = absl::StrCat("reservations/", next.extra);
    const std::string reference = absl::StrCat(CaseName(next.case_number), "/decision-requests/1");
    v1::BudgetLineAmount amount;
    amount.set_budget_line(LineName(line));
    amount.set_amount_cents(amount_cents);
    lines_[line].reserved_cents -= amount_cents;
    if (Chance(90)) {
      lines_[line].committed_cents += amount_cents;
      v1::ReservationCommitted committed;
      committed.set_reservation(reservation);
      *committed.add_committed() = amount;
      committed.set_reference(reference);
      *committed.add_balances() = Balance(line, next.micros);
      Emit(kMandateService, reservation, next.micros, committed, "finance");
    } else {
      v1::ReservationReleased released;
      released.set_reservation(reservation);
      *released.add_released() = amount;
      released.set_reason("plan gewijzigd");
      released.set_reference(reference);
      *released.add_balances() = Balance(line, next.micros);
      Emit(kMandateService, reservation, next.micros, released, "finance");
    }
  }

  void StepEscalation(uint32_t number, CaseShape& shape, int64_t at) {
    if (shape.escalation_level == 0) return;
    const std::string escalation = absl::StrCat("escalations/", number);
    const std::string name = CaseName(number);
    const int level = shape.escalation_level;
    const int64_t amount_cents = Between(50, 800) * 100 * 100;
    v1::EscalationDecided decided;
    decided.set_escalation(escalation);
    decided.set_decision(absl::StrCat(escalation, "/decisions/", level));
    decided.set_level(static_cast<v1::EscalationLevel>(level));
    decided.set_body(absl::StrCat("bodies/", kMunicipalities[shape.municipality].slug, "-", level));
    decided.set_decision_kind(v1::DECISION_KIND_CUSTOM_SOLUTION);
    decided.set_amount_asked_cents(amount_cents);
    decided.set_within_term(!shape.suspended && at <= shape.escalation_due_micros);
    decided.add_municipalities(Municipality(shape));
    decided.add_cases(name);
    decided.set_decision_request(absl::StrCat(name, "/decision-requests/1"));
    if (level < 3 && Chance(level == 1 ? 25 : 20)) {
      decided.set_outcome(v1::ESCALATION_DECISION_OUTCOME_CANNOT_DECIDE);
      decided.set_final(false);
      Emit(kEscalationService, escalation, at, decided, "secretary");
      shape.escalation_level = static_cast<uint8_t>(level + 1);
      shape.escalation_due_micros = at + 56 * kDay;
      shape.suspended = false;
      v1::EscalationLevelChanged changed;
      changed.set_escalation(escalation);
      changed.mutable_change()->set_from_level(static_cast<v1::EscalationLevel>(level));
      changed.mutable_change()->set_to_level(static_cast<v1::EscalationLevel>(level + 1));
      changed.mutable_change()->set_reason(v1::ESCALATION_REASON_NO_DECISION_POSSIBLE);
      changed.mutable_change()->set_trigger(v1::ESCALATION_LEVEL_CHANGE_TRIGGER_CANNOT_DECIDE);
      changed.mutable_change()->set_cause(decided.decision());
      changed.mutable_change()->set_actor("secretary");
      *changed.mutable_change()->mutable_change_time() = Stamp(at);
      changed.set_body(absl::StrCat("bodies/level-", level + 1));
      *changed.mutable_due_time() = Stamp(shape.escalation_due_micros);
      changed.add_municipalities(Municipality(shape));
      Emit(kEscalationService, escalation, at + kMinute, changed, "secretary");
      Plan(at + Between(14, 70) * kDay, number, kEscalationStep);
      return;
    }
    shape.escalation_level = 0;
    if (Chance(4)) {
      v1::EscalationWithdrawn withdrawn;
      withdrawn.set_escalation(escalation);
      withdrawn.set_level(static_cast<v1::EscalationLevel>(level));
      withdrawn.set_decision_request(decided.decision_request());
      withdrawn.add_cases(name);
      Emit(kEscalationService, escalation, at, withdrawn, "case-service");
      return;
    }
    int outcome = static_cast<int>(random_() % 100);
    decided.set_outcome(outcome < 60   ? v1::ESCALATION_DECISION_OUTCOME_GRANTED
                        : outcome < 80 ? v1::ESCALATION_DECISION_OUTCOME_PARTLY_GRANTED
                        : outcome < 95 ? v1::ESCALATION_DECISION_OUTCOME_DENIED
                                       : v1::ESCALATION_DECISION_OUTCOME_REFERRED);
    bool granted = outcome < 80;
    int64_t granted_cents = outcome < 60 ? amount_cents : outcome < 80 ? amount_cents / 2 : 0;
    decided.set_amount_cents(granted_cents);
    decided.set_final(true);
    int32_t reservation = granted ? ++reservations_ : 0;
    const int region_line = LineIndex(YearOffset(at), kRegionLine);
    if (granted) {
      decided.set_spendable_status(v1::ESCALATION_SPENDABLE_STATUS_SPENDABLE);
      decided.set_reservation(absl::StrCat("reservations/", reservation));
      v1::EscalationFunding* funding = decided.add_funding();
      funding->set_budget_line(LineName(region_line));
      funding->set_amount_cents(granted_cents);
    } else {
      decided.set_spendable_status(v1::ESCALATION_SPENDABLE_STATUS_NOT_APPLICABLE);
    }
    Emit(kEscalationService, escalation, at, decided, "secretary");
    if (outcome >= 95) {
      v1::EscalationReferred referred;
      referred.set_escalation(escalation);
      referred.set_level(static_cast<v1::EscalationLevel>(level));
      referred.set_organisation("ministerie-bzk");
      referred.set_framework("landelijke regeling");
      referred.set_decision(decided.decision());
      referred.set_decision_request(decided.decision_request());
      referred.add_cases(name);
      Emit(kEscalationService, escalation, at + kMinute, referred, "secretary");
    }
    v1::CaseDecisionOutcomeApplied applied;
    applied.set_decision_request(decided.decision_request());
    applied.set_status(outcome < 60   ? v1::CASE_DECISION_REQUEST_STATUS_GRANTED
                       : outcome < 80 ? v1::CASE_DECISION_REQUEST_STATUS_PARTLY_GRANTED
                       : outcome < 95 ? v1::CASE_DECISION_REQUEST_STATUS_DENIED
                                      : v1::CASE_DECISION_REQUEST_STATUS_REFERRED);
    applied.set_granted_amount_cents(granted_cents);
    applied.set_decided_level(static_cast<v1::EscalationLevel>(level));
    applied.set_escalation(escalation);
    applied.set_escalation_decision(decided.decision());
    applied.set_municipality(Municipality(shape));
    if (granted) applied.set_reservation(decided.reservation());
    Emit(kCaseService, decided.decision_request(), at + 2 * kMinute, applied, "escalation-service");
    if (granted) {
      Reserve(reservation, region_line, granted_cents, decided.decision_request(), "",
              "escalation-service", at + kMinute);
      Plan(at + Between(30, 300) * kDay, number, kReservationClose, 0, reservation,
           granted_cents * 1024 + region_line);
    }
  }

  const StoryOptions options_;
  std::mt19937_64 random_;
  std::FILE* files_[kStorySourceCount];
  std::FILE* tail_;
  const int64_t start_micros_;
  const int64_t end_micros_;
  const int first_year_;
  std::vector<CaseShape> cases_;
  std::vector<LineTotals> lines_;
  std::priority_queue<Pending, std::vector<Pending>, std::greater<Pending>> pending_;
  uint64_t next_order_ = 0;
  int64_t sequences_[kStorySourceCount] = {0, 0, 0};
  int64_t journal_sequence_ = 0;
  int32_t reservations_ = 0;
  bool stopped_ = false;
  StoryCounts counts_;
};

}  // namespace

absl::StatusOr<StoryCounts> WriteStory(const StoryOptions& options, const std::string& directory) {
  std::FILE* files[kStorySourceCount];
  for (int source = 0; source < kStorySourceCount; ++source) {
    std::string path = absl::StrCat(directory, "/", kStorySources[source], ".events");
    files[source] = std::fopen(path.c_str(), "wb");
    if (files[source] == nullptr) {
      return absl::InternalError(absl::StrCat("can't write ", path, ": ", std::strerror(errno)));
    }
  }
  std::string tail_path = absl::StrCat(directory, "/tail.events");
  std::FILE* tail = std::fopen(tail_path.c_str(), "wb");
  if (tail == nullptr) return absl::InternalError(absl::StrCat("can't write ", tail_path));
  absl::StatusOr<StoryCounts> counts = StoryWriter(options, files, tail).Run();
  for (std::FILE* file : files) std::fclose(file);
  std::fclose(tail);
  return counts;
}

absl::StatusOr<std::unique_ptr<EventFileReader>> EventFileReader::Open(const std::string& path,
                                                                       bool with_source) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return absl::NotFoundError(absl::StrCat("can't read ", path));
  std::setvbuf(file, nullptr, _IOFBF, 1 << 20);
  return std::unique_ptr<EventFileReader>(new EventFileReader(file, with_source));
}

EventFileReader::~EventFileReader() { std::fclose(file_); }

bool EventFileReader::Next(v1::Event& event, int* source) {
  if (with_source_) {
    unsigned char index = 0;
    if (std::fread(&index, 1, 1, file_) != 1) return false;
    if (source != nullptr) *source = index;
  }
  unsigned char length[4];
  if (std::fread(length, 1, 4, file_) != 4) return false;
  uint32_t size = length[0] | (length[1] << 8) | (length[2] << 16) |
                  (static_cast<uint32_t>(length[3]) << 24);
  buffer_.resize(size);
  if (std::fread(buffer_.data(), 1, size, file_) != size) return false;
  return event.ParseFromString(buffer_);
}

}  // namespace herstel::reporting::bench
