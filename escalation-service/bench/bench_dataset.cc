#include "bench_dataset.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "body_loader.h"
#include "domain/calendar.h"
#include "domain/ladder.h"
#include "domain/policies.h"
#include "herstel/outbox.h"
#include "herstel/status_macros.h"
#include "mandate_gateway.h"
#include "store/escalation_store.h"

namespace herstel::escalation::bench {
namespace {

namespace fs = std::filesystem;

// The five municipalities of the default bodies (bodies/default_bodies.json).
constexpr const char* kMunicipalities[] = {"eemsdelta", "groningen", "het-hogeland",
                                           "midden-groningen", "oldambt"};
// Rows per fill transaction.
constexpr int kFillBatch = 2000;

absl::TimeZone Amsterdam() {
  static const absl::TimeZone zone = *WorkingDayCalendar::AmsterdamZone();
  return zone;
}

// What one generated escalation looks like before it is opened.
struct Plan {
  absl::Time open_time;
  EscalationLevel level = v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP;
  int municipality = 0;
  bool acknowledged = false;
  int64_t amount_asked_cents = 0;
};

// Draws `count` plans whose due time (from the default term policy and the
// working-day calendar) is at or before SweepMoment() when `overdue`, after
// it otherwise. Open times are drawn from a window and redrawn until the due
// time falls on the asked side, so the due times spread over weeks.
void DrawPlans(int count, bool overdue, std::mt19937_64& random, std::vector<Plan>& plans) {
  const TermPolicy policy = DefaultTermPolicy();
  const WorkingDayCalendar calendar = CalendarOf(policy, Amsterdam());
  const absl::Time moment = SweepMoment();
  // Running ones were opened in the last 90 days (every term is at least 30
  // working days); overdue ones 30 to 150 days ago.
  const absl::Duration earliest = overdue ? absl::Hours(24 * 150) : absl::Hours(24 * 90);
  const absl::Duration latest = overdue ? absl::Hours(24 * 30) : absl::Minutes(1);
  std::uniform_int_distribution<int64_t> offset_seconds(absl::ToInt64Seconds(latest),
                                                        absl::ToInt64Seconds(earliest));
  std::uniform_int_distribution<int> percent(0, 99);
  std::uniform_int_distribution<int> municipality(0, 4);
  std::uniform_int_distribution<int64_t> euros(20'000, 600'000);
  for (int i = 0; i < count; ++i) {
    Plan plan;
    const int draw = percent(random);
    plan.level = draw < 80   ? v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP
                 : draw < 95 ? v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION
                             : v1::ESCALATION_LEVEL_REGIONAL_CONSULTATION;
    const int term = TermOf(policy, plan.level).term_working_days;
    do {
      plan.open_time = moment - absl::Seconds(offset_seconds(random));
    } while ((calendar.DueTime(plan.open_time, term) <= moment) != overdue);
    plan.municipality = municipality(random);
    plan.acknowledged = percent(random) < 40;
    plan.amount_asked_cents = euros(random) * 100;
    plans.push_back(plan);
  }
}

// Opens plan number `number` (names follow open order, as in the service).
Escalation Build(const Plan& plan, int number) {
  const TermPolicy policy = DefaultTermPolicy();
  static const WorkingDayCalendar calendar = CalendarOf(policy, Amsterdam());
  const std::string lead = absl::StrCat("municipalities/", kMunicipalities[plan.municipality]);
  Escalation e;
  e.name = absl::StrCat("escalations/e-", number);
  e.subject.kind = SubjectKind::kCases;
  e.subject.cases = {absl::StrCat("cases/c-", 100000 + number)};
  e.title = "Maatwerk funderingsherstel boven mandaat";
  e.municipalities = {lead};
  e.decision_kind = v1::DECISION_KIND_CUSTOM_SOLUTION;
  e.amount_asked_cents = plan.amount_asked_cents;
  e.budget_split = {{"budget-lines/versterking-2026", plan.amount_asked_cents}};
  e.reason = v1::ESCALATION_REASON_OUT_OF_MANDATE;
  e.reason_text = "bedrag boven het mandaat van de casusregisseur";
  e.opened_by = "cm-bench";
  e.opened_by_organisation = "NCG";
  std::string body;
  switch (plan.level) {
    case v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION:
      body = "bodies/bestuurlijk-overleg";
      break;
    case v1::ESCALATION_LEVEL_REGIONAL_CONSULTATION:
      body = "bodies/regionaal-bestuurlijk-overleg";
      e.reason = v1::ESCALATION_REASON_SUPRA_LOCAL;
      e.reason_text = "raakt meer dan een gemeente";
      e.supra_local = true;
      e.municipalities.push_back(
          absl::StrCat("municipalities/", kMunicipalities[(plan.municipality + 1) % 5]));
      break;
    default:
      body = absl::StrCat("bodies/sg-", kMunicipalities[plan.municipality]);
      break;
  }
  Open(e, plan.level, body, TermOf(policy, plan.level).term_working_days, calendar, e.opened_by,
       plan.open_time);
  if (plan.acknowledged) {
    const absl::Time acknowledge_time =
        std::min(plan.open_time + absl::Hours(30), SweepMoment() - absl::Minutes(1));
    Acknowledge(e, std::max(acknowledge_time, plan.open_time)).IgnoreError();
  }
  e.etag = NewEtag();
  return e;
}

v1::EscalationOpened OpenedEvent(const Escalation& e) {
  v1::EscalationOpened event;
  event.set_escalation(e.name);
  event.set_level(e.level);
  event.set_body(e.body);
  event.set_reason(e.reason);
  for (const std::string& municipality : e.municipalities) event.add_municipalities(municipality);
  event.set_decision_kind(e.decision_kind);
  event.set_amount_asked_cents(e.amount_asked_cents);
  for (const std::string& case_name : e.subject.cases) event.add_cases(case_name);
  event.set_supra_local(e.supra_local);
  event.mutable_due_time()->set_seconds(absl::ToUnixSeconds(e.due_time));
  return event;
}

// Fills a new store file at `path` and checks the overdue count.
absl::Status Fill(const DatasetShape& shape, const std::string& path) {
  std::mt19937_64 random(20260616);
  std::vector<Plan> plans;
  plans.reserve(shape.open_count);
  DrawPlans(shape.overdue_count, true, random, plans);
  DrawPlans(shape.open_count - shape.overdue_count, false, random, plans);
  std::sort(plans.begin(), plans.end(),
            [](const Plan& a, const Plan& b) { return a.open_time < b.open_time; });

  HERSTEL_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, Store::Open(path, EscalationMigrations()));
  HERSTEL_RETURN_IF_ERROR(
      LoadDefaultBodiesIfEmpty(*store, HERSTEL_DEFAULT_BODIES_FILE, SweepMoment() - absl::Hours(24 * 365))
          .status());
  for (size_t first = 0; first < plans.size(); first += kFillBatch) {
    const size_t end = std::min(plans.size(), first + kFillBatch);
    HERSTEL_RETURN_IF_ERROR(store->Write([&](Transaction& tx) -> absl::Status {
      for (size_t i = first; i < end; ++i) {
        const Escalation e = Build(plans[i], static_cast<int>(i) + 1);
        HERSTEL_RETURN_IF_ERROR(EscalationStore::PutEscalation(tx, e));
        HERSTEL_RETURN_IF_ERROR(AppendEvent(tx, OpenedEvent(e), e.name, {"", e.opened_by}).status());
      }
      return absl::OkStatus();
    }));
  }
  int overdue = 0;
  HERSTEL_RETURN_IF_ERROR(store->Read([&](Transaction& tx) -> absl::Status {
    HERSTEL_ASSIGN_OR_RETURN(std::vector<Escalation> due,
                             EscalationStore::BreachCandidates(tx, SweepMoment(), shape.open_count));
    overdue = static_cast<int>(due.size());
    return absl::OkStatus();
  }));
  if (overdue != shape.overdue_count) {
    return absl::InternalError(absl::StrCat("generated ", overdue, " overdue escalations, wanted ",
                                            shape.overdue_count));
  }
  return absl::OkStatus();
}

std::string ShapeName(const DatasetShape& shape) {
  return absl::StrCat("open", shape.open_count, "-overdue", shape.overdue_count);
}

}  // namespace

absl::Time SweepMoment() {
  return absl::FromCivil(absl::CivilSecond(2026, 6, 16, 10, 0, 0), Amsterdam());
}

std::string SweepMomentText() {
  return absl::FormatTime(absl::RFC3339_sec, SweepMoment(), Amsterdam());
}

const std::string& DataFolder() {
  static const std::string folder = [] {
    const char* chosen = std::getenv("ESCALATION_BENCH_DIR");
    std::string path = chosen != nullptr && *chosen != '\0'
                           ? std::string(chosen)
                           : (fs::temp_directory_path() / absl::StrCat("escalation-bench-", ::getpid()))
                                 .string();
    fs::create_directories(path);
    return path;
  }();
  return folder;
}

void RemoveDataFolderUnlessKept() {
  const char* chosen = std::getenv("ESCALATION_BENCH_DIR");
  if (chosen == nullptr || *chosen == '\0') {
    std::error_code ignored;
    fs::remove_all(DataFolder(), ignored);
  }
}

absl::Status CopyStore(const std::string& from, const std::string& to) {
  std::error_code error;
  fs::remove(to + "-wal", error);
  fs::remove(to + "-shm", error);
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, error);
  if (error) return absl::InternalError(absl::StrCat("cannot copy ", from, ": ", error.message()));
  // Flushed now, so a checkpoint's fsync inside a measured sweep does not
  // pay for writing back the whole copy.
  const int fd = ::open(to.c_str(), O_RDONLY);
  if (fd < 0 || ::fsync(fd) != 0) {
    if (fd >= 0) ::close(fd);
    return absl::InternalError(absl::StrCat("cannot flush ", to));
  }
  ::close(fd);
  return absl::OkStatus();
}

absl::StatusOr<std::string> FreshStore(const DatasetShape& shape) {
  const std::string path = absl::StrCat(DataFolder(), "/", ShapeName(shape), "-fresh.db");
  if (!fs::exists(path)) {
    const std::string building = path + ".building";
    std::error_code ignored;
    fs::remove(building, ignored);
    HERSTEL_RETURN_IF_ERROR(Fill(shape, building));  // the Store is closed (checkpointed) here
    fs::rename(building, path);
  }
  return path;
}

absl::StatusOr<std::string> SweptStore(const DatasetShape& shape) {
  const std::string path = absl::StrCat(DataFolder(), "/", ShapeName(shape), "-swept.db");
  if (!fs::exists(path)) {
    HERSTEL_ASSIGN_OR_RETURN(std::string fresh, FreshStore(shape));
    const std::string building = path + ".building";
    HERSTEL_RETURN_IF_ERROR(CopyStore(fresh, building));
    {
      HERSTEL_ASSIGN_OR_RETURN(std::unique_ptr<Store> store,
                               Store::Open(building, EscalationMigrations()));
      FixedClock clock(SweepMoment());
      std::unique_ptr<EscalationGrpcService> service = NewService(*store, clock);
      HERSTEL_ASSIGN_OR_RETURN(int recorded, SweepAll(*service));
      if (recorded != shape.overdue_count) {
        return absl::InternalError(absl::StrCat("the sweep recorded ", recorded, " breaches, wanted ",
                                                shape.overdue_count));
      }
    }
    fs::rename(building, path);
  }
  return path;
}

const TokenKey& BenchKey() {
  static const TokenKey key = *TokenKey::FromSecret("escalation-bench-signing-key-of-32-bytes-or-more");
  return key;
}

std::unique_ptr<EscalationGrpcService> NewService(Store& store, const Clock& clock) {
  // Port 1 on loopback: nothing listens; the sweep makes no mandate call.
  return std::make_unique<EscalationGrpcService>(
      store, BenchKey(), clock, Amsterdam(),
      std::make_unique<MandateGateway>(BenchKey(), "127.0.0.1:1", absl::Seconds(1)));
}

absl::StatusOr<int> SweepAll(EscalationGrpcService& service) {
  int total = 0;
  while (true) {
    HERSTEL_ASSIGN_OR_RETURN(int recorded, service.SweepOverdue(kSweepBatch));
    total += recorded;
    if (recorded < kSweepBatch) return total;
  }
}

}  // namespace herstel::escalation::bench
