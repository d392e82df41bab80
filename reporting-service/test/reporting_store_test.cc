// The store over a real SQLite file: a generated story of real events goes
// in through the follower's transaction, and every figure that comes out is
// checked against an independent count of the same story. Backlog alerts,
// which need weeks to pass, are also read over gRPC from the service in
// process.
#include "store/reporting_store.h"

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "domain/publication.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/server_builder.h"
#include "herstel/identity.h"
#include "prometheus/registry.h"
#include "reporting_followers.h"
#include "reporting_grpc_service.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store_backends.h"
#include "herstel/follower.h"
#include "herstel/outbox.h"
#include "herstel/status_macros.h"
#include "herstel/status_matchers.h"
#include "test/test_events.h"

namespace herstel::reporting {
namespace {

using ::herstel::testing::IsOk;
using testing::ExpectedArea;
using testing::Story;

// Runs on SQLite and on PostgreSQL.
class ReportingStoreTest : public ::testing::TestWithParam<::herstel::testing::StoreBackend> {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/reporting-store-test-XXXXXX";
    directory_ = mkdtemp(pattern);
    absl::StatusOr<std::unique_ptr<Store>> store =
        ::herstel::testing::OpenFreshStore(GetParam(), directory_, "reporting", ReportingMigrations());
    ASSERT_THAT(store, IsOk());
    store_ = std::move(*store);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(directory_);
  }

  // Backlog alerts (4 weeks) evaluated at `now`: the alerts raised or cleared.
  int EvaluateBacklogsAt(absl::Time now) {
    int changes = 0;
    EXPECT_THAT(store_->Write([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(changes, EvaluateBacklogs(tx, now, 4));
      return absl::OkStatus();
    }),
                IsOk());
    return changes;
  }

  // The Monday of the first of four weeks in which 1, 2, 3 and 4 cases enter
  // inspection (strengthening) in Oldambt's village Scheemda: cases/1..10,
  // events numbered on from the ones delivered before.
  absl::Time GrowInspectionBacklog() {
    absl::Time monday = DayStart(WeekStartDay(DayNumber(YearStart(2025) + absl::Hours(24 * 14))));
    int number = 0;
    for (int week = 0; week < 4; ++week) {
      for (int i = 0; i <= week; ++i) {
        v1::CaseCreated created;
        created.set_case_(absl::StrCat("cases/", ++number));
        created.set_municipality("municipalities/oldambt");
        created.set_village("municipalities/oldambt/villages/scheemda");
        auto* track = created.add_tracks();
        track->set_track(v1::TRACK_STRENGTHENING);
        track->set_phase(v1::PHASE_INSPECTION);
        track->set_state(v1::CASE_TRACK_STATE_ACTIVE);
        Deliver("case-service",
                testing::ToEvent({"case-service", created.case_(),
                                  monday + absl::Hours(24 * 7 * week + 10 + i),
                                  std::make_shared<v1::CaseCreated>(created)},
                                 NextSequence("case-service")));
      }
    }
    return monday;
  }

  // What EventFollower does with one delivered event.
  void Deliver(const std::string& source, const v1::Event& event) {
    ASSERT_THAT(store_->Write([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(int64_t cursor, LoadCursor(tx, source));
      if (event.sequence() <= cursor) return absl::OkStatus();
      HERSTEL_RETURN_IF_ERROR(ApplySourceEvents(tx, source, {event}));
      return SaveCursor(tx, source, event.sequence());
    }),
                IsOk());
  }

  // The next event sequence of `source`: events delivered in one test are
  // numbered on across stories.
  int64_t NextSequence(const std::string& source) { return ++sequences_[source]; }

  void DeliverStory(const Story& story, bool twice = false) {
    for (const auto& each : story.events()) {
      v1::Event event = testing::ToEvent(each, NextSequence(each.source));
      Deliver(each.source, event);
      if (twice) Deliver(each.source, event);
    }
  }

  PeriodFigures Load(const DayPeriod& period) {
    PeriodFigures figures;
    EXPECT_THAT(store_->Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(figures, LoadPeriodFigures(tx, period, std::nullopt));
      return absl::OkStatus();
    }),
                IsOk());
    return figures;
  }

  void ExpectMonitorMatches(const v1::Monitor& monitor, const ExpectedArea& expected,
                            bool with_escalations) {
    for (const v1::MonitorPhaseCount& row : monitor.phase_counts()) {
      auto found = expected.open_per_track_phase.find({row.track(), row.phase()});
      int64_t want = found == expected.open_per_track_phase.end() ? 0 : found->second;
      EXPECT_EQ(row.cases().value(), want) << row.track() << "/" << row.phase();
    }
    int64_t opened = 0;
    int64_t closed = 0;
    for (const v1::MonitorWeeklyFlow& flow : monitor.weekly_flows()) {
      if (flow.track() != v1::TRACK_UNSPECIFIED) continue;
      opened += flow.inflow().value();
      closed += flow.outflow().value();
    }
    EXPECT_EQ(opened, expected.opened);
    EXPECT_EQ(closed, expected.closed);
    for (auto flow = monitor.weekly_flows().rbegin(); flow != monitor.weekly_flows().rend(); ++flow) {
      if (flow->track() != v1::TRACK_UNSPECIFIED) continue;
      EXPECT_EQ(flow->stock().value(), expected.open_cases);  // the last week's whole-case stock
      break;
    }
    const auto& contacts = monitor.contact_persons();
    EXPECT_EQ(contacts.one_contact_person().denominator().value(), expected.open_cases);
    EXPECT_EQ(contacts.one_contact_person().numerator().value(), expected.one_contact);
    EXPECT_EQ(contacts.handovers().value(), expected.handovers);
    EXPECT_EQ(monitor.plans().covers_all_open_tracks().numerator().value(), expected.covers_all);
    EXPECT_EQ(monitor.bottlenecks().raised().value(), expected.bottlenecks_raised);
    EXPECT_EQ(monitor.bottlenecks().solved().value(), expected.bottlenecks_solved);
    EXPECT_EQ(monitor.bottlenecks().open().value(),
              expected.bottlenecks_raised - expected.bottlenecks_solved);
    EXPECT_EQ(monitor.decisions().within_mandate().value(), expected.decisions_within);
    EXPECT_EQ(monitor.decisions().escalated().value(), expected.decisions_escalated);
    if (with_escalations) {
      ASSERT_GE(monitor.escalations_size(), 1);
      EXPECT_EQ(monitor.escalations(0).open().value(), expected.escalations_open_local);
      EXPECT_EQ(monitor.escalations(0).arrived().value(), expected.escalations_open_local);
    }
    for (const v1::MonitorLeadTime& row : monitor.lead_times()) {
      auto found = expected.lead_times.find({row.track(), row.phase()});
      if (found == expected.lead_times.end()) {
        EXPECT_EQ(row.median().sample_size().value(), 0);
        continue;
      }
      EXPECT_EQ(row.median().sample_size().value(), static_cast<int64_t>(found->second.size()));
      EXPECT_DOUBLE_EQ(row.median().days(), testing::ExactPercentileDays(found->second, 50));
      EXPECT_DOUBLE_EQ(row.p90().days(), testing::ExactPercentileDays(found->second, 90));
    }
  }

  std::string directory_;
  std::unique_ptr<Store> store_;
  std::map<std::string, int64_t> sequences_;  // last delivered sequence per source
};

const absl::Time kStart = YearStart(2025) + absl::Hours(24 * 30);

TEST_P(ReportingStoreTest, EveryFigureMatchesAnIndependentCount) {
  Story story(400, kStart, 11);
  DeliverStory(story);
  absl::Time end = YearStart(2026);
  auto figures = std::make_shared<PeriodFigures>(Load(ToDayPeriod(YearStart(2025), end)));
  Publication publication(figures, 10);
  for (const char* municipality : Story::kMunicipalities) {
    ExpectMonitorMatches(RenderMonitor(publication, {municipality, ""}, true, {}),
                         story.Expect(municipality, "", end), true);
    std::string village = Story::Village(municipality, 1);
    ExpectMonitorMatches(RenderMonitor(publication, {municipality, village}, true, {}),
                         story.Expect(municipality, village, end), false);
  }
  v1::Monitor region = RenderMonitor(publication, {}, true, {});
  ExpectMonitorMatches(region, story.Expect("", "", end), true);
  EXPECT_EQ(region.inspection_requests().waiting().value(), story.Expect("", "", end).inspections_waiting);
}

TEST_P(ReportingStoreTest, ACaseWithHandoversCountsOncePerAreaAlsoAfterMovingVillage) {
  const std::string eemsdelta = Story::kMunicipalities[0];
  const std::string oldambt = Story::kMunicipalities[1];
  const std::string first = Story::Village(eemsdelta, 1);
  const std::string second = Story::Village(eemsdelta, 2);
  const std::string elsewhere = Story::Village(oldambt, 1);
  absl::Time at = kStart;
  auto deliver = [&](const std::string& resource, const google::protobuf::Message& payload) {
    at += absl::Hours(25);  // each event on a day of its own
    std::shared_ptr<google::protobuf::Message> copy(payload.New());
    copy->CopyFrom(payload);
    Deliver("case-service",
            testing::ToEvent({"case-service", resource, at, copy}, NextSequence("case-service")));
  };
  auto create = [&](const std::string& name, const std::string& municipality,
                    const std::string& village) {
    v1::CaseCreated created;
    created.set_case_(name);
    created.set_municipality(municipality);
    created.set_village(village);
    v1::CaseTrackPhase& track = *created.add_tracks();
    track.set_track(v1::TRACK_STRENGTHENING);
    track.set_phase(v1::PHASE_INTAKE);
    track.set_state(v1::CASE_TRACK_STATE_ACTIVE);
    deliver(name, created);
  };
  auto hand_over = [&](const std::string& name) {
    v1::ContactPersonHandedOver handover;
    handover.set_case_(name);
    handover.mutable_from()->set_subject("cm-a");
    handover.mutable_to()->set_subject("cm-b");
    deliver(name, handover);
  };
  create("cases/1", eemsdelta, first);
  create("cases/2", eemsdelta, second);
  create("cases/3", oldambt, elsewhere);
  hand_over("cases/1");
  hand_over("cases/1");  // the same case again, on another day
  v1::CaseUpdated moved;
  moved.set_case_("cases/1");
  moved.set_village(second);
  deliver("cases/1", moved);
  const absl::Time moved_at = at;  // a day after the last handover
  hand_over("cases/1");  // now in the second village
  hand_over("cases/2");
  hand_over("cases/3");

  struct Want {
    AreaKey area;
    int64_t handovers;
    int64_t cases;  // with a handover
  };
  auto expect = [&](const DayPeriod& period, const std::vector<Want>& wanted) {
    PeriodFigures figures = Load(period);
    const FigureLayout layout = figures.layout();
    for (const Want& want : wanted) {
      SCOPED_TRACE(absl::StrCat("'", want.area.municipality, "/", want.area.village, "' from day ",
                                period.start_day));
      ASSERT_EQ(figures.areas.count(want.area), 1u);
      const std::vector<int64_t>& cells = figures.areas.at(want.area).cells;
      EXPECT_EQ(cells[layout.Get(Scalar::kHandovers)], want.handovers);
      EXPECT_EQ(cells[layout.Get(Scalar::kCasesWithHandover)], want.cases);
    }
    // One area at a time (GetMonitor) reads the same counts.
    for (const Want& want : wanted) {
      PeriodFigures alone;
      ASSERT_THAT(store_->Read([&](Transaction& tx) -> absl::Status {
        HERSTEL_ASSIGN_OR_RETURN(alone, LoadPeriodFigures(tx, period, want.area));
        return absl::OkStatus();
      }),
                  IsOk());
      ASSERT_EQ(alone.areas.count(want.area), 1u);
      EXPECT_EQ(alone.areas.at(want.area).cells[layout.Get(Scalar::kCasesWithHandover)], want.cases)
          << want.area.municipality << "/" << want.area.village;
    }
  };
  const DayPeriod year = ToDayPeriod(YearStart(2025), YearStart(2026));
  expect(year, {{{"", ""}, 5, 3},
                {{eemsdelta, ""}, 4, 2},
                {{eemsdelta, first}, 2, 1},
                {{eemsdelta, second}, 2, 2},
                {{oldambt, ""}, 1, 1},
                {{oldambt, elsewhere}, 1, 1}});
  // From the move on, the first village saw no handover.
  const DayPeriod after_the_move = ToDayPeriod(moved_at, YearStart(2026));
  expect(after_the_move, {{{"", ""}, 3, 3},
                          {{eemsdelta, ""}, 2, 2},
                          {{eemsdelta, second}, 2, 2}});
}

TEST_P(ReportingStoreTest, AnEarlierPeriodSeesOnlyWhatHadHappenedByThen) {
  Story story(300, kStart, 12);
  DeliverStory(story);
  absl::Time end = kStart + absl::Hours(24 * 40);
  auto figures = std::make_shared<PeriodFigures>(Load(ToDayPeriod(YearStart(2025), end)));
  Publication publication(figures, 10);
  // The period ends at a day boundary: the independent count uses the same.
  absl::Time day_end = DayStart(ToDayPeriod(YearStart(2025), end).end_day);
  ExpectMonitorMatches(RenderMonitor(publication, {}, true, {}), story.Expect("", "", day_end), true);
}

TEST_P(ReportingStoreTest, DuplicateDeliveriesAreNotCountedTwice) {
  Story story(150, kStart, 13);
  DeliverStory(story, /*twice=*/true);
  absl::Time end = YearStart(2026);
  auto figures = std::make_shared<PeriodFigures>(Load(ToDayPeriod(YearStart(2025), end)));
  Publication publication(figures, 10);
  ExpectMonitorMatches(RenderMonitor(publication, {}, true, {}), story.Expect("", "", end), true);
}

TEST_P(ReportingStoreTest, ACounterDimensionBeyondThirtyTwoBitsIsRefusedAndNothingIsWritten) {
  absl::Status written = store_->Write([&](Transaction& tx) -> absl::Status {
    AggregateBatch batch(tx);
    HERSTEL_RETURN_IF_ERROR(batch.AddCount(metric::kHandover, AreaKey{}, 0, 0, 0, 20000, 1));
    HERSTEL_RETURN_IF_ERROR(batch.AddCount(metric::kLeadTime, AreaKey{}, 1, int64_t{1} << 40, 0, 20000, 1));
    return batch.Flush();
  });
  EXPECT_EQ(written.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(written.message(), ::testing::HasSubstr("'lead' does not fit 32 bits"));
  int64_t counted = -1;
  ASSERT_THAT(store_->Read([&](Transaction& tx) {
    counted = 0;
    return ReadDayCounters(tx, 0, 100000, std::nullopt,
                           [&](const AreaKey&, int64_t, const Counter&) { ++counted; });
  }),
              IsOk());
  EXPECT_EQ(counted, 0);
}

TEST_P(ReportingStoreTest, KeptCaseStatesAreDroppedWhenATransactionRollsBackOrAnotherReplicaApplied) {
  // Two replicas' followers, each keeping case states across its
  // transactions, take turns (three transactions each); every fifth
  // transaction rolls back and is applied again. Kept states that missed a
  // transaction must not be used. Batches of 370 events are large enough
  // for their shards to run on threads, as in a rebuild.
  Story story(300, kStart, 16);
  std::map<std::string, std::vector<v1::Event>> streams;
  for (const auto& each : story.events()) {
    streams[each.source].push_back(testing::ToEvent(each, NextSequence(each.source)));
  }
  constexpr size_t kBatch = 370;
  KeptStates replicas[2];
  int batches = 0;
  for (const auto& [source, events] : streams) {
    for (size_t from = 0; from < events.size(); from += kBatch, ++batches) {
      absl::Span<const v1::Event> batch = absl::MakeConstSpan(events).subspan(from, kBatch);
      KeptStates* kept = KeepsCaseStates(source) ? &replicas[batches / 3 % 2] : nullptr;
      auto apply = [&](Transaction& tx) -> absl::Status {
        HERSTEL_RETURN_IF_ERROR(ApplySourceEvents(tx, source, batch, kept));
        return SaveCursor(tx, source, batch.back().sequence());
      };
      if (batches % 5 == 4) {
        EXPECT_THAT(store_->Write([&](Transaction& tx) -> absl::Status {
          HERSTEL_RETURN_IF_ERROR(apply(tx));
          return absl::AbortedError("the commit fails");
        }),
                    ::testing::Not(IsOk()));
      }
      ASSERT_THAT(store_->Write(apply), IsOk());
    }
  }
  absl::Time end = YearStart(2026);
  auto figures = std::make_shared<PeriodFigures>(Load(ToDayPeriod(YearStart(2025), end)));
  Publication publication(figures, 10);
  ExpectMonitorMatches(RenderMonitor(publication, {}, true, {}), story.Expect("", "", end), true);
  for (const char* municipality : Story::kMunicipalities) {
    std::string village = Story::Village(municipality, 1);
    ExpectMonitorMatches(RenderMonitor(publication, {municipality, village}, true, {}),
                         story.Expect(municipality, village, end), false);
  }
}

TEST_P(ReportingStoreTest, NoHiddenCellIsPinnedAsTheRegionGrows) {
  // Stories of several sizes land one after another in the same store, so
  // the region goes from a few cases per municipality to hundreds; after
  // each, the public rendering of the year and of five weeks pins nothing.
  int seed = 40;
  for (int cases : {8, 40, 150, 400}) {
    DeliverStory(Story(cases, kStart, ++seed));
    for (const DayPeriod& period : {ToDayPeriod(YearStart(2025), YearStart(2026)),
                                    ToDayPeriod(kStart, kStart + absl::Hours(24 * 7 * 5))}) {
      Publication publication(std::make_shared<PeriodFigures>(Load(period)), 10);
      EXPECT_THAT(publication.PinnedCells(), ::testing::IsEmpty())
          << "after the story of " << cases << " cases, days " << period.start_day << "-"
          << period.end_day;
    }
  }
}

TEST_P(ReportingStoreTest, PublicMonitorHidesEverySmallCount) {
  Story story(120, kStart, 14);
  DeliverStory(story);
  auto figures = std::make_shared<PeriodFigures>(Load(ToDayPeriod(YearStart(2025), YearStart(2026))));
  Publication publication(figures, 10);
  // The solver's own derivation over every area at once pins no hidden cell.
  EXPECT_THAT(publication.PinnedCells(), ::testing::IsEmpty());
  for (const auto& [area, unused] : figures->areas) {
    v1::Monitor exact = RenderMonitor(publication, area, true, {});
    v1::Monitor published = RenderMonitor(publication, area, false, {});
    ASSERT_EQ(exact.phase_counts_size(), published.phase_counts_size());
    for (int row = 0; row < exact.phase_counts_size(); ++row) {
      int64_t value = exact.phase_counts(row).cases().value();
      const v1::CountFigure& shown = published.phase_counts(row).cases();
      if (value > 0 && value < 10) {
        EXPECT_TRUE(shown.suppressed());
        EXPECT_EQ(shown.value(), 0);
        // "<10", or not published as a part of a track whose total is small.
        if (shown.suppression() == v1::FIGURE_SUPPRESSION_PRIMARY) {
          EXPECT_EQ(shown.display(), "<10");
        } else {
          EXPECT_EQ(shown.suppression(), v1::FIGURE_SUPPRESSION_NOT_PUBLISHED);
          EXPECT_EQ(shown.display(), "x");
        }
      }
      // The internal rendering says what the public sees.
      EXPECT_EQ(exact.phase_counts(row).cases().suppression(), shown.suppression());
      if (!shown.suppressed()) {
        EXPECT_EQ(shown.value(), value);
      }
    }
    // Weekly flows per track and phase are for internal callers only.
    EXPECT_GT(exact.weekly_flows_size(), published.weekly_flows_size());
    for (const v1::MonitorWeeklyFlow& flow : published.weekly_flows()) {
      EXPECT_EQ(flow.track(), v1::TRACK_UNSPECIFIED);
      EXPECT_EQ(flow.phase(), v1::PHASE_UNSPECIFIED);
    }
  }
}

TEST_P(ReportingStoreTest, AStoredSuppressionPatternIsTakenOnlyForTheFiguresItWasSolvedFor) {
  Story story(120, kStart, 15);
  DeliverStory(story);
  const DayPeriod year = ToDayPeriod(YearStart(2025), YearStart(2026));
  auto figures = std::make_shared<PeriodFigures>(Load(year));
  Publication solved(figures, 10);
  const std::string digest = SuppressionDigest(*figures, 10);
  ASSERT_THAT(store_->Write([&](Transaction& tx) {
    return SaveSuppressionPattern(tx, year, 10, digest, solved.pattern(), absl::Now());
  }),
              IsOk());
  auto load = [&](const DayPeriod& period, int64_t threshold, const std::string& wanted) {
    std::optional<std::vector<CellSuppression>> pattern;
    EXPECT_THAT(store_->Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(pattern, LoadSuppressionPattern(tx, period, threshold, wanted));
      return absl::OkStatus();
    }),
                IsOk());
    return pattern;
  };
  std::optional<std::vector<CellSuppression>> stored = load(year, 10, digest);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(*stored, solved.pattern());
  EXPECT_GT(std::count(stored->begin(), stored->end(), CellSuppression::kSecondary), 0);
  absl::StatusOr<std::shared_ptr<const Publication>> reused =
      Publication::FromPattern(figures, 10, *std::move(stored));
  ASSERT_THAT(reused, IsOk());
  for (const auto& [area, unused] : figures->areas) {
    EXPECT_EQ(RenderMonitor(**reused, area, false, {}).SerializeAsString(),
              RenderMonitor(solved, area, false, {}).SerializeAsString());
  }

  // Other cell values, another threshold, another period: not the same figures.
  PeriodFigures changed = *figures;
  changed.areas.begin()->second.cells[0] += 1;
  EXPECT_NE(SuppressionDigest(changed, 10), digest);
  EXPECT_NE(SuppressionDigest(*figures, 11), digest);
  EXPECT_FALSE(load(year, 10, SuppressionDigest(changed, 10)).has_value());
  EXPECT_FALSE(load(year, 11, digest).has_value());
  EXPECT_FALSE(load(ToDayPeriod(YearStart(2025), YearStart(2025) + absl::Hours(24 * 90)), 10,
                    digest)
                   .has_value());
  // A pattern that does not fit the figures is refused, not misapplied.
  EXPECT_FALSE(Publication::FromPattern(figures, 10, {CellSuppression::kPrimary}).ok());
}

TEST_P(ReportingStoreTest, OnlyTheMostRecentlySavedPatternsAreKept) {
  const std::vector<CellSuppression> pattern = {CellSuppression::kNone, CellSuppression::kPrimary};
  const absl::Time first = absl::Now();
  for (int period = 0; period <= kKeptSuppressionPatterns; ++period) {
    ASSERT_THAT(store_->Write([&](Transaction& tx) {
      return SaveSuppressionPattern(tx, {period, period + 7}, 10, "digest", pattern,
                                    first + absl::Seconds(period));
    }),
                IsOk());
  }
  auto kept = [&](int period) {
    std::optional<std::vector<CellSuppression>> found;
    EXPECT_THAT(store_->Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(found, LoadSuppressionPattern(tx, {period, period + 7}, 10,
                                                             "digest"));
      return absl::OkStatus();
    }),
                IsOk());
    return found.has_value();
  };
  EXPECT_FALSE(kept(0));  // the oldest went
  EXPECT_TRUE(kept(1));
  EXPECT_TRUE(kept(kKeptSuppressionPatterns));
  std::optional<std::vector<CellSuppression>> newest;
  ASSERT_THAT(store_->Read([&](Transaction& tx) -> absl::Status {
    HERSTEL_ASSIGN_OR_RETURN(
        newest, LoadSuppressionPattern(tx, {kKeptSuppressionPatterns, kKeptSuppressionPatterns + 7},
                                       10, "digest"));
    return absl::OkStatus();
  }),
              IsOk());
  EXPECT_EQ(newest, pattern);
}

// Migrations 4 (counters as numbers) and 6 (item marks at their place)
// rebuild what the streams gave; everything else stays.
TEST_P(ReportingStoreTest, UpgradesThatRebuildFromTheStreamsKeepAlertsReportsSettingsAndPatterns) {
  for (size_t applied_before : {size_t{3}, size_t{5}}) {
    SCOPED_TRACE(absl::StrCat("upgrading from migration ", applied_before));
    absl::StatusOr<std::string> location = ::herstel::testing::FreshStoreLocation(
        GetParam(), directory_, absl::StrCat("upgraded-", applied_before));
    ASSERT_THAT(location, IsOk());
    MigrationSet before = ReportingMigrations();
    before.migrations.resize(applied_before);
    const DayPeriod year{20089, 20454};
    const std::vector<CellSuppression> pattern = {CellSuppression::kNone,
                                                  CellSuppression::kPrimary};
    {
      absl::StatusOr<std::unique_ptr<Store>> old = Store::Open(*location, before);
      ASSERT_THAT(old, IsOk());
      ASSERT_THAT((*old)->Write([&](Transaction& tx) -> absl::Status {
        HERSTEL_RETURN_IF_ERROR(tx.Execute(
            "INSERT INTO day_counters (municipality, village, day, cells) VALUES ('', '', 20100, "
            "'old'); INSERT INTO entity_states (name, state) VALUES ('cases/1', 'old'); INSERT "
            "INTO item_days (kind, municipality, village, day, item) VALUES ('handover_case', "
            "'', '', 20100, 'cases/1')"));
        HERSTEL_RETURN_IF_ERROR(SaveCursor(tx, "case-service", 42));
        v1::ReportingSettings settings;
        settings.set_suppression_threshold(12);
        HERSTEL_RETURN_IF_ERROR(SaveSettings(tx, settings));
        v1::AnnualReport report;
        report.set_name("annual-reports/2025");
        report.set_year(2025);
        report.set_revision(1);
        HERSTEL_RETURN_IF_ERROR(SaveAnnualReport(tx, report));
        return SaveSuppressionPattern(tx, year, 12, "digest", pattern, absl::Now());
      }),
                  IsOk());
    }
    absl::StatusOr<std::unique_ptr<Store>> upgraded = Store::Open(*location, ReportingMigrations());
    ASSERT_THAT(upgraded, IsOk());
    ASSERT_THAT((*upgraded)->Read([&](Transaction& tx) -> absl::Status {
      for (const char* table : {"day_counters", "entity_states", "item_days"}) {
        HERSTEL_ASSIGN_OR_RETURN(Statement count,
                                 tx.Prepare(absl::StrCat("SELECT COUNT(*) FROM ", table)));
        HERSTEL_ASSIGN_OR_RETURN(bool found, count.Step());
        EXPECT_TRUE(found);
        EXPECT_EQ(count.ColumnInt(0), 0) << table;
      }
      HERSTEL_ASSIGN_OR_RETURN(int64_t cursor, LoadCursor(tx, "case-service"));
      EXPECT_EQ(cursor, 0);  // followed again from the start
      HERSTEL_ASSIGN_OR_RETURN(v1::ReportingSettings settings, LoadSettings(tx));
      EXPECT_EQ(settings.suppression_threshold(), 12);
      HERSTEL_ASSIGN_OR_RETURN(std::optional<v1::AnnualReport> report,
                               LoadAnnualReport(tx, 2025));
      EXPECT_TRUE(report.has_value());
      HERSTEL_ASSIGN_OR_RETURN(std::optional<std::vector<CellSuppression>> kept,
                               LoadSuppressionPattern(tx, year, 12, "digest"));
      EXPECT_EQ(kept, pattern);
      return absl::OkStatus();
    }),
                IsOk());
  }
}

TEST_P(ReportingStoreTest, BacklogAlertIsRaisedAfterNGrowthWeeksAndClearedWhenItShrinks) {
  // Cases enter inspection in Oldambt week after week, then some leave.
  absl::Time monday = GrowInspectionBacklog();
  // Three complete weeks: not yet.
  EXPECT_EQ(EvaluateBacklogsAt(monday + absl::Hours(24 * 7 * 3 + 1)), 0);
  // The fourth complete week raises one alert for the village and one for the municipality.
  EXPECT_EQ(EvaluateBacklogsAt(monday + absl::Hours(24 * 7 * 4 + 1)), 2);
  std::vector<ListedAlert> alerts;
  ASSERT_THAT(store_->Read([&](Transaction& tx) -> absl::Status {
    HERSTEL_ASSIGN_OR_RETURN(alerts, ListBacklogAlerts(tx, BacklogAlertQuery{}));
    return absl::OkStatus();
  }),
              IsOk());
  ASSERT_EQ(alerts.size(), 2u);
  for (const ListedAlert& listed : alerts) {
    EXPECT_EQ(listed.alert.status(), v1::BACKLOG_ALERT_STATUS_ACTIVE);
    EXPECT_EQ(listed.alert.track(), v1::TRACK_STRENGTHENING);
    EXPECT_EQ(listed.alert.phase(), v1::PHASE_INSPECTION);
    EXPECT_EQ(listed.alert.consecutive_weeks(), 4);
    EXPECT_EQ(listed.alert.stock_at_start().value(), 0);
    EXPECT_EQ(listed.alert.stock_now().value(), 10);
    EXPECT_EQ(listed.alert.first_growth_week(), IsoWeekName(DayNumber(monday)));
  }
  // Week five: three cases move on to assessment: the alerts clear.
  for (int i = 1; i <= 3; ++i) {
    v1::PhaseAdvanced advanced;
    advanced.set_case_(absl::StrCat("cases/", i));
    advanced.set_track(v1::TRACK_STRENGTHENING);
    advanced.set_from_phase(v1::PHASE_INSPECTION);
    advanced.set_to_phase(v1::PHASE_ASSESSMENT);
    Deliver("case-service",
            testing::ToEvent({"case-service", advanced.case_(),
                              monday + absl::Hours(24 * 7 * 4 + 30),
                              std::make_shared<v1::PhaseAdvanced>(advanced)},
                             NextSequence("case-service")));
  }
  EXPECT_EQ(EvaluateBacklogsAt(monday + absl::Hours(24 * 7 * 5 + 1)), 2);
  std::vector<v1::Event> events;
  ASSERT_THAT(store_->Read([&](Transaction& tx) -> absl::Status {
    HERSTEL_ASSIGN_OR_RETURN(alerts, ListBacklogAlerts(tx, BacklogAlertQuery{}));
    HERSTEL_ASSIGN_OR_RETURN(events, ReadEvents(tx, 0, 100, {}));
    return absl::OkStatus();
  }),
              IsOk());
  for (const ListedAlert& listed : alerts) {
    EXPECT_EQ(listed.alert.status(), v1::BACKLOG_ALERT_STATUS_CLEARED);
    EXPECT_EQ(listed.alert.stock_now().value(), 7);
    EXPECT_TRUE(listed.alert.has_clear_time());
  }
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].type(), "herstel.v1.BacklogAlertRaised");
  EXPECT_EQ(events[3].type(), "herstel.v1.BacklogAlertCleared");
}

TEST_P(ReportingStoreTest, BacklogAlertsOverGrpcShowTheirStocksToInternalCallersOnly) {
  absl::Time monday = GrowInspectionBacklog();
  ASSERT_EQ(EvaluateBacklogsAt(monday + absl::Hours(24 * 7 * 4 + 1)), 2);
  // The service in process on a loopback port; its followers are not started.
  absl::StatusOr<TokenKey> key = TokenKey::FromSecret(std::string(32, 'k'));
  ASSERT_THAT(key, IsOk());
  prometheus::Registry registry;
  ReportingFollowers followers(*store_, *key, {}, registry, absl::Seconds(5));
  ReportingGrpcService service(*store_, *key, followers, registry, absl::InfiniteDuration());
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  auto stub = v1::ReportingService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  auto context_for = [&](grpc::ClientContext& context, v1::Role role,
                         const std::string& municipality) {
    Caller caller;
    caller.subject = "test-user";
    caller.organisation = "test";
    caller.role = role;
    caller.municipalities = {municipality};
    caller.expires = absl::Now() + absl::Hours(1);
    context.AddMetadata("authorization", "Bearer " + key->Mint(caller));
  };
  // An alert's stocks are a phase's weekly stocks: exact for internal
  // callers of the municipality, not published for anyone else.
  auto expect_stocks = [](const v1::BacklogAlert& alert, bool exact) {
    for (const v1::CountFigure& figure : {alert.stock_at_start(), alert.stock_now()}) {
      EXPECT_EQ(figure.suppression(), v1::FIGURE_SUPPRESSION_NOT_PUBLISHED);
      EXPECT_EQ(figure.suppressed(), !exact);
    }
    EXPECT_EQ(alert.stock_now().value(), exact ? 10 : 0);
    EXPECT_EQ(alert.stock_now().display(), exact ? "10" : "x");
    EXPECT_EQ(alert.consecutive_weeks(), 4);
  };
  struct Viewer {
    v1::Role role;
    std::string municipality;
    bool public_view;
    bool exact;
  };
  for (const Viewer& viewer :
       {Viewer{v1::ROLE_OPERATOR, "*", false, true},
        Viewer{v1::ROLE_MUNICIPAL_CASE_MANAGER, "municipalities/oldambt", false, true},
        Viewer{v1::ROLE_MUNICIPAL_CASE_MANAGER, "municipalities/oldambt", true, false},
        Viewer{v1::ROLE_MUNICIPAL_CASE_MANAGER, "municipalities/pekela", false, false},
        Viewer{v1::ROLE_PUBLIC, "*", false, false}}) {
    SCOPED_TRACE(absl::StrCat(v1::Role_Name(viewer.role), " ", viewer.municipality,
                              viewer.public_view ? " public view" : ""));
    v1::ListBacklogAlertsRequest list;
    list.set_filter("municipality=municipalities/oldambt AND status=BACKLOG_ALERT_STATUS_ACTIVE");
    list.set_public_view(viewer.public_view);
    v1::ListBacklogAlertsResponse listed;
    grpc::ClientContext list_context;
    context_for(list_context, viewer.role, viewer.municipality);
    grpc::Status status = stub->ListBacklogAlerts(&list_context, list, &listed);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(listed.backlog_alerts_size(), 2);  // the village's and the municipality's
    for (const v1::BacklogAlert& alert : listed.backlog_alerts()) {
      expect_stocks(alert, viewer.exact);
      v1::GetBacklogAlertRequest get;
      get.set_name(alert.name());
      get.set_public_view(viewer.public_view);
      v1::BacklogAlert got;
      grpc::ClientContext get_context;
      context_for(get_context, viewer.role, viewer.municipality);
      status = stub->GetBacklogAlert(&get_context, get, &got);
      ASSERT_TRUE(status.ok()) << status.error_message();
      EXPECT_EQ(got.name(), alert.name());
      expect_stocks(got, viewer.exact);
    }
  }
  server->Shutdown();
}

}  // namespace
INSTANTIATE_TEST_SUITE_P(Backends, ReportingStoreTest,
                         ::testing::ValuesIn(::herstel::testing::AllStoreBackends()),
                         ::herstel::testing::StoreBackendName);

}  // namespace herstel::reporting
