// Municipalities (gemeenten) and their villages and neighbourhoods (dorpen en
// wijken) as reference data, loaded from a JSON file at start so operators
// change a file, not the code. Names follow the API:
// "municipalities/{id}" and "municipalities/{id}/villages/{id}".
//
// File format: {"municipalities": [{"id": "eemsdelta", "display_name":
// "Eemsdelta", "province": "Groningen", "villages": [{"id": "loppersum",
// "display_name": "Loppersum"}, ...]}, ...]}.
#ifndef HERSTEL_CASE_SERVICE_DOMAIN_REFERENCE_DATA_H_
#define HERSTEL_CASE_SERVICE_DOMAIN_REFERENCE_DATA_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace herstel::case_service {

struct Village {
  std::string name;          // "municipalities/eemsdelta/villages/loppersum"
  std::string display_name;  // "Loppersum"
};

struct Municipality {
  std::string name;          // "municipalities/eemsdelta"
  std::string display_name;  // "Eemsdelta"
  std::string province;      // "Groningen" or "Drenthe"
  std::vector<Village> villages;
};

class ReferenceData {
 public:
  // Parses the JSON text; INVALID_ARGUMENT saying what is wrong (bad JSON,
  // missing ids, duplicates).
  static absl::StatusOr<ReferenceData> Parse(absl::string_view json_text);
  // Reads and parses a file; NOT_FOUND when it can't be read.
  static absl::StatusOr<ReferenceData> LoadFile(const std::string& path);

  bool HasMunicipality(absl::string_view municipality) const;
  // True when `village` is a known village of `municipality`.
  bool HasVillage(absl::string_view municipality, absl::string_view village) const;

  // Checks a case's location: the municipality is required and known; the
  // village, when given, is known and lies in that municipality. Answers
  // INVALID_ARGUMENT naming `municipality_field` or `village_field`.
  absl::Status ValidateLocation(absl::string_view municipality, absl::string_view village,
                                absl::string_view municipality_field,
                                absl::string_view village_field) const;
  // INVALID_ARGUMENT naming `field` when `municipality` is not known.
  absl::Status ValidateMunicipality(absl::string_view municipality, absl::string_view field) const;

  const std::vector<Municipality>& municipalities() const { return municipalities_; }

 private:
  std::vector<Municipality> municipalities_;
  std::set<std::string, std::less<>> municipality_names_;
  std::set<std::string, std::less<>> village_names_;
};

// Where the reference file is looked for when --reference_file is empty:
// `source_directory`/reference/municipalities.json when it exists, else
// "case-service/reference/municipalities.json", else
// "reference/municipalities.json" (relative to the working directory).
std::string FindDefaultReferenceFile(const std::string& source_directory);

}  // namespace herstel::case_service

#endif  // HERSTEL_CASE_SERVICE_DOMAIN_REFERENCE_DATA_H_
