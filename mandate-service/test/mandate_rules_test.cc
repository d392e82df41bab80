#include "domain/mandate_rules.h"

#include "domain/money.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "herstel/errors.h"
#include "herstel/status_matchers.h"

namespace herstel::mandate {
namespace {

using ::google::protobuf::util::TimeUtil;
using ::herstel::testing::IsOk;
using ::herstel::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kNow = absl::FromCivil(absl::CivilDay(2026, 6, 1), absl::UTCTimeZone());

google::protobuf::Timestamp At(absl::Time time) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(time));
}

v1::Mandate CaseManagerMandate() {
  v1::Mandate mandate;
  mandate.set_name("mandates/cm");
  mandate.set_display_name("Maatwerk bewonersbegeleiders");
  mandate.mutable_grantor()->set_kind(v1::MANDATE_GRANTOR_KIND_MINISTER);
  mandate.mutable_grantor()->set_name("Minister van BZK");
  mandate.mutable_holder()->set_role(v1::ROLE_NCG_RESIDENT_CASE_MANAGER);
  mandate.mutable_holder()->set_organisation("NCG");
  mandate.add_decision_kinds(v1::DECISION_KIND_CUSTOM_SOLUTION);
  mandate.set_max_amount_cents(5'000'000);
  *mandate.mutable_valid_from() = At(kNow - absl::Hours(24 * 365));
  *mandate.mutable_valid_until() = At(kNow + absl::Hours(24 * 365));
  mandate.set_legal_basis("Instellingsbesluit NCG");
  mandate.set_state(v1::MANDATE_STATE_ACTIVE);
  return mandate;
}

v1::Mandate LevelMandate(std::string name, v1::EscalationLevel level, std::string municipality,
                         std::optional<int64_t> max_cents) {
  v1::Mandate mandate = CaseManagerMandate();
  mandate.set_name(std::move(name));
  mandate.mutable_holder()->Clear();
  mandate.mutable_holder()->set_level(level);
  mandate.mutable_holder()->set_municipality(std::move(municipality));
  if (max_cents.has_value()) {
    mandate.set_max_amount_cents(*max_cents);
  } else {
    mandate.clear_max_amount_cents();
  }
  return mandate;
}

DecisionQuery CaseManagerAsks(int64_t amount_cents) {
  DecisionQuery query;
  query.caller.set_subject("u-1");
  query.caller.set_role(v1::ROLE_NCG_RESIDENT_CASE_MANAGER);
  query.caller.set_organisation("NCG");
  query.caller.add_municipalities("municipalities/eemsdelta");
  query.kind = v1::DECISION_KIND_CUSTOM_SOLUTION;
  query.amount_cents = amount_cents;
  query.municipality = "municipalities/eemsdelta";
  query.decision_time = kNow;
  return query;
}

std::vector<MandateInContext> Register() {
  return {{CaseManagerMandate(), {}, 0},
          {LevelMandate("mandates/lsg-eemsdelta", v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP,
                        "municipalities/eemsdelta", 10'000'000),
           {}, 0},
          {LevelMandate("mandates/bo", v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION, "", 100'000'000), {}, 0},
          {LevelMandate("mandates/rbo", v1::ESCALATION_LEVEL_REGIONAL_CONSULTATION, "", std::nullopt), {}, 0}};
}

TEST(MoneyTest, FormatsTheDutchWay) {
  EXPECT_EQ(FormatEuros(5'000'000), "EUR 50.000,00");
  EXPECT_EQ(FormatEuros(4'200'050), "EUR 42.000,50");
  EXPECT_EQ(FormatEuros(7), "EUR 0,07");
  EXPECT_EQ(FormatEuros(-123'456'789), "-EUR 1.234.567,89");
}

TEST(MoneyTest, AmountsArePositiveAndBounded) {
  EXPECT_THAT(ValidatePositiveAmount("amount_cents", 1), IsOk());
  EXPECT_THAT(ValidatePositiveAmount("amount_cents", 0), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("amount_cents")));
  EXPECT_THAT(ValidatePositiveAmount("amount_cents", -5), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidatePositiveAmount("amount_cents", kMaxAmountCents + 1), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidatePositiveAmount("amount_cents", INT64_MAX), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(NonDelegableTest, TheFourPowersOfTheInstellingsbesluitCannotBeGranted) {
  for (v1::DecisionKind kind : {v1::DECISION_KIND_CHANGE_NATIONAL_RULES, v1::DECISION_KIND_ANNUAL_PLAN_FRAMEWORK,
                                v1::DECISION_KIND_SET_POLICY_FRAMEWORK, v1::DECISION_KIND_SET_AREA_VISION}) {
    EXPECT_TRUE(IsNonDelegable(kind));
    v1::Mandate mandate = CaseManagerMandate();
    mandate.add_decision_kinds(kind);
    absl::Status status = ValidateNewMandate(mandate);
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("can't be delegated")));
    EXPECT_EQ(GetErrorDetail(status)->reason(), "NON_DELEGABLE_POWER");
  }
  EXPECT_FALSE(IsNonDelegable(v1::DECISION_KIND_CUSTOM_SOLUTION));
}

TEST(ValidateNewMandateTest, NamesEveryMissingOrBadField) {
  v1::Mandate mandate;
  mandate.add_decision_kinds(v1::DECISION_KIND_UNSPECIFIED);
  mandate.set_max_amount_cents(-1);
  absl::Status status = ValidateNewMandate(mandate);
  ASSERT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  v1::ErrorDetail detail = *GetErrorDetail(status);
  std::vector<std::string> fields;
  for (const auto& violation : detail.field_violations()) fields.push_back(violation.field());
  EXPECT_THAT(fields, ::testing::IsSupersetOf({"mandate.display_name", "mandate.grantor.kind", "mandate.holder.role",
                                               "mandate.decision_kinds[0]", "mandate.max_amount_cents",
                                               "mandate.valid_from", "mandate.valid_until", "mandate.legal_basis"}));
  EXPECT_THAT(ValidateNewMandate(CaseManagerMandate()), IsOk());
}

TEST(ValidateNewMandateTest, ValidityMustBeAnInterval) {
  v1::Mandate mandate = CaseManagerMandate();
  *mandate.mutable_valid_until() = mandate.valid_from();
  EXPECT_THAT(ValidateNewMandate(mandate), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("after valid_from")));
}

TEST(SubMandateTest, WithinItsParentIsAccepted) {
  v1::Mandate parent = CaseManagerMandate();
  parent.set_allows_sub_mandates(true);
  parent.add_decision_kinds(v1::DECISION_KIND_DAMPEN_DIFFERENCE);
  v1::Mandate child = CaseManagerMandate();
  child.set_max_amount_cents(1'000'000);
  EXPECT_THAT(CheckWithinParent(child, parent), IsOk());
}

TEST(SubMandateTest, EveryExcessIsNamed) {
  v1::Mandate parent = CaseManagerMandate();
  parent.set_allows_sub_mandates(false);
  parent.set_yearly_cap_cents(100'000'000);
  parent.mutable_holder()->set_municipality("municipalities/eemsdelta");
  v1::Mandate child = CaseManagerMandate();
  child.add_decision_kinds(v1::DECISION_KIND_BOTTLENECK_BUDGET);
  child.set_max_amount_cents(6'000'000);
  *child.mutable_valid_until() = At(kNow + absl::Hours(24 * 800));
  absl::Status status = CheckWithinParent(child, parent);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("does not allow sub-mandates")));
  EXPECT_THAT(status.message(), HasSubstr("bottleneck budget spending"));
  EXPECT_THAT(status.message(), HasSubstr("at most the parent's EUR 50.000,00"));
  EXPECT_THAT(status.message(), HasSubstr("yearly_cap_cents"));
  EXPECT_THAT(status.message(), HasSubstr("validity must lie inside"));
  EXPECT_THAT(status.message(), HasSubstr("holder.municipality"));
  EXPECT_EQ(GetErrorDetail(status)->reason(), "SUB_MANDATE_EXCEEDS_PARENT");
}

TEST(SubMandateTest, RevokedParentCannotSubDelegate) {
  v1::Mandate parent = CaseManagerMandate();
  parent.set_allows_sub_mandates(true);
  parent.set_state(v1::MANDATE_STATE_REVOKED);
  EXPECT_THAT(CheckWithinParent(CaseManagerMandate(), parent),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("revoked")));
}

TEST(DecideTest, CaseManagerWithinMandateIsAllowedWithItsChain) {
  v1::Mandate root = CaseManagerMandate();
  root.set_name("mandates/root");
  std::vector<MandateInContext> candidates = Register();
  candidates[0].mandate.set_parent("mandates/root");
  candidates[0].ancestors = {root};
  v1::MandateCheckResult result = Decide(CaseManagerAsks(4'200'000), candidates, false);
  EXPECT_TRUE(result.allowed());
  EXPECT_EQ(result.mandate(), "mandates/cm");
  EXPECT_THAT(result.mandate_chain(), ElementsAre("mandates/cm", "mandates/root"));
  EXPECT_TRUE(result.explanations().empty());
}

TEST(DecideTest, AboveTheMandateIsDeniedWithTheLowestLevelThatCanDecide) {
  v1::MandateCheckResult result = Decide(CaseManagerAsks(8'000'000), Register(), true);
  EXPECT_FALSE(result.allowed());
  EXPECT_EQ(result.denial_reason(), v1::MANDATE_DENIAL_REASON_AMOUNT_EXCEEDS_MANDATE);
  EXPECT_EQ(result.can_decide_level(), v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP);
  EXPECT_THAT(result.denial_message(), HasSubstr("max EUR 50.000,00 < asked EUR 80.000,00"));
  EXPECT_THAT(result.denial_message(), HasSubstr("local steering group"));
  ASSERT_EQ(result.explanations_size(), 4);
  EXPECT_THAT(result.explanations(0).failed_rules(), ElementsAre(v1::MANDATE_DENIAL_REASON_AMOUNT_EXCEEDS_MANDATE));
  EXPECT_THAT(result.explanations(1).failed_rules(), ElementsAre(v1::MANDATE_DENIAL_REASON_HOLDER_MISMATCH));
}

TEST(DecideTest, LadderLevelIsTheLowestWhoseMandateCoversTheAmount) {
  EXPECT_EQ(Decide(CaseManagerAsks(50'000'000), Register(), false).can_decide_level(),
            v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION);
  EXPECT_EQ(Decide(CaseManagerAsks(500'000'000), Register(), false).can_decide_level(),
            v1::ESCALATION_LEVEL_REGIONAL_CONSULTATION);
  DecisionQuery elsewhere = CaseManagerAsks(8'000'000);
  elsewhere.municipality = "municipalities/oldambt";
  // Eemsdelta's steering group can't decide for Oldambt; the next level can.
  EXPECT_EQ(Decide(elsewhere, Register(), false).can_decide_level(),
            v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION);
}

TEST(DecideTest, OutsideTheCallersScopeIsDenied) {
  DecisionQuery elsewhere = CaseManagerAsks(100'000);
  elsewhere.municipality = "municipalities/oldambt";
  v1::MandateCheckResult result = Decide(elsewhere, Register(), false);
  EXPECT_FALSE(result.allowed());
  EXPECT_EQ(result.denial_reason(), v1::MANDATE_DENIAL_REASON_OUTSIDE_AREA);
}

TEST(DecideTest, ExpiredNotYetValidAndRevokedMandatesDoNotApply) {
  std::vector<MandateInContext> candidates = Register();
  DecisionQuery late = CaseManagerAsks(100'000);
  late.decision_time = kNow + absl::Hours(24 * 400);
  EXPECT_EQ(Decide(late, candidates, false).denial_reason(), v1::MANDATE_DENIAL_REASON_EXPIRED);
  DecisionQuery early = CaseManagerAsks(100'000);
  early.decision_time = kNow - absl::Hours(24 * 400);
  EXPECT_EQ(Decide(early, candidates, false).denial_reason(), v1::MANDATE_DENIAL_REASON_NOT_YET_VALID);
  v1::Mandate revoked_root = CaseManagerMandate();
  revoked_root.set_name("mandates/root");
  revoked_root.set_state(v1::MANDATE_STATE_REVOKED);
  candidates[0].ancestors = {revoked_root};
  v1::MandateCheckResult via_revoked = Decide(CaseManagerAsks(100'000), candidates, true);
  EXPECT_EQ(via_revoked.denial_reason(), v1::MANDATE_DENIAL_REASON_REVOKED);
  EXPECT_THAT(via_revoked.explanations(0).explanation(), HasSubstr("via mandates/root"));
}

TEST(DecideTest, YearlyCapCountsWhatWasUsed) {
  std::vector<MandateInContext> candidates = Register();
  candidates[0].mandate.set_yearly_cap_cents(10'000'000);
  candidates[0].used_in_decision_year_cents = 9'000'000;
  EXPECT_TRUE(Decide(CaseManagerAsks(1'000'000), candidates, false).allowed());
  EXPECT_EQ(Decide(CaseManagerAsks(1'000'001), candidates, false).denial_reason(),
            v1::MANDATE_DENIAL_REASON_YEARLY_CAP_EXCEEDED);
}

TEST(DecideTest, AnotherRoleOrOrganisationHasNoMandate) {
  DecisionQuery img = CaseManagerAsks(100'000);
  img.caller.set_role(v1::ROLE_IMG_CASE_HANDLER);
  v1::MandateCheckResult result = Decide(img, Register(), false);
  EXPECT_EQ(result.denial_reason(), v1::MANDATE_DENIAL_REASON_NO_MANDATE_FOR_KIND);
  EXPECT_EQ(result.can_decide_level(), v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP);
  DecisionQuery other_org = CaseManagerAsks(100'000);
  other_org.caller.set_organisation("IMG");
  EXPECT_FALSE(Decide(other_org, Register(), false).allowed());
}

TEST(DecideTest, ALadderBodyUsesOnlyItsLevelsMandates) {
  DecisionQuery body = CaseManagerAsks(8'000'000);
  body.caller.Clear();
  body.caller.set_level(v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP);
  v1::MandateCheckResult result = Decide(body, Register(), false);
  EXPECT_TRUE(result.allowed());
  EXPECT_EQ(result.mandate(), "mandates/lsg-eemsdelta");
  body.amount_cents = 20'000'000;
  EXPECT_FALSE(Decide(body, Register(), false).allowed());
}

TEST(DecideTest, NonDelegablePowerHasNoLevelThatCanDecide) {
  DecisionQuery query = CaseManagerAsks(0);
  query.kind = v1::DECISION_KIND_SET_AREA_VISION;
  v1::MandateCheckResult result = Decide(query, Register(), true);
  EXPECT_FALSE(result.allowed());
  EXPECT_EQ(result.denial_reason(), v1::MANDATE_DENIAL_REASON_NON_DELEGABLE);
  EXPECT_EQ(result.can_decide_level(), v1::ESCALATION_LEVEL_UNSPECIFIED);
  EXPECT_THAT(result.denial_message(), HasSubstr("can't be delegated"));
}

}  // namespace
}  // namespace herstel::mandate
