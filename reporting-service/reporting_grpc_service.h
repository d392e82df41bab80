// The ReportingService over gRPC: authenticates every call, validates the
// request, reads the aggregates and renders the answer, mapping errors once.
// Public callers (and internal callers outside their scope, or asking for
// public_view) get the suppressed rendering; see reporting_service.proto.
#ifndef HERSTEL_REPORTING_REPORTING_GRPC_SERVICE_H_
#define HERSTEL_REPORTING_REPORTING_GRPC_SERVICE_H_

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "domain/publication.h"
#include "herstel/identity.h"
#include "herstel/outbox.h"
#include "herstel/store.h"
#include "herstel/v1/reporting_service.grpc.pb.h"
#include "reporting_followers.h"

namespace herstel::reporting {

class ReportingGrpcService : public WithWatchEvents<v1::ReportingService::Service> {
 public:
  ReportingGrpcService(Store& store, const TokenKey& key, ReportingFollowers& followers);

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
  // A period's figures for every area, published at the current settings,
  // with the source cursors they reflect.
  struct Snapshot {
    std::shared_ptr<const Publication> publication;
    std::vector<v1::ReportingSourceCursor> as_of;
  };
  absl::StatusOr<Snapshot> Publish(const DayPeriod& period, int64_t threshold);

  ReportingFollowers& followers_;
  absl::Mutex cache_mutex_;
  // Recently published periods, keyed by period, threshold and cursors, so
  // repeated questions about the same figures are answered without solving again.
  struct CacheEntry {
    std::string key;
    Snapshot snapshot;
  };
  std::deque<CacheEntry> cache_ ABSL_GUARDED_BY(cache_mutex_);
};

}  // namespace herstel::reporting

#endif  // HERSTEL_REPORTING_REPORTING_GRPC_SERVICE_H_
