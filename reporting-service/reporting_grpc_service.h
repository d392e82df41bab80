// The ReportingService over gRPC: authenticates every call, validates the
// request, reads the aggregates and renders the answer, mapping errors once.
// Public callers (and internal callers outside their scope, or asking for
// public_view) get the suppressed rendering; see reporting_service.proto.
// The monitor and the views answer from a period's last publication, which
// is refreshed in the background as events arrive (see published_periods.h);
// as_of says which events it reflects.
#ifndef HERSTEL_REPORTING_REPORTING_GRPC_SERVICE_H_
#define HERSTEL_REPORTING_REPORTING_GRPC_SERVICE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "domain/publication.h"
#include "herstel/identity.h"
#include "herstel/outbox.h"
#include "herstel/store.h"
#include "herstel/v1/reporting_service.grpc.pb.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"
#include "published_periods.h"
#include "reporting_followers.h"

namespace herstel::reporting {

class ReportingGrpcService : public WithWatchEvents<v1::ReportingService::Service> {
 public:
  // Counts publications in `registry`; keeps the standing periods
  // (StandingPeriods) published, checking every `standing_interval`.
  ReportingGrpcService(Store& store, const TokenKey& key, ReportingFollowers& followers,
                       prometheus::Registry& registry, absl::Duration standing_interval);

  grpc::Status GetMonitor(grpc::ServerContext* context, const v1::GetMonitorRequest* request,
                          v1::Monitor* response) override;
  grpc::Status GetThreeQuestions(grpc::ServerContext* context,
                                 const v1::GetThreeQuestionsRequest* request,
                                 v1::ThreeQuestions* response) override;
  grpc::Status ListViews(grpc::ServerContext* context, const v1::ListViewsRequest* request,
                         v1::ListViewsResponse* response) override;
  grpc::Status GetView(grpc::ServerContext* context, const v1::GetViewRequest* request,
                       v1::IndicatorView* response) override;
  grpc::Status ListBacklogAlerts(grpc::ServerContext* context,
                                 const v1::ListBacklogAlertsRequest* request,
                                 v1::ListBacklogAlertsResponse* response) override;
  grpc::Status GetBacklogAlert(grpc::ServerContext* context,
                               const v1::GetBacklogAlertRequest* request,
                               v1::BacklogAlert* response) override;
  grpc::Status GenerateAnnualReport(grpc::ServerContext* context,
                                    const v1::GenerateAnnualReportRequest* request,
                                    v1::AnnualReport* response) override;
  grpc::Status GetAnnualReport(grpc::ServerContext* context,
                               const v1::GetAnnualReportRequest* request,
                               v1::AnnualReport* response) override;
  grpc::Status ListAnnualReports(grpc::ServerContext* context,
                                 const v1::ListAnnualReportsRequest* request,
                                 v1::ListAnnualReportsResponse* response) override;
  grpc::Status GetFollowerStatus(grpc::ServerContext* context,
                                 const v1::GetFollowerStatusRequest* request,
                                 v1::FollowerStatus* response) override;
  grpc::Status GetReportingSettings(grpc::ServerContext* context,
                                    const v1::GetReportingSettingsRequest* request,
                                    v1::ReportingSettings* response) override;
  grpc::Status UpdateReportingSettings(grpc::ServerContext* context,
                                       const v1::UpdateReportingSettingsRequest* request,
                                       v1::ReportingSettings* response) override;

 private:
  // Reads `key`'s figures and the cursors they reflect, then takes the
  // stored suppression pattern when it was solved for the same figures, or
  // solves it (outside the store's lock: followers keep applying meanwhile)
  // and stores it.
  absl::StatusOr<PublishedPeriod> Publish(const PeriodKey& key);
  // Kept published in the background: this year to date and the same days a
  // year before (the monitor and the three questions when no period is
  // named), and last year and the year before (the next yearly report).
  // None while a source is more than a batch behind (a rebuild).
  std::vector<PeriodKey> StandingPeriods();
  // The settings and the source cursors now (PublishedPeriod::cursors'
  // form), read in one transaction.
  struct SettingsAndCursors {
    v1::ReportingSettings settings;
    std::string cursors;
  };
  absl::StatusOr<SettingsAndCursors> ReadSettingsAndCursors();
  // The settings now and the last publications of `period` (and of the
  // period before it when `with_previous`), see PublishedPeriods::Latest.
  struct Answers {
    v1::ReportingSettings settings;
    PublishedPeriod current;
    PublishedPeriod previous;
  };
  absl::StatusOr<Answers> LatestAnswers(const DayPeriod& period, bool with_previous);
  // The same for `period` and `previous`, reflecting the cursors now.
  absl::StatusOr<Answers> FreshAnswers(const DayPeriod& period, const DayPeriod& previous);
  using PublishedPeriodOf = absl::StatusOr<PublishedPeriod> (PublishedPeriods::*)(
      const PeriodKey&, const std::string&);
  absl::StatusOr<Answers> Answer(const DayPeriod& period,
                                 const std::optional<DayPeriod>& previous,
                                 PublishedPeriodOf publication);

  ReportingFollowers& followers_;
  prometheus::Counter& solved_;
  prometheus::Counter& reused_;
  PublishedPeriods published_;
};

}  // namespace herstel::reporting

#endif  // HERSTEL_REPORTING_REPORTING_GRPC_SERVICE_H_
