// libFuzzer target for the shared parsers every service runs on untrusted
// text (common/): the list filter, page tokens, page sizes and bearer
// tokens. Byte 0 picks what is fuzzed, the rest is its input:
//   0  Filter::Parse over the filter fields the services accept, then every
//      typed accessor; a parsed filter written back in its quoted form must
//      parse to the same terms
//   1  DecodePageToken("<query>\0<token>"); Encode then Decode gives the key
//      back, and refuses it for another query
//   2  TokenKey::Verify of arbitrary text: never accepted
//   3  TokenKey::Verify of an arbitrary JSON payload signed with the key (what
//      a holder of the key, or a bug in Mint, could produce): never a crash
//   4  Mint then Verify of a caller built from the bytes (UTF-8) gives that caller
//   5  EffectivePageSize of any int32: 1..1000, or INVALID_ARGUMENT when negative
// Any broken promise aborts with "==herstel finding==".
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "google/protobuf/stubs/common.h"
#include "herstel/identity.h"
#include "herstel/listing.h"
#include "herstel/v1/common.pb.h"

namespace {

using namespace herstel;

[[noreturn]] void Finding(const std::string& what) {
  std::fprintf(stderr, "\n==herstel finding== %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

// The fields the services' List RPCs accept (each service's own list is
// fuzzed through its handlers in the service fuzz targets).
const std::vector<std::string>& FilterFields() {
  static const auto* fields = new std::vector<std::string>{
      "municipality", "village",  "status",   "track",      "phase",        "kind",
      "category",     "level",    "overdue",  "outcome",    "body",         "escalation",
      "audience",     "year",     "from",     "to",         "organisation", "type",
      "resource",     "actor",    "state",    "role",       "budget_line",  "spendable_status"};
  return *fields;
}

constexpr char kKeySecret[] = "herstel-fuzzing-key-0123456789-abcdef";

const TokenKey& Key() {
  static const TokenKey* key = new TokenKey(*TokenKey::FromSecret(kKeySecret));
  return *key;
}

std::string Quoted(const std::string& value) {
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') quoted.push_back('\\');
    quoted.push_back(c);
  }
  return quoted + "\"";
}

void FuzzFilter(const std::string& text) {
  absl::StatusOr<Filter> filter = Filter::Parse(text, FilterFields());
  if (!filter.ok()) {
    if (filter.status().code() != absl::StatusCode::kInvalidArgument) Finding(filter.status().ToString());
    return;
  }
  std::vector<std::string> terms;
  for (const std::string& field : FilterFields()) {
    if (!filter->Has(field)) continue;
    terms.push_back(absl::StrCat(field, "=", Quoted(*filter->Text(field))));
    (void)filter->Integer(field);
    (void)filter->Boolean(field);
    (void)filter->Time(field);
    (void)filter->EnumValue<v1::Role>(field, v1::Role_Parse);
  }
  std::string written = absl::StrJoin(terms, " AND ");
  absl::StatusOr<Filter> again = Filter::Parse(written, FilterFields());
  if (!again.ok()) Finding(absl::StrCat("filter written back does not parse: ", written, ": ", again.status().ToString()));
  if (again->Canonical() != filter->Canonical()) {
    Finding(absl::StrCat("filter written back parses differently: ", written));
  }
}

void FuzzPageToken(const std::string& input) {
  size_t split = input.find('\0');
  std::string query = input.substr(0, split);
  std::string token = split == std::string::npos ? "" : input.substr(split + 1);
  absl::StatusOr<std::string> decoded = DecodePageToken(token, query);
  if (!decoded.ok() && decoded.status().code() != absl::StatusCode::kInvalidArgument) {
    Finding(decoded.status().ToString());
  }
  std::string issued = EncodePageToken(token, query);
  absl::StatusOr<std::string> back = DecodePageToken(issued, query);
  if (!back.ok() || *back != token) Finding("a page token does not give its key back");
  if (DecodePageToken(issued, query + "x").ok()) Finding("a page token is accepted for another query");
}

void FuzzVerify(const std::string& token) {
  absl::StatusOr<Caller> caller = Key().Verify(token, absl::Now());
  if (caller.ok()) Finding("an unsigned token was accepted");
  if (caller.status().code() != absl::StatusCode::kUnauthenticated) Finding(caller.status().ToString());
}

void FuzzSignedPayload(const std::string& payload) {
  // Signed as TokenKey does: HMAC-SHA256 over "v1.<payload>", base64url.
  std::string signed_part = absl::StrCat("v1.", absl::WebSafeBase64Escape(payload));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  HMAC(EVP_sha256(), kKeySecret, static_cast<int>(std::strlen(kKeySecret)),
       reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size(), digest, &digest_length);
  std::string signature(reinterpret_cast<const char*>(digest), digest_length);
  absl::StatusOr<Caller> caller =
      Key().Verify(absl::StrCat(signed_part, ".", absl::WebSafeBase64Escape(signature)), absl::Now());
  if (!caller.ok() && caller.status().code() != absl::StatusCode::kUnauthenticated) {
    Finding(caller.status().ToString());
  }
}

void FuzzMint(const std::string& input) {
  if (input.empty()) return;
  std::vector<std::string> parts = absl::StrSplit(input.substr(1), '\0');
  Caller caller;
  caller.role = static_cast<v1::Role>(1 + static_cast<uint8_t>(input[0]) % 9);
  caller.subject = parts[0];
  if (parts.size() > 1) caller.organisation = parts[1];
  for (size_t i = 2; i < parts.size(); ++i) caller.municipalities.push_back(parts[i]);
  caller.expires = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()) + 3600);
  // Mint ends the process (nlohmann type_error 316) on text that is not
  // UTF-8; only tools mint from typed-in text, so that is left to them.
  for (const std::string& part : parts) {
    if (!google::protobuf::internal::IsStructurallyValidUTF8(part.data(), static_cast<int>(part.size()))) return;
  }
  absl::StatusOr<Caller> back = Key().Verify(Key().Mint(caller), absl::Now());
  if (caller.subject.empty()) {
    if (back.ok()) Finding("a token with an empty subject was accepted");
    return;
  }
  if (!back.ok()) Finding(absl::StrCat("a minted token does not verify: ", back.status().ToString()));
  if (back->subject != caller.subject || back->organisation != caller.organisation ||
      back->role != caller.role || back->municipalities != caller.municipalities ||
      back->expires != caller.expires) {
    Finding("a minted token verifies as another caller");
  }
}

void FuzzPageSize(const std::string& input) {
  int32_t requested = 0;
  std::memcpy(&requested, input.data(), std::min(input.size(), sizeof(requested)));
  absl::StatusOr<int> size = EffectivePageSize(requested);
  if (requested < 0) {
    if (size.ok() || size.status().code() != absl::StatusCode::kInvalidArgument) Finding("negative page size");
  } else if (!size.ok() || *size < 1 || *size > kMaxPageSize) {
    Finding(absl::StrCat("page size ", requested, " gives ", size.ok() ? absl::StrCat(*size) : "an error"));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 6) {
    case 0: FuzzFilter(input); break;
    case 1: FuzzPageToken(input); break;
    case 2: FuzzVerify(input); break;
    case 3: FuzzSignedPayload(input); break;
    case 4: FuzzMint(input); break;
    default: FuzzPageSize(input); break;
  }
  return 0;
}
