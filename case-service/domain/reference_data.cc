#include "domain/reference_data.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "herstel/errors.h"
#include "nlohmann/json.hpp"

namespace herstel::case_service {
namespace {

constexpr absl::string_view kMunicipalityPrefix = "municipalities/";

bool IsSlug(const std::string& id) {
  if (id.empty()) return false;
  for (char c : id) {
    if (!(absl::ascii_islower(static_cast<unsigned char>(c)) ||
          absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '-')) {
      return false;
    }
  }
  return true;
}

absl::Status Bad(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("reference data: ", what));
}

}  // namespace

absl::StatusOr<ReferenceData> ReferenceData::Parse(absl::string_view json_text) {
  nlohmann::json document = nlohmann::json::parse(json_text.begin(), json_text.end(), nullptr,
                                                   /*allow_exceptions=*/false);
  if (document.is_discarded()) return Bad("not valid JSON");
  if (!document.is_object() || !document.contains("municipalities") ||
      !document["municipalities"].is_array()) {
    return Bad("expected an object with a \"municipalities\" array");
  }
  ReferenceData data;
  for (const nlohmann::json& entry : document["municipalities"]) {
    if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_string()) {
      return Bad("every municipality needs a string \"id\"");
    }
    std::string id = entry["id"].get<std::string>();
    if (!IsSlug(id)) return Bad(absl::StrCat("municipality id '", id, "' must be lower-case a-z, 0-9, '-'"));
    Municipality municipality;
    municipality.name = absl::StrCat(kMunicipalityPrefix, id);
    municipality.display_name = entry.value("display_name", id);
    municipality.province = entry.value("province", "");
    if (!data.municipality_names_.insert(municipality.name).second) {
      return Bad(absl::StrCat("municipality '", id, "' appears twice"));
    }
    if (entry.contains("villages")) {
      if (!entry["villages"].is_array()) return Bad(absl::StrCat("villages of '", id, "' must be an array"));
      for (const nlohmann::json& village_entry : entry["villages"]) {
        if (!village_entry.is_object() || !village_entry.contains("id") ||
            !village_entry["id"].is_string()) {
          return Bad(absl::StrCat("every village of '", id, "' needs a string \"id\""));
        }
        std::string village_id = village_entry["id"].get<std::string>();
        if (!IsSlug(village_id)) {
          return Bad(absl::StrCat("village id '", village_id, "' must be lower-case a-z, 0-9, '-'"));
        }
        Village village;
        village.name = absl::StrCat(municipality.name, "/villages/", village_id);
        village.display_name = village_entry.value("display_name", village_id);
        if (!data.village_names_.insert(village.name).second) {
          return Bad(absl::StrCat("village '", village.name, "' appears twice"));
        }
        municipality.villages.push_back(std::move(village));
      }
    }
    data.municipalities_.push_back(std::move(municipality));
  }
  if (data.municipalities_.empty()) return Bad("no municipalities");
  return data;
}

absl::StatusOr<ReferenceData> ReferenceData::LoadFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot read reference file '", path, "'"));
  std::stringstream text;
  text << file.rdbuf();
  absl::StatusOr<ReferenceData> data = Parse(text.str());
  if (!data.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", data.status().message()));
  }
  return data;
}

bool ReferenceData::HasMunicipality(absl::string_view municipality) const {
  return municipality_names_.find(municipality) != municipality_names_.end();
}

bool ReferenceData::HasVillage(absl::string_view municipality, absl::string_view village) const {
  return absl::StartsWith(village, absl::StrCat(municipality, "/villages/")) &&
         village_names_.find(village) != village_names_.end();
}

absl::Status ReferenceData::ValidateMunicipality(absl::string_view municipality,
                                                 absl::string_view field) const {
  if (municipality.empty()) {
    return FieldError(field, "is required, e.g. \"municipalities/eemsdelta\"");
  }
  if (!HasMunicipality(municipality)) {
    return FieldError(field, absl::StrCat("'", municipality,
                                          "' is not a known municipality of the reference data"));
  }
  return absl::OkStatus();
}

absl::Status ReferenceData::ValidateLocation(absl::string_view municipality,
                                             absl::string_view village,
                                             absl::string_view municipality_field,
                                             absl::string_view village_field) const {
  if (absl::Status known = ValidateMunicipality(municipality, municipality_field); !known.ok()) {
    return known;
  }
  if (village.empty()) return absl::OkStatus();
  if (village_names_.find(village) == village_names_.end()) {
    return FieldError(village_field, absl::StrCat("'", village,
                                                  "' is not a known village or neighbourhood"));
  }
  if (!HasVillage(municipality, village)) {
    return FieldError(village_field,
                      absl::StrCat("'", village, "' does not lie in '", municipality, "'"));
  }
  return absl::OkStatus();
}

std::string FindDefaultReferenceFile(const std::string& source_directory) {
  std::error_code ignored;
  for (const std::string& candidate :
       {absl::StrCat(source_directory, "/reference/municipalities.json"),
        std::string("case-service/reference/municipalities.json"),
        std::string("reference/municipalities.json")}) {
    if (std::filesystem::exists(candidate, ignored)) return candidate;
  }
  return "case-service/reference/municipalities.json";
}

}  // namespace herstel::case_service
