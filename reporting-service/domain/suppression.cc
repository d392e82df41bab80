#include "domain/suppression.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <map>

namespace herstel::reporting {
namespace {

int64_t Clamp(int64_t value) { return std::clamp(value, -kUnbounded, kUnbounded); }

// Narrows a secondary cell's range to {0} ∪ [threshold, ∞).
void ShapeSecondary(DerivedRange& range, int64_t threshold) {
  if (range.low > 0 && range.low < threshold) range.low = threshold;
  if (range.high > 0 && range.high < threshold) range.high = 0;
}

}  // namespace

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
  for (size_t cell = 0; cell < values_.size(); ++cell) {
    switch (pattern[cell]) {
      case CellSuppression::kNone:
        ranges[cell] = {values_[cell], values_[cell]};
        break;
      case CellSuppression::kPrimary:
        ranges[cell] = {1, threshold - 1};
        break;
      case CellSuppression::kSecondary:
        ranges[cell] = {0, kUnbounded};
        break;
    }
  }
  // The relations restricted to hidden cells: sum(a * x) == rhs.
  std::vector<Equation> equations;
  std::vector<int> component(values_.size(), -1);
  std::vector<int> parent(values_.size());
  for (size_t cell = 0; cell < values_.size(); ++cell) parent[cell] = static_cast<int>(cell);
  std::function<int(int)> root = [&](int cell) {
    while (parent[cell] != cell) cell = parent[cell] = parent[parent[cell]];
    return cell;
  };
  for (const std::vector<Term>& relation : relations_) {
    Equation equation;
    for (const Term& term : relation) {
      if (pattern[term.cell] == CellSuppression::kNone) {
        equation.rhs -= static_cast<double>(term.coefficient) * values_[term.cell];
      } else {
        equation.terms.push_back({term.cell, static_cast<double>(term.coefficient)});
      }
    }
    if (equation.terms.empty()) continue;
    for (size_t i = 1; i < equation.terms.size(); ++i) {
      parent[root(equation.terms[i].first)] = root(equation.terms[0].first);
    }
    equations.push_back(std::move(equation));
  }
  // Linear combinations of relations (differences of totals and the like)
  // reveal what no single relation does: add the reduced row echelon form of
  // each group of connected hidden cells as further relations.
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
  return ranges;
}

std::vector<SuppressionProblem::Equation> SuppressionProblem::Reduce(
    const std::vector<Equation>& equations, const std::vector<size_t>& members) {
  std::map<int, int> column_of;
  for (size_t index : members) {
    for (const auto& [cell, coefficient] : equations[index].terms) {
      column_of.emplace(cell, static_cast<int>(column_of.size()));
    }
  }
  const size_t columns = column_of.size();
  // Dense elimination is cubic: large groups keep their plain relations.
  if (columns > kMaxEliminationCells || members.size() > 4 * kMaxEliminationCells) return {};
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

int SuppressionProblem::ChooseSecondary(int exposed,
                                        const std::vector<CellSuppression>& pattern) const {
  // Breadth-first over relations from the exposed cell: the nearest ring of
  // relations holding a shown non-zero cell gives the candidates, smallest
  // value first, then lowest id. Zeros are never hidden: a reader who knows
  // a hidden cell is 0 or at least the threshold can often tell it is 0, and
  // a shown zero reveals nothing about its neighbours.
  std::vector<bool> seen_relation(relations_.size(), false);
  std::vector<bool> seen_cell(values_.size(), false);
  std::vector<int> ring{exposed};
  seen_cell[exposed] = true;
  while (!ring.empty()) {
    int best = -1;
    auto better = [&](int candidate) {
      if (values_[candidate] <= 0) return false;
      if (best < 0) return true;
      if (values_[candidate] != values_[best]) return values_[candidate] < values_[best];
      return candidate < best;
    };
    std::vector<int> next;
    for (int cell : ring) {
      for (int relation : relations_of_cell_[cell]) {
        if (seen_relation[relation]) continue;
        seen_relation[relation] = true;
        for (const Term& term : relations_[relation]) {
          if (term.cell == exposed) continue;
          if (pattern[term.cell] == CellSuppression::kNone) {
            if (better(term.cell)) best = term.cell;
          } else if (!seen_cell[term.cell]) {
            seen_cell[term.cell] = true;
            next.push_back(term.cell);
          }
        }
      }
    }
    if (best >= 0) return best;
    ring = std::move(next);
  }
  return -1;
}

std::vector<CellSuppression> SuppressionProblem::Solve(int64_t threshold) const {
  std::vector<CellSuppression> pattern(values_.size(), CellSuppression::kNone);
  for (size_t cell = 0; cell < values_.size(); ++cell) {
    if (values_[cell] > 0 && values_[cell] < threshold) pattern[cell] = CellSuppression::kPrimary;
  }
  // Each round hides at least one more cell, so at most cell_count rounds.
  for (size_t round = 0; round <= values_.size(); ++round) {
    std::vector<DerivedRange> ranges = Derive(pattern, threshold);
    std::vector<bool> relation_touched(relations_.size(), false);
    bool exposed_any = false;
    bool hid_any = false;
    for (size_t cell = 0; cell < values_.size(); ++cell) {
      if (pattern[cell] == CellSuppression::kNone || !ranges[cell].exact()) continue;
      exposed_any = true;
      // One fix per neighbourhood per round; the next round re-derives.
      bool touched = false;
      for (int relation : relations_of_cell_[cell]) touched |= relation_touched[relation];
      if (touched) continue;
      int chosen = ChooseSecondary(static_cast<int>(cell), pattern);
      if (chosen < 0) continue;
      pattern[chosen] = CellSuppression::kSecondary;
      hid_any = true;
      for (int relation : relations_of_cell_[cell]) relation_touched[relation] = true;
      for (int relation : relations_of_cell_[chosen]) relation_touched[relation] = true;
    }
    if (!exposed_any || !hid_any) break;
  }
  return pattern;
}

}  // namespace herstel::reporting
