#include "domain/publication.h"

#include <functional>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "openssl/evp.h"
#include "domain/statistics.h"
#include "google/protobuf/util/time_util.h"
#include "herstel/v1/case_service.pb.h"
#include "herstel/v1/escalation_service.pb.h"

namespace herstel::reporting {

struct IndicatorSpec {
  const char* id;
  const char* title;
  const char* title_nl;
  const char* description;
  v1::IndicatorAudience audience;
  v1::IndicatorPolarity polarity;
  std::function<v1::IndicatorValue(const Publication&, const AreaKey&, bool)> value;
};

namespace {

// Part of every SuppressionDigest: raise it when a change to the solver can
// change the pattern it finds for the same figures, so patterns stored by
// an older solver are solved again.
constexpr int64_t kSuppressionSolverVersion = 4;

using Terms = std::vector<SuppressionProblem::Term>;

// Adds the relations among published figures to a problem. The breakdown of
// a total below the threshold (shown as "<10") is withheld: its parts are
// at most the total, and enough small parts of a small total pin each
// other (nine parts shown as "<10" of a total shown as "<10" are each 1),
// whatever else is hidden. Whether a total is small is public, so
// withholding its parts reveals nothing further.
class RelationBuilder {
 public:
  // `withheld` (one entry per cell of `problem`) receives the withheld parts.
  RelationBuilder(SuppressionProblem& problem, int64_t threshold,
                  std::vector<CellSuppression>& withheld)
      : problem_(problem), threshold_(threshold), withheld_(withheld) {}

  void Relation(Terms terms) { problem_.AddRelation(std::move(terms)); }
  // total == sum of parts, all counts.
  void Breakdown(int total, const std::vector<int>& parts) {
    if (!problem_.AddSum(total, parts)) return;
    const int64_t value = problem_.value(total);
    if (value <= 0 || value >= threshold_) return;
    for (int part : parts) withheld_[part] = CellSuppression::kWithheld;
  }

 private:
  SuppressionProblem& problem_;
  int64_t threshold_;
  std::vector<CellSuppression>& withheld_;
};

// Relations among the public cells (FigureLayout::IsPublic) of one area
// whose first cell has id `base`.
void AddAreaRelations(RelationBuilder& relations, const FigureLayout& layout, int base) {
  auto id = [&](int cell) { return base + cell; };
  const int last_week = layout.weeks() - 1;
  for (int track = 1; track < kTracks; ++track) {
    std::vector<int> phases;
    for (int phase = 1; phase < kPhases; ++phase) {
      phases.push_back(id(layout.Weekly(Flow::kStock, last_week, track, phase)));
    }
    relations.Breakdown(id(layout.Weekly(Flow::kStock, last_week, track, 0)), phases);
  }
  for (int week = 1; week < layout.weeks(); ++week) {
    relations.Relation(Terms{{id(layout.Weekly(Flow::kStock, week - 1, 0, 0)), 1},
                             {id(layout.Weekly(Flow::kInflow, week, 0, 0)), 1},
                             {id(layout.Weekly(Flow::kOutflow, week, 0, 0)), -1},
                             {id(layout.Weekly(Flow::kStock, week, 0, 0)), -1}});
  }
  std::vector<int> opened;
  std::vector<int> closed;
  for (int week = 0; week < layout.weeks(); ++week) {
    opened.push_back(id(layout.Weekly(Flow::kInflow, week, 0, 0)));
    closed.push_back(id(layout.Weekly(Flow::kOutflow, week, 0, 0)));
  }
  relations.Breakdown(id(layout.Get(Scalar::kCasesOpened)), opened);
  relations.Breakdown(id(layout.Get(Scalar::kCasesClosed)), closed);
  int open = id(layout.OpenCases());
  for (auto [part, complement] :
       {std::pair{Scalar::kOneContactPerson, Scalar::kNotOneContactPerson},
        std::pair{Scalar::kHasPlan, Scalar::kNoPlan},
        std::pair{Scalar::kPlanCoversAll, Scalar::kPlanNotCoveringAll}}) {
    relations.Breakdown(open, {id(layout.Get(part)), id(layout.Get(complement))});
  }
  relations.Breakdown(id(layout.Get(Scalar::kDecisionsTotal)),
                      {id(layout.Get(Scalar::kDecisionsWithinMandate)),
                       id(layout.Get(Scalar::kDecisionsEscalated))});
  for (BottleneckCount count :
       {BottleneckCount::kRaised, BottleneckCount::kSolved, BottleneckCount::kOpen}) {
    std::vector<int> parts;
    for (int category = 0; category < kCategories; ++category) {
      parts.push_back(id(layout.Bottleneck(count, category)));
    }
    relations.Breakdown(id(layout.Bottleneck(count, kCategories)), parts);
  }
  for (int count = 0; count < kEscalationCounts; ++count) {
    std::vector<int> parts;
    for (int level = 0; level < kLevels; ++level) {
      parts.push_back(id(layout.Escalation(static_cast<EscalationCount>(count), level)));
    }
    relations.Breakdown(id(layout.Escalation(static_cast<EscalationCount>(count), kLevels)),
                        parts);
  }
  for (int level = 0; level <= kLevels; ++level) {
    relations.Breakdown(id(layout.Escalation(EscalationCount::kDecided, level)),
                        {id(layout.Escalation(EscalationCount::kWithinTerm, level)),
                         id(layout.Escalation(EscalationCount::kDecidedLate, level))});
  }
  for (int level = 0; level < kLevels; ++level) {
    std::vector<int> parts;
    for (int outcome = 0; outcome < kOutcomes; ++outcome) {
      parts.push_back(id(layout.LevelDecision(level, outcome)));
    }
    relations.Breakdown(id(layout.LevelDecision(level, kOutcomes)), parts);
  }
  std::vector<int> lead_samples;
  for (int track = 0; track < kTracks; ++track) {
    for (int phase = 0; phase < kPhases; ++phase) {
      lead_samples.push_back(id(layout.LeadTimeSample(track, phase)));
    }
  }
  relations.Breakdown(id(layout.Get(Scalar::kLeadTimeSampleAll)), lead_samples);
  std::vector<int> solve_samples;
  for (int category = 0; category < kCategories; ++category) {
    solve_samples.push_back(id(layout.SolveTimeSample(category)));
  }
  relations.Breakdown(id(layout.SolveTimeSample(kCategories)), solve_samples);
}

std::string FormatCount(int64_t value) { return absl::StrCat(value); }

// "<10" for a small count, "x" for any other hidden count.
std::string HiddenDisplay(CellSuppression suppression, int64_t threshold) {
  return suppression == CellSuppression::kPrimary ? absl::StrCat("<", threshold)
                                                  : std::string(kSecondaryDisplay);
}

v1::FigureSuppression ToProto(CellSuppression suppression) {
  switch (suppression) {
    case CellSuppression::kPrimary:
      return v1::FIGURE_SUPPRESSION_PRIMARY;
    case CellSuppression::kSecondary:
      return v1::FIGURE_SUPPRESSION_SECONDARY;
    case CellSuppression::kWithheld:
      return v1::FIGURE_SUPPRESSION_NOT_PUBLISHED;
    case CellSuppression::kNone:
      break;
  }
  return v1::FIGURE_SUPPRESSION_NONE;
}

}  // namespace

std::string SuppressionDigest(const PeriodFigures& figures, int64_t threshold) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                  &EVP_MD_CTX_free);
  EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr);
  auto add_bytes = [&context](const void* bytes, size_t size) {
    EVP_DigestUpdate(context.get(), bytes, size);
  };
  auto add_number = [&add_bytes](int64_t number) { add_bytes(&number, sizeof number); };
  auto add_text = [&](const std::string& text) {
    add_number(static_cast<int64_t>(text.size()));
    add_bytes(text.data(), text.size());
  };
  add_number(kSuppressionSolverVersion);
  add_number(threshold);
  add_number(static_cast<int64_t>(figures.week_start_days.size()));
  add_number(static_cast<int64_t>(figures.areas.size()));
  for (const auto& [area, area_figures] : figures.areas) {
    add_text(area.municipality);
    add_text(area.village);
    add_number(static_cast<int64_t>(area_figures.cells.size()));
    add_bytes(area_figures.cells.data(), area_figures.cells.size() * sizeof(int64_t));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  EVP_DigestFinal_ex(context.get(), digest, &digest_size);
  return std::string(reinterpret_cast<const char*>(digest), digest_size);
}

int Publication::NumberCells() {
  int next = 0;
  for (const auto& [area, area_figures] : figures_->areas) {
    first_cell_[area] = next;
    next += static_cast<int>(area_figures.cells.size());
  }
  return next;
}

Publication::Publication(std::shared_ptr<const PeriodFigures> figures, int64_t threshold,
                         std::vector<CellSuppression> pattern)
    : figures_(std::move(figures)),
      layout_(figures_->layout()),
      threshold_(threshold),
      pattern_(std::move(pattern)) {}

absl::StatusOr<std::shared_ptr<const Publication>> Publication::FromPattern(
    std::shared_ptr<const PeriodFigures> figures, int64_t threshold,
    std::vector<CellSuppression> pattern) {
  const size_t pattern_size = pattern.size();
  std::shared_ptr<Publication> publication(
      new Publication(std::move(figures), threshold, std::move(pattern)));
  const int cells = publication->NumberCells();
  if (pattern_size != static_cast<size_t>(cells)) {
    return absl::FailedPreconditionError(absl::StrCat("a suppression pattern of ", pattern_size,
                                                      " cells does not fit figures of ", cells,
                                                      " cells"));
  }
  return publication;
}

Publication::Publication(std::shared_ptr<const PeriodFigures> figures, int64_t threshold)
    : figures_(std::move(figures)), layout_(figures_->layout()), threshold_(threshold) {
  NumberCells();
  std::vector<std::vector<int>> parts;
  std::vector<CellSuppression> withheld;
  SuppressionProblem problem = Problem(&parts, withheld);
  pattern_ = problem.SolveWithholdingWhatStaysPinned(threshold_, parts, withheld);
}

SuppressionProblem Publication::Problem(std::vector<std::vector<int>>* parts,
                                        std::vector<CellSuppression>& withheld) const {
  // Cells that are not published take no part: they are added as zeros
  // (never hidden, tied to nothing) so that cell ids stay the layout's.
  SuppressionProblem problem;
  for (const auto& [area, area_figures] : figures_->areas) {
    for (int cell = 0; cell < layout_.size(); ++cell) {
      problem.AddCell(layout_.IsPublic(cell) ? area_figures.cells[cell] : 0);
    }
  }
  withheld.assign(problem.cell_count(), CellSuppression::kNone);
  RelationBuilder relations(problem, threshold_, withheld);
  for (const auto& [area, base] : first_cell_) AddAreaRelations(relations, layout_, base);
  // The region over its municipalities, each municipality over its villages.
  std::map<std::string, std::vector<int>> villages_of;
  std::vector<int> municipalities;
  for (const auto& [area, base] : first_cell_) {
    if (area.municipality.empty()) continue;
    if (area.village.empty()) {
      municipalities.push_back(base);
    } else {
      villages_of[area.municipality].push_back(base);
    }
  }
  auto add_hierarchy = [&](int parent, const std::vector<int>& children) {
    if (children.empty()) return;
    for (int cell = 0; cell < layout_.size(); ++cell) {
      if (!layout_.IsPublic(cell)) continue;
      std::vector<int> cell_parts;
      cell_parts.reserve(children.size());
      for (int child : children) cell_parts.push_back(child + cell);
      relations.Breakdown(parent + cell, cell_parts);
    }
    // The parts to solve first (see SuppressionProblem::SolveInParts): each
    // municipality with its villages, the region with its municipalities.
    if (parts == nullptr) return;
    std::vector<int>& part = parts->emplace_back();
    for (int cell = 0; cell < layout_.size(); ++cell) {
      if (!layout_.IsPublic(cell)) continue;
      for (int base : children) part.push_back(base + cell);
      part.push_back(parent + cell);
    }
  };
  for (const auto& [municipality, villages] : villages_of) {
    auto parent = first_cell_.find(AreaKey{municipality, ""});
    if (parent != first_cell_.end()) add_hierarchy(parent->second, villages);
  }
  auto region = first_cell_.find(AreaKey{});
  if (region != first_cell_.end()) add_hierarchy(region->second, municipalities);
  return problem;
}

std::vector<int> Publication::PinnedCells() const {
  std::vector<CellSuppression> withheld;
  return Problem(nullptr, withheld).PinnedCells(pattern_, threshold_);
}

int64_t Publication::Value(const AreaKey& area, int cell) const {
  auto found = figures_->areas.find(area);
  return found == figures_->areas.end() ? 0 : found->second.cells[cell];
}

CellSuppression Publication::SuppressionOf(const AreaKey& area, int cell) const {
  if (!layout_.IsPublic(cell)) return CellSuppression::kWithheld;
  auto found = first_cell_.find(area);
  if (found == first_cell_.end()) return CellSuppression::kNone;  // all zeros
  return pattern_[found->second + cell];
}

v1::CountFigure CountFigureOf(int64_t value, CellSuppression suppression,
                              absl::string_view hidden_display, bool exact) {
  v1::CountFigure figure;
  figure.set_suppression(ToProto(suppression));
  if (exact || suppression == CellSuppression::kNone) {
    figure.set_value(value);
    figure.set_display(FormatCount(value));
  } else {
    figure.set_suppressed(true);
    figure.set_display(std::string(hidden_display));
  }
  return figure;
}

v1::CountFigure Publication::Count(const AreaKey& area, int cell, bool exact) const {
  CellSuppression suppression = SuppressionOf(area, cell);
  return CountFigureOf(Value(area, cell), suppression, HiddenDisplay(suppression, threshold_),
                       exact);
}

v1::ShareFigure Publication::Share(const AreaKey& area, int numerator, int denominator,
                                   int complement, bool exact) const {
  v1::ShareFigure share;
  *share.mutable_numerator() = Count(area, numerator, exact);
  *share.mutable_denominator() = Count(area, denominator, exact);
  CellSuppression worst = CellSuppression::kNone;
  for (int cell : {numerator, denominator, complement}) {
    CellSuppression suppression = SuppressionOf(area, cell);
    if (suppression == CellSuppression::kPrimary || worst == CellSuppression::kNone) {
      worst = suppression;
    }
  }
  if (!exact && worst != CellSuppression::kNone) {
    share.set_suppressed(true);
    share.set_display(HiddenDisplay(worst, threshold_));
    return share;
  }
  int64_t denominator_value = Value(area, denominator);
  if (denominator_value == 0) {
    share.set_display("-");
    return share;
  }
  share.set_percent(100.0 * Value(area, numerator) / denominator_value);
  share.set_display(absl::StrFormat("%.1f%%", share.percent()));
  return share;
}

v1::DurationFigure Publication::Duration(const AreaKey& area, int histogram_key, int sample_cell,
                                         double percent, bool exact) const {
  v1::DurationFigure figure;
  *figure.mutable_sample_size() = Count(area, sample_cell, exact);
  CellSuppression suppression = SuppressionOf(area, sample_cell);
  if (!exact && suppression != CellSuppression::kNone) {
    figure.set_suppressed(true);
    figure.set_display(HiddenDisplay(suppression, threshold_));
    return figure;
  }
  std::optional<double> days;
  auto found = figures_->areas.find(area);
  if (found != figures_->areas.end()) {
    auto histogram = found->second.durations.find(histogram_key);
    if (histogram != found->second.durations.end()) {
      days = PercentileDays(histogram->second, percent);
    }
  }
  if (!days.has_value()) {
    figure.set_display("-");
    return figure;
  }
  figure.set_days(*days);
  figure.set_display(absl::StrFormat("%.1f", *days));
  return figure;
}

v1::Monitor RenderMonitor(const Publication& publication, const AreaKey& scope, bool exact,
                          const std::set<v1::MonitorSection>& sections) {
  const FigureLayout& layout = publication.layout();
  const PeriodFigures& figures = publication.figures();
  auto wanted = [&](v1::MonitorSection section) {
    return sections.empty() || sections.count(section) > 0;
  };
  auto count = [&](int cell) { return publication.Count(scope, cell, exact); };
  const bool village = !scope.village.empty();
  v1::Monitor monitor;
  monitor.mutable_scope()->set_municipality(scope.municipality);
  monitor.mutable_scope()->set_village(scope.village);
  monitor.set_exact(exact);
  monitor.set_suppression_threshold(static_cast<int32_t>(publication.threshold()));
  const int last_week = layout.weeks() - 1;

  if (wanted(v1::MONITOR_SECTION_PHASES)) {
    for (int track = 1; track < kTracks; ++track) {
      for (int phase = 1; phase < kPhases; ++phase) {
        v1::MonitorPhaseCount* row = monitor.add_phase_counts();
        row->set_track(static_cast<v1::Track>(track));
        row->set_phase(static_cast<v1::Phase>(phase));
        *row->mutable_cases() = count(layout.Weekly(Flow::kStock, last_week, track, phase));
        *row->mutable_urgent_cases() = count(layout.Urgent(track, phase));
      }
    }
  }
  if (wanted(v1::MONITOR_SECTION_FLOWS)) {
    for (int week = 0; week < layout.weeks(); ++week) {
      int64_t monday = figures.week_start_days[week];
      for (int track = 0; track < kTracks; ++track) {
        for (int phase = 0; phase < kPhases; ++phase) {
          if (track == 0 && phase != 0) continue;
          // Weekly figures per track and phase are not published.
          if (!exact && track != 0) continue;
          v1::MonitorWeeklyFlow* row = monitor.add_weekly_flows();
          row->set_iso_week(IsoWeekName(monday));
          *row->mutable_week_start_time() = google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
              absl::ToUnixMicros(DayStart(monday)));
          row->set_track(static_cast<v1::Track>(track));
          row->set_phase(static_cast<v1::Phase>(phase));
          *row->mutable_inflow() = count(layout.Weekly(Flow::kInflow, week, track, phase));
          *row->mutable_outflow() = count(layout.Weekly(Flow::kOutflow, week, track, phase));
          *row->mutable_stock() = count(layout.Weekly(Flow::kStock, week, track, phase));
        }
      }
    }
  }
  if (wanted(v1::MONITOR_SECTION_LEAD_TIMES)) {
    for (int track = 1; track < kTracks; ++track) {
      for (int phase = 1; phase < kPhases; ++phase) {
        v1::MonitorLeadTime* row = monitor.add_lead_times();
        row->set_track(static_cast<v1::Track>(track));
        row->set_phase(static_cast<v1::Phase>(phase));
        int sample = layout.LeadTimeSample(track, phase);
        *row->mutable_median() =
            publication.Duration(scope, LeadTimeKey(track, phase), sample, 50, exact);
        *row->mutable_p90() =
            publication.Duration(scope, LeadTimeKey(track, phase), sample, 90, exact);
      }
    }
  }
  if (wanted(v1::MONITOR_SECTION_INSPECTIONS)) {
    v1::MonitorInspectionRequests* inspections = monitor.mutable_inspection_requests();
    *inspections->mutable_requested() = count(layout.Get(Scalar::kInspectionsRequested));
    *inspections->mutable_waiting() = count(layout.Get(Scalar::kInspectionsWaiting));
    *inspections->mutable_waiting_past_target() =
        count(layout.Get(Scalar::kInspectionsWaitingPastTarget));
    int sample = layout.Get(Scalar::kInspectionWaitSample);
    *inspections->mutable_median_wait() =
        publication.Duration(scope, kInspectionWaitKey, sample, 50, exact);
    *inspections->mutable_p90_wait() =
        publication.Duration(scope, kInspectionWaitKey, sample, 90, exact);
  }
  if (wanted(v1::MONITOR_SECTION_CONTACT_PERSONS)) {
    v1::MonitorContactPersons* contacts = monitor.mutable_contact_persons();
    *contacts->mutable_one_contact_person() = publication.Share(
        scope, layout.Get(Scalar::kOneContactPerson), layout.OpenCases(),
        layout.Get(Scalar::kNotOneContactPerson), exact);
    *contacts->mutable_handovers() = count(layout.Get(Scalar::kHandovers));
    *contacts->mutable_cases_with_handover() = count(layout.Get(Scalar::kCasesWithHandover));
  }
  if (wanted(v1::MONITOR_SECTION_PLANS)) {
    v1::MonitorPlanCoverage* plans = monitor.mutable_plans();
    *plans->mutable_covers_all_open_tracks() =
        publication.Share(scope, layout.Get(Scalar::kPlanCoversAll), layout.OpenCases(),
                          layout.Get(Scalar::kPlanNotCoveringAll), exact);
    *plans->mutable_has_plan() = publication.Share(scope, layout.Get(Scalar::kHasPlan),
                                                   layout.OpenCases(),
                                                   layout.Get(Scalar::kNoPlan), exact);
  }
  if (wanted(v1::MONITOR_SECTION_BOTTLENECKS)) {
    v1::MonitorBottlenecks* bottlenecks = monitor.mutable_bottlenecks();
    *bottlenecks->mutable_raised() = count(layout.Bottleneck(BottleneckCount::kRaised, kCategories));
    *bottlenecks->mutable_solved() = count(layout.Bottleneck(BottleneckCount::kSolved, kCategories));
    *bottlenecks->mutable_open() = count(layout.Bottleneck(BottleneckCount::kOpen, kCategories));
    *bottlenecks->mutable_median_days_to_solve() = publication.Duration(
        scope, SolveTimeKey(kCategories), layout.SolveTimeSample(kCategories), 50, exact);
    for (int category = 0; category < kCategories; ++category) {
      bool any = false;
      for (BottleneckCount which :
           {BottleneckCount::kRaised, BottleneckCount::kSolved, BottleneckCount::kOpen}) {
        any |= publication.HasArea(scope) &&
               publication.figures().areas.at(scope).cells[layout.Bottleneck(which, category)] != 0;
      }
      if (category == 0 && !any) continue;  // uncategorised only when it occurs
      v1::MonitorBottleneckCategory* row = bottlenecks->add_by_category();
      row->set_category(v1::BottleneckCategory_Name(static_cast<v1::BottleneckCategory>(category)));
      *row->mutable_raised() = count(layout.Bottleneck(BottleneckCount::kRaised, category));
      *row->mutable_solved() = count(layout.Bottleneck(BottleneckCount::kSolved, category));
      *row->mutable_median_days_to_solve() = publication.Duration(
          scope, SolveTimeKey(category), layout.SolveTimeSample(category), 50, exact);
    }
  }
  // Escalations, ladder decisions and budget lines concern municipalities,
  // not villages.
  if (wanted(v1::MONITOR_SECTION_ESCALATIONS) && !village) {
    for (int level = 1; level < kLevels; ++level) {
      v1::MonitorEscalationLevel* row = monitor.add_escalations();
      row->set_level(static_cast<v1::EscalationLevel>(level));
      *row->mutable_arrived() = count(layout.Escalation(EscalationCount::kArrived, level));
      *row->mutable_decided() = count(layout.Escalation(EscalationCount::kDecided, level));
      *row->mutable_decided_within_term() =
          count(layout.Escalation(EscalationCount::kWithinTerm, level));
      *row->mutable_moved_up() = count(layout.Escalation(EscalationCount::kMovedUp, level));
      *row->mutable_open() = count(layout.Escalation(EscalationCount::kOpen, level));
      *row->mutable_overdue() = count(layout.Escalation(EscalationCount::kOverdue, level));
    }
  }
  if (wanted(v1::MONITOR_SECTION_BUDGET) && !village) {
    for (const BudgetLineFigures& line : figures.budget_lines) {
      if (!scope.municipality.empty() && line.info.municipality != scope.municipality) continue;
      v1::MonitorBudgetLine* row = monitor.add_budget_lines();
      row->set_budget_line(line.info.name);
      row->set_display_name(line.info.display_name);
      row->set_source(line.info.source);
      row->set_municipality(line.info.municipality);
      row->set_year(line.info.year);
      row->set_ceiling_cents(line.balance.ceiling_cents);
      row->set_reserved_cents(line.balance.reserved_cents);
      row->set_committed_cents(line.balance.committed_cents);
      row->set_left_cents(line.balance.ceiling_cents - line.balance.reserved_cents -
                          line.balance.committed_cents);
    }
  }
  if (wanted(v1::MONITOR_SECTION_DECISIONS)) {
    v1::MonitorDecisions* decisions = monitor.mutable_decisions();
    *decisions->mutable_within_mandate() = count(layout.Get(Scalar::kDecisionsWithinMandate));
    *decisions->mutable_escalated() = count(layout.Get(Scalar::kDecisionsEscalated));
    if (!village) {
      for (int level = 1; level < kLevels; ++level) {
        v1::MonitorDecisionLevel* row = decisions->add_by_level();
        row->set_level(static_cast<v1::EscalationLevel>(level));
        *row->mutable_decided() = count(layout.LevelDecision(level, kOutcomes));
        *row->mutable_granted() =
            count(layout.LevelDecision(level, v1::ESCALATION_DECISION_OUTCOME_GRANTED));
        *row->mutable_partly_granted() =
            count(layout.LevelDecision(level, v1::ESCALATION_DECISION_OUTCOME_PARTLY_GRANTED));
        *row->mutable_denied() =
            count(layout.LevelDecision(level, v1::ESCALATION_DECISION_OUTCOME_DENIED));
        *row->mutable_referred() =
            count(layout.LevelDecision(level, v1::ESCALATION_DECISION_OUTCOME_REFERRED));
        *row->mutable_cannot_decide() =
            count(layout.LevelDecision(level, v1::ESCALATION_DECISION_OUTCOME_CANNOT_DECIDE));
      }
    }
  }
  return monitor;
}

// ---------------------------------------------------------------------------
// Indicators
// ---------------------------------------------------------------------------

namespace {

using Value = v1::IndicatorValue;

Value CountValue(const Publication& p, const AreaKey& area, bool exact, int cell) {
  Value value;
  *value.mutable_count() = p.Count(area, cell, exact);
  return value;
}

std::vector<IndicatorSpec> MakeIndicators() {
  using L = FigureLayout;
  const auto residents = v1::INDICATOR_AUDIENCE_RESIDENTS;
  const auto professionals = v1::INDICATOR_AUDIENCE_PROFESSIONALS;
  const auto administrators = v1::INDICATOR_AUDIENCE_ADMINISTRATORS;
  const auto higher = v1::INDICATOR_POLARITY_HIGHER_IS_BETTER;
  const auto lower = v1::INDICATOR_POLARITY_LOWER_IS_BETTER;
  auto share = [](Scalar numerator, Scalar complement) {
    return [numerator, complement](const Publication& p, const AreaKey& area, bool exact) {
      const L& layout = p.layout();
      Value value;
      *value.mutable_share() = p.Share(area, layout.Get(numerator), layout.OpenCases(),
                                       layout.Get(complement), exact);
      return value;
    };
  };
  auto scalar = [](Scalar which) {
    return [which](const Publication& p, const AreaKey& area, bool exact) {
      return CountValue(p, area, exact, p.layout().Get(which));
    };
  };
  return {
      {"one_contact_person_share", "Open cases with one contact person", "Eén aanspreekpunt",
       "Share of open cases at the end of the period with exactly one active contact person "
       "(case-service).",
       residents, higher, share(Scalar::kOneContactPerson, Scalar::kNotOneContactPerson)},
      {"plan_covers_all_open_tracks_share", "Plan covers all open tracks",
       "Oplossing in één keer",
       "Share of open cases whose plan covers every open track (case-service).", residents,
       higher, share(Scalar::kPlanCoversAll, Scalar::kPlanNotCoveringAll)},
      {"has_plan_share", "Open cases with a plan", "Duidelijkheid: één plan",
       "Share of open cases with a plan of any status (case-service).", residents, higher,
       share(Scalar::kHasPlan, Scalar::kNoPlan)},
      {"inspections_waiting_past_target", "Inspections on request waiting past target",
       "Opname op verzoek over de termijn",
       "Inspection requests still waiting at the end of the period after their target date.",
       residents, lower, scalar(Scalar::kInspectionsWaitingPastTarget)},
      {"inspection_median_wait_days", "Median wait for an inspection on request (days)",
       "Wachttijd opname op verzoek (mediaan, dagen)",
       "Median days from request to inspection, over inspections done in the period.",
       residents, lower,
       [](const Publication& p, const AreaKey& area, bool exact) {
         Value value;
         *value.mutable_duration() = p.Duration(
             area, kInspectionWaitKey, p.layout().Get(Scalar::kInspectionWaitSample), 50, exact);
         return value;
       }},
      {"cases_closed", "Cases completed", "Afgeronde dossiers",
       "Cases whose every track was completed in the period.", residents, higher,
       scalar(Scalar::kCasesClosed)},
      {"decisions_within_mandate_share", "Decisions taken within mandate",
       "Besluiten binnen mandaat",
       "Share of decision requests in the period decided directly within a mandate rather "
       "than escalated (case-service).",
       professionals, higher,
       [](const Publication& p, const AreaKey& area, bool exact) {
         const L& layout = p.layout();
         Value value;
         *value.mutable_share() = p.Share(area, layout.Get(Scalar::kDecisionsWithinMandate),
                                          layout.Get(Scalar::kDecisionsTotal),
                                          layout.Get(Scalar::kDecisionsEscalated), exact);
         return value;
       }},
      {"bottlenecks_solved", "Bottlenecks solved", "Opgeloste knelpunten",
       "Bottlenecks resolved in the period.", professionals, higher,
       [](const Publication& p, const AreaKey& area, bool exact) {
         return CountValue(p, area, exact,
                           p.layout().Bottleneck(BottleneckCount::kSolved, kCategories));
       }},
      {"bottleneck_median_days_to_solve", "Median days to solve a bottleneck",
       "Doorlooptijd knelpunt (mediaan, dagen)",
       "Median days from raised to solved, over bottlenecks solved in the period.",
       professionals, lower,
       [](const Publication& p, const AreaKey& area, bool exact) {
         Value value;
         *value.mutable_duration() = p.Duration(area, SolveTimeKey(kCategories),
                                                p.layout().SolveTimeSample(kCategories), 50, exact);
         return value;
       }},
      {"bottlenecks_open", "Bottlenecks open", "Openstaande knelpunten",
       "Bottlenecks still open at the end of the period.", professionals, lower,
       [](const Publication& p, const AreaKey& area, bool exact) {
         return CountValue(p, area, exact,
                           p.layout().Bottleneck(BottleneckCount::kOpen, kCategories));
       }},
      {"handovers", "Contact person handovers", "Overdrachten aanspreekpunt",
       "Handovers between contact persons recorded in the period.", professionals, lower,
       scalar(Scalar::kHandovers)},
      {"escalations_decided_within_term_share", "Escalations decided within term",
       "Escalaties binnen termijn besloten",
       "Share of escalations finally decided in the period that were decided within the "
       "level's term (escalation-service).",
       administrators, higher,
       [](const Publication& p, const AreaKey& area, bool exact) {
         const L& layout = p.layout();
         Value value;
         *value.mutable_share() =
             p.Share(area, layout.Escalation(EscalationCount::kWithinTerm, kLevels),
                     layout.Escalation(EscalationCount::kDecided, kLevels),
                     layout.Escalation(EscalationCount::kDecidedLate, kLevels), exact);
         return value;
       }},
      {"escalations_overdue", "Escalations overdue", "Escalaties over de termijn",
       "Open escalations past their level's due time at the end of the period.",
       administrators, lower,
       [](const Publication& p, const AreaKey& area, bool exact) {
         return CountValue(p, area, exact,
                           p.layout().Escalation(EscalationCount::kOverdue, kLevels));
       }},
      {"backlog_alerts_active", "Growing backlogs", "Stuwmeren",
       "Phases whose stock grew for N consecutive weeks, active at the end of the period.",
       administrators, lower,
       [](const Publication& p, const AreaKey& area, bool) {
         const auto& alerts = p.figures().active_backlog_alerts;
         auto found = alerts.find(area);
         int64_t active = found == alerts.end() ? 0 : found->second;
         Value value;
         value.mutable_count()->set_value(active);
         value.mutable_count()->set_display(absl::StrCat(active));
         value.mutable_count()->set_suppression(v1::FIGURE_SUPPRESSION_NONE);
         return value;
       }},
      {"decisions_escalated", "Decisions escalated", "Geëscaleerde besluiten",
       "Decision requests in the period that needed the escalation ladder.", administrators,
       lower, scalar(Scalar::kDecisionsEscalated)},
      {"phase_lead_time_median_days", "Median lead time of a phase (days)",
       "Doorlooptijd per fase (mediaan, dagen)",
       "Median days a track spent in a phase, over every phase left in the period.",
       administrators, lower,
       [](const Publication& p, const AreaKey& area, bool exact) {
         Value value;
         *value.mutable_duration() = p.Duration(
             area, kLeadTimeAllKey, p.layout().Get(Scalar::kLeadTimeSampleAll), 50, exact);
         return value;
       }},
  };
}

struct ViewText {
  v1::IndicatorAudience audience;
  const char* name;
  const char* question;
  const char* question_nl;
};

const ViewText kViews[] = {
    {v1::INDICATOR_AUDIENCE_RESIDENTS, "views/residents",
     "Residents: do they experience clarity, personal support and solutions in one go?",
     "Voor inwoners: ervaren zij meer duidelijkheid, persoonlijke ondersteuning en "
     "oplossingen in één keer?"},
    {v1::INDICATOR_AUDIENCE_PROFESSIONALS, "views/professionals",
     "Professionals: do they get room, are their signals taken seriously and bottlenecks "
     "solved?",
     "Voor professionals: krijgen zij ruimte, worden hun signalen serieus genomen en "
     "knelpunten opgelost?"},
    {v1::INDICATOR_AUDIENCE_ADMINISTRATORS, "views/administrators",
     "Administrators: are the agreements workable, do they add simplicity and trust?",
     "Voor bestuurders: zijn afspraken uitvoerbaar en dragen ze bij aan eenvoud en "
     "vertrouwen?"},
};

}  // namespace

const std::vector<IndicatorSpec>& AllIndicators() {
  static const auto* indicators = new std::vector<IndicatorSpec>(MakeIndicators());
  return *indicators;
}

std::optional<double> ComparableValue(const v1::IndicatorValue& value) {
  switch (value.value_case()) {
    case v1::IndicatorValue::kCount:
      if (value.count().suppressed()) return std::nullopt;
      return static_cast<double>(value.count().value());
    case v1::IndicatorValue::kShare:
      if (value.share().suppressed() || value.share().denominator().value() == 0) {
        return std::nullopt;
      }
      return value.share().percent();
    case v1::IndicatorValue::kDuration:
      if (value.duration().suppressed() || value.duration().sample_size().value() == 0) {
        return std::nullopt;
      }
      return value.duration().days();
    case v1::IndicatorValue::kAmountCents:
      return static_cast<double>(value.amount_cents());
    case v1::IndicatorValue::VALUE_NOT_SET:
      break;
  }
  return std::nullopt;
}

std::vector<v1::Indicator> RenderIndicators(const Publication& current,
                                            const Publication& previous, const AreaKey& scope,
                                            bool exact, v1::IndicatorAudience audience,
                                            double stable_band_percent) {
  std::vector<v1::Indicator> indicators;
  for (const IndicatorSpec& spec : AllIndicators()) {
    if (audience != v1::INDICATOR_AUDIENCE_UNSPECIFIED && spec.audience != audience) continue;
    v1::Indicator& indicator = indicators.emplace_back();
    indicator.set_id(spec.id);
    indicator.set_title(spec.title);
    indicator.set_title_nl(spec.title_nl);
    indicator.set_description(spec.description);
    indicator.set_polarity(spec.polarity);
    *indicator.mutable_current() = spec.value(current, scope, exact);
    *indicator.mutable_previous() = spec.value(previous, scope, exact);
    indicator.set_trend(Trend(spec.polarity, ComparableValue(indicator.current()),
                              ComparableValue(indicator.previous()), stable_band_percent));
  }
  return indicators;
}

v1::IndicatorView RenderView(const Publication& current, const Publication& previous,
                             const AreaKey& scope, bool exact, v1::IndicatorAudience audience,
                             double stable_band_percent) {
  v1::IndicatorView view;
  for (const ViewText& text : kViews) {
    if (text.audience != audience) continue;
    view.set_name(text.name);
    view.set_audience(audience);
    view.set_question(text.question);
    view.set_question_nl(text.question_nl);
  }
  view.mutable_scope()->set_municipality(scope.municipality);
  view.mutable_scope()->set_village(scope.village);
  auto timestamp = [](int64_t day) {
    return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
        absl::ToUnixMicros(DayStart(day)));
  };
  *view.mutable_start_time() = timestamp(current.figures().period.start_day);
  *view.mutable_end_time() = timestamp(current.figures().period.end_day);
  *view.mutable_previous_start_time() = timestamp(previous.figures().period.start_day);
  for (v1::Indicator& indicator :
       RenderIndicators(current, previous, scope, exact, audience, stable_band_percent)) {
    *view.add_indicators() = std::move(indicator);
  }
  view.set_exact(exact);
  return view;
}

std::string ViewName(v1::IndicatorAudience audience) {
  for (const ViewText& text : kViews) {
    if (text.audience == audience) return text.name;
  }
  return "";
}

v1::IndicatorAudience AudienceOfView(absl::string_view name) {
  for (const ViewText& text : kViews) {
    if (name == text.name) return text.audience;
  }
  return v1::INDICATOR_AUDIENCE_UNSPECIFIED;
}

}  // namespace herstel::reporting
