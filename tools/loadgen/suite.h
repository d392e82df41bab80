// The suite-wide scenario of herstel-loadgen: every caller runs a weighted mix
// of operations across the four services at once, as on a working day.
//
// Kinds (one small function each, reported separately):
//   case-get           CaseService/GetCase of a case the service listed at start
//   case-list          CaseService/ListCases, municipality + phase filter, page of 50
//   monitor            ReportingService/GetMonitor of one municipality (internal view)
//   mandate-check      MandateService/CheckDecision, a custom solution of EUR 42,000
//   mandate-reserve    CheckAndReserve of EUR 2,500 on a budget line of the
//                      municipality (or a region-wide one), then CommitReservation
//   case-create        CaseService/CreateCase at a fresh valid address
//   case-update        UpdateCase of one of the caller's cases (flags.vulnerable, with etag)
//   case-handover      HandOverContactPerson of one of the caller's cases (with etag)
//   case-advance       AdvancePhase of one of the caller's cases, damage track, next phase
//   escalation-open    EscalationService/OpenEscalation: EUR 75,000 above a case
//                      manager's mandate, about a listed case, at the local steering
//                      group, asked from the region-wide line with the most money left
//   escalation-up      EscalateUp of one the caller opened (no decision possible), to level 2
//   escalation-decide  DecideEscalation of one the caller moved up: the administrative
//                      consultation grants it (the escalation-service then authorises
//                      and reserves it in the mandate-service; a grant whose money
//                      is not spendable, PENDING, is counted as a refusal)
//
// Contract:
// - A kind that acts on something the caller made earlier falls back to the
//   kind that makes it when the caller has nothing ready (case-update,
//   case-handover and case-advance to case-create; escalation-decide to
//   escalation-up to escalation-open), and is then counted as that kind: the
//   report's counts are the mix that really ran.
// - Writes only touch what the run itself created (its cases and escalations)
//   plus what they cause: reservations, journal entries, escalation decisions.
//   Listed cases are only read or named as an escalation's subject.
// - Data comes from the running suite and the case-service's reference file:
//   cases (ListCases), budget lines (ListBudgetLines), bodies (ListBodies);
//   Prepare fails with a hint when the demo region is not loaded.
// - Domain refusals are counted under their code and never stop a run.
#ifndef HERSTEL_TOOLS_LOADGEN_SUITE_H_
#define HERSTEL_TOOLS_LOADGEN_SUITE_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "calls.h"
#include "load_loop.h"
#include "region.h"

namespace herstel::loadgen {

enum SuiteKind : int {
  kCaseGet,
  kCaseList,
  kMonitor,
  kMandateCheck,
  kMandateReserve,
  kCaseCreate,
  kCaseUpdate,
  kCaseHandover,
  kCaseAdvance,
  kEscalationOpen,
  kEscalationUp,
  kEscalationDecide,
  kSuiteKindCount,
};

// Names of the kinds, indexed by SuiteKind ("case-get", ...).
const std::vector<std::string>& SuiteKindNames();

// Reads-heavy, like a working day: about 60 % reads, 40 % changes.
inline constexpr char kDefaultSuiteMix[] =
    "case-get=31,case-list=10,monitor=5,mandate-check=15,mandate-reserve=8,case-create=6,case-update=8,"
    "case-handover=4,case-advance=6,escalation-open=3,escalation-up=2,escalation-decide=2";

// Parses "kind=weight,kind=weight,..." into one weight per SuiteKind; kinds
// not named weigh 0. INVALID_ARGUMENT for an unknown kind, a repeated kind, a
// weight that is not a whole number from 0 to 1,000,000, or all weights 0.
absl::StatusOr<std::vector<int>> ParseMix(absl::string_view text);

// The kind for `draw`: weights laid end to end, draw taken modulo their sum.
int PickKind(const std::vector<int>& weights, uint64_t draw);

struct SuiteOptions {
  std::string case_address;
  std::string mandate_address;
  std::string escalation_address;
  std::string reporting_address;
  int channels = 4;
  int case_sample = 10000;
  std::vector<int> weights;  // from ParseMix
  int64_t run_number = 0;    // unique per run (Unix seconds): request ids and fresh addresses
};

class Suite {
 public:
  // Reads what the run needs from the suite (see the contract); `callers` sizes the desks.
  static absl::StatusOr<std::unique_ptr<Suite>> Prepare(const SuiteOptions& options, const TokenKey& key,
                                                        const demo::Region& region, int callers);

  // One operation of `caller`: a kind drawn from the mix, run.
  Attempt Run(int caller, int64_t sequence);

  // What Prepare found, for the log: "300 cases listed, 22 budget lines, ...".
  std::string Describe() const;

 private:
  // A case this run created, as its caller last saw it.
  struct OwnCase {
    std::string name;
    std::string etag;
    v1::Phase phase = v1::PHASE_INTAKE;  // of the damage track
    std::string contact_subject;
    bool vulnerable = false;
  };
  // What one caller made and can act on next; only its own thread touches it.
  struct Desk {
    std::string case_manager_token;
    std::string case_manager_subject;
    std::vector<OwnCase> cases;            // newest last, bounded
    std::deque<v1::Escalation> opened;     // at level 1, for escalation-up
    std::deque<v1::Escalation> escalated;  // moved up, for escalation-decide
    int64_t created = 0;                   // cases created, for fresh addresses
  };

  Suite(const SuiteOptions& options, const demo::Region& region);

  Attempt CaseGet(int caller, int64_t sequence);
  Attempt CaseList(int caller, int64_t sequence);
  Attempt Monitor(int caller, int64_t sequence);
  Attempt MandateCheck(int caller, int64_t sequence);
  Attempt MandateReserve(int caller, int64_t sequence);
  Attempt CaseCreate(int caller, int64_t sequence);
  Attempt CaseUpdate(int caller, int64_t sequence);
  Attempt CaseHandover(int caller, int64_t sequence);
  Attempt CaseAdvance(int caller, int64_t sequence);
  Attempt EscalationOpen(int caller, int64_t sequence);
  Attempt EscalationUp(int caller, int64_t sequence);
  Attempt EscalationDecide(int caller, int64_t sequence);

  template <typename Request>
  using CaseRpc = grpc::Status (v1::CaseService::Stub::*)(grpc::ClientContext*, const Request&, v1::Case*);
  // Sends a change of a case of the caller's (or a new one) and keeps the answer.
  template <typename Request>
  Attempt ChangeCase(SuiteKind kind, int caller, int64_t sequence, CaseRpc<Request> rpc, Request& request);
  // Records a changed own case (bounded: the oldest is forgotten).
  void Keep(Desk& desk, const v1::Case& answer);
  std::string RequestId(absl::string_view what, int caller, int64_t sequence) const;
  const v1::Case& SampleCase(int caller, int64_t sequence) const;
  const std::string& MunicipalityFor(int caller, int64_t sequence) const;

  const SuiteOptions options_;
  const demo::Region& region_;
  StubPool<v1::CaseService> cases_;
  StubPool<v1::MandateService> mandates_;
  StubPool<v1::EscalationService> escalations_;
  StubPool<v1::ReportingService> reporting_;
  std::string operator_token_;
  std::string coordinator_token_;
  std::vector<v1::Case> sample_;                      // listed cases
  std::vector<std::string> municipalities_;           // of the region
  std::map<std::string, std::string> reserve_line_;   // municipality -> budget line for mandate-reserve
  std::string grant_line_;                            // budget line asked for by escalations
  std::map<std::string, v1::EscalationBody> bodies_;  // name -> body
  std::vector<Desk> desks_;                           // one per caller
};

}  // namespace herstel::loadgen

#endif  // HERSTEL_TOOLS_LOADGEN_SUITE_H_
