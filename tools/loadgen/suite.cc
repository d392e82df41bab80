#include "suite.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "generator.h"

namespace herstel::loadgen {
namespace {

constexpr int kMaxWeight = 1'000'000;
constexpr size_t kMaxOwnCases = 64;
constexpr size_t kMaxPendingEscalations = 64;
constexpr int64_t kCheckAmountCents = 4'200'000;       // EUR 42,000: within an NCG case manager's mandate
constexpr int64_t kReserveAmountCents = 250'000;       // EUR 2,500
constexpr int64_t kEscalationAmountCents = 7'500'000;  // EUR 75,000: above it
constexpr int64_t kMinAvailableCents = 10 * kEscalationAmountCents;
constexpr int kMaxHouseNumber = 99'999;
// Postcode letters used here: no I, O, Q or S, so never SA, SD or SS.
constexpr char kPostcodeLetters[] = "ABCDEFGHJKLMNPRTUVWXYZ";
constexpr int kLetterCount = sizeof(kPostcodeLetters) - 1;

const v1::Phase kListPhases[] = {v1::PHASE_INTAKE, v1::PHASE_INSPECTION, v1::PHASE_ASSESSMENT, v1::PHASE_PLAN,
                                 v1::PHASE_EXECUTION};

Attempt Outcome(SuiteKind kind, grpc::Status status) { return Attempt{kind, std::move(status), ""}; }

// Base 36, `width` digits: compact parts of a house-number addition.
std::string Base36(int64_t value, int width) {
  static const char kDigits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::string text(width, '0');
  for (int i = width - 1; i >= 0; --i, value /= 36) text[i] = kDigits[value % 36];
  return text;
}

// The seats present for a decision on `escalation` by `body`: current seats
// except invited partners and municipalities not involved. `voters` are the
// voting ones among them; all vote for.
void SeatsFor(const v1::EscalationBody& body, const v1::Escalation& escalation, v1::DecideEscalationRequest& request) {
  const std::set<std::string> involved(escalation.municipalities().begin(), escalation.municipalities().end());
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  for (const v1::EscalationBodyMember& member : body.members()) {
    const bool current = (!member.has_start_time() || member.start_time().seconds() <= now) &&
                         (!member.has_end_time() || member.end_time().seconds() > now);
    if (!current || member.organisation_kind() == v1::BODY_ORGANISATION_KIND_INVITED_PARTNER) continue;
    if (!member.municipality().empty() && involved.count(member.municipality()) == 0) continue;
    request.add_present_members(member.member_id());
    if (!member.voting()) continue;
    v1::EscalationVote* vote = request.add_votes();
    vote->set_member_id(member.member_id());
    vote->set_choice(v1::ESCALATION_VOTE_CHOICE_FOR);
  }
}

}  // namespace

const std::vector<std::string>& SuiteKindNames() {
  static const std::vector<std::string> names = {
      "case-get",    "case-list",     "monitor",      "mandate-check",   "mandate-reserve", "case-create",
      "case-update", "case-handover", "case-advance", "escalation-open", "escalation-up",   "escalation-decide"};
  return names;
}

absl::StatusOr<std::vector<int>> ParseMix(absl::string_view text) {
  std::vector<int> weights(kSuiteKindCount, 0);
  std::set<std::string> seen;
  int64_t total = 0;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    std::pair<absl::string_view, absl::string_view> name_weight = absl::StrSplit(part, '=');
    const std::string name(absl::StripAsciiWhitespace(name_weight.first));
    const auto& names = SuiteKindNames();
    auto found = std::find(names.begin(), names.end(), name);
    if (found == names.end()) {
      return absl::InvalidArgumentError(absl::StrCat("--mix: unknown kind '", name, "'"));
    }
    if (!seen.insert(name).second) return absl::InvalidArgumentError(absl::StrCat("--mix: '", name, "' twice"));
    int weight = -1;
    if (!absl::SimpleAtoi(name_weight.second, &weight) || weight < 0 || weight > kMaxWeight) {
      return absl::InvalidArgumentError(
          absl::StrCat("--mix: the weight of '", name, "' must be a whole number from 0 to ", kMaxWeight));
    }
    weights[found - names.begin()] = weight;
    total += weight;
  }
  if (total == 0) return absl::InvalidArgumentError("--mix: give at least one kind a weight above 0");
  return weights;
}

int PickKind(const std::vector<int>& weights, uint64_t draw) {
  uint64_t total = 0;
  for (int weight : weights) total += weight;
  uint64_t point = draw % total;
  for (size_t kind = 0; kind < weights.size(); ++kind) {
    if (point < static_cast<uint64_t>(weights[kind])) return static_cast<int>(kind);
    point -= weights[kind];
  }
  return static_cast<int>(weights.size()) - 1;  // not reached: point < total
}

Suite::Suite(const SuiteOptions& options, const demo::Region& region)
    : options_(options),
      region_(region),
      cases_(options.case_address, options.channels),
      mandates_(options.mandate_address, options.channels),
      escalations_(options.escalation_address, options.channels),
      reporting_(options.reporting_address, options.channels) {}

absl::StatusOr<std::unique_ptr<Suite>> Suite::Prepare(const SuiteOptions& options, const TokenKey& key,
                                                      const demo::Region& region, int callers) {
  std::unique_ptr<Suite> suite(new Suite(options, region));
  suite->operator_token_ = Mint(key, v1::ROLE_OPERATOR, "loadgen-operator", "NCG");
  suite->coordinator_token_ = Mint(key, v1::ROLE_NATIONAL_COORDINATOR, "loadgen-coordinator", "NCG");
  for (int caller = 0; caller < callers; ++caller) {
    Desk desk;
    desk.case_manager_subject = absl::StrCat("loadgen-cm-", caller);
    desk.case_manager_token = Mint(key, v1::ROLE_NCG_RESIDENT_CASE_MANAGER, desk.case_manager_subject, "NCG");
    suite->desks_.push_back(std::move(desk));
  }
  for (const demo::DemoMunicipality& municipality : region.municipalities()) {
    suite->municipalities_.push_back(municipality.name);
  }
  if (suite->municipalities_.empty()) return absl::FailedPreconditionError("the reference file names no municipality");

  absl::StatusOr<std::vector<v1::Case>> sample =
      ListCaseSample(suite->cases_.For(0), suite->operator_token_, options.case_sample);
  if (!sample.ok()) return sample.status();
  if (sample->empty()) {
    return absl::FailedPreconditionError("the case-service holds no cases; load the demo region first");
  }
  suite->sample_ = std::move(*sample);

  absl::StatusOr<std::vector<v1::BudgetLine>> lines = ListBudgetLines(suite->mandates_.For(0), suite->operator_token_);
  if (!lines.ok()) return lines.status();
  // Reservations come from the municipality's own line (its bottleneck budget
  // in the demo), else from a region-wide one; grants, thirty times larger
  // each, from the region-wide line with the most money left, so a run does
  // not drain the small lines it reserves from.
  auto richest = [&](const std::string& municipality) -> const v1::BudgetLine* {
    const v1::BudgetLine* best = nullptr;
    for (const v1::BudgetLine& line : *lines) {
      if (line.municipality() != municipality || line.available_cents() < kMinAvailableCents) continue;
      if (best == nullptr || line.available_cents() > best->available_cents()) best = &line;
    }
    return best;
  };
  const v1::BudgetLine* regional = richest("");
  if (regional == nullptr) {
    return absl::FailedPreconditionError(
        "the mandate-service holds no region-wide budget line with money left; load the demo region first");
  }
  suite->grant_line_ = regional->name();
  for (const std::string& municipality : suite->municipalities_) {
    const v1::BudgetLine* own = richest(municipality);
    suite->reserve_line_[municipality] = own != nullptr ? own->name() : regional->name();
  }

  absl::StatusOr<std::vector<v1::EscalationBody>> bodies =
      ListBodies(suite->escalations_.For(0), suite->operator_token_);
  if (!bodies.ok()) return bodies.status();
  for (v1::EscalationBody& body : *bodies) suite->bodies_[body.name()] = std::move(body);
  return suite;
}

std::string Suite::Describe() const {
  std::string lines;
  for (const auto& [municipality, line] : reserve_line_) {
    absl::StrAppend(&lines, lines.empty() ? "" : ", ", municipality.substr(municipality.rfind('/') + 1), " from ",
                    line);
  }
  return absl::StrCat(sample_.size(), " cases listed, ", bodies_.size(), " escalation bodies, ", municipalities_.size(),
                      " municipalities; reservations: ", lines, "; grants from ", grant_line_);
}

Attempt Suite::Run(int caller, int64_t sequence) {
  using Step = Attempt (Suite::*)(int, int64_t);
  static const Step kSteps[kSuiteKindCount] = {
      &Suite::CaseGet,        &Suite::CaseList,       &Suite::Monitor,      &Suite::MandateCheck,
      &Suite::MandateReserve, &Suite::CaseCreate,     &Suite::CaseUpdate,   &Suite::CaseHandover,
      &Suite::CaseAdvance,    &Suite::EscalationOpen, &Suite::EscalationUp, &Suite::EscalationDecide};
  const int kind =
      PickKind(options_.weights, demo::Mix(0x5017e, static_cast<uint64_t>(caller), static_cast<uint64_t>(sequence)));
  return (this->*kSteps[kind])(caller, sequence);
}

std::string Suite::RequestId(absl::string_view what, int caller, int64_t sequence) const {
  return absl::StrCat("loadgen-", options_.run_number, "-", what, "-", caller, "-", sequence);
}

const v1::Case& Suite::SampleCase(int caller, int64_t sequence) const {
  return sample_[(static_cast<uint64_t>(caller) * 7919 + static_cast<uint64_t>(sequence) * 104729) % sample_.size()];
}

const std::string& Suite::MunicipalityFor(int caller, int64_t sequence) const {
  return municipalities_[static_cast<uint64_t>(caller + sequence) % municipalities_.size()];
}

void Suite::Keep(Desk& desk, const v1::Case& answer) {
  auto same = [&](const OwnCase& own) { return own.name == answer.name(); };
  auto found = std::find_if(desk.cases.begin(), desk.cases.end(), same);
  if (found == desk.cases.end()) {
    if (desk.cases.size() == kMaxOwnCases) desk.cases.erase(desk.cases.begin());
    found = desk.cases.insert(desk.cases.end(), OwnCase());
    found->name = answer.name();
  }
  found->etag = answer.etag();
  found->contact_subject = answer.contact_person().subject();
  found->vulnerable = answer.flags().vulnerable();
  for (const v1::CaseTrack& track : answer.tracks()) {
    if (track.track() == v1::TRACK_DAMAGE) found->phase = track.phase();
  }
}

// ---- Reads ------------------------------------------------------------------

Attempt Suite::CaseGet(int caller, int64_t sequence) {
  v1::Case answer;
  return Outcome(kCaseGet, GetCase(cases_.For(caller), desks_[caller].case_manager_token,
                                   SampleCase(caller, sequence).name(), &answer));
}

Attempt Suite::CaseList(int caller, int64_t sequence) {
  const std::string filter = absl::StrCat("municipality=", MunicipalityFor(caller, sequence),
                                          " AND phase=", v1::Phase_Name(kListPhases[sequence % 5]));
  return Outcome(kCaseList, ListCases(cases_.For(caller), desks_[caller].case_manager_token, filter));
}

Attempt Suite::Monitor(int caller, int64_t sequence) {
  return Outcome(kMonitor, GetMonitor(reporting_.For(caller), operator_token_, MunicipalityFor(caller, sequence)));
}

// ---- Mandate-service --------------------------------------------------------

Attempt Suite::MandateCheck(int caller, int64_t sequence) {
  return Outcome(kMandateCheck, CheckDecision(mandates_.For(caller), desks_[caller].case_manager_token,
                                              MunicipalityFor(caller, sequence), kCheckAmountCents,
                                              RequestId("check", caller, sequence)));
}

Attempt Suite::MandateReserve(int caller, int64_t sequence) {
  const std::string& municipality = MunicipalityFor(caller, sequence);
  bool allowed = false;
  Attempt attempt =
      Outcome(kMandateReserve, ReserveAndCommit(mandates_.For(caller), desks_[caller].case_manager_token, municipality,
                                                reserve_line_.at(municipality), kReserveAmountCents,
                                                RequestId("reserve", caller, sequence), &allowed));
  if (attempt.status.ok() && !allowed) attempt.refusal = kReserveNotAllowed;
  return attempt;
}

// ---- Case writes on the caller's own cases ------------------------------------

template <typename Request>
Attempt Suite::ChangeCase(SuiteKind kind, int caller, int64_t sequence, CaseRpc<Request> rpc, Request& request) {
  Desk& desk = desks_[caller];
  request.set_request_id(RequestId(SuiteKindNames()[kind], caller, sequence));
  v1::Case answer;
  grpc::Status status = Call(cases_.For(caller), rpc, desk.case_manager_token, request, &answer);
  if (status.ok()) Keep(desk, answer);
  return Outcome(kind, status);
}

Attempt Suite::CaseCreate(int caller, int64_t sequence) {
  const int64_t n = desks_[caller].created++;
  // Spread over the region's villages; the address is unique per (run, caller, n):
  // letters and an even house number from n (the demo's houses are odd), the
  // addition from the run and the caller.
  std::vector<std::pair<const demo::DemoMunicipality*, const demo::DemoVillage*>> places;
  for (const demo::DemoMunicipality& municipality : region_.municipalities()) {
    for (const demo::DemoVillage& village : municipality.villages) places.emplace_back(&municipality, &village);
  }
  const auto& [municipality, village] = places[static_cast<uint64_t>(caller * 7 + n) % places.size()];
  v1::CreateCaseRequest request;
  v1::Case* record = request.mutable_case_();
  v1::CaseAddress* address = record->mutable_address();
  address->set_postcode(absl::StrCat(village->postcode_numbers[n % village->postcode_numbers.size()], " ",
                                     std::string(1, kPostcodeLetters[n % kLetterCount]),
                                     std::string(1, kPostcodeLetters[n / kLetterCount % kLetterCount])));
  address->set_house_number(static_cast<int32_t>(2 * (1 + n / (kLetterCount * kLetterCount) % (kMaxHouseNumber / 2))));
  address->set_house_number_addition(absl::StrCat(Base36(options_.run_number % 46656, 3), Base36(caller % 1296, 2)));
  address->set_street(demo::StreetNames()[n % demo::StreetNames().size()]);
  address->set_town(village->town);
  record->set_municipality(municipality->name);
  record->set_village(village->name);
  record->set_risk_category(v1::RISK_CATEGORY_OTHER);
  record->add_tracks()->set_track(v1::TRACK_DAMAGE);
  return ChangeCase(kCaseCreate, caller, sequence, &v1::CaseService::Stub::CreateCase, request);
}

Attempt Suite::CaseUpdate(int caller, int64_t sequence) {
  const Desk& desk = desks_[caller];
  if (desk.cases.empty()) return CaseCreate(caller, sequence);
  const OwnCase& own = desk.cases.back();
  v1::UpdateCaseRequest request;
  request.mutable_case_()->set_name(own.name);
  request.mutable_case_()->set_etag(own.etag);
  request.mutable_case_()->mutable_flags()->set_vulnerable(!own.vulnerable);
  request.mutable_update_mask()->add_paths("flags.vulnerable");
  return ChangeCase(kCaseUpdate, caller, sequence, &v1::CaseService::Stub::UpdateCase, request);
}

Attempt Suite::CaseHandover(int caller, int64_t sequence) {
  const Desk& desk = desks_[caller];
  if (desk.cases.empty()) return CaseCreate(caller, sequence);
  const OwnCase& own = desk.cases.back();
  v1::HandOverContactPersonRequest request;
  request.set_name(own.name);
  v1::CaseContactPerson* to = request.mutable_to();
  // Back and forth between the caller and a colleague.
  to->set_subject(own.contact_subject == desk.case_manager_subject ? desk.case_manager_subject + "-colleague"
                                                                   : desk.case_manager_subject);
  to->set_role(v1::ROLE_NCG_RESIDENT_CASE_MANAGER);
  to->set_organisation("NCG");
  request.set_reason("Werkverdeling binnen het team");
  request.set_etag(own.etag);
  return ChangeCase(kCaseHandover, caller, sequence, &v1::CaseService::Stub::HandOverContactPerson, request);
}

Attempt Suite::CaseAdvance(int caller, int64_t sequence) {
  const Desk& desk = desks_[caller];
  if (desk.cases.empty() || desk.cases.back().phase >= v1::PHASE_COMPLETION) return CaseCreate(caller, sequence);
  const OwnCase& own = desk.cases.back();
  v1::AdvancePhaseRequest request;
  request.set_name(own.name);
  request.set_track(v1::TRACK_DAMAGE);
  request.set_to_phase(static_cast<v1::Phase>(own.phase + 1));
  request.set_etag(own.etag);
  return ChangeCase(kCaseAdvance, caller, sequence, &v1::CaseService::Stub::AdvancePhase, request);
}

// ---- Escalation ladder --------------------------------------------------------

Attempt Suite::EscalationOpen(int caller, int64_t sequence) {
  Desk& desk = desks_[caller];
  const v1::Case& subject = SampleCase(caller, sequence);
  v1::OpenEscalationRequest request;
  v1::Escalation* escalation = request.mutable_escalation();
  escalation->mutable_cases()->add_cases(subject.name());
  escalation->set_title("Maatwerk boven mandaat casemanager");
  escalation->add_municipalities(subject.municipality());
  escalation->set_decision_kind(v1::DECISION_KIND_CUSTOM_SOLUTION);
  escalation->set_amount_asked_cents(kEscalationAmountCents);
  v1::EscalationFunding* funding = escalation->add_budget_split();
  funding->set_budget_line(grant_line_);
  funding->set_amount_cents(kEscalationAmountCents);
  escalation->set_reason(v1::ESCALATION_REASON_OUT_OF_MANDATE);
  escalation->set_reason_text("Het bedrag ligt boven het mandaat van de casemanager");
  request.set_request_id(RequestId("open", caller, sequence));
  v1::Escalation answer;
  grpc::Status status = Call(escalations_.For(caller), &v1::EscalationService::Stub::OpenEscalation,
                             desk.case_manager_token, request, &answer);
  if (status.ok() && desk.opened.size() < kMaxPendingEscalations) desk.opened.push_back(std::move(answer));
  return Outcome(kEscalationOpen, status);
}

Attempt Suite::EscalationUp(int caller, int64_t sequence) {
  Desk& desk = desks_[caller];
  if (desk.opened.empty()) return EscalationOpen(caller, sequence);
  const v1::Escalation escalation = std::move(desk.opened.front());
  desk.opened.pop_front();
  v1::EscalateUpRequest request;
  request.set_name(escalation.name());
  request.set_reason(v1::ESCALATION_REASON_NO_DECISION_POSSIBLE);
  request.set_reason_text("De lokale stuurgroep komt niet tot een besluit");
  request.set_etag(escalation.etag());
  request.set_request_id(RequestId("up", caller, sequence));
  v1::Escalation answer;
  grpc::Status status =
      Call(escalations_.For(caller), &v1::EscalationService::Stub::EscalateUp, coordinator_token_, request, &answer);
  if (status.ok() && desk.escalated.size() < kMaxPendingEscalations) desk.escalated.push_back(std::move(answer));
  return Outcome(kEscalationUp, status);
}

Attempt Suite::EscalationDecide(int caller, int64_t sequence) {
  Desk& desk = desks_[caller];
  if (desk.escalated.empty()) return EscalationUp(caller, sequence);
  const v1::Escalation escalation = std::move(desk.escalated.front());
  desk.escalated.pop_front();
  v1::DecideEscalationRequest request;
  request.set_name(escalation.name());
  request.set_body(escalation.body());
  request.set_outcome(v1::ESCALATION_DECISION_OUTCOME_GRANTED);
  request.set_rationale("Maatwerk is hier passend; de kosten blijven binnen het budget");
  request.add_conditions("Uitvoering binnen twaalf maanden na dit besluit");
  auto body = bodies_.find(escalation.body());
  if (body != bodies_.end()) SeatsFor(body->second, escalation, request);
  request.set_etag(escalation.etag());
  request.set_request_id(RequestId("decide", caller, sequence));
  v1::EscalationDecision answer;
  Attempt attempt =
      Outcome(kEscalationDecide, Call(escalations_.For(caller), &v1::EscalationService::Stub::DecideEscalation,
                                      coordinator_token_, request, &answer));
  if (attempt.status.ok() && answer.spendable_status() == v1::ESCALATION_SPENDABLE_STATUS_PENDING) {
    attempt.refusal = absl::StrCat("granted, money not spendable (", answer.reservation_error().reason(), ")");
  }
  return attempt;
}

}  // namespace herstel::loadgen
