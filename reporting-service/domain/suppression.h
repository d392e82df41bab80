// Small-count suppression for public figures (seed 002 point d: nothing
// traceable to single homes is published).
//
// Primary: a count above zero and below the threshold is hidden.
// Secondary: published figures are tied by exact linear relations (totals
// over parts, stock(w-1) + inflow(w) - outflow(w) = stock(w), a share's
// numerator + complement = denominator, a municipality over its villages, the
// region over its municipalities). Someone holding every published figure
// and those relations can narrow hidden cells down. The solver derives what
// such a reader can learn (the relations and their linear combinations, by
// elimination, then interval reasoning knowing that a primary cell lies in
// [1, threshold-1] and a secondary one in {0} ∪ [threshold, ∞)) and hides
// further cells, smallest non-zero first, until no hidden cell can be
// pinned to a single value, or nothing shown and non-zero is left to hide,
// or four cells were hidden for a pinned cell in vain (then Solve leaves it
// pinned, so the rounds end on tables of millions of cells, and
// SolveWithholdingWhatStaysPinned withholds it). A cell can also be
// withheld from the start (the breakdown of a small total, see
// publication.h): a reader knows only that it is zero or more. Pinning a
// cell to zero reveals nothing (zeros are published), so only cells pinned
// to a value above zero count as exposed. The result depends
// only on the cells and relations, so every answer built from the same
// figures hides the same cells. Below a threshold of 5, a group made only of
// small cells (1 + 1 = 2 with threshold 3) is pinned by the ranges alone; no
// pattern can help there, so use the default threshold (10) or close to it.
#ifndef HERSTEL_REPORTING_DOMAIN_SUPPRESSION_H_
#define HERSTEL_REPORTING_DOMAIN_SUPPRESSION_H_

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace herstel::reporting {

// kWithheld: not published, whatever its value (a reader knows it is >= 0).
enum class CellSuppression { kNone, kPrimary, kSecondary, kWithheld };

// What a reader of the published figures can derive about one cell.
struct DerivedRange {
  int64_t low = 0;
  int64_t high = 0;  // kUnbounded when nothing bounds it from above
  bool exact() const { return low == high; }
};

inline constexpr int64_t kUnbounded = int64_t{1} << 50;

// Whether a hidden cell of `value` that a reader narrows to `range` is
// revealed: pinned to one value above zero.
bool Exposed(CellSuppression suppression, const DerivedRange& range, int64_t value);

class SuppressionProblem {
 public:
  // Adds a published count; returns its cell id.
  int AddCell(int64_t value);
  // Records that sum(coefficient * value) == 0 over `terms` (coefficients
  // +1 or -1). Returns false, recording nothing, when the values do not
  // satisfy it (such a relation is not public knowledge).
  struct Term {
    int cell;
    int coefficient;
  };
  bool AddRelation(std::vector<Term> terms);
  // Shorthand: total == sum of parts.
  bool AddSum(int total, const std::vector<int>& parts);

  int cell_count() const { return static_cast<int>(values_.size()); }
  int64_t value(int cell) const { return values_[cell]; }

  // The suppression of every cell for `threshold` (>= 2).
  std::vector<CellSuppression> Solve(int64_t threshold) const;
  // The same, starting from `start`: cells withheld there stay withheld,
  // cells hidden there stay hidden.
  std::vector<CellSuppression> Solve(int64_t threshold,
                                     const std::vector<CellSuppression>& start) const;
  // The same result's guarantee, reached faster on a large table made of
  // smaller ones (a municipality over its villages, the region over its
  // municipalities): each part (a set of cells, with only the relations
  // among them) is solved alone, in turn and again until no part hides
  // more, each starting from what the others hid; then the whole table is
  // solved from there, so what a reader can derive by combining parts is
  // still checked, and usually holds already after one derivation. Cells
  // withheld or hidden in `start` stay so.
  std::vector<CellSuppression> SolveInParts(int64_t threshold,
                                            const std::vector<std::vector<int>>& parts,
                                            const std::vector<CellSuppression>& start) const;
  // SolveInParts, then, for as long as the derivation still pins a hidden
  // cell (one the rounds gave up on), withholds that cell and every cell it
  // shares a relation with, and solves again from there. A table of the
  // shapes the service publishes ends with no pinned cell; `Exposed` cells
  // are left only when a round withholds nothing new.
  std::vector<CellSuppression> SolveWithholdingWhatStaysPinned(
      int64_t threshold, const std::vector<std::vector<int>>& parts,
      const std::vector<CellSuppression>& start) const;
  // The hidden cells `pattern` leaves pinned to a value above zero.
  std::vector<int> PinnedCells(const std::vector<CellSuppression>& pattern,
                               int64_t threshold) const;
  // What a reader of the figures published under `pattern` can derive.
  std::vector<DerivedRange> Derive(const std::vector<CellSuppression>& pattern,
                                   int64_t threshold) const;

 private:
  // sum(coefficient * cell) == rhs over hidden cells only.
  struct Equation {
    std::vector<std::pair<int, double>> terms;
    double rhs = 0;
  };
  // Largest group of connected hidden cells solved by elimination.
  static constexpr size_t kMaxEliminationCells = 400;

  // Derive's work into `ranges`: for the groups of connected hidden cells
  // holding a cell marked in `changed` (every group when null); the other
  // groups' ranges are kept, as nothing they depend on changed.
  void DeriveGroups(const std::vector<CellSuppression>& pattern, int64_t threshold,
                    const std::vector<bool>* changed, std::vector<DerivedRange>& ranges) const;
  // The reduced row echelon form of equations[members].
  static std::vector<Equation> Reduce(const std::vector<Equation>& equations,
                                      const std::vector<size_t>& members);
  // Narrows `ranges` by every equation until nothing changes.
  void Propagate(const std::vector<Equation>& equations,
                 const std::vector<CellSuppression>& pattern, int64_t threshold,
                 std::vector<DerivedRange>& ranges) const;
  // For every hidden cell, the shown non-zero cell to hide so that it is
  // protected: the smallest (then lowest id) in the nearest relations
  // reachable through hidden cells; -1 when there is none.
  std::vector<int> NearestShownCells(const std::vector<CellSuppression>& pattern) const;

  std::vector<int64_t> values_;
  std::vector<std::vector<Term>> relations_;
  std::vector<std::vector<int>> relations_of_cell_;
};

}  // namespace herstel::reporting

#endif  // HERSTEL_REPORTING_DOMAIN_SUPPRESSION_H_
