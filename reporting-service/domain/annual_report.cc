#include "domain/annual_report.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace herstel::reporting {
namespace {

struct Table {
  std::string file_name;
  std::string title;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

std::string Display(const v1::IndicatorValue& value) {
  switch (value.value_case()) {
    case v1::IndicatorValue::kCount:
      return value.count().display();
    case v1::IndicatorValue::kShare:
      return value.share().display();
    case v1::IndicatorValue::kDuration:
      return value.duration().display();
    case v1::IndicatorValue::kAmountCents:
      return absl::StrCat(value.amount_cents());
    case v1::IndicatorValue::VALUE_NOT_SET:
      break;
  }
  return "";
}

std::string TrendText(v1::IndicatorTrend trend) {
  switch (trend) {
    case v1::INDICATOR_TREND_IMPROVING:
      return "improving";
    case v1::INDICATOR_TREND_STABLE:
      return "stable";
    case v1::INDICATOR_TREND_WORSENING:
      return "worsening";
    default:
      return "not comparable";
  }
}

std::string EnumText(const std::string& name, absl::string_view prefix) {
  std::string text = absl::AsciiStrToLower(name.substr(prefix.size()));
  absl::StrReplaceAll({{"_", " "}}, &text);
  return text;
}

std::string HtmlEscape(absl::string_view text) {
  return absl::StrReplaceAll(text, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
}

std::string MarkdownCell(absl::string_view text) {
  return absl::StrReplaceAll(text, {{"|", "\\|"}, {"<", "&lt;"}});
}

std::vector<AreaKey> ReportAreas(const Publication& publication) {
  std::vector<AreaKey> areas{AreaKey{}};
  for (const auto& [area, figures] : publication.figures().areas) {
    if (!area.municipality.empty() && area.village.empty()) areas.push_back(area);
  }
  return areas;
}

}  // namespace

std::string CsvField(absl::string_view text) {
  if (text.find_first_of(",\"\r\n") == absl::string_view::npos) return std::string(text);
  return absl::StrCat("\"", absl::StrReplaceAll(text, {{"\"", "\"\""}}), "\"");
}

std::string AreaDisplayName(const AreaKey& area) {
  if (area.municipality.empty()) return "Regio Groningen";
  absl::string_view slug = area.village.empty() ? area.municipality : area.village;
  size_t slash = slug.rfind('/');
  if (slash != absl::string_view::npos) slug = slug.substr(slash + 1);
  std::vector<std::string> words;
  for (absl::string_view word : absl::StrSplit(slug, '-', absl::SkipEmpty())) {
    std::string text(word);
    text[0] = absl::ascii_toupper(text[0]);
    words.push_back(text);
  }
  return absl::StrJoin(words, " ");
}

v1::AnnualReport RenderAnnualReport(int32_t year, const Publication& current,
                                    const Publication& previous, double stable_band_percent) {
  v1::AnnualReport report;
  report.set_year(year);
  report.set_suppression_threshold(static_cast<int32_t>(current.threshold()));
  const FigureLayout& layout = current.layout();
  const std::vector<AreaKey> areas = ReportAreas(current);

  for (const AreaKey& area : areas) {
    v1::AnnualAreaFigures* figures =
        area.municipality.empty() ? report.mutable_region() : report.add_municipalities();
    figures->set_municipality(area.municipality);
    figures->set_display_name(AreaDisplayName(area));
    for (const v1::Indicator& indicator :
         RenderIndicators(current, previous, area, false, v1::INDICATOR_AUDIENCE_UNSPECIFIED,
                          stable_band_percent)) {
      v1::AnnualFigure* figure = figures->add_figures();
      figure->set_indicator_id(indicator.id());
      figure->set_title(indicator.title());
      figure->set_title_nl(indicator.title_nl());
      figure->set_polarity(indicator.polarity());
      *figure->mutable_value() = indicator.current();
      *figure->mutable_previous_year() = indicator.previous();
      figure->set_trend(indicator.trend());
    }
  }
  for (v1::IndicatorAudience audience :
       {v1::INDICATOR_AUDIENCE_RESIDENTS, v1::INDICATOR_AUDIENCE_PROFESSIONALS,
        v1::INDICATOR_AUDIENCE_ADMINISTRATORS}) {
    *report.add_three_questions() =
        RenderView(current, previous, AreaKey{}, false, audience, stable_band_percent);
  }

  std::vector<Table> tables;
  {
    Table table{"cases_per_phase_by_municipality.csv",
                "Open cases per track and phase at year end", {"area", "track"}, {}};
    for (int phase = 1; phase < kPhases; ++phase) {
      table.header.push_back(EnumText(v1::Phase_Name(static_cast<v1::Phase>(phase)), "PHASE_"));
    }
    table.header.push_back("all phases");
    for (const AreaKey& area : areas) {
      for (int track = 1; track < kTracks; ++track) {
        std::vector<std::string> row{AreaDisplayName(area),
                                     EnumText(v1::Track_Name(static_cast<v1::Track>(track)), "TRACK_")};
        for (int phase = 1; phase < kPhases; ++phase) {
          int cell = layout.Weekly(Flow::kStock, layout.weeks() - 1, track, phase);
          row.push_back(current.Count(area, cell, false).display());
        }
        row.push_back(
            current.Count(area, layout.Weekly(Flow::kStock, layout.weeks() - 1, track, 0), false)
                .display());
        table.rows.push_back(std::move(row));
      }
    }
    tables.push_back(std::move(table));
  }
  {
    Table table{"cases_by_municipality.csv",
                "Cases opened and completed in the year, open at year end",
                {"area", "opened", "completed", "open at year end"},
                {}};
    for (const AreaKey& area : areas) {
      table.rows.push_back({AreaDisplayName(area),
                            current.Count(area, layout.Get(Scalar::kCasesOpened), false).display(),
                            current.Count(area, layout.Get(Scalar::kCasesClosed), false).display(),
                            current.Count(area, layout.OpenCases(), false).display()});
    }
    tables.push_back(std::move(table));
  }
  {
    Table table{"lead_times_by_phase.csv", "Lead time per phase in days (region)",
                {"track", "phase", "median days", "90th percentile days", "phases left"}, {}};
    for (int track = 1; track < kTracks; ++track) {
      for (int phase = 1; phase < kPhases; ++phase) {
        int sample = layout.LeadTimeSample(track, phase);
        table.rows.push_back(
            {EnumText(v1::Track_Name(static_cast<v1::Track>(track)), "TRACK_"),
             EnumText(v1::Phase_Name(static_cast<v1::Phase>(phase)), "PHASE_"),
             current.Duration(AreaKey{}, LeadTimeKey(track, phase), sample, 50, false).display(),
             current.Duration(AreaKey{}, LeadTimeKey(track, phase), sample, 90, false).display(),
             current.Count(AreaKey{}, sample, false).display()});
      }
    }
    tables.push_back(std::move(table));
  }
  {
    Table table{"escalations_by_level.csv", "Escalations per ladder level (region)",
                {"level", "arrived", "decided", "decided within term", "moved up",
                 "open at year end", "overdue at year end"},
                {}};
    for (int level = 1; level < kLevels; ++level) {
      std::vector<std::string> row{EnumText(
          v1::EscalationLevel_Name(static_cast<v1::EscalationLevel>(level)), "ESCALATION_LEVEL_")};
      for (EscalationCount count :
           {EscalationCount::kArrived, EscalationCount::kDecided, EscalationCount::kWithinTerm,
            EscalationCount::kMovedUp, EscalationCount::kOpen, EscalationCount::kOverdue}) {
        row.push_back(current.Count(AreaKey{}, layout.Escalation(count, level), false).display());
      }
      table.rows.push_back(std::move(row));
    }
    tables.push_back(std::move(table));
  }
  {
    Table table{"budget_lines.csv", "Budget per line at year end (euro cents)",
                {"budget line", "name", "source", "municipality", "year", "ceiling", "reserved",
                 "committed", "left"},
                {}};
    for (const BudgetLineFigures& line : current.figures().budget_lines) {
      table.rows.push_back(
          {line.info.name, line.info.display_name, line.info.source, line.info.municipality,
           absl::StrCat(line.info.year), absl::StrCat(line.balance.ceiling_cents),
           absl::StrCat(line.balance.reserved_cents), absl::StrCat(line.balance.committed_cents),
           absl::StrCat(line.balance.ceiling_cents - line.balance.reserved_cents -
                        line.balance.committed_cents)});
    }
    tables.push_back(std::move(table));
  }
  {
    Table table{"three_questions.csv", "The three questions (region)",
                {"question", "indicator", "value", "previous year", "trend"}, {}};
    for (const v1::IndicatorView& view : report.three_questions()) {
      for (const v1::Indicator& indicator : view.indicators()) {
        table.rows.push_back({view.name(), indicator.title(), Display(indicator.current()),
                              Display(indicator.previous()), TrendText(indicator.trend())});
      }
    }
    tables.push_back(std::move(table));
  }
  {
    Table table{"indicators_by_municipality.csv", "Indicators per municipality",
                {"area", "indicator", "value", "previous year", "trend"}, {}};
    std::vector<const v1::AnnualAreaFigures*> all{&report.region()};
    for (const v1::AnnualAreaFigures& figures : report.municipalities()) all.push_back(&figures);
    for (const v1::AnnualAreaFigures* figures : all) {
      for (const v1::AnnualFigure& figure : figures->figures()) {
        table.rows.push_back({figures->display_name(), figure.title(), Display(figure.value()),
                              Display(figure.previous_year()), TrendText(figure.trend())});
      }
    }
    tables.push_back(std::move(table));
  }

  std::string title = absl::StrCat("Herstel Groningen: yearly report ", year);
  std::string intro = absl::StrCat(
      "Figures for ", year, " against ", year - 1,
      ". Counts from 1 to ", current.threshold() - 1, " are shown as \"<", current.threshold(),
      "\"; figures marked \"", kSecondaryDisplay,
      "\" are hidden so that totals and differences can't reveal them, or not published "
      "(the parts of a total below ", current.threshold(), ").");
  std::string markdown = absl::StrCat("# ", title, "\n\n", intro, "\n");
  std::string html = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>",
      HtmlEscape(title),
      "</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;"
      "margin-bottom:2em}td,th{border:1px solid #999;padding:4px 8px;text-align:right}"
      "td:first-child,th:first-child{text-align:left}</style></head><body>\n<h1>",
      HtmlEscape(title), "</h1>\n<p>", HtmlEscape(intro), "</p>\n");
  absl::StrAppend(&markdown, "\n## The three questions\n");
  absl::StrAppend(&html, "<h2>The three questions</h2>\n");
  for (const v1::IndicatorView& view : report.three_questions()) {
    absl::StrAppend(&markdown, "\n- ", view.question(), " (*", view.question_nl(), "*)\n");
    absl::StrAppend(&html, "<p>", HtmlEscape(view.question()), " (<em>",
                    HtmlEscape(view.question_nl()), "</em>)</p>\n");
  }
  for (const Table& table : tables) {
    v1::ReportCsvTable* csv = report.add_tables();
    csv->set_name(table.file_name);
    csv->set_title(table.title);
    std::string text;
    std::vector<std::string> quoted;
    for (const std::string& field : table.header) quoted.push_back(CsvField(field));
    absl::StrAppend(&text, absl::StrJoin(quoted, ","), "\r\n");
    absl::StrAppend(&markdown, "\n## ", table.title, "\n\n| ",
                    absl::StrJoin(table.header, " | "), " |\n|");
    for (size_t column = 0; column < table.header.size(); ++column) {
      absl::StrAppend(&markdown, column == 0 ? " --- |" : " ---: |");
    }
    absl::StrAppend(&markdown, "\n");
    absl::StrAppend(&html, "<h2>", HtmlEscape(table.title), "</h2>\n<table><tr>");
    for (const std::string& field : table.header) {
      absl::StrAppend(&html, "<th>", HtmlEscape(field), "</th>");
    }
    absl::StrAppend(&html, "</tr>\n");
    for (const std::vector<std::string>& row : table.rows) {
      quoted.clear();
      std::vector<std::string> cells;
      absl::StrAppend(&html, "<tr>");
      for (const std::string& field : row) {
        quoted.push_back(CsvField(field));
        cells.push_back(MarkdownCell(field));
        absl::StrAppend(&html, "<td>", HtmlEscape(field), "</td>");
      }
      absl::StrAppend(&html, "</tr>\n");
      absl::StrAppend(&text, absl::StrJoin(quoted, ","), "\r\n");
      absl::StrAppend(&markdown, "| ", absl::StrJoin(cells, " | "), " |\n");
    }
    absl::StrAppend(&html, "</table>\n");
    csv->set_csv(text);
  }
  absl::StrAppend(&html, "</body></html>\n");
  report.set_markdown(markdown);
  report.set_html(html);
  return report;
}

}  // namespace herstel::reporting
