#include "reporting_grpc_service.h"

#include <algorithm>
#include <future>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "domain/annual_report.h"
#include "google/protobuf/util/time_util.h"
#include "herstel/errors.h"
#include "herstel/idempotency.h"
#include "herstel/listing.h"
#include "herstel/rpc.h"
#include "herstel/status_macros.h"
#include "store/reporting_store.h"

namespace herstel::reporting {
namespace {

using google::protobuf::util::TimeUtil;

constexpr absl::string_view kDomain = "reporting-service";
constexpr absl::string_view kSettingsName = "reporting-settings";
// Room for the standing periods (StandingPeriods) and as many asked ones.
constexpr size_t kPublishedPeriods = 12;
constexpr int32_t kFirstReportYear = 2000;

google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(time));
}

bool ValidTimestamp(const google::protobuf::Timestamp& time) {
  return time.seconds() >= TimeUtil::kTimestampMinSeconds &&
         time.seconds() <= TimeUtil::kTimestampMaxSeconds && time.nanos() >= 0 &&
         time.nanos() < 1000000000;
}

bool IsSlug(absl::string_view text) {
  if (text.empty() || text.size() > 100) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

// Checks a MonitorScope; the area it names.
AreaKey ValidateScope(const v1::MonitorScope& scope, absl::string_view field,
                      FieldViolations& violations) {
  AreaKey area{scope.municipality(), scope.village()};
  if (!area.municipality.empty()) {
    absl::string_view slug = area.municipality;
    violations.Require(absl::ConsumePrefix(&slug, "municipalities/") && IsSlug(slug),
                       absl::StrCat(field, ".municipality"),
                       "must be \"municipalities/{m}\" with lower-case letters, digits and '-'");
  }
  if (!area.village.empty()) {
    absl::string_view rest = area.village;
    bool inside = !area.municipality.empty() &&
                  absl::ConsumePrefix(&rest, absl::StrCat(area.municipality, "/villages/")) &&
                  IsSlug(rest);
    violations.Require(inside, absl::StrCat(field, ".village"),
                       "must be \"{municipality}/villages/{v}\" inside the scope's municipality");
  }
  return area;
}

// Where the monitor's period starts when a caller names only its end (or
// nothing: then it ends now): the start of the year `end` falls in.
absl::Time YearToDateStart(absl::Time end) {
  return YearStart(YearOf(end - absl::Microseconds(1)));
}

// The days of the yearly report of `year`.
DayPeriod ReportYear(int32_t year) {
  return {DayNumber(YearStart(year)), DayNumber(YearStart(year + 1))};
}

// The period asked for: [start, end) with the defaults of the proto.
DayPeriod ResolvePeriod(const google::protobuf::Timestamp* start,
                        const google::protobuf::Timestamp* end, FieldViolations& violations) {
  absl::Time end_time = absl::Now();
  if (end != nullptr) {
    if (!ValidTimestamp(*end)) {
      violations.Add("end_time", "must be a valid timestamp");
    } else {
      end_time = absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(*end));
    }
  }
  absl::Time start_time = YearToDateStart(end_time);
  if (start != nullptr) {
    if (!ValidTimestamp(*start)) {
      violations.Add("start_time", "must be a valid timestamp");
    } else {
      start_time = absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(*start));
    }
  }
  if (start_time >= end_time) violations.Add("start_time", "must be before end_time");
  if (end_time - start_time > absl::Hours(24 * 366 * 10)) {
    violations.Add("start_time", "a period may span at most ten years");
  }
  return ToDayPeriod(start_time, end_time);
}

// Whether `caller` sees exact counts for `area`.
bool SeesExact(const Caller& caller, const AreaKey& area, bool public_view) {
  if (caller.role == v1::ROLE_PUBLIC || public_view) return false;
  if (area.municipality.empty()) {
    return std::find(caller.municipalities.begin(), caller.municipalities.end(), "*") !=
           caller.municipalities.end();
  }
  return caller.CoversMunicipality(area.municipality);
}

// An alert's stock figures are a phase's weekly stocks, which are not
// published (FigureLayout::IsPublic): shown to internal callers only.
void RenderAlertFigures(v1::BacklogAlert& alert, bool exact) {
  for (v1::CountFigure* figure : {alert.mutable_stock_at_start(), alert.mutable_stock_now()}) {
    *figure = CountFigureOf(figure->value(), CellSuppression::kWithheld, kSecondaryDisplay, exact);
  }
}

absl::StatusOr<int64_t> ParseName(absl::string_view name, absl::string_view prefix,
                                  absl::string_view field) {
  absl::string_view rest = name;
  int64_t id = 0;
  if (!absl::ConsumePrefix(&rest, prefix) || !absl::SimpleAtoi(rest, &id) || id <= 0) {
    return FieldError(field, absl::StrCat("must be \"", prefix, "{number}\""));
  }
  return id;
}

// The cursors of `progress` as a publication's as_of.
std::vector<v1::ReportingSourceCursor> AsOf(const std::vector<SourceProgress>& progress) {
  std::vector<v1::ReportingSourceCursor> as_of;
  for (const SourceProgress& entry : progress) {
    v1::ReportingSourceCursor& cursor = as_of.emplace_back();
    cursor.set_source(entry.source);
    cursor.set_sequence(entry.cursor);
    if (entry.last_commit_micros > 0) {
      *cursor.mutable_last_event_commit_time() =
          TimeUtil::MicrosecondsToTimestamp(entry.last_commit_micros);
    }
  }
  return as_of;
}

// The cursors of `progress` in PublishedPeriod::cursors' form.
std::string CursorsOf(const std::vector<SourceProgress>& progress) {
  std::string cursors;
  for (const SourceProgress& entry : progress) {
    absl::StrAppend(&cursors, entry.source, "=", entry.cursor, ";");
  }
  return cursors;
}

absl::Status RequireRole(const Caller& caller, std::initializer_list<v1::Role> roles,
                         absl::string_view what) {
  for (v1::Role role : roles) {
    if (caller.role == role) return absl::OkStatus();
  }
  return DomainError(absl::StatusCode::kPermissionDenied, "ROLE_NOT_ALLOWED",
                     absl::StrCat("role '", RoleToken(caller.role), "' may not ", what));
}

// herstel_reporting_publications_total{suppression=`how`} in `registry`.
prometheus::Counter& PublicationsCounter(prometheus::Registry& registry, absl::string_view how) {
  return prometheus::BuildCounter()
      .Name("herstel_reporting_publications_total")
      .Help("Periods published, by whether the suppression was solved or its stored pattern "
            "still fitted the figures")
      .Register(registry)
      .Add({{"suppression", std::string(how)}});
}

}  // namespace

ReportingGrpcService::ReportingGrpcService(Store& store, const TokenKey& key,
                                           ReportingFollowers& followers,
                                           prometheus::Registry& registry,
                                           absl::Duration standing_interval)
    : WithWatchEvents(store, key, std::string(kDomain)),
      followers_(followers),
      solved_(PublicationsCounter(registry, "solved")),
      reused_(PublicationsCounter(registry, "stored")),
      published_([this](const PeriodKey& period) { return Publish(period); }, kPublishedPeriods,
                 {[this] { return StandingPeriods(); },
                  [this]() -> absl::StatusOr<std::string> {
                    HERSTEL_ASSIGN_OR_RETURN(SettingsAndCursors now, ReadSettingsAndCursors());
                    return now.cursors;
                  },
                  standing_interval}) {}

absl::StatusOr<PublishedPeriod> ReportingGrpcService::Publish(const PeriodKey& key) {
  PublishedPeriod published;
  std::shared_ptr<PeriodFigures> figures;
  std::string digest;
  std::optional<std::vector<CellSuppression>> stored;
  HERSTEL_RETURN_IF_ERROR(store_.Read([&](Transaction& tx) -> absl::Status {
    HERSTEL_ASSIGN_OR_RETURN(std::vector<SourceProgress> progress, LoadSourceProgress(tx));
    published.as_of = AsOf(progress);
    published.cursors = CursorsOf(progress);
    HERSTEL_ASSIGN_OR_RETURN(PeriodFigures loaded, LoadPeriodFigures(tx, key.period, std::nullopt));
    figures = std::make_shared<PeriodFigures>(std::move(loaded));
    digest = SuppressionDigest(*figures, key.threshold);
    HERSTEL_ASSIGN_OR_RETURN(stored,
                             LoadSuppressionPattern(tx, key.period, key.threshold, digest));
    return absl::OkStatus();
  }));
  if (stored.has_value()) {
    HERSTEL_ASSIGN_OR_RETURN(published.publication,
                             Publication::FromPattern(figures, key.threshold, *std::move(stored)));
    reused_.Increment();
    return published;
  }
  auto solved = std::make_shared<const Publication>(figures, key.threshold);
  HERSTEL_RETURN_IF_ERROR(store_.Write([&](Transaction& tx) {
    return SaveSuppressionPattern(tx, key.period, key.threshold, digest, solved->pattern(),
                                  absl::Now());
  }));
  solved_.Increment();
  published.publication = std::move(solved);
  return published;
}

absl::StatusOr<ReportingGrpcService::SettingsAndCursors>
ReportingGrpcService::ReadSettingsAndCursors() {
  SettingsAndCursors now;
  HERSTEL_RETURN_IF_ERROR(store_.Read([&](Transaction& tx) -> absl::Status {
    HERSTEL_ASSIGN_OR_RETURN(now.settings, LoadSettings(tx));
    HERSTEL_ASSIGN_OR_RETURN(std::vector<SourceProgress> progress, LoadSourceProgress(tx));
    now.cursors = CursorsOf(progress);
    return absl::OkStatus();
  }));
  return now;
}

std::vector<PeriodKey> ReportingGrpcService::StandingPeriods() {
  // While a source is catching up (a rebuild), every batch changes them.
  absl::StatusOr<v1::FollowerStatus> following = followers_.Status();
  if (following.ok()) {
    for (const v1::ReportingSourceStatus& source : following->sources()) {
      if (source.lag_events() > kFollowerBatching.part) return {};
    }
  }
  absl::StatusOr<SettingsAndCursors> now = ReadSettingsAndCursors();
  if (!now.ok()) return {};
  const int64_t threshold = now->settings.suppression_threshold();
  const absl::Time time = absl::Now();
  const DayPeriod year_to_date = ToDayPeriod(YearToDateStart(time), time);
  const int32_t last_year = YearOf(time) - 1;
  return {{year_to_date, threshold},
          {year_to_date.Previous(), threshold},
          {ReportYear(last_year), threshold},
          {ReportYear(last_year - 1), threshold}};
}

absl::StatusOr<ReportingGrpcService::Answers> ReportingGrpcService::LatestAnswers(
    const DayPeriod& period, bool with_previous) {
  std::optional<DayPeriod> previous;
  if (with_previous) previous = period.Previous();
  return Answer(period, previous, &PublishedPeriods::Latest);
}

absl::StatusOr<ReportingGrpcService::Answers> ReportingGrpcService::FreshAnswers(
    const DayPeriod& period, const DayPeriod& previous) {
  return Answer(period, previous, &PublishedPeriods::Fresh);
}

absl::StatusOr<ReportingGrpcService::Answers> ReportingGrpcService::Answer(
    const DayPeriod& period, const std::optional<DayPeriod>& previous,
    PublishedPeriodOf publication) {
  Answers answers;
  HERSTEL_ASSIGN_OR_RETURN(SettingsAndCursors now, ReadSettingsAndCursors());
  answers.settings = std::move(now.settings);
  const std::string& cursors = now.cursors;
  const int64_t threshold = answers.settings.suppression_threshold();
  // The period before is read (and solved when it must be) at the same time,
  // on the other core.
  std::future<absl::StatusOr<PublishedPeriod>> before;
  if (previous.has_value()) {
    before = std::async(std::launch::async, [&] {
      return (published_.*publication)({*previous, threshold}, cursors);
    });
  }
  absl::StatusOr<PublishedPeriod> current =
      (published_.*publication)({period, threshold}, cursors);
  if (previous.has_value()) {
    HERSTEL_ASSIGN_OR_RETURN(answers.previous, before.get());
  }
  HERSTEL_ASSIGN_OR_RETURN(answers.current, std::move(current));
  return answers;
}

grpc::Status ReportingGrpcService::GetMonitor(grpc::ServerContext* context,
                                              const v1::GetMonitorRequest* request,
                                              v1::Monitor* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    FieldViolations violations;
    AreaKey scope = ValidateScope(request->scope(), "scope", violations);
    DayPeriod period = ResolvePeriod(request->has_start_time() ? &request->start_time() : nullptr,
                                     request->has_end_time() ? &request->end_time() : nullptr,
                                     violations);
    std::set<v1::MonitorSection> sections;
    for (int index = 0; index < request->sections_size(); ++index) {
      int section = request->sections(index);
      if (section <= v1::MONITOR_SECTION_UNSPECIFIED || !v1::MonitorSection_IsValid(section)) {
        violations.Add(absl::StrCat("sections[", index, "]"), "must be a known section");
      } else {
        sections.insert(static_cast<v1::MonitorSection>(section));
      }
    }
    HERSTEL_RETURN_IF_ERROR(violations.ToStatus());
    bool exact = SeesExact(caller, scope, request->public_view());
    HERSTEL_ASSIGN_OR_RETURN(Answers answers, LatestAnswers(period, /*with_previous=*/false));
    *response = RenderMonitor(*answers.current.publication, scope, exact, sections);
    *response->mutable_start_time() = ToTimestamp(DayStart(period.start_day));
    *response->mutable_end_time() = ToTimestamp(DayStart(period.end_day));
    for (const v1::ReportingSourceCursor& cursor : answers.current.as_of) {
      *response->add_as_of() = cursor;
    }
    if (sections.empty() || sections.count(v1::MONITOR_SECTION_BACKLOGS) > 0) {
      std::vector<v1::BacklogAlert> alerts;
      HERSTEL_RETURN_IF_ERROR(store_.Read([&](Transaction& tx) -> absl::Status {
        HERSTEL_ASSIGN_OR_RETURN(alerts, ActiveBacklogAlerts(tx, scope, DayStart(period.end_day)));
        return absl::OkStatus();
      }));
      for (v1::BacklogAlert& alert : alerts) {
        RenderAlertFigures(alert, exact);
        *response->add_backlog_alerts() = std::move(alert);
      }
    }
    *response->mutable_generate_time() = ToTimestamp(absl::Now());
    return absl::OkStatus();
  });
}

grpc::Status ReportingGrpcService::GetThreeQuestions(grpc::ServerContext* context,
                                                     const v1::GetThreeQuestionsRequest* request,
                                                     v1::ThreeQuestions* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    FieldViolations violations;
    AreaKey scope = ValidateScope(request->scope(), "scope", violations);
    DayPeriod period = ResolvePeriod(request->has_start_time() ? &request->start_time() : nullptr,
                                     request->has_end_time() ? &request->end_time() : nullptr,
                                     violations);
    HERSTEL_RETURN_IF_ERROR(violations.ToStatus());
    bool exact = SeesExact(caller, scope, request->public_view());
    HERSTEL_ASSIGN_OR_RETURN(Answers answers, LatestAnswers(period, /*with_previous=*/true));
    const v1::ReportingSettings& settings = answers.settings;
    const PublishedPeriod& current = answers.current;
    const PublishedPeriod& previous = answers.previous;
    for (v1::IndicatorAudience audience :
         {v1::INDICATOR_AUDIENCE_RESIDENTS, v1::INDICATOR_AUDIENCE_PROFESSIONALS,
          v1::INDICATOR_AUDIENCE_ADMINISTRATORS}) {
      *response->add_views() = RenderView(*current.publication, *previous.publication, scope,
                                          exact, audience, settings.stable_band_percent());
    }
    for (const v1::ReportingSourceCursor& cursor : current.as_of) *response->add_as_of() = cursor;
    *response->mutable_generate_time() = ToTimestamp(absl::Now());
    return absl::OkStatus();
  });
}

grpc::Status ReportingGrpcService::ListViews(grpc::ServerContext* context,
                                             const v1::ListViewsRequest* request,
                                             v1::ListViewsResponse* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    FieldViolations violations;
    AreaKey scope = ValidateScope(request->scope(), "scope", violations);
    DayPeriod period = ResolvePeriod(request->has_start_time() ? &request->start_time() : nullptr,
                                     request->has_end_time() ? &request->end_time() : nullptr,
                                     violations);
    HERSTEL_RETURN_IF_ERROR(violations.ToStatus());
    HERSTEL_ASSIGN_OR_RETURN(Filter filter, Filter::Parse(request->filter(), {"audience"}));
    HERSTEL_ASSIGN_OR_RETURN(std::optional<v1::IndicatorAudience> audience,
                             filter.EnumValue("audience", &v1::IndicatorAudience_Parse));
    HERSTEL_ASSIGN_OR_RETURN(int page_size, EffectivePageSize(request->page_size()));
    HERSTEL_ASSIGN_OR_RETURN(std::string last, DecodePageToken(request->page_token(),
                                                               filter.Canonical()));
    int after = 0;
    if (!last.empty() && !absl::SimpleAtoi(last, &after)) {
      return FieldError("page_token", "is not a token of this list");
    }
    bool exact = SeesExact(caller, scope, request->public_view());
    HERSTEL_ASSIGN_OR_RETURN(Answers answers, LatestAnswers(period, /*with_previous=*/true));
    const v1::ReportingSettings& settings = answers.settings;
    const PublishedPeriod& current = answers.current;
    const PublishedPeriod& previous = answers.previous;
    for (int value = after + 1; value <= v1::INDICATOR_AUDIENCE_ADMINISTRATORS; ++value) {
      auto each = static_cast<v1::IndicatorAudience>(value);
      if (audience.has_value() && *audience != each) continue;
      if (response->views_size() == page_size) {
        response->set_next_page_token(EncodePageToken(absl::StrCat(value - 1), filter.Canonical()));
        break;
      }
      *response->add_views() = RenderView(*current.publication, *previous.publication, scope,
                                          exact, each, settings.stable_band_percent());
    }
    return absl::OkStatus();
  });
}

grpc::Status ReportingGrpcService::GetView(grpc::ServerContext* context,
                                           const v1::GetViewRequest* request,
                                           v1::IndicatorView* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    FieldViolations violations;
    v1::IndicatorAudience audience = AudienceOfView(request->name());
    violations.Require(audience != v1::INDICATOR_AUDIENCE_UNSPECIFIED, "name",
                       "must be views/residents, views/professionals or views/administrators");
    AreaKey scope = ValidateScope(request->scope(), "scope", violations);
    DayPeriod period = ResolvePeriod(request->has_start_time() ? &request->start_time() : nullptr,
                                     request->has_end_time() ? &request->end_time() : nullptr,
                                     violations);
    HERSTEL_RETURN_IF_ERROR(violations.ToStatus());
    bool exact = SeesExact(caller, scope, request->public_view());
    HERSTEL_ASSIGN_OR_RETURN(Answers answers, LatestAnswers(period, /*with_previous=*/true));
    const v1::ReportingSettings& settings = answers.settings;
    const PublishedPeriod& current = answers.current;
    const PublishedPeriod& previous = answers.previous;
    *response = RenderView(*current.publication, *previous.publication, scope, exact, audience,
                           settings.stable_band_percent());
    return absl::OkStatus();
  });
}

grpc::Status ReportingGrpcService::ListBacklogAlerts(grpc::ServerContext* context,
                                                     const v1::ListBacklogAlertsRequest* request,
                                                     v1::ListBacklogAlertsResponse* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_ASSIGN_OR_RETURN(
        Filter filter,
        Filter::Parse(request->filter(), {"municipality", "village", "track", "phase", "status"}));
    BacklogAlertQuery query;
    query.municipality = filter.Text("municipality");
    query.village = filter.Text("village");
    HERSTEL_ASSIGN_OR_RETURN(std::optional<v1::Track> track,
                             filter.EnumValue("track", &v1::Track_Parse));
    HERSTEL_ASSIGN_OR_RETURN(std::optional<v1::Phase> phase,
                             filter.EnumValue("phase", &v1::Phase_Parse));
    HERSTEL_ASSIGN_OR_RETURN(std::optional<v1::BacklogAlertStatus> status,
                             filter.EnumValue("status", &v1::BacklogAlertStatus_Parse));
    query.track = track.value_or(v1::TRACK_UNSPECIFIED);
    query.phase = phase.value_or(v1::PHASE_UNSPECIFIED);
    query.status = status.value_or(v1::BACKLOG_ALERT_STATUS_UNSPECIFIED);
    HERSTEL_ASSIGN_OR_RETURN(int page_size, EffectivePageSize(request->page_size()));
    HERSTEL_ASSIGN_OR_RETURN(std::string last,
                             DecodePageToken(request->page_token(), filter.Canonical()));
    if (!last.empty()) {
      std::pair<int64_t, int64_t> after;
      std::vector<std::string> parts = absl::StrSplit(last, ':');
      if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &after.first) ||
          !absl::SimpleAtoi(parts[1], &after.second)) {
        return FieldError("page_token", "is not a token of this list");
      }
      query.after = after;
    }
    query.limit = page_size + 1;
    std::vector<ListedAlert> alerts;
    HERSTEL_RETURN_IF_ERROR(store_.Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(alerts, ::herstel::reporting::ListBacklogAlerts(tx, query));
      return absl::OkStatus();
    }));
    for (size_t index = 0; index < alerts.size() && index < static_cast<size_t>(page_size);
         ++index) {
      v1::BacklogAlert alert = alerts[index].alert;
      RenderAlertFigures(alert,
                         SeesExact(caller, {alert.municipality(), ""}, request->public_view()));
      *response->add_backlog_alerts() = std::move(alert);
    }
    if (alerts.size() > static_cast<size_t>(page_size)) {
      const ListedAlert& last_shown = alerts[page_size - 1];
      response->set_next_page_token(EncodePageToken(
          absl::StrCat(last_shown.raise_micros, ":", last_shown.id), filter.Canonical()));
    }
    return absl::OkStatus();
  });
}

grpc::Status ReportingGrpcService::GetBacklogAlert(grpc::ServerContext* context,
                                                   const v1::GetBacklogAlertRequest* request,
                                                   v1::BacklogAlert* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_ASSIGN_OR_RETURN(int64_t id, ParseName(request->name(), "backlog-alerts/", "name"));
    std::optional<v1::BacklogAlert> alert;
    HERSTEL_RETURN_IF_ERROR(store_.Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(alert, LoadBacklogAlert(tx, id));
      return absl::OkStatus();
    }));
    if (!alert.has_value()) {
      return DomainError(absl::StatusCode::kNotFound, "BACKLOG_ALERT_NOT_FOUND",
                         absl::StrCat(request->name(), " does not exist"));
    }
    RenderAlertFigures(*alert,
                       SeesExact(caller, {alert->municipality(), ""}, request->public_view()));
    *response = std::move(*alert);
    return absl::OkStatus();
  });
}

grpc::Status ReportingGrpcService::GenerateAnnualReport(
    grpc::ServerContext* context, const v1::GenerateAnnualReportRequest* request,
    v1::AnnualReport* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(RequireRole(
        caller, {v1::ROLE_OPERATOR, v1::ROLE_NATIONAL_COORDINATOR}, "generate yearly reports"));
    FieldViolations violations;
    int32_t this_year = YearOf(absl::Now());
    violations.Require(request->year() >= kFirstReportYear && request->year() <= this_year,
                       "year", absl::StrCat("must be from ", kFirstReportYear, " to ", this_year));
    HERSTEL_RETURN_IF_ERROR(violations.ToStatus());
    HERSTEL_RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
    const int32_t year = request->year();
    // Published before the write transaction, so followers are not held up
    // while the suppression is solved.
    HERSTEL_ASSIGN_OR_RETURN(
        Answers answers,
        FreshAnswers(ReportYear(year), ReportYear(year - 1)));
    return RunIdempotent(
        store_, "/herstel.v1.ReportingService/GenerateAnnualReport", request->request_id(),
        *request, *response, [&](Transaction& tx) -> absl::Status {
          *response = RenderAnnualReport(year, *answers.current.publication,
                                         *answers.previous.publication,
                                         answers.settings.stable_band_percent());
          HERSTEL_ASSIGN_OR_RETURN(std::optional<v1::AnnualReport> existing,
                                   LoadAnnualReport(tx, year));
          response->set_name(absl::StrCat("annual-reports/", year));
          response->set_revision(existing.has_value() ? existing->revision() + 1 : 1);
          for (const v1::ReportingSourceCursor& cursor : answers.current.as_of) {
            *response->add_as_of() = cursor;
          }
          *response->mutable_generate_time() = ToTimestamp(absl::Now());
          HERSTEL_RETURN_IF_ERROR(SaveAnnualReport(tx, *response));
          v1::AnnualReportGenerated generated;
          generated.set_annual_report(response->name());
          generated.set_year(year);
          generated.set_revision(response->revision());
          return AppendEvent(tx, generated, response->name(),
                             {request->request_id(), caller.subject})
              .status();
        });
  });
}

grpc::Status ReportingGrpcService::GetAnnualReport(grpc::ServerContext* context,
                                                   const v1::GetAnnualReportRequest* request,
                                                   v1::AnnualReport* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller&) -> absl::Status {
    HERSTEL_ASSIGN_OR_RETURN(int64_t year, ParseName(request->name(), "annual-reports/", "name"));
    std::optional<v1::AnnualReport> report;
    HERSTEL_RETURN_IF_ERROR(store_.Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(report, LoadAnnualReport(tx, static_cast<int32_t>(year)));
      return absl::OkStatus();
    }));
    if (!report.has_value()) {
      return DomainError(absl::StatusCode::kNotFound, "ANNUAL_REPORT_NOT_FOUND",
                         absl::StrCat(request->name(),
                                      " has not been generated; call GenerateAnnualReport"));
    }
    *response = std::move(*report);
    return absl::OkStatus();
  });
}

grpc::Status ReportingGrpcService::ListAnnualReports(grpc::ServerContext* context,
                                                     const v1::ListAnnualReportsRequest* request,
                                                     v1::ListAnnualReportsResponse* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller&) -> absl::Status {
    HERSTEL_ASSIGN_OR_RETURN(Filter filter, Filter::Parse(request->filter(), {"year"}));
    HERSTEL_ASSIGN_OR_RETURN(std::optional<int64_t> year, filter.Integer("year"));
    HERSTEL_ASSIGN_OR_RETURN(int page_size, EffectivePageSize(request->page_size()));
    HERSTEL_ASSIGN_OR_RETURN(std::string last,
                             DecodePageToken(request->page_token(), filter.Canonical()));
    int32_t before_year = 0;
    if (!last.empty() && !absl::SimpleAtoi(last, &before_year)) {
      return FieldError("page_token", "is not a token of this list");
    }
    std::vector<v1::AnnualReport> reports;
    HERSTEL_RETURN_IF_ERROR(store_.Read([&](Transaction& tx) -> absl::Status {
      std::optional<int32_t> only;
      if (year.has_value()) only = static_cast<int32_t>(*year);
      HERSTEL_ASSIGN_OR_RETURN(
          reports, ::herstel::reporting::ListAnnualReports(tx, only, before_year, page_size + 1));
      return absl::OkStatus();
    }));
    for (size_t index = 0; index < reports.size() && index < static_cast<size_t>(page_size);
         ++index) {
      *response->add_annual_reports() = reports[index];
    }
    if (reports.size() > static_cast<size_t>(page_size)) {
      response->set_next_page_token(
          EncodePageToken(absl::StrCat(reports[page_size - 1].year()), filter.Canonical()));
    }
    return absl::OkStatus();
  });
}

grpc::Status ReportingGrpcService::GetFollowerStatus(grpc::ServerContext* context,
                                                     const v1::GetFollowerStatusRequest*,
                                                     v1::FollowerStatus* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(
        RequireRole(caller, {v1::ROLE_OPERATOR, v1::ROLE_AUDITOR}, "read the follower status"));
    HERSTEL_ASSIGN_OR_RETURN(*response, followers_.Status());
    return absl::OkStatus();
  });
}

grpc::Status ReportingGrpcService::GetReportingSettings(
    grpc::ServerContext* context, const v1::GetReportingSettingsRequest* request,
    v1::ReportingSettings* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller&) -> absl::Status {
    if (request->name() != kSettingsName) {
      return FieldError("name", "must be \"reporting-settings\"");
    }
    return store_.Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(*response, LoadSettings(tx));
      return absl::OkStatus();
    });
  });
}

grpc::Status ReportingGrpcService::UpdateReportingSettings(
    grpc::ServerContext* context, const v1::UpdateReportingSettingsRequest* request,
    v1::ReportingSettings* response) {
  return ServeAuthenticated(*context, key_, kDomain, [&](const Caller& caller) -> absl::Status {
    HERSTEL_RETURN_IF_ERROR(RequireRole(caller, {v1::ROLE_OPERATOR}, "change reporting settings"));
    FieldViolations violations;
    std::set<std::string> paths(request->update_mask().paths().begin(),
                                request->update_mask().paths().end());
    if (paths.empty()) paths = {"suppression_threshold", "backlog_weeks", "stable_band_percent"};
    for (const std::string& path : paths) {
      violations.Require(path == "suppression_threshold" || path == "backlog_weeks" ||
                             path == "stable_band_percent",
                         "update_mask",
                         absl::StrCat("'", absl::string_view(path).substr(0, 64),
                                      "' can't be changed; allowed: "
                                                 "suppression_threshold, backlog_weeks, "
                                                 "stable_band_percent"));
    }
    const v1::ReportingSettings& wanted = request->settings();
    if (paths.count("suppression_threshold") > 0) {
      violations.Require(wanted.suppression_threshold() >= 2 && wanted.suppression_threshold() <= 100,
                         "settings.suppression_threshold", "must be from 2 to 100");
    }
    if (paths.count("backlog_weeks") > 0) {
      violations.Require(wanted.backlog_weeks() >= 2 && wanted.backlog_weeks() <= 52,
                         "settings.backlog_weeks", "must be from 2 to 52");
    }
    if (paths.count("stable_band_percent") > 0) {
      violations.Require(wanted.stable_band_percent() >= 0 && wanted.stable_band_percent() <= 100,
                         "settings.stable_band_percent", "must be from 0 to 100");
    }
    violations.Require(!wanted.etag().empty(), "settings.etag",
                       "is required: send the etag of the settings you read");
    HERSTEL_RETURN_IF_ERROR(violations.ToStatus());
    return RunIdempotent(
        store_, "/herstel.v1.ReportingService/UpdateReportingSettings", request->request_id(),
        *request, *response, [&](Transaction& tx) -> absl::Status {
          HERSTEL_ASSIGN_OR_RETURN(v1::ReportingSettings settings, LoadSettings(tx));
          if (settings.etag() != wanted.etag()) {
            return DomainError(absl::StatusCode::kAborted, "ETAG_MISMATCH",
                               "the settings changed since you read them; read them again",
                               {{"current_etag", settings.etag()}});
          }
          if (paths.count("suppression_threshold") > 0) {
            settings.set_suppression_threshold(wanted.suppression_threshold());
          }
          if (paths.count("backlog_weeks") > 0) settings.set_backlog_weeks(wanted.backlog_weeks());
          if (paths.count("stable_band_percent") > 0) {
            settings.set_stable_band_percent(wanted.stable_band_percent());
          }
          int64_t revision = 0;
          (void)absl::SimpleAtoi(settings.etag(), &revision);
          settings.set_etag(absl::StrCat(revision + 1));
          *settings.mutable_update_time() = ToTimestamp(absl::Now());
          HERSTEL_RETURN_IF_ERROR(SaveSettings(tx, settings));
          v1::ReportingSettingsUpdated updated;
          updated.set_suppression_threshold(settings.suppression_threshold());
          updated.set_backlog_weeks(settings.backlog_weeks());
          updated.set_stable_band_percent(settings.stable_band_percent());
          HERSTEL_RETURN_IF_ERROR(
              AppendEvent(tx, updated, kSettingsName, {request->request_id(), caller.subject})
                  .status());
          *response = settings;
          return absl::OkStatus();
        });
  });
}

}  // namespace herstel::reporting
