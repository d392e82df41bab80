#include "herstel/identity.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "grpcpp/server_context.h"
#include "nlohmann/json.hpp"

namespace herstel {
namespace {

constexpr absl::string_view kTokenVersion = "v1";
constexpr size_t kMinimumKeyBytes = 32;
constexpr absl::string_view kBearerPrefix = "Bearer ";

absl::Status Unauthenticated(absl::string_view why) {
  return absl::UnauthenticatedError(
      absl::StrCat("caller token rejected: ", why,
                   ". Send metadata 'authorization: Bearer <token>'; "
                   "`herstelctl mint-token` makes one for development"));
}

}  // namespace

bool Caller::CoversMunicipality(absl::string_view municipality) const {
  for (const std::string& scope : municipalities) {
    if (scope == "*" || scope == municipality) return true;
  }
  return false;
}

std::string RoleToken(v1::Role role) {
  std::string name = v1::Role_Name(role);
  if (absl::StartsWith(name, "ROLE_")) name = name.substr(5);
  return absl::AsciiStrToLower(name);
}

absl::StatusOr<v1::Role> ParseRole(absl::string_view text) {
  std::string name = absl::AsciiStrToUpper(text);
  if (!absl::StartsWith(name, "ROLE_")) name = absl::StrCat("ROLE_", name);
  v1::Role role;
  if (!v1::Role_Parse(name, &role) || role == v1::ROLE_UNSPECIFIED) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown role '", text,
        "': use one of ncg_resident_case_manager, img_case_handler, "
        "municipal_case_manager, steering_group_member, national_coordinator, "
        "operator, auditor, service, public"));
  }
  return role;
}

absl::StatusOr<TokenKey> TokenKey::FromFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read token key file ", path));
  std::stringstream contents;
  contents << in.rdbuf();
  return FromSecret(std::string(absl::StripAsciiWhitespace(contents.str())));
}

absl::StatusOr<TokenKey> TokenKey::FromSecret(std::string secret) {
  if (secret.size() < kMinimumKeyBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "token key is ", secret.size(), " bytes; it must be at least ",
        kMinimumKeyBytes, " bytes of secret"));
  }
  return TokenKey(std::move(secret));
}

std::string TokenKey::Sign(absl::string_view signed_part) const {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size(),
       digest, &digest_length);
  return std::string(reinterpret_cast<const char*>(digest), digest_length);
}

std::string TokenKey::Mint(const Caller& caller) const {
  nlohmann::json payload = {
      {"sub", caller.subject},
      {"org", caller.organisation},
      {"role", RoleToken(caller.role)},
      {"mun", caller.municipalities},
      {"exp", absl::ToUnixSeconds(caller.expires)},
  };
  std::string signed_part =
      absl::StrCat(kTokenVersion, ".",
                   absl::WebSafeBase64Escape(
                       payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
  return absl::StrCat(signed_part, ".", absl::WebSafeBase64Escape(Sign(signed_part)));
}

absl::StatusOr<Caller> TokenKey::Verify(absl::string_view token, absl::Time now) const {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3 || parts[0] != kTokenVersion) {
    return Unauthenticated("token is not of the form v1.<payload>.<signature>");
  }
  std::string signature;
  if (!absl::WebSafeBase64Unescape(parts[2], &signature)) {
    return Unauthenticated("token signature is not base64url");
  }
  std::string expected = Sign(token.substr(0, parts[0].size() + 1 + parts[1].size()));
  if (signature.size() != expected.size() ||
      CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) != 0) {
    return Unauthenticated("token signature does not match; it was not issued with this suite's key");
  }
  std::string json_text;
  if (!absl::WebSafeBase64Unescape(parts[1], &json_text)) {
    return Unauthenticated("token payload is not base64url");
  }
  nlohmann::json payload = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (!payload.is_object() || !payload.contains("sub") || !payload["sub"].is_string() ||
      !payload.contains("role") || !payload["role"].is_string() ||
      !payload.contains("exp") || !payload["exp"].is_number_integer()) {
    return Unauthenticated("token payload lacks sub, role or exp");
  }
  if (payload.contains("org") && !payload["org"].is_string()) {
    return Unauthenticated("token payload has an org that is not text");
  }
  Caller caller;
  caller.subject = payload["sub"].get<std::string>();
  caller.organisation = payload.value("org", "");
  caller.expires = absl::FromUnixSeconds(payload["exp"].get<int64_t>());
  absl::StatusOr<v1::Role> role = ParseRole(payload["role"].get<std::string>());
  if (!role.ok()) return Unauthenticated(role.status().message());
  caller.role = *role;
  if (payload.contains("mun") && payload["mun"].is_array()) {
    for (const auto& municipality : payload["mun"]) {
      if (municipality.is_string()) caller.municipalities.push_back(municipality.get<std::string>());
    }
  }
  if (caller.subject.empty()) return Unauthenticated("token has an empty subject");
  if (now >= caller.expires) {
    return Unauthenticated(absl::StrCat("token expired at ",
                                        absl::FormatTime(caller.expires, absl::UTCTimeZone())));
  }
  return caller;
}

absl::StatusOr<Caller> AuthenticateCall(const grpc::ServerContextBase& context,
                                        const TokenKey& key) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return Unauthenticated("no authorization metadata");
  absl::string_view header(it->second.data(), it->second.size());
  if (!absl::StartsWith(header, kBearerPrefix)) {
    return Unauthenticated("authorization metadata is not 'Bearer <token>'");
  }
  return key.Verify(header.substr(kBearerPrefix.size()), absl::Now());
}

}  // namespace herstel
