// Builders shared by the domain unit tests.
#ifndef HERSTEL_ESCALATION_TEST_DOMAIN_FIXTURES_H_
#define HERSTEL_ESCALATION_TEST_DOMAIN_FIXTURES_H_

#include "domain/calendar.h"
#include "domain/ladder.h"
#include "domain/model.h"

namespace herstel::escalation::test {

inline absl::TimeZone Amsterdam() { return *WorkingDayCalendar::AmsterdamZone(); }

inline absl::Time Local(int y, int m, int d, int hh = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, 0, 0), Amsterdam());
}

inline WorkingDayCalendar Calendar() { return WorkingDayCalendar({}, Amsterdam()); }

// A valid new escalation about one case in Eemsdelta asking 1,000 euro.
inline Escalation Draft() {
  Escalation draft;
  draft.subject.kind = SubjectKind::kCases;
  draft.subject.cases = {"cases/1"};
  draft.title = "Maatwerk funderingsherstel";
  draft.municipalities = {"municipalities/eemsdelta"};
  draft.decision_kind = v1::DECISION_KIND_CUSTOM_SOLUTION;
  draft.amount_asked_cents = 100000;
  draft.budget_split = {{"budget-lines/bl-1", 60000}, {"budget-lines/bl-2", 40000}};
  draft.reason = v1::ESCALATION_REASON_OUT_OF_MANDATE;
  draft.reason_text = "above the case manager's mandate";
  return draft;
}

// Draft() opened at level 1 by body sg-eemsdelta with a 30-day term.
inline Escalation Opened(absl::Time now = Local(2026, 3, 2, 10)) {
  Escalation escalation = Draft();
  escalation.name = "escalations/e-1";
  escalation.opened_by = "cm-1";
  Open(escalation, v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP, "bodies/sg-eemsdelta", 30,
       Calendar(), "cm-1", now);
  return escalation;
}

inline BodyMember Seat(std::string id, BodyOrganisationKind kind, bool voting,
                       std::string municipality = "") {
  BodyMember member;
  member.member_id = std::move(id);
  member.organisation_kind = kind;
  member.organisation = member.member_id;
  member.municipality = std::move(municipality);
  member.voting = voting;
  if (kind == v1::BODY_ORGANISATION_KIND_INVITED_PARTNER) member.topic = "drinkwater";
  member.subjects = {"subject-" + member.member_id};
  return member;
}

// The local steering group of Eemsdelta: municipality, NCG, IMG vote; a
// partner advises. Quorum: majority with municipality and NCG present.
inline Body SteeringGroup() {
  Body body;
  body.name = "bodies/sg-eemsdelta";
  body.display_name = "Lokale stuurgroep Eemsdelta";
  body.level = v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP;
  body.municipalities = {"municipalities/eemsdelta"};
  body.members = {Seat("eemsdelta", v1::BODY_ORGANISATION_KIND_MUNICIPALITY, true,
                       "municipalities/eemsdelta"),
                  Seat("ncg", v1::BODY_ORGANISATION_KIND_NCG, true),
                  Seat("img", v1::BODY_ORGANISATION_KIND_IMG, true),
                  Seat("water", v1::BODY_ORGANISATION_KIND_INVITED_PARTNER, false)};
  body.quorum.required_kinds = {v1::BODY_ORGANISATION_KIND_MUNICIPALITY,
                                v1::BODY_ORGANISATION_KIND_NCG};
  return body;
}

// The administrative consultation: the state and three aldermen.
inline Body AdministrativeConsultation() {
  Body body;
  body.name = "bodies/bo";
  body.display_name = "Bestuurlijk overleg";
  body.level = v1::ESCALATION_LEVEL_ADMINISTRATIVE_CONSULTATION;
  body.members = {Seat("state", v1::BODY_ORGANISATION_KIND_STATE, true),
                  Seat("eemsdelta", v1::BODY_ORGANISATION_KIND_MUNICIPALITY, true,
                       "municipalities/eemsdelta"),
                  Seat("oldambt", v1::BODY_ORGANISATION_KIND_MUNICIPALITY, true,
                       "municipalities/oldambt"),
                  Seat("ncg", v1::BODY_ORGANISATION_KIND_NCG, false)};
  body.quorum.min_voting_members_present = 2;
  return body;
}

}  // namespace herstel::escalation::test

#endif  // HERSTEL_ESCALATION_TEST_DOMAIN_FIXTURES_H_
