#include "body_loader.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "domain/bodies.h"
#include "domain/ladder.h"
#include "escalation_mapping.h"
#include "google/protobuf/util/json_util.h"
#include "herstel/outbox.h"
#include "herstel/status_macros.h"
#include "nlohmann/json.hpp"
#include "store/escalation_store.h"

namespace herstel::escalation {

absl::StatusOr<int> LoadDefaultBodiesIfEmpty(Store& store, const std::string& path, absl::Time now) {
  std::ifstream file(path);
  if (!file) return absl::NotFoundError(absl::StrCat("bodies file ", path, " cannot be read"));
  std::stringstream content;
  content << file.rdbuf();
  nlohmann::json document = nlohmann::json::parse(content.str(), nullptr, false);
  if (document.is_discarded() || !document.contains("bodies") || !document["bodies"].is_array()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": expected {\"bodies\": [CreateBodyRequest, ...]}"));
  }
  std::vector<v1::CreateBodyRequest> requests;
  for (const nlohmann::json& entry : document["bodies"]) {
    v1::CreateBodyRequest request;
    auto parsed = google::protobuf::util::JsonStringToMessage(entry.dump(), &request);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": body ", requests.size(), ": ", parsed.message().ToString()));
    }
    requests.push_back(std::move(request));
  }
  int created = 0;
  HERSTEL_RETURN_IF_ERROR(store.Write([&](Transaction& tx) -> absl::Status {
    BodyQuery any;
    any.limit = 1;
    HERSTEL_ASSIGN_OR_RETURN(Page<Body> existing, EscalationStore::ListBodies(tx, any));
    if (!existing.items.empty()) return absl::OkStatus();
    for (size_t i = 0; i < requests.size(); ++i) {
      Body body = FromProto(requests[i].body());
      if (!IsValidId(requests[i].body_id())) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": body ", i, " needs a valid bodyId"));
      }
      absl::Status valid = ValidateBody(body);
      if (!valid.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": body ", i, ": ", valid.message()));
      }
      body.name = absl::StrCat("bodies/", requests[i].body_id());
      body.create_time = now;
      body.update_time = now;
      body.etag = NewEtag();
      HERSTEL_RETURN_IF_ERROR(EscalationStore::InsertBody(tx, body));
      v1::EscalationBodyChanged event;
      event.set_body(body.name);
      event.set_level(body.level);
      for (const std::string& municipality : body.municipalities) event.add_municipalities(municipality);
      event.set_created(true);
      int voting = 0;
      for (const BodyMember& member : body.members) voting += member.voting ? 1 : 0;
      event.set_voting_members(voting);
      HERSTEL_RETURN_IF_ERROR(AppendEvent(tx, event, body.name, {"", kSystemActor}).status());
      ++created;
    }
    return absl::OkStatus();
  }));
  return created;
}

}  // namespace herstel::escalation
