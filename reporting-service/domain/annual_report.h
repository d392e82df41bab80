// The yearly report for parliament (jaarlijkse rapportage): always the
// public rendering. Figures for the region and per municipality with the
// previous year and the trend, the three questions, and every table as
// Markdown, as one self-contained HTML page and as CSV.
#ifndef HERSTEL_REPORTING_DOMAIN_ANNUAL_REPORT_H_
#define HERSTEL_REPORTING_DOMAIN_ANNUAL_REPORT_H_

#include <string>

#include "domain/publication.h"
#include "herstel/v1/reporting_service.pb.h"

namespace herstel::reporting {

// "Eemsdelta" for "municipalities/eemsdelta", "Het Hogeland" for
// "municipalities/het-hogeland"; "Regio Groningen" for the region.
std::string AreaDisplayName(const AreaKey& area);

// Renders the report of `year` from the year's and the previous year's
// public figures. Name, revision, as_of and generate_time are left to the caller.
v1::AnnualReport RenderAnnualReport(int32_t year, const Publication& current,
                                    const Publication& previous, double stable_band_percent);

// RFC 4180 field quoting.
std::string CsvField(absl::string_view text);

}  // namespace herstel::reporting

#endif  // HERSTEL_REPORTING_DOMAIN_ANNUAL_REPORT_H_
