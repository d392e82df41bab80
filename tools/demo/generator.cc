#include "generator.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/time_util.h"

namespace herstel::demo {
namespace {

// Purposes: one independent random stream per decision about a case.
enum Purpose : uint64_t {
  kMunicipality = 1,
  kStrengthening,
  kDamage,
  kInsulation,
  kSupport,
  kCluster,
  kVillage,
  kRisk,
  kVulnerable,
  kMonument,
  kFarm,
  kHighRise,
  kContact,
  kPhase,        // + track
  kWait = 30,    // + track
  kClusterPhase = 40,
  kClusterVillage,
  kClusterWait,
  kClusterName,
  kPostcodeOffset,
  kBottleneck = 60,
  kBottleneckCategory,
  kBottleneckFate,
  kBottleneckText,
  kInspectionAge = 70,
  kInspectionFate,
  kInspectionDays,
  kWithinMandate = 80,
  kAboveMandate,
  kAmount,
  kJustification,
};

// Letters of Dutch postcodes (F, I, O, Q, U and Y are not used); the pairs
// SA, SD and SS never occur.
constexpr char kPostcodeLetters[] = "ABCDEGHJKLMNPRSTVWXZ";
constexpr int kHomesPerPostcode = 24;

const std::vector<std::string>& LetterPairs() {
  static const std::vector<std::string> pairs = [] {
    std::vector<std::string> all;
    for (const char* first = kPostcodeLetters; *first != '\0'; ++first) {
      for (const char* second = kPostcodeLetters; *second != '\0'; ++second) {
        std::string pair{*first, *second};
        if (pair == "SA" || pair == "SD" || pair == "SS") continue;
        all.push_back(pair);
      }
    }
    return all;
  }();
  return pairs;
}

size_t PickWeighted(const std::vector<int>& weights, uint64_t bits) {
  int total = 0;
  for (int weight : weights) total += weight;
  int target = static_cast<int>(Unit(bits) * total);
  for (size_t i = 0; i < weights.size(); ++i) {
    if (target < weights[i]) return i;
    target -= weights[i];
  }
  return weights.size() - 1;
}

// Days waited so far in a phase: exponential around `mean_days`, at most
// about eight years (the strengthening operation's backlog reaches back to 2018).
double WaitDays(uint64_t bits, double mean_days) {
  double days = -std::log(1.0 - Unit(bits)) * mean_days;
  return std::min(days, 2900.0);
}

struct PhaseWeight {
  v1::Phase phase;
  int weight;
  double mean_wait_days;
};

const std::vector<PhaseWeight>& PhasesOf(v1::Track track) {
  static const std::vector<PhaseWeight> strengthening = {
      {v1::PHASE_INTAKE, 8, 90},      {v1::PHASE_INSPECTION, 22, 420}, {v1::PHASE_ASSESSMENT, 20, 300},
      {v1::PHASE_PLAN, 20, 240},      {v1::PHASE_EXECUTION, 18, 270},  {v1::PHASE_COMPLETION, 12, 120},
  };
  static const std::vector<PhaseWeight> damage = {
      {v1::PHASE_INTAKE, 10, 45},  {v1::PHASE_INSPECTION, 20, 110}, {v1::PHASE_ASSESSMENT, 40, 150},
      {v1::PHASE_EXECUTION, 15, 100}, {v1::PHASE_COMPLETION, 15, 60},
  };
  static const std::vector<PhaseWeight> insulation = {
      {v1::PHASE_INTAKE, 30, 80}, {v1::PHASE_ASSESSMENT, 30, 120}, {v1::PHASE_PLAN, 20, 150},
      {v1::PHASE_EXECUTION, 20, 90},
  };
  static const std::vector<PhaseWeight> support = {
      {v1::PHASE_INTAKE, 40, 30}, {v1::PHASE_ASSESSMENT, 60, 200},
  };
  switch (track) {
    case v1::TRACK_STRENGTHENING: return strengthening;
    case v1::TRACK_DAMAGE: return damage;
    case v1::TRACK_INSULATION: return insulation;
    default: return support;
  }
}

absl::Time RoundToMinute(absl::Time time) {
  return absl::FromUnixSeconds(absl::ToUnixSeconds(time) / 60 * 60);
}

google::protobuf::Timestamp ToProto(absl::Time time) {
  return google::protobuf::util::TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(time));
}

const char* const kQuarters[] = {"Noord", "Zuid", "Oost", "West", "Centrum"};

}  // namespace

uint64_t Mix(uint64_t seed, uint64_t purpose, uint64_t index) {
  uint64_t z = seed * 0x9E3779B97F4A7C15ULL ^ (purpose + 0x632BE59BD9B4E019ULL) * 0xBF58476D1CE4E5B9ULL ^
               (index + 1) * 0x94D049BB133111EBULL;
  for (int round = 0; round < 2; ++round) {
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
  }
  return z;
}

double Unit(uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-53; }

std::string ExternalReference(uint64_t seed, int64_t index) {
  return absl::StrFormat("demo-%d-%07d", seed, index);
}

std::optional<int64_t> IndexOfExternalReference(uint64_t seed, const std::string& reference) {
  std::string prefix = absl::StrCat("demo-", seed, "-");
  if (reference.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  int64_t index = 0;
  if (!absl::SimpleAtoi(absl::string_view(reference).substr(prefix.size()), &index) || index < 0) {
    return std::nullopt;
  }
  if (ExternalReference(seed, index) != reference) return std::nullopt;
  return index;
}

v1::CaseContactPerson ContactPersonOf(const Region& region, const CaseFacts& facts) {
  const DemoMunicipality& municipality = region.municipalities()[facts.municipality];
  v1::CaseContactPerson person;
  std::string number = absl::StrFormat("%02d", facts.contact_number + 1);
  switch (facts.contact_kind) {
    case ContactKind::kNcg:
      person.set_subject(absl::StrCat("demo-ncg-", municipality.id, "-", number));
      person.set_role(v1::ROLE_NCG_RESIDENT_CASE_MANAGER);
      person.set_organisation("NCG");
      break;
    case ContactKind::kImg:
      person.set_subject(absl::StrCat("demo-img-", municipality.id, "-", number));
      person.set_role(v1::ROLE_IMG_CASE_HANDLER);
      person.set_organisation("IMG");
      break;
    case ContactKind::kMunicipal:
      person.set_subject(absl::StrCat("demo-gem-", municipality.id, "-", number));
      person.set_role(v1::ROLE_MUNICIPAL_CASE_MANAGER);
      person.set_organisation(municipality.name);
      break;
  }
  return person;
}

CaseGenerator::CaseGenerator(const Region& region, uint64_t seed, absl::Time as_of)
    : region_(region), seed_(seed), as_of_(as_of) {}

int CaseGenerator::PickMunicipality(uint64_t bits) const {
  std::vector<int> weights;
  for (const DemoMunicipality& municipality : region_.municipalities()) weights.push_back(municipality.weight);
  return static_cast<int>(PickWeighted(weights, bits));
}

int CaseGenerator::PickVillage(int municipality, uint64_t bits) const {
  std::vector<int> weights;
  for (const DemoVillage& village : region_.municipalities()[municipality].villages) {
    weights.push_back(village.weight);
  }
  return static_cast<int>(PickWeighted(weights, bits));
}

ClusterPlan& CaseGenerator::ClusterFor(int municipality, int64_t block, int part) {
  auto key = std::make_tuple(municipality, block, part);
  auto found = cluster_index_.find(key);
  if (found != cluster_index_.end()) return clusters_[found->second];
  // The cluster's own facts depend on (seed, municipality, block, part) only.
  const uint64_t id = static_cast<uint64_t>(block) * 16 + municipality * 2 + part;
  ClusterPlan plan;
  plan.municipality = municipality;
  plan.block = block;
  plan.part = part;
  plan.village = PickVillage(municipality, Mix(seed_, kClusterVillage, id));
  const std::vector<PhaseWeight>& phases = PhasesOf(v1::TRACK_STRENGTHENING);
  // Clusters run from inspection to execution.
  std::vector<int> weights;
  for (const PhaseWeight& phase : phases) {
    weights.push_back(phase.phase >= v1::PHASE_INSPECTION && phase.phase <= v1::PHASE_EXECUTION ? 1 : 0);
  }
  const PhaseWeight& phase = phases[PickWeighted(weights, Mix(seed_, kClusterPhase, id))];
  plan.phase = phase.phase;
  plan.phase_enter_time = RoundToMinute(
      as_of_ - absl::Hours(24) -
      absl::Seconds(WaitDays(Mix(seed_, kClusterWait, id), phase.mean_wait_days) * 86400));
  const DemoMunicipality& where = region_.municipalities()[municipality];
  plan.key = absl::StrCat(where.id, "-", block, "-", part);
  int quarter = static_cast<int>((Mix(seed_, kClusterName, id) % 5 + part) % 5);
  plan.display_name = absl::StrCat(where.villages[plan.village].display_name, " ", kQuarters[quarter], " ",
                                   block + 1);
  cluster_index_[key] = static_cast<int>(clusters_.size());
  clusters_.push_back(std::move(plan));
  return clusters_.back();
}

void CaseGenerator::SetAddress(v1::Case& record, int municipality, int village) {
  const DemoMunicipality& where = region_.municipalities()[municipality];
  const DemoVillage& place = where.villages[village];
  const int64_t rank = village_rank_[{municipality, village}]++;
  // Village number across the region, for building ids and letter offsets.
  int village_number = 0;
  for (int m = 0; m < municipality; ++m) {
    village_number += static_cast<int>(region_.municipalities()[m].villages.size());
  }
  village_number += village;

  const std::vector<std::string>& pairs = LetterPairs();
  const int64_t pairs_count = static_cast<int64_t>(pairs.size());  // 397, a prime
  const int64_t postcode_slot = rank / kHomesPerPostcode;
  const int64_t side = rank % kHomesPerPostcode;
  const int64_t numbers = static_cast<int64_t>(place.postcode_numbers.size());
  const int number = place.postcode_numbers[postcode_slot % numbers];
  const int64_t within_number = postcode_slot / numbers;
  const int64_t offset = static_cast<int64_t>(Mix(seed_, kPostcodeOffset, village_number) % pairs_count);
  // Multiplying by a step coprime with 397 visits every pair once before repeating.
  const std::string& letters = pairs[(within_number % pairs_count * 149 + offset) % pairs_count];
  const int64_t round = within_number / pairs_count;

  v1::CaseAddress* address = record.mutable_address();
  address->set_postcode(absl::StrCat(number, " ", letters));
  address->set_house_number(static_cast<int32_t>(1 + side * 2 + round * 2 * kHomesPerPostcode));
  address->set_street(StreetNames()[Mix(number, pairs_count, static_cast<uint64_t>(letters[0]) * 256 +
                                                               static_cast<uint64_t>(letters[1])) %
                                    StreetNames().size()]);
  address->set_town(place.town);
  // A BAG pand-id: municipality code, "10", ten digits.
  record.set_building_id(absl::StrFormat("%s10%010d", where.bag_code,
                                         static_cast<int64_t>(village_number + 1) * 10'000'000 + rank));
}

v1::Case CaseGenerator::Next(CaseFacts& facts) {
  const int64_t index = next_index_++;
  auto bits = [&](uint64_t purpose) { return Mix(seed_, purpose, static_cast<uint64_t>(index)); };
  facts = CaseFacts();
  const int municipality = PickMunicipality(bits(kMunicipality));
  facts.municipality = static_cast<uint8_t>(municipality);

  std::vector<v1::Track> tracks;
  if (Unit(bits(kStrengthening)) < 0.62) tracks.push_back(v1::TRACK_STRENGTHENING);
  if (Unit(bits(kDamage)) < 0.45) tracks.push_back(v1::TRACK_DAMAGE);
  if (Unit(bits(kInsulation)) < 0.18) tracks.push_back(v1::TRACK_INSULATION);
  if (Unit(bits(kSupport)) < 0.08) tracks.push_back(v1::TRACK_SUPPORT);
  if (tracks.empty()) tracks.push_back(v1::TRACK_DAMAGE);
  const bool strengthening = tracks.front() == v1::TRACK_STRENGTHENING;
  for (v1::Track track : tracks) facts.tracks |= static_cast<uint8_t>(1u << track);

  // Four in ten strengthening homes of the first blocks run in a cluster of their village.
  ClusterPlan* cluster = nullptr;
  const uint64_t cluster_bits = bits(kCluster);
  if (strengthening && index / kClusterBlock < kClusterBlocks && Unit(cluster_bits) < 0.40) {
    int part = static_cast<int>((cluster_bits >> 7) & 1);
    cluster = &ClusterFor(municipality, index / kClusterBlock, part);
    cluster->members.push_back(index);
    facts.cluster = static_cast<int32_t>(cluster - clusters_.data());
  }
  const int village = cluster != nullptr ? cluster->village : PickVillage(municipality, bits(kVillage));
  facts.village = static_cast<uint8_t>(village);
  const DemoVillage& place = region_.municipalities()[municipality].villages[village];

  // Few AOS, some P50 and P90 (only where strengthening runs), inspections on request, the rest.
  const double risk = Unit(bits(kRisk));
  if (strengthening && risk < 0.01) {
    facts.risk = v1::RISK_CATEGORY_AOS;
  } else if (strengthening && risk < 0.09) {
    facts.risk = v1::RISK_CATEGORY_P50;
  } else if (strengthening && risk < 0.23) {
    facts.risk = v1::RISK_CATEGORY_P90;
  } else if (risk >= 0.23 && risk < 0.31) {
    facts.risk = v1::RISK_CATEGORY_INSPECTION_ON_REQUEST;
  } else {
    facts.risk = v1::RISK_CATEGORY_OTHER;
  }

  v1::Case record;
  record.set_external_reference(ExternalReference(seed_, index));
  record.set_municipality(region_.municipalities()[municipality].name);
  record.set_village(place.name);
  record.set_risk_category(facts.risk);
  v1::CaseFlags* flags = record.mutable_flags();
  flags->set_vulnerable(Unit(bits(kVulnerable)) < 0.11);
  flags->set_monument(Unit(bits(kMonument)) < (place.city_neighbourhood ? 0.01 : 0.025));
  flags->set_farm(!place.city_neighbourhood && Unit(bits(kFarm)) < 0.09);
  flags->set_high_rise(Unit(bits(kHighRise)) < (place.city_neighbourhood ? 0.10 : 0.003));
  facts.monument = flags->monument();

  for (v1::Track track : tracks) {
    v1::CaseTrack* entry = record.add_tracks();
    entry->set_track(track);
    absl::Time enter;
    if (track == v1::TRACK_STRENGTHENING && cluster != nullptr) {
      entry->set_phase(cluster->phase);
      // Members entered the cluster's phase within a fortnight of each other.
      enter = cluster->phase_enter_time - absl::Minutes(Mix(seed_, kWait + track, index) % (14 * 24 * 60));
    } else {
      const std::vector<PhaseWeight>& phases = PhasesOf(track);
      std::vector<int> weights;
      for (const PhaseWeight& phase : phases) weights.push_back(phase.weight);
      const PhaseWeight& phase = phases[PickWeighted(weights, Mix(seed_, kPhase + track, index))];
      entry->set_phase(phase.phase);
      // AOS cases move faster.
      double mean = facts.risk == v1::RISK_CATEGORY_AOS ? phase.mean_wait_days / 4 : phase.mean_wait_days;
      enter = as_of_ - absl::Hours(1) -
              absl::Seconds(WaitDays(Mix(seed_, kWait + track, index), mean) * 86400);
    }
    *entry->mutable_phase_enter_time() = ToProto(RoundToMinute(enter));
  }

  const uint64_t contact_bits = bits(kContact);
  facts.contact_kind = strengthening                      ? ContactKind::kNcg
                       : tracks.front() == v1::TRACK_DAMAGE ? ContactKind::kImg
                                                            : ContactKind::kMunicipal;
  facts.contact_number = static_cast<uint8_t>(contact_bits % 12);
  *record.mutable_contact_person() = ContactPersonOf(region_, facts);
  SetAddress(record, municipality, village);
  return record;
}

// ---- Activity ------------------------------------------------------------------------

std::optional<BottleneckPlan> PlanBottleneck(uint64_t seed, int64_t index, const CaseFacts& facts) {
  auto bits = [&](uint64_t purpose) { return Mix(seed, purpose, static_cast<uint64_t>(index)); };
  if (Unit(bits(kBottleneck)) >= 0.03) return std::nullopt;
  struct Text {
    v1::BottleneckCategory category;
    int weight;
    std::vector<const char*> descriptions;
  };
  static const std::vector<Text> texts = {
      {v1::BOTTLENECK_CATEGORY_RULES_DONT_FIT, 40,
       {"De regeling voor tijdelijke huisvesting past niet bij een boerderij met vee",
        "Versterkingsadvies en schadeafhandeling spreken elkaar tegen over dezelfde muur",
        "De vergoeding voor verduurzaming vervalt omdat de woning eerst versterkt moet worden"}},
      {v1::BOTTLENECK_CATEGORY_DECISION_STUCK, 30,
       {"Het besluit over het versterkingsplan ligt al maanden stil tussen twee partijen",
        "De aannemer wacht op een besluit over meerkosten dat niemand neemt"}},
      {v1::BOTTLENECK_CATEGORY_UNACCEPTABLE_DIFFERENCE, 20,
       {"Buren in dezelfde straat kregen een hogere vergoeding voor vergelijkbare schade",
        "De buurwoning wordt herbouwd, deze woning alleen versterkt"}},
      {v1::BOTTLENECK_CATEGORY_NATIONAL_FRAMEWORK_PINCHES, 10,
       {"Landelijke bouwregels laten herstel van de karakteristieke gevel niet toe",
        "De landelijke subsidieregeling sluit deze woning uit"}},
  };
  std::vector<int> weights;
  for (const Text& text : texts) weights.push_back(text.weight);
  const Text& chosen = texts[PickWeighted(weights, bits(kBottleneckCategory))];
  BottleneckPlan plan;
  plan.category = chosen.category;
  plan.description = chosen.descriptions[bits(kBottleneckText) % chosen.descriptions.size()];
  plan.track = facts.HasTrack(v1::TRACK_STRENGTHENING) ? v1::TRACK_STRENGTHENING
               : facts.HasTrack(v1::TRACK_DAMAGE)      ? v1::TRACK_DAMAGE
                                                       : v1::TRACK_UNSPECIFIED;
  double fate = Unit(bits(kBottleneckFate));
  plan.fate = fate < 0.30 ? BottleneckFate::kEscalated
              : fate < 0.60 ? BottleneckFate::kResolved
                            : BottleneckFate::kStaysOpen;
  plan.escalation_reason = "Lokaal geen besluit mogelijk; voorgelegd aan de lokale stuurgroep";
  plan.resolution = "Opgelost in overleg tussen NCG, IMG en gemeente aan de keukentafel";
  return plan;
}

std::optional<InspectionPlan> PlanInspection(uint64_t seed, int64_t index, const CaseFacts& facts,
                                             absl::Time as_of) {
  if (facts.risk != v1::RISK_CATEGORY_INSPECTION_ON_REQUEST) return std::nullopt;
  auto bits = [&](uint64_t purpose) { return Mix(seed, purpose, static_cast<uint64_t>(index)); };
  InspectionPlan plan;
  const int64_t age_days = 3 + static_cast<int64_t>(bits(kInspectionAge) % 328);
  plan.request_time = RoundToMinute(as_of - absl::Hours(24 * age_days) -
                                    absl::Minutes(bits(kInspectionDays) % (8 * 60)));
  plan.reason = "Bewoner voelt zich onveilig na een beving en vraagt om een opname";
  plan.result = "Opname uitgevoerd; rapport volgt binnen vier weken";
  const double fate = Unit(bits(kInspectionFate));
  const uint64_t days = bits(kInspectionDays) >> 16;
  if (age_days >= 30 && fate < 0.40) {
    plan.fate = InspectionFate::kInspected;
    int64_t after = 10 + static_cast<int64_t>(days % std::min<int64_t>(age_days - 11, 110));
    plan.schedule_time = plan.request_time + absl::Hours(24 * after);
  } else if (fate < 0.65) {
    plan.fate = InspectionFate::kScheduled;
    plan.schedule_time = RoundToMinute(as_of) + absl::Hours(24 * (2 + static_cast<int64_t>(days % 40)) + 9);
  }
  return plan;
}

absl::string_view FateName(EscalationFate fate) {
  switch (fate) {
    case EscalationFate::kStaysOpen: return "open";
    case EscalationFate::kAcknowledged: return "acknowledged";
    case EscalationFate::kGranted: return "granted";
    case EscalationFate::kPartlyGranted: return "partly granted";
    case EscalationFate::kDenied: return "denied";
    case EscalationFate::kCannotDecideThenGranted: return "cannot decide, then granted a level up";
  }
  return "";
}

std::vector<DecisionPlan> PlanDecisions(const Region& region, uint64_t seed,
                                        const std::vector<CaseFacts>& facts) {
  const int64_t cases = static_cast<int64_t>(facts.size());
  const int64_t within_wanted = std::clamp<int64_t>(cases / 40, 8, 600);
  const int64_t above_wanted = std::clamp<int64_t>(cases / 100, 6, 150);
  // The first escalations meet every fate, so even a small region shows them all.
  static const EscalationFate kFates[] = {
      EscalationFate::kGranted, EscalationFate::kStaysOpen, EscalationFate::kPartlyGranted,
      EscalationFate::kCannotDecideThenGranted, EscalationFate::kDenied, EscalationFate::kAcknowledged,
  };
  static const char* const kJustifications[] = {
      "Funderingsherstel als maatwerk bij versterking",
      "Tijdelijke huisvesting langer dan de regeling dekt",
      "Extra isolatie om een onaanvaardbaar verschil met de buren te dempen",
      "Aanpassing van de woning voor een bewoner met een zorgvraag",
      "Sloop en nieuwbouw in plaats van versterking op advies van de constructeur",
  };
  std::vector<DecisionPlan> plans;
  int64_t within = 0;
  int64_t above = 0;
  for (int64_t index = 0; index < cases && (within < within_wanted || above < above_wanted); ++index) {
    const CaseFacts& fact = facts[index];
    if (!fact.HasTrack(v1::TRACK_STRENGTHENING) || fact.contact_kind != ContactKind::kNcg) continue;
    auto bits = [&](uint64_t purpose) { return Mix(seed, purpose, static_cast<uint64_t>(index)); };
    DecisionPlan plan;
    plan.index = index;
    // A case's kind depends on the case alone, so a larger plan extends a smaller one.
    if (Unit(bits(kAboveMandate)) < 0.06) {
      if (above >= above_wanted) continue;
      plan.within_mandate = false;
      plan.fate = kFates[above % 6];
      ++above;
    } else if (Unit(bits(kWithinMandate)) < 0.08) {
      if (within >= within_wanted) continue;
      ++within;
    } else {
      continue;
    }
    const uint64_t amount_bits = bits(kAmount);
    const double u = Unit(amount_bits);
    int64_t euros;
    if (plan.within_mandate) {
      euros = 2'500 + static_cast<int64_t>(u * 470) * 100;  // EUR 2,500 .. 49,400
    } else if ((amount_bits & 0xff) < 180 || plan.fate == EscalationFate::kCannotDecideThenGranted) {
      // EUR 55,000 .. 95,000: the local steering group's to decide (or to find it can't).
      euros = 55'000 + static_cast<int64_t>(u * 81) * 500;
    } else {
      euros = 120'000 + static_cast<int64_t>(u * 57) * 5'000;  // EUR 120,000 .. 400,000: level 2
    }
    plan.amount_cents = euros * 100;
    const std::string local_line =
        absl::StrCat("budget-lines/", BottleneckLineId(region.municipalities()[fact.municipality].id));
    const std::string programme_line = absl::StrCat("budget-lines/", kRegionalProgrammeLineId);
    auto add_line = [&](const std::string& line, int64_t cents) {
      v1::CaseBudgetSplit split;
      split.set_budget_line(line);
      split.set_amount_cents(cents);
      plan.budget_lines.push_back(split);
    };
    if (plan.within_mandate) {
      // Smaller amounts from the municipality's bottleneck budget, larger from the programme.
      add_line(euros <= 25'000 ? local_line : programme_line, plan.amount_cents);
    } else {
      // Sources combined: three tenths local, the rest from the programme.
      int64_t local_cents = plan.amount_cents * 3 / 10 / 10'000 * 10'000;
      add_line(local_line, local_cents);
      add_line(programme_line, plan.amount_cents - local_cents);
    }
    plan.justification = fact.monument ? "Herstel van de karakteristieke gevel van een monument"
                                       : kJustifications[bits(kJustification) % 5];
    plans.push_back(std::move(plan));
  }
  return plans;
}

}  // namespace herstel::demo
