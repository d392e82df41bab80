// Caller identity: signed bearer tokens (HMAC-SHA256 via OpenSSL).
//
// A token is "v1.<payload>.<signature>", both parts unpadded base64url; the
// payload is JSON {"sub","org","role","mun":[...],"exp"} and the signature is
// HMAC-SHA256 over "v1.<payload>" with the suite's shared key. Every service
// verifies it on every call; herstelctl mints tokens for development.
#ifndef HERSTEL_IDENTITY_H_
#define HERSTEL_IDENTITY_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "herstel/v1/common.pb.h"

namespace grpc {
class ServerContextBase;
}

namespace herstel {

// Who is calling, as the token says.
struct Caller {
  std::string subject;       // pseudonymous id of the person or service, never a name
  std::string organisation;  // e.g. "NCG", "IMG", "gemeente Eemsdelta"
  v1::Role role = v1::ROLE_UNSPECIFIED;
  std::vector<std::string> municipalities;  // scope; "*" stands for all
  absl::Time expires = absl::InfinitePast();

  // True when the scope names `municipality` or "*".
  bool CoversMunicipality(absl::string_view municipality) const;
};

// Lower-case role name used in tokens and flags, e.g. "operator".
std::string RoleToken(v1::Role role);
// Parses a RoleToken (or the full enum name); INVALID_ARGUMENT when unknown.
absl::StatusOr<v1::Role> ParseRole(absl::string_view text);

// The shared signing key. At least 32 bytes of secret.
class TokenKey {
 public:
  // Reads the key from a file (surrounding white space is ignored).
  // NOT_FOUND when unreadable, INVALID_ARGUMENT when shorter than 32 bytes.
  static absl::StatusOr<TokenKey> FromFile(const std::string& path);
  // Wraps a secret; INVALID_ARGUMENT when shorter than 32 bytes.
  static absl::StatusOr<TokenKey> FromSecret(std::string secret);

  // Signs `caller` into a token.
  std::string Mint(const Caller& caller) const;
  // Verifies `token` at `now`. UNAUTHENTICATED, with a message saying why,
  // when it is malformed, forged (signature mismatch) or expired.
  absl::StatusOr<Caller> Verify(absl::string_view token, absl::Time now) const;

 private:
  explicit TokenKey(std::string secret) : secret_(std::move(secret)) {}
  std::string Sign(absl::string_view signed_part) const;

  std::string secret_;
};

// Reads "authorization: Bearer <token>" from the call's metadata and verifies
// it at the current time. UNAUTHENTICATED when missing or invalid.
absl::StatusOr<Caller> AuthenticateCall(const grpc::ServerContextBase& context,
                                        const TokenKey& key);

}  // namespace herstel

#endif  // HERSTEL_IDENTITY_H_
