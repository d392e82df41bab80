#include "domain/suppression.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <limits>
#include <map>

namespace herstel::reporting {
namespace {

int64_t Clamp(int64_t value) { return std::clamp(value, -kUnbounded, kUnbounded); }

// Narrows a secondary cell's range to {0} ∪ [threshold, ∞).
void ShapeSecondary(DerivedRange& range, int64_t threshold) {
  if (range.low > 0 && range.low < threshold) range.low = threshold;
  if (range.high > 0 && range.high < threshold) range.high = 0;
}

// Cells hidden to protect one exposed cell before it is given up on.
constexpr uint8_t kMaxProtectionAttempts = 4;

}  // namespace

bool Exposed(CellSuppression suppression, const DerivedRange& range, int64_t value) {
  return suppression != CellSuppression::kNone && range.exact() && value > 0;
}

int SuppressionProblem::AddCell(int64_t value) {
  values_.push_back(value);
  relations_of_cell_.emplace_back();
  return static_cast<int>(values_.size()) - 1;
}

bool SuppressionProblem::AddRelation(std::vector<Term> terms) {
  int64_t sum = 0;
  for (const Term& term : terms) sum += term.coefficient * values_[term.cell];
  if (sum != 0 || terms.size() < 2) return false;
  int id = static_cast<int>(relations_.size());
  for (const Term& term : terms) relations_of_cell_[term.cell].push_back(id);
  relations_.push_back(std::move(terms));
  return true;
}

bool SuppressionProblem::AddSum(int total, const std::vector<int>& parts) {
  std::vector<Term> terms{{total, -1}};
  for (int part : parts) terms.push_back({part, 1});
  return AddRelation(std::move(terms));
}

std::vector<DerivedRange> SuppressionProblem::Derive(const std::vector<CellSuppression>& pattern,
                                                     int64_t threshold) const {
  std::vector<DerivedRange> ranges(values_.size());
  DeriveGroups(pattern, threshold, nullptr, ranges);
  return ranges;
}

void SuppressionProblem::DeriveGroups(const std::vector<CellSuppression>& pattern,
                                      int64_t threshold, const std::vector<bool>* changed,
                                      std::vector<DerivedRange>& ranges) const {
  // Groups of hidden cells connected by relations: what a reader learns
  // about one group comes from its relations alone.
  std::vector<int> parent(values_.size());
  for (size_t cell = 0; cell < values_.size(); ++cell) parent[cell] = static_cast<int>(cell);
  auto root = [&](int cell) {
    while (parent[cell] != cell) cell = parent[cell] = parent[parent[cell]];
    return cell;
  };
  for (const std::vector<Term>& relation : relations_) {
    int first = -1;
    for (const Term& term : relation) {
      if (pattern[term.cell] == CellSuppression::kNone) continue;
      if (first < 0) {
        first = root(term.cell);
      } else {
        parent[root(term.cell)] = first;
      }
    }
  }
  // The groups to derive: every group, or those holding a changed cell.
  std::vector<bool> dirty(values_.size(), changed == nullptr);
  if (changed != nullptr) {
    for (size_t cell = 0; cell < values_.size(); ++cell) {
      if ((*changed)[cell]) dirty[root(static_cast<int>(cell))] = true;
    }
  }
  for (size_t cell = 0; cell < values_.size(); ++cell) {
    switch (pattern[cell]) {
      case CellSuppression::kNone:
        ranges[cell] = {values_[cell], values_[cell]};
        break;
      case CellSuppression::kPrimary:
        if (dirty[root(static_cast<int>(cell))]) ranges[cell] = {1, threshold - 1};
        break;
      case CellSuppression::kSecondary:
      case CellSuppression::kWithheld:
        if (dirty[root(static_cast<int>(cell))]) ranges[cell] = {0, kUnbounded};
        break;
    }
  }
  // The relations restricted to hidden cells of the groups to derive:
  // sum(a * x) == rhs.
  std::vector<Equation> equations;
  for (const std::vector<Term>& relation : relations_) {
    Equation equation;
    for (const Term& term : relation) {
      if (pattern[term.cell] == CellSuppression::kNone) {
        equation.rhs -= static_cast<double>(term.coefficient) * values_[term.cell];
      } else {
        equation.terms.push_back({term.cell, static_cast<double>(term.coefficient)});
      }
    }
    if (equation.terms.empty() || !dirty[root(equation.terms[0].first)]) continue;
    equations.push_back(std::move(equation));
  }
  // Linear combinations of relations (differences of totals and the like)
  // reveal what no single relation does: add the reduced row echelon form of
  // each group as further relations.
  std::map<int, std::vector<size_t>> groups;
  for (size_t index = 0; index < equations.size(); ++index) {
    groups[root(equations[index].terms[0].first)].push_back(index);
  }
  std::vector<Equation> derived;
  for (const auto& [group_root, members] : groups) {
    std::vector<Equation> reduced = Reduce(equations, members);
    derived.insert(derived.end(), reduced.begin(), reduced.end());
  }
  equations.insert(equations.end(), derived.begin(), derived.end());
  Propagate(equations, pattern, threshold, ranges);
}

std::vector<SuppressionProblem::Equation> SuppressionProblem::Reduce(
    const std::vector<Equation>& equations, const std::vector<size_t>& members) {
  // Dense elimination is cubic: large groups keep their plain relations
  // (and are told apart before their columns are all counted).
  if (members.size() > 4 * kMaxEliminationCells) return {};
  std::map<int, int> column_of;
  for (size_t index : members) {
    for (const auto& [cell, coefficient] : equations[index].terms) {
      column_of.emplace(cell, static_cast<int>(column_of.size()));
    }
    if (column_of.size() > kMaxEliminationCells) return {};
  }
  const size_t columns = column_of.size();
  std::vector<int> cell_of(columns);
  for (const auto& [cell, column] : column_of) cell_of[column] = cell;
  std::vector<std::vector<double>> matrix;
  for (size_t index : members) {
    std::vector<double> row(columns + 1, 0.0);
    for (const auto& [cell, coefficient] : equations[index].terms) {
      row[column_of[cell]] += coefficient;
    }
    row[columns] = equations[index].rhs;
    matrix.push_back(std::move(row));
  }
  constexpr double kEpsilon = 1e-9;
  size_t pivot_row = 0;
  for (size_t column = 0; column < columns && pivot_row < matrix.size(); ++column) {
    size_t best = pivot_row;
    for (size_t row = pivot_row + 1; row < matrix.size(); ++row) {
      if (std::abs(matrix[row][column]) > std::abs(matrix[best][column])) best = row;
    }
    if (std::abs(matrix[best][column]) < kEpsilon) continue;
    std::swap(matrix[best], matrix[pivot_row]);
    double pivot = matrix[pivot_row][column];
    for (double& entry : matrix[pivot_row]) entry /= pivot;
    for (size_t row = 0; row < matrix.size(); ++row) {
      if (row == pivot_row || std::abs(matrix[row][column]) < kEpsilon) continue;
      double factor = matrix[row][column];
      for (size_t entry = column; entry <= columns; ++entry) {
        matrix[row][entry] -= factor * matrix[pivot_row][entry];
      }
    }
    ++pivot_row;
  }
  std::vector<Equation> reduced;
  for (size_t row = 0; row < pivot_row; ++row) {
    Equation equation;
    for (size_t column = 0; column < columns; ++column) {
      if (std::abs(matrix[row][column]) >= kEpsilon) {
        equation.terms.push_back({cell_of[column], matrix[row][column]});
      }
    }
    equation.rhs = matrix[row][columns];
    if (!equation.terms.empty()) reduced.push_back(std::move(equation));
  }
  return reduced;
}

void SuppressionProblem::Propagate(const std::vector<Equation>& equations,
                                   const std::vector<CellSuppression>& pattern,
                                   int64_t threshold, std::vector<DerivedRange>& ranges) const {
  std::vector<std::vector<int>> equations_of_cell(values_.size());
  for (size_t index = 0; index < equations.size(); ++index) {
    for (const auto& [cell, coefficient] : equations[index].terms) {
      equations_of_cell[cell].push_back(static_cast<int>(index));
    }
  }
  std::deque<int> work;
  std::vector<bool> queued(equations.size(), true);
  for (size_t index = 0; index < equations.size(); ++index) work.push_back(static_cast<int>(index));
  // Bounded so a pathological chain cannot run long; real tables converge in
  // a few passes over their relations.
  int64_t budget = 64 * static_cast<int64_t>(equations.size()) + 1024;
  constexpr double kSlack = 1e-6;
  while (!work.empty() && budget-- > 0) {
    int index = work.front();
    work.pop_front();
    queued[index] = false;
    const Equation& equation = equations[index];
    double sum_low = 0;
    double sum_high = 0;
    for (const auto& [cell, a] : equation.terms) {
      sum_low += a > 0 ? a * ranges[cell].low : a * ranges[cell].high;
      sum_high += a > 0 ? a * ranges[cell].high : a * ranges[cell].low;
    }
    for (const auto& [cell, a] : equation.terms) {
      DerivedRange& range = ranges[cell];
      double own_low = a > 0 ? a * range.low : a * range.high;
      double own_high = a > 0 ? a * range.high : a * range.low;
      // a * x == rhs - others
      double low = equation.rhs - (sum_high - own_high);
      double high = equation.rhs - (sum_low - own_low);
      double x_low = a > 0 ? low / a : high / a;
      double x_high = a > 0 ? high / a : low / a;
      DerivedRange narrowed = range;
      if (x_low > static_cast<double>(range.low)) {
        narrowed.low = Clamp(static_cast<int64_t>(std::ceil(std::min(x_low, 1e15) - kSlack)));
      }
      if (x_high < static_cast<double>(range.high)) {
        narrowed.high = Clamp(static_cast<int64_t>(std::floor(std::max(x_high, -1e15) + kSlack)));
      }
      narrowed.low = std::max(narrowed.low, range.low);
      narrowed.high = std::min(narrowed.high, range.high);
      if (pattern[cell] == CellSuppression::kSecondary) ShapeSecondary(narrowed, threshold);
      if (narrowed.low > narrowed.high) continue;  // rounding noise; true values always fit
      if (narrowed.low == range.low && narrowed.high == range.high) continue;
      range = narrowed;
      for (int other : equations_of_cell[cell]) {
        if (other != index && !queued[other]) {
          work.push_back(other);
          queued[other] = true;
        }
      }
    }
  }
}

std::vector<int> SuppressionProblem::NearestShownCells(
    const std::vector<CellSuppression>& pattern) const {
  // One breadth-first search from every shown non-zero cell at once, over
  // relations and hidden cells. A relation holding a shown non-zero cell is
  // at distance 0 and offers its smallest such cell; a hidden cell is as far
  // as its nearest relation and keeps the best offer among the relations at
  // that distance; a relation without one is one further than its nearest
  // hidden cell. "Best" is the smallest value, then the lowest id. Zeros are
  // never offered: a reader who knows a hidden cell is 0 or at least the
  // threshold can often tell it is 0, and a shown zero reveals nothing about
  // its neighbours. Linear in the relations' terms, where searching from each
  // exposed cell in turn walked its whole hidden neighbourhood every time.
  auto better = [&](int candidate, int best) {
    if (candidate < 0) return false;
    if (best < 0) return true;
    if (values_[candidate] != values_[best]) return values_[candidate] < values_[best];
    return candidate < best;
  };
  constexpr int kUnreached = std::numeric_limits<int>::max();
  std::vector<int> relation_distance(relations_.size(), kUnreached);
  std::vector<int> relation_offer(relations_.size(), -1);
  std::vector<int> cell_distance(values_.size(), kUnreached);
  std::vector<int> cell_offer(values_.size(), -1);
  std::vector<int> frontier;
  for (size_t relation = 0; relation < relations_.size(); ++relation) {
    for (const Term& term : relations_[relation]) {
      if (pattern[term.cell] == CellSuppression::kNone && values_[term.cell] > 0 &&
          better(term.cell, relation_offer[relation])) {
        relation_offer[relation] = term.cell;
      }
    }
    if (relation_offer[relation] >= 0) {
      relation_distance[relation] = 0;
      frontier.push_back(static_cast<int>(relation));
    }
  }
  for (int distance = 0; !frontier.empty(); ++distance) {
    std::vector<int> reached;
    for (int relation : frontier) {
      for (const Term& term : relations_[relation]) {
        if (pattern[term.cell] == CellSuppression::kNone) continue;
        if (cell_distance[term.cell] == kUnreached) {
          cell_distance[term.cell] = distance;
          reached.push_back(term.cell);
        }
        if (cell_distance[term.cell] == distance &&
            better(relation_offer[relation], cell_offer[term.cell])) {
          cell_offer[term.cell] = relation_offer[relation];
        }
      }
    }
    std::vector<int> next;
    for (int cell : reached) {
      for (int relation : relations_of_cell_[cell]) {
        if (relation_distance[relation] == kUnreached) {
          relation_distance[relation] = distance + 1;
          next.push_back(relation);
        }
        if (relation_distance[relation] == distance + 1 &&
            better(cell_offer[cell], relation_offer[relation])) {
          relation_offer[relation] = cell_offer[cell];
        }
      }
    }
    frontier = std::move(next);
  }
  return cell_offer;
}

std::vector<CellSuppression> SuppressionProblem::Solve(int64_t threshold) const {
  return Solve(threshold, std::vector<CellSuppression>(values_.size(), CellSuppression::kNone));
}

std::vector<CellSuppression> SuppressionProblem::SolveInParts(
    int64_t threshold, const std::vector<std::vector<int>>& parts,
    const std::vector<CellSuppression>& start) const {
  std::vector<CellSuppression> pattern = start;
  std::vector<int> local(values_.size(), -1);
  // Each pass hides at least one more cell or ends; bounded all the same,
  // since the whole table is solved afterwards anyway.
  constexpr int kMaxPasses = 8;
  bool hid_more = true;
  for (int pass = 0; pass < kMaxPasses && hid_more; ++pass) {
    hid_more = false;
    for (const std::vector<int>& part : parts) {
      SuppressionProblem alone;
      std::vector<CellSuppression> start;
      for (int cell : part) {
        local[cell] = alone.AddCell(values_[cell]);
        start.push_back(pattern[cell]);
      }
      std::vector<bool> added(relations_.size(), false);
      for (int cell : part) {
        for (int relation : relations_of_cell_[cell]) {
          if (added[relation]) continue;
          added[relation] = true;
          std::vector<Term> terms;
          for (const Term& term : relations_[relation]) {
            if (local[term.cell] < 0) break;
            terms.push_back({local[term.cell], term.coefficient});
          }
          if (terms.size() == relations_[relation].size()) alone.AddRelation(std::move(terms));
        }
      }
      std::vector<CellSuppression> solved = alone.Solve(threshold, start);
      for (size_t index = 0; index < part.size(); ++index) {
        hid_more |= solved[index] != start[index];
        pattern[part[index]] = solved[index];
        local[part[index]] = -1;
      }
    }
  }
  return Solve(threshold, pattern);
}

std::vector<int> SuppressionProblem::PinnedCells(const std::vector<CellSuppression>& pattern,
                                                 int64_t threshold) const {
  std::vector<DerivedRange> ranges = Derive(pattern, threshold);
  std::vector<int> pinned;
  for (size_t cell = 0; cell < values_.size(); ++cell) {
    if (Exposed(pattern[cell], ranges[cell], values_[cell])) {
      pinned.push_back(static_cast<int>(cell));
    }
  }
  return pinned;
}

std::vector<CellSuppression> SuppressionProblem::SolveWithholdingWhatStaysPinned(
    int64_t threshold, const std::vector<std::vector<int>>& parts,
    const std::vector<CellSuppression>& start) const {
  std::vector<CellSuppression> pattern = SolveInParts(threshold, parts, start);
  // Each round withholds at least one more cell, or ends.
  for (size_t round = 0; round < values_.size(); ++round) {
    std::vector<int> pinned = PinnedCells(pattern, threshold);
    bool withheld_more = false;
    for (int cell : pinned) {
      for (int relation : relations_of_cell_[cell]) {
        for (const Term& term : relations_[relation]) {
          withheld_more |= pattern[term.cell] != CellSuppression::kWithheld;
          pattern[term.cell] = CellSuppression::kWithheld;
        }
      }
    }
    if (!withheld_more) break;
    pattern = SolveInParts(threshold, parts, pattern);
  }
  return pattern;
}

std::vector<CellSuppression> SuppressionProblem::Solve(
    int64_t threshold, const std::vector<CellSuppression>& start) const {
  std::vector<CellSuppression> pattern(values_.size(), CellSuppression::kNone);
  for (size_t cell = 0; cell < values_.size(); ++cell) {
    if (start[cell] == CellSuppression::kWithheld) {
      pattern[cell] = CellSuppression::kWithheld;
    } else if (values_[cell] > 0 && values_[cell] < threshold) {
      pattern[cell] = CellSuppression::kPrimary;
    } else if (start[cell] != CellSuppression::kNone) {
      pattern[cell] = CellSuppression::kSecondary;
    }
  }
  // Each round hides at least one more cell, so at most cell_count rounds.
  // A round derives again only the groups of hidden cells that the round
  // before changed; the others' ranges stand.
  // Derivation is bounded in work, so the kept ranges may be looser than
  // a fresh one's: the pattern is only final once a round deriving every
  // group finds nothing exposed.
  std::vector<DerivedRange> ranges(values_.size());
  std::vector<uint8_t> attempts(values_.size(), 0);  // cells hidden for each exposed cell
  std::vector<bool> changed;
  bool derive_all = true;
  for (size_t round = 0; round <= values_.size(); ++round) {
    DeriveGroups(pattern, threshold, derive_all ? nullptr : &changed, ranges);
    const bool derived_all = derive_all;
    derive_all = false;
    changed.assign(values_.size(), false);
    const std::vector<int> nearest = NearestShownCells(pattern);
    bool exposed_any = false;
    bool hid_any = false;
    for (size_t cell = 0; cell < values_.size(); ++cell) {
      if (!Exposed(pattern[cell], ranges[cell], values_[cell])) continue;
      exposed_any = true;
      // `nearest` is as of the round's start: exposed cells that share it
      // hide it once, and the next round re-derives. A cell that is still
      // pinned after kMaxProtectionAttempts cells were hidden for it is
      // given up on (hiding more around it did not help), so the rounds end.
      int chosen = nearest[cell];
      if (chosen < 0 || pattern[chosen] != CellSuppression::kNone ||
          attempts[cell] >= kMaxProtectionAttempts) {
        continue;
      }
      ++attempts[cell];
      pattern[chosen] = CellSuppression::kSecondary;
      changed[chosen] = true;
      hid_any = true;
    }
    if (!exposed_any && !derived_all) {
      derive_all = true;
      continue;
    }
    if (!exposed_any || !hid_any) break;
  }
  return pattern;
}

}  // namespace herstel::reporting
