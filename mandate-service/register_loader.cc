#include "register_loader.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "domain/mandate_rules.h"
#include "google/protobuf/util/json_util.h"
#include "herstel/outbox.h"
#include "herstel/status_macros.h"
#include "nlohmann/json.hpp"
#include "store/mandate_store.h"

namespace herstel::mandate {

absl::StatusOr<int> LoadDefaultRegisterIfEmpty(Store& store, const std::string& path) {
  int granted = 0;
  HERSTEL_RETURN_IF_ERROR(store.Write([&](Transaction& tx) -> absl::Status {
    HERSTEL_ASSIGN_OR_RETURN(int64_t existing, store::CountMandates(tx));
    if (existing > 0) return absl::OkStatus();
    std::ifstream in(path);
    if (!in) return absl::NotFoundError(absl::StrCat("cannot read the default register ", path));
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json document = nlohmann::json::parse(text.str(), nullptr, false);
    if (!document.is_object() || !document.contains("mandates") || !document["mandates"].is_array()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": expected {\"mandates\": [...]}"));
    }
    for (size_t i = 0; i < document["mandates"].size(); ++i) {
      std::string where = absl::StrCat(path, ": mandates[", i, "]: ");
      v1::GrantMandateRequest request;
      auto parsed = google::protobuf::util::JsonStringToMessage(document["mandates"][i].dump(), &request);
      if (!parsed.ok()) return absl::InvalidArgumentError(absl::StrCat(where, parsed.message().ToString()));
      v1::Mandate mandate = request.mandate();
      absl::Status valid = ValidateNewMandate(mandate);
      if (!valid.ok()) return absl::InvalidArgumentError(absl::StrCat(where, valid.message()));
      if (!mandate.parent().empty()) {
        HERSTEL_ASSIGN_OR_RETURN(v1::Mandate parent, store::GetMandate(tx, mandate.parent()));
        absl::Status within = CheckWithinParent(mandate, parent);
        if (!within.ok()) return absl::InvalidArgumentError(absl::StrCat(where, within.message()));
        *mandate.mutable_grantor() = parent.grantor();
      }
      mandate.set_granted_by("default-register");
      HERSTEL_ASSIGN_OR_RETURN(v1::Mandate stored, store::InsertMandate(tx, mandate, request.mandate_id()));
      v1::MandateGranted event;
      *event.mutable_mandate() = stored;
      HERSTEL_RETURN_IF_ERROR(AppendEvent(tx, event, stored.name(), {"", "default-register"}).status());
      ++granted;
    }
    return absl::OkStatus();
  }));
  return granted;
}

}  // namespace herstel::mandate
