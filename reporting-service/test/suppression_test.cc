// Small-count suppression: every primary cell is hidden, and a reader who
// holds every published figure and every relation between them can't pin
// any hidden cell to one value. The reader here is an exact solver (search
// over integer solutions), stronger than the solver's own interval reasoning.
#include "domain/suppression.h"

#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace herstel::reporting {
namespace {

// ---------------------------------------------------------------------------
// The attacker: integer solutions of the relations, given what is published.
// ---------------------------------------------------------------------------

struct Relation {
  std::vector<std::pair<int, int>> terms;  // (cell, coefficient)
};

class Attacker {
 public:
  Attacker(std::vector<int64_t> published, std::vector<CellSuppression> pattern,
           std::vector<Relation> relations, int64_t threshold, int64_t cap)
      : pattern_(std::move(pattern)), relations_(std::move(relations)), threshold_(threshold) {
    for (size_t cell = 0; cell < published.size(); ++cell) {
      switch (pattern_[cell]) {
        case CellSuppression::kNone:
          start_.push_back({published[cell], published[cell]});
          break;
        case CellSuppression::kPrimary:
          start_.push_back({1, threshold - 1});
          break;
        case CellSuppression::kSecondary:
        case CellSuppression::kWithheld:
          start_.push_back({0, cap});
          break;
      }
    }
  }

  // The values `cell` can take in some solution: first two found, so the
  // answer has one element exactly when the cell is recovered.
  std::vector<int64_t> PossibleValues(int cell) {
    std::vector<int64_t> found;
    std::vector<std::pair<int64_t, int64_t>> domains = start_;
    std::vector<int64_t> solution;
    if (!Search(domains, solution)) return found;
    found.push_back(solution[cell]);
    for (auto part : {std::pair<int64_t, int64_t>{domains[cell].first, solution[cell] - 1},
                      std::pair<int64_t, int64_t>{solution[cell] + 1, domains[cell].second}}) {
      if (part.first > part.second) continue;
      std::vector<std::pair<int64_t, int64_t>> narrowed = start_;
      narrowed[cell] = part;
      std::vector<int64_t> other;
      if (Search(narrowed, other)) {
        found.push_back(other[cell]);
        break;
      }
    }
    return found;
  }

 private:
  bool Shape(size_t cell, std::pair<int64_t, int64_t>& domain) const {
    if (pattern_[cell] == CellSuppression::kSecondary) {
      if (domain.first > 0 && domain.first < threshold_) domain.first = threshold_;
      if (domain.second > 0 && domain.second < threshold_) domain.second = 0;
    }
    return domain.first <= domain.second;
  }

  bool Propagate(std::vector<std::pair<int64_t, int64_t>>& domains) const {
    bool changed = true;
    while (changed) {
      changed = false;
      for (const Relation& relation : relations_) {
        int64_t low = 0;
        int64_t high = 0;
        for (auto [cell, coefficient] : relation.terms) {
          low += coefficient > 0 ? domains[cell].first : -domains[cell].second;
          high += coefficient > 0 ? domains[cell].second : -domains[cell].first;
        }
        if (low > 0 || high < 0) return false;
        for (auto [cell, coefficient] : relation.terms) {
          auto& domain = domains[cell];
          int64_t own_low = coefficient > 0 ? domain.first : -domain.second;
          int64_t own_high = coefficient > 0 ? domain.second : -domain.first;
          int64_t rest_low = low - own_low;
          int64_t rest_high = high - own_high;
          std::pair<int64_t, int64_t> narrowed = domain;
          if (coefficient > 0) {
            narrowed.first = std::max(narrowed.first, -rest_high);
            narrowed.second = std::min(narrowed.second, -rest_low);
          } else {
            narrowed.first = std::max(narrowed.first, rest_low);
            narrowed.second = std::min(narrowed.second, rest_high);
          }
          if (!Shape(cell, narrowed)) return false;
          if (narrowed != domain) {
            domain = narrowed;
            changed = true;
          }
        }
      }
    }
    return true;
  }

  bool Search(std::vector<std::pair<int64_t, int64_t>>& domains,
              std::vector<int64_t>& solution) const {
    if (!Propagate(domains)) return false;
    int split = -1;
    for (size_t cell = 0; cell < domains.size(); ++cell) {
      if (domains[cell].first == domains[cell].second) continue;
      if (split < 0 || domains[cell].second - domains[cell].first <
                           domains[split].second - domains[split].first) {
        split = static_cast<int>(cell);
      }
    }
    if (split < 0) {
      solution.clear();
      for (const auto& domain : domains) solution.push_back(domain.first);
      return true;
    }
    int64_t middle = domains[split].first + (domains[split].second - domains[split].first) / 2;
    for (auto part : {std::pair<int64_t, int64_t>{domains[split].first, middle},
                      std::pair<int64_t, int64_t>{middle + 1, domains[split].second}}) {
      std::vector<std::pair<int64_t, int64_t>> branch = domains;
      branch[split] = part;
      if (!Shape(split, branch[split])) continue;
      if (Search(branch, solution)) return true;
    }
    return false;
  }

  std::vector<CellSuppression> pattern_;
  std::vector<Relation> relations_;
  int64_t threshold_;
  std::vector<std::pair<int64_t, int64_t>> start_;
};

// A table with its relations, kept both for the solver and the attacker.
struct Table {
  SuppressionProblem problem;
  std::vector<int64_t> values;
  std::vector<Relation> relations;

  int Cell(int64_t value) {
    values.push_back(value);
    return problem.AddCell(value);
  }
  void Sum(int total, const std::vector<int>& parts) {
    ASSERT_TRUE(problem.AddSum(total, parts));
    Relation relation;
    relation.terms.push_back({total, -1});
    for (int part : parts) relation.terms.push_back({part, 1});
    relations.push_back(relation);
  }
  void Linear(const std::vector<std::pair<int, int>>& terms) {
    std::vector<SuppressionProblem::Term> converted;
    for (auto [cell, coefficient] : terms) converted.push_back({cell, coefficient});
    ASSERT_TRUE(problem.AddRelation(converted));
    relations.push_back({terms});
  }

  // Hidden cells the attacker pins to one value.
  std::vector<int> Recovered(const std::vector<CellSuppression>& pattern, int64_t threshold) {
    int64_t cap = threshold;
    for (int64_t value : values) cap += 2 * value;
    Attacker attacker(values, pattern, relations, threshold, cap);
    std::vector<int> recovered;
    for (size_t cell = 0; cell < values.size(); ++cell) {
      if (pattern[cell] == CellSuppression::kNone) continue;
      std::vector<int64_t> possible = attacker.PossibleValues(static_cast<int>(cell));
      EXPECT_FALSE(possible.empty()) << "the true values must be a solution";
      // A zero pinned as zero reveals nothing: zeros are published.
      if (possible.size() == 1 && possible[0] > 0) recovered.push_back(static_cast<int>(cell));
    }
    return recovered;
  }
};

std::vector<CellSuppression> NothingHidden(const Table& table) {
  return std::vector<CellSuppression>(table.values.size(), CellSuppression::kNone);
}

// A rows x columns table with row totals, column totals and a grand total.
struct Grid {
  Table table;
  std::vector<std::vector<int>> cells;
  std::vector<int> row_totals;
  std::vector<int> column_totals;
  int grand_total = -1;

  explicit Grid(const std::vector<std::vector<int64_t>>& values) {
    size_t columns = values.front().size();
    std::vector<int64_t> column_sums(columns, 0);
    int64_t grand = 0;
    for (const auto& row : values) {
      cells.emplace_back();
      int64_t sum = 0;
      for (size_t column = 0; column < columns; ++column) {
        cells.back().push_back(table.Cell(row[column]));
        sum += row[column];
        column_sums[column] += row[column];
      }
      row_totals.push_back(table.Cell(sum));
      grand += sum;
    }
    for (int64_t sum : column_sums) column_totals.push_back(table.Cell(sum));
    grand_total = table.Cell(grand);
    for (size_t row = 0; row < cells.size(); ++row) table.Sum(row_totals[row], cells[row]);
    for (size_t column = 0; column < columns; ++column) {
      std::vector<int> parts;
      for (const auto& row : cells) parts.push_back(row[column]);
      table.Sum(column_totals[column], parts);
    }
    table.Sum(grand_total, row_totals);
    table.Sum(grand_total, column_totals);
  }
};

// A region of municipalities, each of villages; every area has the same
// figures and their total. Each municipality is the sum of its villages and
// the region of its municipalities, figure by figure. `parts` are the tables
// Publication solves first: each municipality with its villages, then the
// region with its municipalities.
struct Region {
  Table table;
  std::vector<std::vector<int>> parts;

  // villages[municipality][village][figure]
  explicit Region(const std::vector<std::vector<std::vector<int64_t>>>& villages) {
    const size_t figures = villages.front().front().size();
    std::vector<std::vector<int>> municipality_areas;
    for (const auto& municipality : villages) {
      std::vector<std::vector<int>> village_areas;
      for (const auto& village : municipality) village_areas.push_back(Area(village));
      std::vector<int64_t> sums(figures, 0);
      for (const auto& village : municipality) {
        for (size_t figure = 0; figure < figures; ++figure) sums[figure] += village[figure];
      }
      municipality_areas.push_back(Area(sums));
      Hierarchy(municipality_areas.back(), village_areas);
      std::vector<int>& part = parts.emplace_back(municipality_areas.back());
      for (const auto& area : village_areas) part.insert(part.end(), area.begin(), area.end());
    }
    std::vector<int64_t> region_sums(figures, 0);
    for (const auto& municipality : villages) {
      for (const auto& village : municipality) {
        for (size_t figure = 0; figure < figures; ++figure) region_sums[figure] += village[figure];
      }
    }
    std::vector<int> region = Area(region_sums);
    Hierarchy(region, municipality_areas);
    std::vector<int>& part = parts.emplace_back(region);
    for (const auto& area : municipality_areas) part.insert(part.end(), area.begin(), area.end());
  }

  // An area's figures and their total (the last cell).
  std::vector<int> Area(const std::vector<int64_t>& values) {
    std::vector<int> cells;
    int64_t total = 0;
    for (int64_t value : values) {
      cells.push_back(table.Cell(value));
      total += value;
    }
    int total_cell = table.Cell(total);
    table.Sum(total_cell, cells);
    cells.push_back(total_cell);
    return cells;
  }

  void Hierarchy(const std::vector<int>& parent, const std::vector<std::vector<int>>& children) {
    for (size_t cell = 0; cell < parent.size(); ++cell) {
      std::vector<int> parts_of_cell;
      for (const auto& child : children) parts_of_cell.push_back(child[cell]);
      table.Sum(parent[cell], parts_of_cell);
    }
  }
};

// A random count: 0 or a small one (below `threshold`) one time in `kinds`
// each, else one at or above the threshold.
int64_t RandomCount(std::mt19937& random, int64_t threshold, uint32_t kinds) {
  switch (random() % kinds) {
    case 0:
      return 0;
    case 1:
      return 1 + static_cast<int64_t>(random() % (threshold - 1));
    default:
      return threshold + static_cast<int64_t>(random() % 30);
  }
}

TEST(SuppressionTest, CountsBelowTheThresholdAreHiddenAndOthersShown) {
  Table table;
  int zero = table.Cell(0);
  int small = table.Cell(3);
  int nine = table.Cell(9);
  int ten = table.Cell(10);
  std::vector<CellSuppression> pattern = table.problem.Solve(10);
  EXPECT_EQ(pattern[zero], CellSuppression::kNone);
  EXPECT_EQ(pattern[small], CellSuppression::kPrimary);
  EXPECT_EQ(pattern[nine], CellSuppression::kPrimary);
  EXPECT_EQ(pattern[ten], CellSuppression::kNone);
}

TEST(SuppressionTest, ALoneHiddenCellInARowGetsTheNextSmallestHiddenToo) {
  Table table;
  int small = table.Cell(4);
  int twenty = table.Cell(20);
  int thirty = table.Cell(30);
  int total = table.Cell(54);
  table.Sum(total, {small, twenty, thirty});
  std::vector<CellSuppression> pattern = table.problem.Solve(10);
  EXPECT_EQ(pattern[small], CellSuppression::kPrimary);
  EXPECT_EQ(pattern[twenty], CellSuppression::kSecondary);
  EXPECT_EQ(pattern[thirty], CellSuppression::kNone);
  EXPECT_EQ(pattern[total], CellSuppression::kNone);
  EXPECT_THAT(table.Recovered(pattern, 10), ::testing::IsEmpty());
}

TEST(SuppressionTest, AHiddenPartnerJustAboveTheThresholdIsNotEnough) {
  // 1 + 10 = 11: knowing the partner is at least 10 pins the small cell to 1.
  Table table;
  int one = table.Cell(1);
  int ten = table.Cell(10);
  int total = table.Cell(11);
  table.Sum(total, {one, ten});
  std::vector<CellSuppression> pattern = table.problem.Solve(10);
  EXPECT_EQ(pattern[one], CellSuppression::kPrimary);
  EXPECT_NE(pattern[ten], CellSuppression::kNone);
  EXPECT_NE(pattern[total], CellSuppression::kNone);
  EXPECT_THAT(table.Recovered(pattern, 10), ::testing::IsEmpty());
}

TEST(SuppressionTest, TwoSmallCellsAndAShownTotalAreProtected) {
  // 1 + 1 + 40 = 42: the two ones alone would be pinned by the total.
  Table table;
  int first = table.Cell(1);
  int second = table.Cell(1);
  int forty = table.Cell(40);
  int total = table.Cell(42);
  table.Sum(total, {first, second, forty});
  std::vector<CellSuppression> pattern = table.problem.Solve(10);
  EXPECT_EQ(pattern[forty], CellSuppression::kSecondary);
  EXPECT_THAT(table.Recovered(pattern, 10), ::testing::IsEmpty());
}

TEST(SuppressionTest, RelationsThatDoNotHoldAreNotRecorded) {
  Table table;
  int a = table.Cell(3);
  int b = table.Cell(4);
  EXPECT_FALSE(table.problem.AddSum(a, {b}));
}

TEST(SuppressionTest, NoHiddenCellOfATableWithTotalsCanBeRecovered) {
  Grid grid({{4, 25, 31, 0}, {12, 3, 18, 40}, {22, 17, 1, 15}});
  std::vector<CellSuppression> pattern = grid.table.problem.Solve(10);
  EXPECT_EQ(pattern[grid.cells[0][0]], CellSuppression::kPrimary);
  EXPECT_EQ(pattern[grid.cells[1][1]], CellSuppression::kPrimary);
  EXPECT_EQ(pattern[grid.cells[2][2]], CellSuppression::kPrimary);
  EXPECT_THAT(grid.table.Recovered(pattern, 10), ::testing::IsEmpty());
}

TEST(SuppressionTest, StockFlowIdentityCannotRevealAHiddenFlow) {
  // stock(w-1) + in(w) - out(w) = stock(w), over three weeks.
  Table table;
  int stock0 = table.Cell(40);
  int in1 = table.Cell(3);
  int out1 = table.Cell(12);
  int stock1 = table.Cell(31);
  int in2 = table.Cell(15);
  int out2 = table.Cell(2);
  int stock2 = table.Cell(44);
  table.Linear({{stock0, 1}, {in1, 1}, {out1, -1}, {stock1, -1}});
  table.Linear({{stock1, 1}, {in2, 1}, {out2, -1}, {stock2, -1}});
  std::vector<CellSuppression> pattern = table.problem.Solve(10);
  EXPECT_EQ(pattern[in1], CellSuppression::kPrimary);
  EXPECT_EQ(pattern[out2], CellSuppression::kPrimary);
  EXPECT_THAT(table.Recovered(pattern, 10), ::testing::IsEmpty());
}

TEST(SuppressionTest, VillagesCannotBeSetAgainstTheirMunicipality) {
  // Two figures (rows) for three villages and their municipality, which is
  // also one of two municipalities of the region.
  Table table;
  std::vector<std::vector<int64_t>> villages = {{5, 30}, {14, 2}, {20, 21}};
  std::vector<std::vector<int>> village_cells;
  std::vector<int> municipality_cells;
  std::vector<int> other_cells;
  std::vector<int> region_cells;
  for (int figure = 0; figure < 2; ++figure) {
    std::vector<int> parts;
    int64_t sum = 0;
    for (const auto& village : villages) {
      parts.push_back(table.Cell(village[figure]));
      sum += village[figure];
    }
    village_cells.push_back(parts);
    municipality_cells.push_back(table.Cell(sum));
    table.Sum(municipality_cells.back(), parts);
    other_cells.push_back(table.Cell(figure == 0 ? 50 : 7));
    region_cells.push_back(table.Cell(sum + (figure == 0 ? 50 : 7)));
    table.Sum(region_cells.back(), {municipality_cells.back(), other_cells.back()});
  }
  std::vector<CellSuppression> pattern = table.problem.Solve(10);
  EXPECT_THAT(table.Recovered(pattern, 10), ::testing::IsEmpty());
}

TEST(SuppressionTest, RandomTablesNeverRevealAHiddenCell) {
  std::mt19937 random(20250101);
  int tables_with_small_cells = 0;
  for (int round = 0; round < 400; ++round) {
    int rows = 2 + static_cast<int>(random() % 3);
    int columns = 2 + static_cast<int>(random() % 4);
    // Thresholds from 5: below that a group made only of small cells (1 + 1 =
    // 2 with threshold 3) is pinned by the ranges alone, whatever is hidden.
    int64_t threshold = 5 + static_cast<int64_t>(random() % 8);
    std::vector<std::vector<int64_t>> values(rows, std::vector<int64_t>(columns));
    bool any_small = false;
    for (auto& row : values) {
      for (int64_t& value : row) {
        value = RandomCount(random, threshold, 4);
        any_small |= value > 0 && value < threshold;
      }
    }
    tables_with_small_cells += any_small ? 1 : 0;
    Grid grid(values);
    std::vector<CellSuppression> pattern = grid.table.problem.Solve(threshold);
    for (int cell = 0; cell < grid.table.problem.cell_count(); ++cell) {
      int64_t value = grid.table.values[cell];
      if (value > 0 && value < threshold) {
        ASSERT_EQ(pattern[cell], CellSuppression::kPrimary) << "round " << round;
      } else {
        ASSERT_NE(pattern[cell], CellSuppression::kPrimary) << "round " << round;
      }
    }
    ASSERT_THAT(grid.table.Recovered(pattern, threshold), ::testing::IsEmpty())
        << "round " << round << " threshold " << threshold;
  }
  EXPECT_GT(tables_with_small_cells, 300);
}

TEST(SuppressionTest, TheSamePatternForTheSameFigures) {
  Grid first({{4, 25, 31}, {12, 3, 18}});
  Grid second({{4, 25, 31}, {12, 3, 18}});
  EXPECT_EQ(first.table.problem.Solve(10), second.table.problem.Solve(10));
}

TEST(SuppressionTest, SolvingPerMunicipalityRevealsNoHiddenCell) {
  // The second municipality has one village, so it equals that village
  // figure by figure: hiding a village figure must hide the municipality's
  // too, which then must be protected against the region and the first
  // municipality.
  Region region({{{3, 25, 40}, {14, 2, 31}, {20, 21, 0}}, {{12, 4, 30}}});
  std::vector<CellSuppression> pattern =
      region.table.problem.SolveInParts(10, region.parts, NothingHidden(region.table));
  for (int cell = 0; cell < region.table.problem.cell_count(); ++cell) {
    int64_t value = region.table.values[cell];
    EXPECT_EQ(pattern[cell] == CellSuppression::kPrimary, value > 0 && value < 10) << cell;
  }
  EXPECT_THAT(region.table.Recovered(pattern, 10), ::testing::IsEmpty());
}

TEST(SuppressionTest, RandomRegionsSolvedPerMunicipalityNeverRevealAHiddenCell) {
  std::mt19937 random(20261124);
  int hidden_cells = 0;
  for (int round = 0; round < 150; ++round) {
    int64_t threshold = 5 + static_cast<int64_t>(random() % 8);
    int municipalities = 2 + static_cast<int>(random() % 2);
    std::vector<std::vector<std::vector<int64_t>>> villages(municipalities);
    for (auto& municipality : villages) {
      municipality.resize(1 + random() % 3, std::vector<int64_t>(2));
      for (auto& village : municipality) {
        for (int64_t& value : village) value = RandomCount(random, threshold, 3);
      }
    }
    Region region(villages);
    std::vector<CellSuppression> pattern =
        region.table.problem.SolveInParts(threshold, region.parts, NothingHidden(region.table));
    for (int cell = 0; cell < region.table.problem.cell_count(); ++cell) {
      int64_t value = region.table.values[cell];
      ASSERT_EQ(pattern[cell] == CellSuppression::kPrimary, value > 0 && value < threshold)
          << "round " << round;
      hidden_cells += pattern[cell] != CellSuppression::kNone ? 1 : 0;
    }
    ASSERT_THAT(region.table.Recovered(pattern, threshold), ::testing::IsEmpty())
        << "round " << round << " threshold " << threshold;
  }
  EXPECT_GT(hidden_cells, 300);
}

TEST(SuppressionTest, SolvingFromAStartKeepsItsHiddenCellsHidden) {
  Grid grid({{40, 25, 31}, {12, 30, 18}});
  std::vector<CellSuppression> start(grid.table.problem.cell_count(), CellSuppression::kNone);
  start[grid.cells[0][0]] = CellSuppression::kSecondary;
  std::vector<CellSuppression> pattern = grid.table.problem.Solve(10, start);
  EXPECT_EQ(pattern[grid.cells[0][0]], CellSuppression::kSecondary);
  EXPECT_THAT(grid.table.Recovered(pattern, 10), ::testing::IsEmpty());
}

// A village's twelve weeks, nine with one case each, and its total of 9,
// added to `table`: every figure is below the threshold, so each is shown as
// "<10", and nine parts of at least 1 adding up to at most 9 are each 1.
struct NineOnes {
  std::vector<int> weeks;
  int total;

  explicit NineOnes(Table& table) {
    for (int week = 0; week < 12; ++week) weeks.push_back(table.Cell(week < 9 ? 1 : 0));
    total = table.Cell(9);
    table.Sum(total, weeks);
  }
};

TEST(SuppressionTest, NineSmallPartsOfASmallTotalPinEachOtherUnlessWithheld) {
  Table table;
  auto [weeks, total] = NineOnes(table);
  std::vector<CellSuppression> shown_as_small = table.problem.Solve(10);
  EXPECT_THAT(table.Recovered(shown_as_small, 10), ::testing::SizeIs(10));

  std::vector<CellSuppression> start = NothingHidden(table);
  for (int week : weeks) start[week] = CellSuppression::kWithheld;
  std::vector<CellSuppression> withheld = table.problem.Solve(10, start);
  for (int week : weeks) EXPECT_EQ(withheld[week], CellSuppression::kWithheld);
  EXPECT_EQ(withheld[total], CellSuppression::kPrimary);
  EXPECT_THAT(table.Recovered(withheld, 10), ::testing::IsEmpty());
  std::vector<DerivedRange> ranges = table.problem.Derive(withheld, 10);
  for (int week : weeks) EXPECT_FALSE(Exposed(withheld[week], ranges[week], 1)) << week;
}

TEST(SuppressionTest, WhatNoHiddenCellCanProtectIsWithheldWithWhatItIsTiedTo) {
  // The nine ones again, now with nothing withheld up front, next to a
  // table the rounds can protect. Only the pinned relation is withheld.
  Table table;
  auto [weeks, total] = NineOnes(table);
  int small = table.Cell(3);
  int large = table.Cell(40);
  int both = table.Cell(43);
  table.Sum(both, {small, large});
  std::vector<CellSuppression> pattern =
      table.problem.SolveWithholdingWhatStaysPinned(10, {}, NothingHidden(table));
  for (int cell : weeks) EXPECT_EQ(pattern[cell], CellSuppression::kWithheld) << cell;
  EXPECT_EQ(pattern[total], CellSuppression::kWithheld);
  EXPECT_EQ(pattern[small], CellSuppression::kPrimary);
  EXPECT_NE(pattern[large], CellSuppression::kWithheld);
  EXPECT_THAT(table.problem.PinnedCells(pattern, 10), ::testing::IsEmpty());
  EXPECT_THAT(table.Recovered(pattern, 10), ::testing::IsEmpty());
}

TEST(SuppressionTest, AWithheldCellIsProtectedLikeAHiddenOne) {
  // The second part is withheld, but total - first part would give it away
  // while both are shown: one of them is hidden too.
  Grid grid({{40, 25, 31}, {12, 30, 18}});
  std::vector<CellSuppression> start = NothingHidden(grid.table);
  start[grid.cells[0][1]] = CellSuppression::kWithheld;
  std::vector<CellSuppression> pattern = grid.table.problem.Solve(10, start);
  EXPECT_EQ(pattern[grid.cells[0][1]], CellSuppression::kWithheld);
  EXPECT_THAT(grid.table.Recovered(pattern, 10), ::testing::IsEmpty());
}

}  // namespace
}  // namespace herstel::reporting
