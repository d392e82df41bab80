#include "domain/figures.h"

namespace herstel::reporting {

FigureLayout::FigureLayout(int weeks) : weeks_(weeks) {
  int next = 3 * weeks * kTracks * kPhases;
  urgent_ = next;
  next += kTracks * kPhases;
  scalars_ = next;
  next += static_cast<int>(Scalar::kCount);
  bottlenecks_ = next;
  next += 3 * (kCategories + 1);
  escalations_ = next;
  next += kEscalationCounts * (kLevels + 1);
  level_decisions_ = next;
  next += kLevels * (kOutcomes + 1);
  lead_samples_ = next;
  next += kTracks * kPhases;
  solve_samples_ = next;
  next += kCategories + 1;
  size_ = next;
}

int FigureLayout::Weekly(Flow flow, int week, int track, int phase) const {
  return ((static_cast<int>(flow) * weeks_ + week) * kTracks + track) * kPhases + phase;
}
int FigureLayout::Urgent(int track, int phase) const { return urgent_ + track * kPhases + phase; }
int FigureLayout::Get(Scalar scalar) const { return scalars_ + static_cast<int>(scalar); }
int FigureLayout::Bottleneck(BottleneckCount count, int category) const {
  return bottlenecks_ + static_cast<int>(count) * (kCategories + 1) + category;
}
int FigureLayout::Escalation(EscalationCount count, int level) const {
  return escalations_ + static_cast<int>(count) * (kLevels + 1) + level;
}
int FigureLayout::LevelDecision(int level, int outcome) const {
  return level_decisions_ + level * (kOutcomes + 1) + outcome;
}
int FigureLayout::LeadTimeSample(int track, int phase) const {
  return lead_samples_ + track * kPhases + phase;
}
int FigureLayout::SolveTimeSample(int category) const { return solve_samples_ + category; }

bool FigureLayout::IsPublic(int cell) const {
  if (cell >= urgent_) return true;  // past the weekly cells
  const int phase = cell % kPhases;
  const int track = cell / kPhases % kTracks;
  const int week = cell / (kPhases * kTracks) % weeks_;
  const bool stock = cell / (kPhases * kTracks * weeks_) == static_cast<int>(Flow::kStock);
  return (track == 0 && phase == 0) || (stock && week == weeks_ - 1);
}

std::vector<int64_t> WeeksOf(const DayPeriod& period) {
  std::vector<int64_t> weeks;
  for (int64_t monday = WeekStartDay(period.start_day); monday < period.end_day; monday += 7) {
    weeks.push_back(monday);
  }
  return weeks;
}

void CompleteDerivedCells(const FigureLayout& layout, AreaFigures& area) {
  std::vector<int64_t>& cells = area.cells;
  auto cell = [&](int index) -> int64_t& { return cells[index]; };
  for (BottleneckCount count :
       {BottleneckCount::kRaised, BottleneckCount::kSolved, BottleneckCount::kOpen}) {
    int64_t total = 0;
    for (int category = 0; category < kCategories; ++category) {
      total += cell(layout.Bottleneck(count, category));
    }
    cell(layout.Bottleneck(count, kCategories)) = total;
  }
  for (int count = 0; count < kEscalationCounts; ++count) {
    auto which = static_cast<EscalationCount>(count);
    if (which == EscalationCount::kDecidedLate) continue;
    int64_t total = 0;
    for (int level = 0; level < kLevels; ++level) total += cell(layout.Escalation(which, level));
    cell(layout.Escalation(which, kLevels)) = total;
  }
  for (int level = 0; level <= kLevels; ++level) {
    cell(layout.Escalation(EscalationCount::kDecidedLate, level)) =
        cell(layout.Escalation(EscalationCount::kDecided, level)) -
        cell(layout.Escalation(EscalationCount::kWithinTerm, level));
  }
  for (int level = 0; level < kLevels; ++level) {
    int64_t total = 0;
    for (int outcome = 0; outcome < kOutcomes; ++outcome) {
      total += cell(layout.LevelDecision(level, outcome));
    }
    cell(layout.LevelDecision(level, kOutcomes)) = total;
  }
  int64_t open = cell(layout.OpenCases());
  cell(layout.Get(Scalar::kNotOneContactPerson)) = open - cell(layout.Get(Scalar::kOneContactPerson));
  cell(layout.Get(Scalar::kNoPlan)) = open - cell(layout.Get(Scalar::kHasPlan));
  cell(layout.Get(Scalar::kPlanNotCoveringAll)) = open - cell(layout.Get(Scalar::kPlanCoversAll));
  cell(layout.Get(Scalar::kDecisionsTotal)) = cell(layout.Get(Scalar::kDecisionsWithinMandate)) +
                                              cell(layout.Get(Scalar::kDecisionsEscalated));
  int64_t opened = 0;
  int64_t closed = 0;
  for (int week = 0; week < layout.weeks(); ++week) {
    opened += cell(layout.Weekly(Flow::kInflow, week, 0, 0));
    closed += cell(layout.Weekly(Flow::kOutflow, week, 0, 0));
  }
  cell(layout.Get(Scalar::kCasesOpened)) = opened;
  cell(layout.Get(Scalar::kCasesClosed)) = closed;
  // Sample sizes and the merged histograms.
  DurationHistogram all_lead;
  DurationHistogram all_solve;
  for (int track = 0; track < kTracks; ++track) {
    for (int phase = 0; phase < kPhases; ++phase) {
      auto found = area.durations.find(LeadTimeKey(track, phase));
      int64_t size = found == area.durations.end() ? 0 : SampleSize(found->second);
      cell(layout.LeadTimeSample(track, phase)) = size;
      if (found != area.durations.end()) {
        for (const auto& [bucket, count] : found->second) all_lead[bucket] += count;
      }
    }
  }
  area.durations[kLeadTimeAllKey] = all_lead;
  cell(layout.Get(Scalar::kLeadTimeSampleAll)) = SampleSize(all_lead);
  for (int category = 0; category < kCategories; ++category) {
    auto found = area.durations.find(SolveTimeKey(category));
    int64_t size = found == area.durations.end() ? 0 : SampleSize(found->second);
    cell(layout.SolveTimeSample(category)) = size;
    if (found != area.durations.end()) {
      for (const auto& [bucket, count] : found->second) all_solve[bucket] += count;
    }
  }
  area.durations[SolveTimeKey(kCategories)] = all_solve;
  cell(layout.SolveTimeSample(kCategories)) = SampleSize(all_solve);
  auto wait = area.durations.find(kInspectionWaitKey);
  cell(layout.Get(Scalar::kInspectionWaitSample)) =
      wait == area.durations.end() ? 0 : SampleSize(wait->second);
}

}  // namespace herstel::reporting
