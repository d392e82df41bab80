#include "herstel/identity.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "herstel/status_matchers.h"

namespace herstel {
namespace {

using ::herstel::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kSecret[] = "0123456789abcdef0123456789abcdef-test";
const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

Caller CaseManager() {
  Caller caller;
  caller.subject = "u-1042";
  caller.organisation = "NCG";
  caller.role = v1::ROLE_NCG_RESIDENT_CASE_MANAGER;
  caller.municipalities = {"municipalities/eemsdelta"};
  caller.expires = kNow + absl::Hours(1);
  return caller;
}

TEST(TokenKeyTest, RejectsShortKeys) {
  EXPECT_THAT(TokenKey::FromSecret("short"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at least 32 bytes")));
}

TEST(TokenKeyTest, MintedTokenVerifies) {
  TokenKey key = *TokenKey::FromSecret(kSecret);
  absl::StatusOr<Caller> caller = key.Verify(key.Mint(CaseManager()), kNow);
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->subject, "u-1042");
  EXPECT_EQ(caller->organisation, "NCG");
  EXPECT_EQ(caller->role, v1::ROLE_NCG_RESIDENT_CASE_MANAGER);
  EXPECT_THAT(caller->municipalities, ElementsAre("municipalities/eemsdelta"));
  EXPECT_TRUE(caller->CoversMunicipality("municipalities/eemsdelta"));
  EXPECT_FALSE(caller->CoversMunicipality("municipalities/oldambt"));
}

TEST(TokenKeyTest, ExpiredTokenIsUnauthenticated) {
  TokenKey key = *TokenKey::FromSecret(kSecret);
  std::string token = key.Mint(CaseManager());
  EXPECT_THAT(key.Verify(token, kNow + absl::Hours(1)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("expired")));
}

TEST(TokenKeyTest, TokenOfAnotherKeyIsForged) {
  TokenKey key = *TokenKey::FromSecret(kSecret);
  TokenKey other = *TokenKey::FromSecret("another-secret-of-more-than-32-bytes!");
  EXPECT_THAT(key.Verify(other.Mint(CaseManager()), kNow),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("signature does not match")));
}

TEST(TokenKeyTest, AlteredPayloadIsForged) {
  TokenKey key = *TokenKey::FromSecret(kSecret);
  std::vector<std::string> parts = absl::StrSplit(key.Mint(CaseManager()), '.');
  std::string payload;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(parts[1], &payload));
  size_t at = payload.find("ncg_resident_case_manager");
  ASSERT_NE(at, std::string::npos);
  payload.replace(at, 25, "operator");
  std::string forged = parts[0] + "." + absl::WebSafeBase64Escape(payload) + "." + parts[2];
  EXPECT_THAT(key.Verify(forged, kNow),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("signature does not match")));
}

TEST(TokenKeyTest, MalformedTokensAreUnauthenticated) {
  TokenKey key = *TokenKey::FromSecret(kSecret);
  for (const char* token : {"", "abc", "v1.a", "v2.a.b", "v1.!!.!!", "v1.a.b.c"}) {
    EXPECT_THAT(key.Verify(token, kNow), StatusIs(absl::StatusCode::kUnauthenticated)) << token;
  }
}

TEST(TokenKeyTest, SignedTokenWithUnknownRoleIsRefused) {
  TokenKey key = *TokenKey::FromSecret(kSecret);
  Caller caller = CaseManager();
  caller.role = v1::ROLE_UNSPECIFIED;
  EXPECT_THAT(key.Verify(key.Mint(caller), kNow),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("unknown role")));
}

TEST(RoleTest, ParsesShortAndFullNames) {
  EXPECT_THAT(ParseRole("operator"), ::herstel::testing::IsOkAndHolds(v1::ROLE_OPERATOR));
  EXPECT_THAT(ParseRole("ROLE_AUDITOR"), ::herstel::testing::IsOkAndHolds(v1::ROLE_AUDITOR));
  EXPECT_THAT(ParseRole("mayor"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(RoleToken(v1::ROLE_IMG_CASE_HANDLER), "img_case_handler");
}

}  // namespace
}  // namespace herstel
