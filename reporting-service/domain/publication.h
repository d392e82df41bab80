// Publishing a period's figures: what is published at all (not the weekly
// detail per track and phase, FigureLayout::IsPublic; not the breakdown of a
// total below the threshold; not what the solver cannot protect, with the
// figures tied to it), the public suppression pattern over every area at
// once (so a village, its municipality and the region can't be set against
// each other; solved per municipality first, then checked and completed
// over all areas together), and the rendering of the monitor and the
// indicators of the three questions for one area, exact or public.
#ifndef HERSTEL_REPORTING_DOMAIN_PUBLICATION_H_
#define HERSTEL_REPORTING_DOMAIN_PUBLICATION_H_

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "domain/figures.h"
#include "domain/suppression.h"
#include "herstel/v1/reporting_service.pb.h"

namespace herstel::reporting {

// Text printed for a secondary-suppressed count, and for detail that is not
// published. A secondary cell is not small, so printing "<10" for it would
// be false; "x" is the statistical offices' mark for "confidential".
inline constexpr absl::string_view kSecondaryDisplay = "x";

// A published count of `value` under `suppression`: the value itself when
// `exact` or not hidden, otherwise no value and `hidden_display` ("<10" or
// kSecondaryDisplay).
v1::CountFigure CountFigureOf(int64_t value, CellSuppression suppression,
                              absl::string_view hidden_display, bool exact);

// What the public suppression of `figures` at `threshold` depends on, as a
// SHA-256 digest: the solver's version, the threshold, the number of weeks,
// every area and every cell value. The solve is a pure function of these, so
// a pattern solved for one digest is the pattern for any figures with the
// same digest (a closed period is solved once, not at every publication).
std::string SuppressionDigest(const PeriodFigures& figures, int64_t threshold);

class Publication {
 public:
  // Solves the public suppression over every area of `figures`.
  Publication(std::shared_ptr<const PeriodFigures> figures, int64_t threshold);
  // Takes `pattern`, solved before for figures with the same
  // SuppressionDigest; fails when its size does not fit `figures`.
  static absl::StatusOr<std::shared_ptr<const Publication>> FromPattern(
      std::shared_ptr<const PeriodFigures> figures, int64_t threshold,
      std::vector<CellSuppression> pattern);

  const PeriodFigures& figures() const { return *figures_; }
  const FigureLayout& layout() const { return layout_; }
  int64_t threshold() const { return threshold_; }
  bool HasArea(const AreaKey& area) const { return figures_->areas.count(area) > 0; }

  // A count of `area`; `exact` shows the value even when the public rendering
  // hides it or does not publish it (FigureLayout::IsPublic).
  v1::CountFigure Count(const AreaKey& area, int cell, bool exact) const;
  // numerator / denominator, hidden when either or the complement is hidden.
  v1::ShareFigure Share(const AreaKey& area, int numerator, int denominator, int complement,
                        bool exact) const;
  // A percentile of a histogram, hidden when its sample size is hidden.
  v1::DurationFigure Duration(const AreaKey& area, int histogram_key, int sample_cell,
                              double percent, bool exact) const;
  // Whether and why the public rendering hides `cell` of `area`: kWithheld
  // for the cells it never publishes (FigureLayout::IsPublic) too.
  CellSuppression SuppressionOf(const AreaKey& area, int cell) const;
  // Every cell's suppression, areas in figures' order, each area's cells in layout order.
  const std::vector<CellSuppression>& pattern() const { return pattern_; }
  // The hidden cells (ids into pattern()) that a reader holding every public
  // figure and the relations between them can still pin to one value, by
  // the solver's own derivation over the whole table. Empty when the
  // pattern protects every hidden cell.
  std::vector<int> PinnedCells() const;

 private:
  Publication(std::shared_ptr<const PeriodFigures> figures, int64_t threshold,
              std::vector<CellSuppression> pattern);
  // Numbers every area's cells one after another (first_cell_); returns the total.
  int NumberCells();
  // Every cell and relation of the figures, and into `withheld` the cells
  // withheld from the start (the breakdowns of small totals); with `parts`,
  // also the parts to solve first.
  SuppressionProblem Problem(std::vector<std::vector<int>>* parts,
                             std::vector<CellSuppression>& withheld) const;

  int64_t Value(const AreaKey& area, int cell) const;

  std::shared_ptr<const PeriodFigures> figures_;
  FigureLayout layout_;
  int64_t threshold_;
  std::map<AreaKey, int> first_cell_;  // area -> id of its cell 0 in the problem
  std::vector<CellSuppression> pattern_;
};

// The monitor of `scope` (which must be an area of the publication, or is
// rendered as all zeros). Backlog alerts and as_of are added by the caller.
v1::Monitor RenderMonitor(const Publication& publication, const AreaKey& scope, bool exact,
                          const std::set<v1::MonitorSection>& sections);

// --- The three questions ---------------------------------------------------

struct IndicatorSpec;
// Every indicator, in report order.
const std::vector<IndicatorSpec>& AllIndicators();

// Builds the indicators of `audience` (or of every indicator when
// UNSPECIFIED) for `scope`, comparing with `previous`.
std::vector<v1::Indicator> RenderIndicators(const Publication& current,
                                            const Publication& previous, const AreaKey& scope,
                                            bool exact, v1::IndicatorAudience audience,
                                            double stable_band_percent);

// The view "views/residents" etc. of `audience`.
v1::IndicatorView RenderView(const Publication& current, const Publication& previous,
                             const AreaKey& scope, bool exact, v1::IndicatorAudience audience,
                             double stable_band_percent);

// "views/residents" for RESIDENTS, ...; empty for UNSPECIFIED.
std::string ViewName(v1::IndicatorAudience audience);
// RESIDENTS for "views/residents", ...; UNSPECIFIED when unknown.
v1::IndicatorAudience AudienceOfView(absl::string_view name);

// The comparable number of an indicator value; nullopt when hidden or empty.
std::optional<double> ComparableValue(const v1::IndicatorValue& value);

}  // namespace herstel::reporting

#endif  // HERSTEL_REPORTING_DOMAIN_PUBLICATION_H_
