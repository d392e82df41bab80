#include "region.h"

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace herstel::demo {
namespace {

struct MunicipalitySpec {
  const char* id;
  const char* bag_code;
  int weight;  // share of the demo's cases, roughly where the strengthening work lies
};

// Eemsdelta, Het Hogeland and Midden-Groningen carry most of the work; the
// city of Groningen many homes; Oldambt fewer.
constexpr MunicipalitySpec kMunicipalities[] = {
    {"eemsdelta", "1979", 26},       {"het-hogeland", "1966", 22}, {"groningen", "0014", 24},
    {"midden-groningen", "1952", 20}, {"oldambt", "1895", 8},
};

struct VillageSpec {
  const char* municipality;
  const char* id;
  std::vector<int> postcode_numbers;
  int weight;        // roughly the number of homes, in hundreds
  const char* town;  // woonplaats when it differs from the display name
  bool city_neighbourhood;
};

// Postcode numbers follow the real ranges of each place (99xx Eemsdelta and
// Het Hogeland, 97xx the city of Groningen, 96xx Midden-Groningen, 96xx-99xx
// Oldambt); each number is used by one village only.
const std::vector<VillageSpec>& VillageSpecs() {
  static const std::vector<VillageSpec> specs = {
      // Eemsdelta
      {"eemsdelta", "appingedam", {9901, 9902, 9903}, 110, nullptr, false},
      {"eemsdelta", "delfzijl", {9930, 9931, 9932, 9933, 9934}, 220, nullptr, false},
      {"eemsdelta", "loppersum", {9919}, 27, nullptr, false},
      {"eemsdelta", "farmsum", {9936}, 20, nullptr, false},
      {"eemsdelta", "holwierde", {9908}, 10, nullptr, false},
      {"eemsdelta", "bierum", {9906}, 8, nullptr, false},
      {"eemsdelta", "spijk", {9909}, 10, nullptr, false},
      {"eemsdelta", "tjamsweer", {9904}, 8, nullptr, false},
      {"eemsdelta", "woldendorp", {9946}, 7, nullptr, false},
      {"eemsdelta", "termunterzijl", {9948}, 4, nullptr, false},
      {"eemsdelta", "garrelsweer", {9914}, 7, nullptr, false},
      {"eemsdelta", "wirdum", {9917}, 4, nullptr, false},
      {"eemsdelta", "zeerijp", {9923}, 4, nullptr, false},
      {"eemsdelta", "westeremden", {9922}, 4, nullptr, false},
      {"eemsdelta", "t-zandt", {9915}, 7, nullptr, false},
      {"eemsdelta", "stedum", {9921}, 10, nullptr, false},
      {"eemsdelta", "middelstum", {9991}, 25, nullptr, false},
      {"eemsdelta", "oosterwijtwerd", {9918}, 3, nullptr, false},
      // Het Hogeland
      {"het-hogeland", "uithuizen", {9981}, 52, nullptr, false},
      {"het-hogeland", "uithuizermeeden", {9982}, 30, nullptr, false},
      {"het-hogeland", "warffum", {9989}, 20, nullptr, false},
      {"het-hogeland", "usquert", {9988}, 12, nullptr, false},
      {"het-hogeland", "winsum", {9951}, 45, nullptr, false},
      {"het-hogeland", "bedum", {9781}, 70, nullptr, false},
      {"het-hogeland", "eenrum", {9967}, 15, nullptr, false},
      {"het-hogeland", "leens", {9965}, 14, nullptr, false},
      {"het-hogeland", "zoutkamp", {9974}, 12, nullptr, false},
      {"het-hogeland", "kantens", {9995}, 7, nullptr, false},
      {"het-hogeland", "roodeschool", {9983}, 9, nullptr, false},
      {"het-hogeland", "onderdendam", {9959}, 4, nullptr, false},
      {"het-hogeland", "baflo", {9953}, 13, nullptr, false},
      {"het-hogeland", "zandeweer", {9994}, 3, nullptr, false},
      // Groningen: villages of the former Ten Boer and Haren, and city neighbourhoods
      {"groningen", "ten-boer", {9791}, 50, nullptr, false},
      {"groningen", "ten-post", {9792}, 7, nullptr, false},
      {"groningen", "thesinge", {9797}, 5, nullptr, false},
      {"groningen", "garmerwolde", {9796}, 5, nullptr, false},
      {"groningen", "woltersum", {9795}, 4, nullptr, false},
      {"groningen", "lellens", {9793}, 1, nullptr, false},
      {"groningen", "winneweer", {9794}, 1, nullptr, false},
      {"groningen", "sint-annen", {9798}, 2, nullptr, false},
      {"groningen", "haren", {9751, 9752}, 60, nullptr, false},
      {"groningen", "hoogkerk", {9745}, 35, nullptr, false},
      {"groningen", "beijum", {9736}, 40, "Groningen", true},
      {"groningen", "lewenborg", {9733}, 30, "Groningen", true},
      {"groningen", "oosterparkwijk", {9715}, 35, "Groningen", true},
      {"groningen", "selwerd", {9741}, 30, "Groningen", true},
      {"groningen", "paddepoel", {9742}, 35, "Groningen", true},
      {"groningen", "vinkhuizen", {9743}, 40, "Groningen", true},
      {"groningen", "corpus-den-hoorn", {9728}, 25, "Groningen", true},
      {"groningen", "de-hoogte", {9714}, 15, "Groningen", true},
      {"groningen", "korrewegwijk", {9713}, 30, "Groningen", true},
      {"groningen", "schilderswijk", {9716}, 20, "Groningen", true},
      // Midden-Groningen
      {"midden-groningen", "hoogezand", {9601, 9602, 9603}, 200, nullptr, false},
      {"midden-groningen", "sappemeer", {9611, 9612}, 80, nullptr, false},
      {"midden-groningen", "slochteren", {9621}, 25, nullptr, false},
      {"midden-groningen", "siddeburen", {9628}, 35, nullptr, false},
      {"midden-groningen", "schildwolde", {9625}, 15, nullptr, false},
      {"midden-groningen", "harkstede", {9617}, 28, nullptr, false},
      {"midden-groningen", "muntendam", {9649}, 45, nullptr, false},
      {"midden-groningen", "zuidbroek", {9636}, 35, nullptr, false},
      {"midden-groningen", "kolham", {9615}, 10, nullptr, false},
      {"midden-groningen", "kropswolde", {9606}, 8, nullptr, false},
      {"midden-groningen", "foxhol", {9607}, 15, nullptr, false},
      {"midden-groningen", "overschild", {9624}, 5, nullptr, false},
      {"midden-groningen", "steendam", {9629}, 3, nullptr, false},
      {"midden-groningen", "noordbroek", {9635}, 25, nullptr, false},
      {"midden-groningen", "woudbloem", {9622}, 1, nullptr, false},
      // Oldambt
      {"oldambt", "winschoten", {9671, 9672, 9673, 9675}, 180, nullptr, false},
      {"oldambt", "scheemda", {9679}, 25, nullptr, false},
      {"oldambt", "midwolda", {9681}, 20, nullptr, false},
      {"oldambt", "finsterwolde", {9687}, 10, nullptr, false},
      {"oldambt", "nieuw-beerta", {9684}, 5, nullptr, false},
      {"oldambt", "beerta", {9686}, 10, nullptr, false},
      {"oldambt", "bad-nieuweschans", {9693}, 12, nullptr, false},
      {"oldambt", "oostwold", {9682}, 15, nullptr, false},
      {"oldambt", "heiligerlee", {9677}, 7, nullptr, false},
      {"oldambt", "nieuwolda", {9944}, 15, nullptr, false},
      {"oldambt", "drieborg", {9683}, 2, nullptr, false},
  };
  return specs;
}

absl::string_view ClassName(NeighbourhoodClass neighbourhood_class) {
  switch (neighbourhood_class) {
    case NeighbourhoodClass::kLargeHeavy: return "grote zware wijk";
    case NeighbourhoodClass::kSmallHeavy: return "kleine zware wijk";
    case NeighbourhoodClass::kLargeLight: return "grote lichte wijk";
    case NeighbourhoodClass::kSmallLight: return "kleine lichte wijk";
  }
  return "wijk";
}

}  // namespace

absl::StatusOr<Region> Region::Load(const std::string& reference_file) {
  std::ifstream in(reference_file);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read the reference file '", reference_file,
                                            "' (use --reference_file)"));
  }
  std::stringstream text;
  text << in.rdbuf();
  return Parse(text.str());
}

absl::StatusOr<Region> Region::Parse(absl::string_view json_text) {
  nlohmann::json document = nlohmann::json::parse(json_text.begin(), json_text.end(), nullptr, false);
  if (document.is_discarded() || !document.is_object() || !document.contains("municipalities") ||
      !document["municipalities"].is_array()) {
    return absl::InvalidArgumentError(
        "the reference file is not JSON of the form {\"municipalities\": [...]}");
  }
  // Display names of the reference file, by municipality and village id.
  std::map<std::string, std::string> municipality_names;
  std::map<std::string, std::map<std::string, std::string>> village_names;
  for (const nlohmann::json& municipality : document["municipalities"]) {
    if (!municipality.is_object() || !municipality.value("id", nlohmann::json()).is_string()) {
      return absl::InvalidArgumentError("a municipality of the reference file has no id");
    }
    std::string id = municipality["id"];
    municipality_names[id] = municipality.value("display_name", id);
    if (!municipality.contains("villages") || !municipality["villages"].is_array()) continue;
    for (const nlohmann::json& village : municipality["villages"]) {
      if (!village.is_object() || !village.value("id", nlohmann::json()).is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat("a village of municipality '", id, "' in the reference file has no id"));
      }
      std::string village_id = village["id"];
      village_names[id][village_id] = village.value("display_name", village_id);
    }
  }

  Region region;
  std::set<int> used_numbers;
  for (const MunicipalitySpec& spec : kMunicipalities) {
    auto known = municipality_names.find(spec.id);
    if (known == municipality_names.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("the reference file lacks the municipality '", spec.id, "'"));
    }
    DemoMunicipality municipality;
    municipality.id = spec.id;
    municipality.name = absl::StrCat("municipalities/", spec.id);
    municipality.display_name = known->second;
    municipality.bag_code = spec.bag_code;
    municipality.weight = spec.weight;
    for (const VillageSpec& village_spec : VillageSpecs()) {
      if (absl::string_view(village_spec.municipality) != spec.id) continue;
      auto village_name = village_names[spec.id].find(village_spec.id);
      if (village_name == village_names[spec.id].end()) {
        return absl::InvalidArgumentError(
            absl::StrCat("the reference file lacks the village '", village_spec.id, "' of '", spec.id,
                         "'; the case-service would refuse its cases"));
      }
      for (int number : village_spec.postcode_numbers) {
        if (number < 1000 || number > 9999 || !used_numbers.insert(number).second) {
          return absl::InternalError(absl::StrCat("postcode number ", number, " of '", village_spec.id,
                                                  "' is invalid or used twice in the demo table"));
        }
      }
      DemoVillage village;
      village.id = village_spec.id;
      village.name = absl::StrCat(municipality.name, "/villages/", village_spec.id);
      village.display_name = village_name->second;
      village.town = village_spec.town != nullptr ? village_spec.town : village_name->second;
      village.postcode_numbers = village_spec.postcode_numbers;
      village.weight = village_spec.weight;
      village.city_neighbourhood = village_spec.city_neighbourhood;
      municipality.villages.push_back(std::move(village));
    }
    region.municipalities_.push_back(std::move(municipality));
  }
  return region;
}

bool Region::HasVillage(absl::string_view municipality_id, absl::string_view village_id) const {
  for (const DemoMunicipality& municipality : municipalities_) {
    if (municipality.id != municipality_id) continue;
    for (const DemoVillage& village : municipality.villages) {
      if (village.id == village_id) return true;
    }
  }
  return false;
}

const std::vector<NeighbourhoodBudget>& GroningenNeighbourhoodBudgets() {
  // Seed 003, "De wijkbudgetten": 7 large heavy neighbourhoods up to EUR
  // 900,000; 4 small heavy or large light up to EUR 450,000; 4 small light up
  // to EUR 225,000, except Hoogkerk, capped at EUR 100,000. Together EUR 8,875,000.
  static const std::vector<NeighbourhoodBudget> budgets = {
      {"selwerd", "Selwerd", "selwerd", NeighbourhoodClass::kLargeHeavy, 90'000'000},
      {"paddepoel", "Paddepoel", "paddepoel", NeighbourhoodClass::kLargeHeavy, 90'000'000},
      {"de-wijert", "De Wijert", "", NeighbourhoodClass::kLargeHeavy, 90'000'000},
      {"beijum", "Beijum", "beijum", NeighbourhoodClass::kLargeHeavy, 90'000'000},
      {"lewenborg", "Lewenborg", "lewenborg", NeighbourhoodClass::kLargeHeavy, 90'000'000},
      {"oosterpark", "Oosterpark", "oosterparkwijk", NeighbourhoodClass::kLargeHeavy, 90'000'000},
      {"korrewegwijk", "Korrewegwijk", "korrewegwijk", NeighbourhoodClass::kLargeHeavy, 90'000'000},
      {"de-hoogte", "De Hoogte", "de-hoogte", NeighbourhoodClass::kSmallHeavy, 45'000'000},
      {"oosterhoogebrug", "Oosterhoogebrug", "", NeighbourhoodClass::kSmallHeavy, 45'000'000},
      {"vinkhuizen", "Vinkhuizen", "vinkhuizen", NeighbourhoodClass::kLargeLight, 45'000'000},
      {"corpus-den-hoorn", "Corpus den Hoorn", "corpus-den-hoorn", NeighbourhoodClass::kLargeLight,
       45'000'000},
      {"kostverloren", "Kostverloren", "", NeighbourhoodClass::kSmallLight, 22'500'000},
      {"grunobuurt", "Grunobuurt", "", NeighbourhoodClass::kSmallLight, 22'500'000},
      {"tuinwijk", "Tuinwijk", "", NeighbourhoodClass::kSmallLight, 22'500'000},
      {"hoogkerk", "Hoogkerk", "hoogkerk", NeighbourhoodClass::kSmallLight, 10'000'000},
  };
  return budgets;
}

std::string BottleneckLineId(absl::string_view municipality_id) {
  return absl::StrCat("knelpunt-", municipality_id, "-", kBudgetYear);
}

std::vector<BudgetLinePlan> DemoBudgetLines(const Region& region) {
  std::vector<BudgetLinePlan> plans;
  auto add = [&](std::string id, std::string display_name, v1::BudgetSource source, std::string owner,
                 std::string municipality, std::string area, int64_t ceiling_cents) {
    BudgetLinePlan plan;
    plan.id = std::move(id);
    plan.line.set_display_name(std::move(display_name));
    plan.line.set_source(source);
    plan.line.set_owner(std::move(owner));
    plan.line.set_municipality(std::move(municipality));
    plan.line.set_area(std::move(area));
    plan.line.set_year(kBudgetYear);
    plan.line.set_ceiling_cents(ceiling_cents);
    plans.push_back(std::move(plan));
  };
  add(kSafetyLineId, absl::StrCat("Veiligheidsgeld versterking ", kBudgetYear), v1::BUDGET_SOURCE_SAFETY,
      "NCG", "", "", 50'000'000'000);
  add(kRegionalProgrammeLineId, absl::StrCat("Nationaal Programma Groningen ", kBudgetYear),
      v1::BUDGET_SOURCE_REGIONAL_PROGRAMME, "Provincie Groningen", "", "", 10'000'000'000);
  for (const DemoMunicipality& municipality : region.municipalities()) {
    add(BottleneckLineId(municipality.id),
        absl::StrCat("Knelpuntenbudget ", municipality.display_name, " ", kBudgetYear),
        v1::BUDGET_SOURCE_BOTTLENECK_BUDGET, municipality.name, municipality.name, "", 500'000'000);
  }
  for (const NeighbourhoodBudget& budget : GroningenNeighbourhoodBudgets()) {
    std::string area = !budget.village_id.empty() && region.HasVillage("groningen", budget.village_id)
                           ? absl::StrCat("municipalities/groningen/villages/", budget.village_id)
                           : "";
    add(absl::StrCat("wijkbudget-", budget.slug, "-", kBudgetYear),
        absl::StrCat("Wijkbudget ", budget.display_name, " ", kBudgetYear, " (",
                     ClassName(budget.neighbourhood_class), ")"),
        v1::BUDGET_SOURCE_NEIGHBOURHOOD_BUDGET, "municipalities/groningen", "municipalities/groningen",
        std::move(area), budget.ceiling_cents);
  }
  return plans;
}

const std::vector<std::string>& StreetNames() {
  static const std::vector<std::string> names = {
      "Hoofdstraat",     "Kerkstraat",     "Molenstraat",      "Schoolstraat",   "Dorpsstraat",
      "Stationsweg",     "Oosterstraat",   "Westerstraat",     "Noorderstraat",  "Zuiderstraat",
      "Wierdeweg",       "Torenstraat",    "Julianastraat",    "Wilhelminastraat", "Beatrixlaan",
      "Emmastraat",      "Oranjestraat",   "Kanaalweg",        "Dijkstraat",     "Borgweg",
      "Maarweg",         "Tilweg",         "Kloosterweg",      "Meedenweg",      "Hoogeweg",
      "Eemsweg",         "Zijlvest",       "Singel",           "Lindenlaan",     "Esdoornlaan",
      "Berkenlaan",      "Eikenlaan",      "Kastanjelaan",     "Vlasakker",      "Koolzaadakker",
      "Tarwestraat",     "Gerststraat",    "Rogstraat",        "Havenstraat",    "Bleekveld",
      "Pastorieweg",     "Boerderijweg",   "Heerdenweg",       "Wijkstraat",     "Zonnebloemstraat",
      "Tulpstraat",      "Narcisstraat",   "Merelstraat",      "Lijsterstraat",  "Kievitstraat",
  };
  return names;
}

}  // namespace herstel::demo
