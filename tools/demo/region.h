// The demo region: the five Groningen municipalities of the recovery, their
// villages and neighbourhoods (names from the case-service's reference file),
// the postcode ranges, street names and BAG municipality codes used to make
// plausible addresses, and the budget lines of the region with their ceilings.
//
// Contract:
// - Region::Load reads the case-service reference file and keeps, for the five
//   municipalities below, only villages that this file also knows how to
//   address (postcode digits, size weight). A village of this table missing
//   from the reference file is an error (the case-service would refuse it);
//   a reference village without an entry here is left out of the demo.
// - Every four-digit postcode number belongs to exactly one village, so the
//   addresses the generator derives from (village, rank) never collide.
// - The neighbourhood budgets of the city of Groningen follow seed 003 (Nieuw
//   Lokaal Akkoord): one envelope of EUR 8,875,000 over 15 neighbourhoods by
//   class; the parts add up exactly to the envelope.
// Plain data, no gRPC.
#ifndef HERSTEL_TOOLS_DEMO_REGION_H_
#define HERSTEL_TOOLS_DEMO_REGION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "herstel/v1/mandate_service.pb.h"

namespace herstel::demo {

struct DemoVillage {
  std::string id;             // "loppersum"
  std::string name;           // "municipalities/eemsdelta/villages/loppersum"
  std::string display_name;   // "Loppersum", from the reference file
  std::string town;           // woonplaats in the address ("Groningen" for city neighbourhoods)
  std::vector<int> postcode_numbers;  // the four-digit parts used here, e.g. {9901, 9902}
  int weight = 1;             // relative number of homes
  bool city_neighbourhood = false;    // a neighbourhood of the city (high-rise, no farms)
};

struct DemoMunicipality {
  std::string id;            // "eemsdelta"
  std::string name;          // "municipalities/eemsdelta"
  std::string display_name;  // "Eemsdelta"
  std::string bag_code;      // four-digit CBS/BAG municipality code, first digits of a pand-id
  int weight = 1;            // relative number of cases
  std::vector<DemoVillage> villages;
};

class Region {
 public:
  // Reads the case-service reference file (JSON); NOT_FOUND when unreadable,
  // INVALID_ARGUMENT when malformed or when a village of the demo is unknown there.
  static absl::StatusOr<Region> Load(const std::string& reference_file);
  // The same from JSON text.
  static absl::StatusOr<Region> Parse(absl::string_view json_text);

  const std::vector<DemoMunicipality>& municipalities() const { return municipalities_; }
  // True when the demo uses this village of this municipality.
  bool HasVillage(absl::string_view municipality_id, absl::string_view village_id) const;

 private:
  std::vector<DemoMunicipality> municipalities_;
};

// Class of a neighbourhood in the Nieuw Lokaal Akkoord (seed 003).
enum class NeighbourhoodClass {
  kLargeHeavy,   // grote zware wijk: up to EUR 900,000
  kSmallHeavy,   // kleine zware wijk: up to EUR 450,000
  kLargeLight,   // grote lichte wijk: up to EUR 450,000
  kSmallLight,   // kleine lichte wijk: up to EUR 225,000 (Hoogkerk: EUR 100,000)
};

struct NeighbourhoodBudget {
  std::string slug;          // "selwerd", used in the budget line id
  std::string display_name;  // "Selwerd"
  std::string village_id;    // the reference village, when the reference file knows it
  NeighbourhoodClass neighbourhood_class;
  int64_t ceiling_cents;
};

// The envelope of the neighbourhood budgets: EUR 8,875,000.
inline constexpr int64_t kNeighbourhoodEnvelopeCents = 887'500'000;

// The 15 neighbourhoods of seed 003 with their ceilings; they sum to the envelope.
const std::vector<NeighbourhoodBudget>& GroningenNeighbourhoodBudgets();

// A budget line to create: its id and content (CreateBudgetLineRequest).
struct BudgetLinePlan {
  std::string id;  // "knelpunt-eemsdelta-2026"
  v1::BudgetLine line;
};

// Budget year of the demo lines (the README's examples name them).
inline constexpr int kBudgetYear = 2026;

// Every budget line of the demo region: safety money, the regional programme,
// a bottleneck budget per municipality and Groningen's neighbourhood budgets.
std::vector<BudgetLinePlan> DemoBudgetLines(const Region& region);

// Ids of the lines decisions are funded from.
std::string BottleneckLineId(absl::string_view municipality_id);  // "knelpunt-{m}-2026"
inline constexpr char kRegionalProgrammeLineId[] = "npg-2026";
inline constexpr char kSafetyLineId[] = "veiligheid-2026";

// Plausible Dutch street names, for addresses.
const std::vector<std::string>& StreetNames();

}  // namespace herstel::demo

#endif  // HERSTEL_TOOLS_DEMO_REGION_H_
