// The demo region's rules without services: valid and unique addresses,
// places from the reference file, plausible mixes, clusters that can be
// formed, budgets that add up, and the same region from the same seed.
#include <map>
#include <regex>
#include <set>

#include "absl/strings/str_cat.h"
#include "generator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "region.h"

namespace herstel::demo {
namespace {


const Region& TheRegion() {
  static const Region* region = [] {
    absl::StatusOr<Region> loaded = Region::Load(HERSTEL_DEMO_REFERENCE_FILE);
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    return new Region(loaded.ok() ? *loaded : Region());
  }();
  return *region;
}

const absl::Time kAsOf = absl::FromUnixSeconds(1'793'491'200);  // 2026-11-01T00:00:00Z

struct Generated {
  std::vector<v1::Case> rows;
  std::vector<CaseFacts> facts;
  std::vector<ClusterPlan> clusters;
};

Generated Generate(uint64_t seed, int64_t cases) {
  Generated generated;
  CaseGenerator generator(TheRegion(), seed, kAsOf);
  generated.facts.resize(cases);
  for (int64_t i = 0; i < cases; ++i) generated.rows.push_back(generator.Next(generated.facts[i]));
  generated.clusters = generator.clusters();
  return generated;
}

TEST(RegionTest, HasTheFiveMunicipalitiesWithVillagesOfTheReferenceFile) {
  ASSERT_EQ(TheRegion().municipalities().size(), 5u);
  std::set<int> numbers;
  for (const DemoMunicipality& municipality : TheRegion().municipalities()) {
    EXPECT_GE(municipality.villages.size(), 10u) << municipality.id;
    EXPECT_EQ(municipality.bag_code.size(), 4u);
    for (const DemoVillage& village : municipality.villages) {
      EXPECT_EQ(village.name, absl::StrCat(municipality.name, "/villages/", village.id));
      for (int number : village.postcode_numbers) EXPECT_TRUE(numbers.insert(number).second) << number;
    }
  }
}

TEST(RegionTest, RefusesAReferenceFileWithoutADemoVillage) {
  absl::StatusOr<Region> region = Region::Parse(
      R"({"municipalities": [{"id": "eemsdelta", "villages": [{"id": "loppersum"}]}]})");
  EXPECT_FALSE(region.ok());
}

TEST(RegionTest, NeighbourhoodBudgetsSplitTheEnvelopeBySeed003) {
  int64_t sum = 0;
  std::map<NeighbourhoodClass, int> per_class;
  for (const NeighbourhoodBudget& budget : GroningenNeighbourhoodBudgets()) {
    sum += budget.ceiling_cents;
    ++per_class[budget.neighbourhood_class];
    if (budget.slug == "hoogkerk") {
      EXPECT_EQ(budget.ceiling_cents, 10'000'000);
    }
  }
  EXPECT_EQ(sum, kNeighbourhoodEnvelopeCents);
  EXPECT_EQ(GroningenNeighbourhoodBudgets().size(), 15u);
  EXPECT_EQ(per_class[NeighbourhoodClass::kLargeHeavy], 7);
  EXPECT_EQ(per_class[NeighbourhoodClass::kSmallHeavy] + per_class[NeighbourhoodClass::kLargeLight], 4);
  EXPECT_EQ(per_class[NeighbourhoodClass::kSmallLight], 4);
}

TEST(RegionTest, BudgetLinesCoverTheRegion) {
  std::vector<BudgetLinePlan> lines = DemoBudgetLines(TheRegion());
  ASSERT_EQ(lines.size(), 22u);  // safety, programme, 5 bottleneck budgets, 15 neighbourhoods
  std::set<std::string> ids;
  for (const BudgetLinePlan& line : lines) {
    EXPECT_TRUE(ids.insert(line.id).second);
    EXPECT_GT(line.line.ceiling_cents(), 0);
    if (!line.line.area().empty()) {
      EXPECT_TRUE(line.line.area().rfind("municipalities/groningen/villages/", 0) == 0);
    }
  }
  EXPECT_EQ(ids.count("knelpunt-eemsdelta-2026"), 1u);
  EXPECT_EQ(ids.count("wijkbudget-selwerd-2026"), 1u);
}

TEST(GeneratorTest, AddressesAreValidUniqueAndInTheirVillage) {
  Generated generated = Generate(7, 20'000);
  const std::regex postcode("^[1-9][0-9]{3} [A-Z]{2}$");
  std::set<std::string> addresses;
  std::set<std::string> buildings;
  for (const v1::Case& row : generated.rows) {
    const v1::CaseAddress& address = row.address();
    ASSERT_TRUE(std::regex_match(address.postcode(), postcode)) << address.postcode();
    std::string letters = address.postcode().substr(5);
    EXPECT_TRUE(letters != "SA" && letters != "SD" && letters != "SS") << address.postcode();
    EXPECT_GE(address.house_number(), 1);
    EXPECT_LE(address.house_number(), 99999);
    EXPECT_FALSE(address.street().empty());
    EXPECT_TRUE(addresses.insert(absl::StrCat(address.postcode(), "|", address.house_number(), "|",
                                              address.house_number_addition()))
                    .second)
        << address.postcode() << " " << address.house_number();
    EXPECT_TRUE(buildings.insert(row.building_id()).second);
    EXPECT_EQ(row.building_id().size(), 16u);
    EXPECT_TRUE(row.village().rfind(row.municipality() + "/villages/", 0) == 0) << row.village();
    EXPECT_TRUE(row.has_contact_person());
    EXPECT_FALSE(row.external_reference().empty());
  }
  // The postcode number is one of its village's.
  for (size_t i = 0; i < 500; ++i) {
    const CaseFacts& facts = generated.facts[i];
    const DemoVillage& village = TheRegion().municipalities()[facts.municipality].villages[facts.village];
    int number = std::stoi(generated.rows[i].address().postcode().substr(0, 4));
    EXPECT_THAT(village.postcode_numbers, ::testing::Contains(number));
  }
}

TEST(GeneratorTest, MixesAreRealisticAndSomeWaitLong) {
  Generated generated = Generate(3, 20'000);
  std::map<v1::RiskCategory, int> risks;
  int long_waits = 0;
  int vulnerable = 0;
  for (const v1::Case& row : generated.rows) {
    ++risks[row.risk_category()];
    vulnerable += row.flags().vulnerable();
    for (const v1::CaseTrack& track : row.tracks()) {
      absl::Time enter = absl::FromUnixSeconds(track.phase_enter_time().seconds());
      EXPECT_LE(enter, kAsOf);
      EXPECT_GE(enter, kAsOf - absl::Hours(24 * 3000));
      if (enter < kAsOf - absl::Hours(24 * 730)) ++long_waits;
    }
  }
  EXPECT_GT(risks[v1::RISK_CATEGORY_AOS], 20);
  EXPECT_LT(risks[v1::RISK_CATEGORY_AOS], risks[v1::RISK_CATEGORY_P50]);
  EXPECT_LT(risks[v1::RISK_CATEGORY_P50], risks[v1::RISK_CATEGORY_P90]);
  EXPECT_GT(risks[v1::RISK_CATEGORY_INSPECTION_ON_REQUEST], 1000);
  EXPECT_GT(risks[v1::RISK_CATEGORY_OTHER], 10'000);
  EXPECT_GT(long_waits, 200);
  EXPECT_GT(vulnerable, 1500);
}

TEST(GeneratorTest, ClustersCanBeFormed) {
  Generated generated = Generate(11, 20'000);
  ASSERT_GT(generated.clusters.size(), 100u);
  for (const ClusterPlan& cluster : generated.clusters) {
    EXPECT_LE(cluster.members.size(), 150u);
    for (int64_t member : cluster.members) {
      const CaseFacts& facts = generated.facts[member];
      EXPECT_EQ(facts.municipality, cluster.municipality);
      EXPECT_EQ(facts.village, cluster.village);
      EXPECT_TRUE(facts.HasTrack(v1::TRACK_STRENGTHENING));
      EXPECT_EQ(generated.rows[member].tracks(0).phase(), cluster.phase);
    }
  }
}

TEST(GeneratorTest, AtMostFourHundredClustersHoweverLarge) {
  Generated generated = Generate(2, 60'000);
  EXPECT_LE(generated.clusters.size(), 400u);
  EXPECT_GT(generated.clusters.size(), 350u);
  for (const ClusterPlan& cluster : generated.clusters) EXPECT_LT(cluster.block, kClusterBlocks);
}

TEST(GeneratorTest, SameSeedSameRegionAndALargerRegionExtendsASmallerOne) {
  Generated first = Generate(5, 2'000);
  Generated again = Generate(5, 3'000);
  Generated other = Generate(6, 2'000);
  int differing = 0;
  for (size_t i = 0; i < first.rows.size(); ++i) {
    EXPECT_EQ(first.rows[i].SerializeAsString(), again.rows[i].SerializeAsString()) << i;
    differing += first.rows[i].address().postcode() != other.rows[i].address().postcode();
  }
  EXPECT_GT(differing, 1'000);

  std::vector<DecisionPlan> small = PlanDecisions(TheRegion(), 5, first.facts);
  std::vector<DecisionPlan> large = PlanDecisions(TheRegion(), 5, again.facts);
  std::map<int64_t, const DecisionPlan*> by_case;
  for (const DecisionPlan& plan : large) by_case[plan.index] = &plan;
  for (const DecisionPlan& plan : small) {
    ASSERT_EQ(by_case.count(plan.index), 1u) << plan.index;
    EXPECT_EQ(by_case[plan.index]->amount_cents, plan.amount_cents);
    EXPECT_EQ(by_case[plan.index]->fate, plan.fate);
  }
}

TEST(GeneratorTest, DecisionsAreWithinOrAboveTheCaseManagersMandate) {
  Generated generated = Generate(9, 300);
  std::vector<DecisionPlan> plans = PlanDecisions(TheRegion(), 9, generated.facts);
  std::set<EscalationFate> fates;
  int within = 0;
  for (const DecisionPlan& plan : plans) {
    int64_t sum = 0;
    for (const v1::CaseBudgetSplit& line : plan.budget_lines) sum += line.amount_cents();
    EXPECT_EQ(sum, plan.amount_cents);
    if (plan.within_mandate) {
      ++within;
      EXPECT_LT(plan.amount_cents, 5'000'000);
    } else {
      EXPECT_GT(plan.amount_cents, 5'000'000);
      fates.insert(plan.fate);
      // The local steering group is the one that finds it can't decide.
      if (plan.fate == EscalationFate::kCannotDecideThenGranted) {
        EXPECT_LE(plan.amount_cents, 10'000'000);
      }
    }
  }
  EXPECT_EQ(within, 8);
  EXPECT_EQ(fates.size(), 6u);  // every fate of the ladder appears
}

TEST(GeneratorTest, InspectionPlansLieInThePast) {
  Generated generated = Generate(4, 5'000);
  int plans = 0;
  for (int64_t i = 0; i < 5'000; ++i) {
    std::optional<InspectionPlan> plan = PlanInspection(4, i, generated.facts[i], kAsOf);
    if (!plan.has_value()) continue;
    ++plans;
    EXPECT_LT(plan->request_time, kAsOf);
    if (plan->fate == InspectionFate::kInspected) {
      EXPECT_GT(plan->schedule_time, plan->request_time);
      EXPECT_LT(plan->schedule_time, kAsOf);
    }
  }
  EXPECT_GT(plans, 200);
}

TEST(GeneratorTest, ExternalReferencesRoundTrip) {
  EXPECT_EQ(ExternalReference(7, 42), "demo-7-0000042");
  EXPECT_EQ(IndexOfExternalReference(7, "demo-7-0000042"), 42);
  EXPECT_EQ(IndexOfExternalReference(8, "demo-7-0000042"), std::nullopt);
  EXPECT_EQ(IndexOfExternalReference(7, "demo-7-42"), std::nullopt);
}

}  // namespace
}  // namespace herstel::demo
