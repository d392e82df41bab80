#include "domain/bodies.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "domain/ladder.h"
#include "herstel/errors.h"

namespace herstel::escalation {
namespace {

bool Blank(const std::string& text) { return absl::StripAsciiWhitespace(text).empty(); }

}  // namespace

bool IsValidId(const std::string& id) {
  if (id.empty() || id.size() > 63) return false;
  for (char c : id) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-')) return false;
  }
  return true;
}

absl::Status ValidateBody(const Body& body) {
  FieldViolations violations;
  violations.Require(!Blank(body.display_name) && body.display_name.size() <= 200,
                     "body.display_name", "is required, at most 200 characters");
  const bool level_valid = body.level != v1::ESCALATION_LEVEL_UNSPECIFIED &&
                           v1::EscalationLevel_IsValid(body.level);
  violations.Require(level_valid, "body.level", "must name the ladder level it decides at");
  if (body.level == v1::ESCALATION_LEVEL_LOCAL_STEERING_GROUP) {
    violations.Require(body.municipalities.size() == 1 &&
                           IsResourceName(body.municipalities[0], "municipalities"),
                       "body.municipalities",
                       "a local steering group serves exactly one municipality, e.g. "
                       "municipalities/eemsdelta");
  } else if (level_valid) {
    violations.Require(body.municipalities.empty(), "body.municipalities",
                       "must be empty above the local steering group: the consultations serve "
                       "the whole region");
  }
  violations.Require(body.members.size() <= static_cast<size_t>(kMaxMembers), "body.members",
                     absl::StrCat("at most ", kMaxMembers, " seats"));
  std::set<std::string> ids;
  int voting = 0;
  for (size_t i = 0; i < body.members.size(); ++i) {
    const BodyMember& member = body.members[i];
    const std::string field = absl::StrCat("body.members[", i, "]");
    if (violations.Require(IsValidId(member.member_id), absl::StrCat(field, ".member_id"),
                           "is required: lowercase letters, digits and '-', e.g. \"ncg\"")) {
      violations.Require(ids.insert(member.member_id).second, absl::StrCat(field, ".member_id"),
                         "each member id may appear only once");
    }
    violations.Require(member.organisation_kind != v1::BODY_ORGANISATION_KIND_UNSPECIFIED &&
                           v1::BodyOrganisationKind_IsValid(member.organisation_kind),
                       absl::StrCat(field, ".organisation_kind"),
                       "must say which kind of organisation the seat represents");
    violations.Require(!Blank(member.organisation) && member.organisation.size() <= 200,
                       absl::StrCat(field, ".organisation"), "is required, at most 200 characters");
    if (member.organisation_kind == v1::BODY_ORGANISATION_KIND_MUNICIPALITY) {
      violations.Require(IsResourceName(member.municipality, "municipalities"),
                         absl::StrCat(field, ".municipality"),
                         "a municipal seat names its municipality, e.g. municipalities/oldambt");
    }
    if (member.organisation_kind == v1::BODY_ORGANISATION_KIND_INVITED_PARTNER) {
      violations.Require(!Blank(member.topic), absl::StrCat(field, ".topic"),
                         "an invited partner joins for a topic, e.g. \"drinkwater\"");
    }
    violations.Require(member.subjects.size() <= 50, absl::StrCat(field, ".subjects"),
                       "at most 50 subjects per seat");
    if (member.start_time.has_value() && member.end_time.has_value()) {
      violations.Require(*member.start_time < *member.end_time, absl::StrCat(field, ".end_time"),
                         "must be after start_time");
    }
    if (member.voting && !member.end_time.has_value()) ++voting;
  }
  violations.Require(body.chair_schedule.size() <= static_cast<size_t>(kMaxChairTerms),
                     "body.chair_schedule", absl::StrCat("at most ", kMaxChairTerms, " periods"));
  for (size_t i = 0; i < body.chair_schedule.size(); ++i) {
    const ChairTerm& term = body.chair_schedule[i];
    const std::string field = absl::StrCat("body.chair_schedule[", i, "]");
    violations.Require(ids.count(term.member_id) > 0, absl::StrCat(field, ".member_id"),
                       absl::StrCat("'", term.member_id, "' is not a member of this body"));
    violations.Require(term.start_time < term.end_time, absl::StrCat(field, ".end_time"),
                       "must be after start_time");
    if (i > 0) {
      violations.Require(body.chair_schedule[i - 1].end_time <= term.start_time,
                         absl::StrCat(field, ".start_time"),
                         "periods must be in time order and must not overlap");
    }
  }
  violations.Require(body.quorum.min_voting_members_present >= 0 &&
                         body.quorum.min_voting_members_present <= kMaxMembers,
                     "body.quorum.min_voting_members_present",
                     "must be 0 (a simple majority) or a number of voting members");
  std::set<int> kinds;
  for (size_t i = 0; i < body.quorum.required_kinds.size(); ++i) {
    const BodyOrganisationKind kind = body.quorum.required_kinds[i];
    const std::string field = absl::StrCat("body.quorum.required_kinds[", i, "]");
    if (violations.Require(kind != v1::BODY_ORGANISATION_KIND_UNSPECIFIED &&
                               v1::BodyOrganisationKind_IsValid(kind),
                           field, "must name an organisation kind")) {
      violations.Require(kinds.insert(kind).second, field, "each kind may appear only once");
    }
  }
  return violations.ToStatus();
}

std::string ChairAt(const Body& body, absl::Time time) {
  for (const ChairTerm& term : body.chair_schedule) {
    if (term.start_time <= time && time < term.end_time) return term.member_id;
  }
  return "";
}

absl::Status ValidateNewMeeting(const Meeting& meeting, const Body& body) {
  FieldViolations violations;
  violations.Require(meeting.start_time != absl::InfinitePast(), "meeting.start_time",
                     "is required");
  violations.Require(meeting.location.size() <= 200, "meeting.location", "at most 200 characters");
  violations.Require(meeting.status == v1::ESCALATION_MEETING_STATUS_UNSPECIFIED ||
                         meeting.status == v1::ESCALATION_MEETING_STATUS_PLANNED,
                     "meeting.status", "a new meeting is PLANNED");
  if (!meeting.chair_member_id.empty()) {
    bool member = false;
    for (const BodyMember& seat : body.members) member = member || seat.member_id == meeting.chair_member_id;
    violations.Require(member, "meeting.chair_member_id",
                       absl::StrCat("'", meeting.chair_member_id, "' is not a member of ",
                                    body.name));
  }
  return violations.ToStatus();
}

absl::Status CheckMeetingStatusChange(const Meeting& meeting, EscalationMeetingStatus to) {
  if (to == meeting.status) return absl::OkStatus();
  if (to != v1::ESCALATION_MEETING_STATUS_HELD && to != v1::ESCALATION_MEETING_STATUS_CANCELLED &&
      to != v1::ESCALATION_MEETING_STATUS_PLANNED) {
    return FieldError("meeting.status", "must be PLANNED, HELD or CANCELLED");
  }
  if (meeting.status != v1::ESCALATION_MEETING_STATUS_PLANNED) {
    return DomainError(absl::StatusCode::kFailedPrecondition, "MEETING_CLOSED",
                       absl::StrCat(meeting.name, " is ",
                                    v1::EscalationMeetingStatus_Name(meeting.status),
                                    ", a final status; plan a new meeting instead"));
  }
  return absl::OkStatus();
}

}  // namespace herstel::escalation
