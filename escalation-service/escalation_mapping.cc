#include "escalation_mapping.h"

#include "domain/bodies.h"
#include "domain/ladder.h"

namespace herstel::escalation {
namespace {

void SetTime(google::protobuf::Timestamp* target, absl::Time time) { *target = ToTimestamp(time); }

std::optional<absl::Time> OptionalTime(bool has, const google::protobuf::Timestamp& timestamp) {
  if (!has) return std::nullopt;
  return FromTimestamp(timestamp);
}

template <typename Repeated>
std::vector<std::string> Strings(const Repeated& repeated) {
  return std::vector<std::string>(repeated.begin(), repeated.end());
}

}  // namespace

google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  google::protobuf::Timestamp timestamp;
  const int64_t seconds = absl::ToUnixSeconds(time);
  timestamp.set_seconds(seconds);
  timestamp.set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(time - absl::FromUnixSeconds(seconds))));
  return timestamp;
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
}

v1::EscalationReferral ToProto(const Referral& referral) {
  v1::EscalationReferral proto;
  proto.set_organisation(referral.organisation);
  proto.set_framework(referral.framework);
  proto.set_note(referral.note);
  proto.set_external_reference(referral.external_reference);
  if (referral.refer_time) SetTime(proto.mutable_refer_time(), *referral.refer_time);
  proto.set_referred_by(referral.referred_by);
  return proto;
}

Referral FromProto(const v1::EscalationReferral& proto) {
  Referral referral;
  referral.organisation = proto.organisation();
  referral.framework = proto.framework();
  referral.note = proto.note();
  referral.external_reference = proto.external_reference();
  referral.refer_time = OptionalTime(proto.has_refer_time(), proto.refer_time());
  referral.referred_by = proto.referred_by();
  return referral;
}

v1::EscalationFunding ToProto(const Funding& funding) {
  v1::EscalationFunding proto;
  proto.set_budget_line(funding.budget_line);
  proto.set_amount_cents(funding.amount_cents);
  return proto;
}

Funding FromProto(const v1::EscalationFunding& proto) {
  return Funding{proto.budget_line(), proto.amount_cents()};
}

v1::Escalation ToProto(const Escalation& e) {
  v1::Escalation proto;
  proto.set_name(e.name);
  switch (e.subject.kind) {
    case SubjectKind::kCases:
      for (const std::string& name : e.subject.cases) proto.mutable_cases()->add_cases(name);
      break;
    case SubjectKind::kCluster:
      proto.set_cluster(e.subject.cluster);
      break;
    case SubjectKind::kBottleneck:
      proto.set_bottleneck(e.subject.bottleneck);
      break;
    case SubjectKind::kQuestion:
      proto.set_question(e.subject.question);
      break;
    case SubjectKind::kNone:
      break;
  }
  proto.set_title(e.title);
  for (const std::string& m : e.municipalities) proto.add_municipalities(m);
  proto.set_decision_kind(e.decision_kind);
  proto.set_amount_asked_cents(e.amount_asked_cents);
  for (const Funding& f : e.budget_split) *proto.add_budget_split() = ToProto(f);
  proto.set_reason(e.reason);
  proto.set_reason_text(e.reason_text);
  proto.set_supra_local(e.supra_local);
  proto.set_supra_local_reason(e.supra_local_reason);
  proto.set_decision_request(e.decision_request);
  proto.set_opened_by(e.opened_by);
  proto.set_opened_by_organisation(e.opened_by_organisation);
  proto.set_level(e.level);
  proto.set_body(e.body);
  proto.set_status(e.status);
  SetTime(proto.mutable_due_time(), e.due_time);
  proto.mutable_term()->set_term_working_days(e.term_working_days);
  SetTime(proto.mutable_term()->mutable_level_start_time(), e.level_start_time);
  proto.set_meeting(e.meeting);
  for (const std::string& d : e.decisions) proto.add_decisions(d);
  if (e.referral) *proto.mutable_referral() = ToProto(*e.referral);
  proto.set_withdraw_reason(e.withdraw_reason);
  for (const LevelChange& c : e.level_history) {
    v1::EscalationLevelChange* change = proto.add_level_history();
    change->set_from_level(c.from_level);
    change->set_to_level(c.to_level);
    change->set_reason(c.reason);
    change->set_reason_text(c.reason_text);
    change->set_trigger(c.trigger);
    change->set_cause(c.cause);
    change->set_actor(c.actor);
    SetTime(change->mutable_change_time(), c.change_time);
  }
  for (const Suspension& s : e.suspensions) {
    v1::EscalationSuspension* suspension = proto.add_suspensions();
    suspension->set_reason(s.reason);
    suspension->set_status_before(s.status_before);
    SetTime(suspension->mutable_suspend_time(), s.suspend_time);
    if (s.resume_time) SetTime(suspension->mutable_resume_time(), *s.resume_time);
    suspension->set_working_days_suspended(s.working_days_suspended);
    suspension->set_suspended_by(s.suspended_by);
    suspension->set_resumed_by(s.resumed_by);
    suspension->set_resume_note(s.resume_note);
  }
  for (const Breach& b : e.breaches) {
    v1::EscalationBreach* breach = proto.add_breaches();
    breach->set_level(b.level);
    SetTime(breach->mutable_due_time(), b.due_time);
    SetTime(breach->mutable_detect_time(), b.detect_time);
    breach->set_auto_escalated(b.auto_escalated);
    breach->set_to_level(b.to_level);
  }
  SetTime(proto.mutable_create_time(), e.create_time);
  if (e.acknowledge_time) SetTime(proto.mutable_acknowledge_time(), *e.acknowledge_time);
  SetTime(proto.mutable_update_time(), e.update_time);
  if (e.close_time) SetTime(proto.mutable_close_time(), *e.close_time);
  proto.set_etag(e.etag);
  return proto;
}

Escalation FromProto(const v1::Escalation& proto) {
  Escalation e;
  e.name = proto.name();
  switch (proto.subject_case()) {
    case v1::Escalation::kCases:
      e.subject.kind = SubjectKind::kCases;
      e.subject.cases = Strings(proto.cases().cases());
      break;
    case v1::Escalation::kCluster:
      e.subject.kind = SubjectKind::kCluster;
      e.subject.cluster = proto.cluster();
      break;
    case v1::Escalation::kBottleneck:
      e.subject.kind = SubjectKind::kBottleneck;
      e.subject.bottleneck = proto.bottleneck();
      break;
    case v1::Escalation::kQuestion:
      e.subject.kind = SubjectKind::kQuestion;
      e.subject.question = proto.question();
      break;
    default:
      break;
  }
  e.title = proto.title();
  e.municipalities = Strings(proto.municipalities());
  e.decision_kind = proto.decision_kind();
  e.amount_asked_cents = proto.amount_asked_cents();
  for (const auto& f : proto.budget_split()) e.budget_split.push_back(FromProto(f));
  e.reason = proto.reason();
  e.reason_text = proto.reason_text();
  e.supra_local = proto.supra_local();
  e.supra_local_reason = proto.supra_local_reason();
  e.decision_request = proto.decision_request();
  e.opened_by = proto.opened_by();
  e.opened_by_organisation = proto.opened_by_organisation();
  e.level = proto.level();
  e.body = proto.body();
  e.status = proto.status();
  e.due_time = FromTimestamp(proto.due_time());
  e.term_working_days = proto.term().term_working_days();
  e.level_start_time = FromTimestamp(proto.term().level_start_time());
  e.meeting = proto.meeting();
  e.decisions = Strings(proto.decisions());
  if (proto.has_referral()) e.referral = FromProto(proto.referral());
  e.withdraw_reason = proto.withdraw_reason();
  for (const auto& c : proto.level_history()) {
    LevelChange change;
    change.from_level = c.from_level();
    change.to_level = c.to_level();
    change.reason = c.reason();
    change.reason_text = c.reason_text();
    change.trigger = c.trigger();
    change.cause = c.cause();
    change.actor = c.actor();
    change.change_time = FromTimestamp(c.change_time());
    e.level_history.push_back(std::move(change));
  }
  for (const auto& s : proto.suspensions()) {
    Suspension suspension;
    suspension.reason = s.reason();
    suspension.status_before = s.status_before();
    suspension.suspend_time = FromTimestamp(s.suspend_time());
    suspension.resume_time = OptionalTime(s.has_resume_time(), s.resume_time());
    suspension.working_days_suspended = s.working_days_suspended();
    suspension.suspended_by = s.suspended_by();
    suspension.resumed_by = s.resumed_by();
    suspension.resume_note = s.resume_note();
    e.suspensions.push_back(std::move(suspension));
  }
  for (const auto& b : proto.breaches()) {
    e.breaches.push_back(Breach{b.level(), FromTimestamp(b.due_time()),
                                FromTimestamp(b.detect_time()), b.auto_escalated(), b.to_level()});
  }
  e.create_time = FromTimestamp(proto.create_time());
  e.acknowledge_time = OptionalTime(proto.has_acknowledge_time(), proto.acknowledge_time());
  e.update_time = FromTimestamp(proto.update_time());
  e.close_time = OptionalTime(proto.has_close_time(), proto.close_time());
  e.etag = proto.etag();
  return e;
}

v1::Escalation EscalationForResponse(const Escalation& escalation,
                                     const WorkingDayCalendar& calendar, absl::Time now) {
  v1::Escalation proto = ToProto(escalation);
  const TermStatus term = ComputeTermStatus(escalation, calendar, now);
  v1::EscalationTermStatus* status = proto.mutable_term();
  status->set_term_working_days(term.term_working_days);
  status->set_working_days_used(term.working_days_used);
  status->set_working_days_left(term.working_days_left);
  status->set_working_days_overdue(term.working_days_overdue);
  status->set_clock_running(term.clock_running);
  proto.set_overdue(term.overdue);
  return proto;
}

v1::EscalationBody ToProto(const Body& body) {
  v1::EscalationBody proto;
  proto.set_name(body.name);
  proto.set_display_name(body.display_name);
  proto.set_level(body.level);
  for (const std::string& m : body.municipalities) proto.add_municipalities(m);
  for (const BodyMember& member : body.members) {
    v1::EscalationBodyMember* seat = proto.add_members();
    seat->set_member_id(member.member_id);
    seat->set_organisation_kind(member.organisation_kind);
    seat->set_organisation(member.organisation);
    seat->set_municipality(member.municipality);
    seat->set_topic(member.topic);
    seat->set_office(member.office);
    seat->set_voting(member.voting);
    for (const std::string& subject : member.subjects) seat->add_subjects(subject);
    if (member.start_time) SetTime(seat->mutable_start_time(), *member.start_time);
    if (member.end_time) SetTime(seat->mutable_end_time(), *member.end_time);
  }
  for (const ChairTerm& term : body.chair_schedule) {
    v1::EscalationChairTerm* chair = proto.add_chair_schedule();
    chair->set_member_id(term.member_id);
    SetTime(chair->mutable_start_time(), term.start_time);
    SetTime(chair->mutable_end_time(), term.end_time);
  }
  proto.mutable_quorum()->set_min_voting_members_present(body.quorum.min_voting_members_present);
  for (BodyOrganisationKind kind : body.quorum.required_kinds) {
    proto.mutable_quorum()->add_required_kinds(kind);
  }
  SetTime(proto.mutable_create_time(), body.create_time);
  SetTime(proto.mutable_update_time(), body.update_time);
  proto.set_etag(body.etag);
  return proto;
}

Body FromProto(const v1::EscalationBody& proto) {
  Body body;
  body.name = proto.name();
  body.display_name = proto.display_name();
  body.level = proto.level();
  body.municipalities = Strings(proto.municipalities());
  for (const auto& seat : proto.members()) {
    BodyMember member;
    member.member_id = seat.member_id();
    member.organisation_kind = seat.organisation_kind();
    member.organisation = seat.organisation();
    member.municipality = seat.municipality();
    member.topic = seat.topic();
    member.office = seat.office();
    member.voting = seat.voting();
    member.subjects = Strings(seat.subjects());
    member.start_time = OptionalTime(seat.has_start_time(), seat.start_time());
    member.end_time = OptionalTime(seat.has_end_time(), seat.end_time());
    body.members.push_back(std::move(member));
  }
  for (const auto& chair : proto.chair_schedule()) {
    body.chair_schedule.push_back(
        ChairTerm{chair.member_id(), FromTimestamp(chair.start_time()), FromTimestamp(chair.end_time())});
  }
  body.quorum.min_voting_members_present = proto.quorum().min_voting_members_present();
  for (int kind : proto.quorum().required_kinds()) {
    body.quorum.required_kinds.push_back(static_cast<BodyOrganisationKind>(kind));
  }
  body.create_time = FromTimestamp(proto.create_time());
  body.update_time = FromTimestamp(proto.update_time());
  body.etag = proto.etag();
  return body;
}

v1::EscalationBody BodyForResponse(const Body& body, absl::Time now) {
  v1::EscalationBody proto = ToProto(body);
  proto.set_current_chair_member_id(ChairAt(body, now));
  return proto;
}

v1::EscalationMeeting ToProto(const Meeting& meeting) {
  v1::EscalationMeeting proto;
  proto.set_name(meeting.name);
  proto.set_body(meeting.body);
  SetTime(proto.mutable_start_time(), meeting.start_time);
  proto.set_location(meeting.location);
  proto.set_status(meeting.status);
  proto.set_chair_member_id(meeting.chair_member_id);
  int position = 0;
  for (const AgendaItem& item : meeting.agenda) {
    v1::EscalationAgendaItem* entry = proto.add_agenda();
    entry->set_position(++position);
    entry->set_escalation(item.escalation);
    entry->set_title(item.title);
    SetTime(entry->mutable_due_time(), item.due_time);
    entry->set_decision(item.decision);
    SetTime(entry->mutable_schedule_time(), item.schedule_time);
  }
  SetTime(proto.mutable_create_time(), meeting.create_time);
  SetTime(proto.mutable_update_time(), meeting.update_time);
  proto.set_etag(meeting.etag);
  return proto;
}

Meeting FromProto(const v1::EscalationMeeting& proto) {
  Meeting meeting;
  meeting.name = proto.name();
  meeting.body = proto.body();
  meeting.start_time =
      proto.has_start_time() ? FromTimestamp(proto.start_time()) : absl::InfinitePast();
  meeting.location = proto.location();
  meeting.status = proto.status();
  meeting.chair_member_id = proto.chair_member_id();
  for (const auto& entry : proto.agenda()) {
    meeting.agenda.push_back(AgendaItem{entry.escalation(), entry.title(),
                                        FromTimestamp(entry.due_time()), entry.decision(),
                                        FromTimestamp(entry.schedule_time())});
  }
  meeting.create_time = FromTimestamp(proto.create_time());
  meeting.update_time = FromTimestamp(proto.update_time());
  meeting.etag = proto.etag();
  return meeting;
}

v1::EscalationDecision ToProto(const Decision& d) {
  v1::EscalationDecision proto;
  proto.set_name(d.name);
  proto.set_escalation(d.escalation);
  proto.set_level(d.level);
  proto.set_body(d.body);
  proto.set_meeting(d.meeting);
  proto.set_outcome(d.outcome);
  proto.set_decision_kind(d.decision_kind);
  proto.set_amount_asked_cents(d.amount_asked_cents);
  proto.set_amount_cents(d.amount_cents);
  for (const Funding& f : d.funding) *proto.add_funding() = ToProto(f);
  for (const std::string& c : d.conditions) proto.add_conditions(c);
  proto.set_rationale(d.rationale);
  for (const Vote& v : d.votes) {
    v1::EscalationVote* vote = proto.add_votes();
    vote->set_member_id(v.member_id);
    vote->set_choice(v.choice);
    vote->set_note(v.note);
  }
  for (const std::string& m : d.present_members) proto.add_present_members(m);
  proto.set_voting_rule(d.voting_rule);
  if (d.referral) *proto.mutable_referral() = ToProto(*d.referral);
  proto.set_within_term(d.within_term);
  proto.set_spendable_status(d.spendable_status);
  proto.set_authorisation(d.authorisation);
  proto.set_reservation(d.reservation);
  if (d.reservation_error) {
    v1::ErrorDetail* detail = proto.mutable_reservation_error();
    detail->set_reason(d.reservation_error->reason);
    detail->set_domain("mandate-service");
    detail->set_can_decide_level(d.reservation_error->can_decide_level);
    for (const auto& [key, value] : d.reservation_error->metadata) {
      (*detail->mutable_metadata())[key] = value;
    }
    if (!d.reservation_error->message.empty()) {
      (*detail->mutable_metadata())["message"] = d.reservation_error->message;
    }
  }
  proto.set_reservation_attempts(d.reservation_attempts);
  if (d.last_reservation_attempt_time) {
    SetTime(proto.mutable_last_reservation_attempt_time(), *d.last_reservation_attempt_time);
  }
  proto.set_decided_by(d.decided_by);
  SetTime(proto.mutable_decide_time(), d.decide_time);
  SetTime(proto.mutable_update_time(), d.update_time);
  proto.set_etag(d.etag);
  return proto;
}

Decision FromProto(const v1::EscalationDecision& proto) {
  Decision d;
  d.name = proto.name();
  d.escalation = proto.escalation();
  d.level = proto.level();
  d.body = proto.body();
  d.meeting = proto.meeting();
  d.outcome = proto.outcome();
  d.decision_kind = proto.decision_kind();
  d.amount_asked_cents = proto.amount_asked_cents();
  d.amount_cents = proto.amount_cents();
  for (const auto& f : proto.funding()) d.funding.push_back(FromProto(f));
  d.conditions = Strings(proto.conditions());
  d.rationale = proto.rationale();
  for (const auto& v : proto.votes()) d.votes.push_back(Vote{v.member_id(), v.choice(), v.note()});
  d.present_members = Strings(proto.present_members());
  d.voting_rule = proto.voting_rule();
  if (proto.has_referral()) d.referral = FromProto(proto.referral());
  d.within_term = proto.within_term();
  d.spendable_status = proto.spendable_status();
  d.authorisation = proto.authorisation();
  d.reservation = proto.reservation();
  if (proto.has_reservation_error()) {
    ReservationError error;
    error.reason = proto.reservation_error().reason();
    error.can_decide_level = proto.reservation_error().can_decide_level();
    for (const auto& [key, value] : proto.reservation_error().metadata()) {
      if (key == "message") {
        error.message = value;
      } else {
        error.metadata[key] = value;
      }
    }
    d.reservation_error = std::move(error);
  }
  d.reservation_attempts = proto.reservation_attempts();
  d.last_reservation_attempt_time =
      OptionalTime(proto.has_last_reservation_attempt_time(), proto.last_reservation_attempt_time());
  d.decided_by = proto.decided_by();
  d.decide_time = FromTimestamp(proto.decide_time());
  d.update_time = FromTimestamp(proto.update_time());
  d.etag = proto.etag();
  return d;
}

v1::EscalationTermPolicy ToProto(const TermPolicy& policy) {
  v1::EscalationTermPolicy proto;
  proto.set_name(kTermPolicyName);
  for (const LevelTerm& term : policy.levels) {
    v1::EscalationLevelTerm* entry = proto.add_levels();
    entry->set_level(term.level);
    entry->set_term_working_days(term.term_working_days);
    entry->set_auto_escalate(term.auto_escalate);
  }
  for (const std::string& day : policy.extra_closed_days) proto.add_extra_closed_days(day);
  if (policy.update_time) SetTime(proto.mutable_update_time(), *policy.update_time);
  proto.set_etag(policy.etag);
  return proto;
}

TermPolicy FromProto(const v1::EscalationTermPolicy& proto) {
  TermPolicy policy;
  for (const auto& entry : proto.levels()) {
    policy.levels.push_back(LevelTerm{entry.level(), entry.term_working_days(), entry.auto_escalate()});
  }
  policy.extra_closed_days = Strings(proto.extra_closed_days());
  policy.update_time = OptionalTime(proto.has_update_time(), proto.update_time());
  policy.etag = proto.etag();
  return policy;
}

v1::EscalationVotingPolicy ToProto(const VotingPolicy& policy) {
  v1::EscalationVotingPolicy proto;
  proto.set_name(kVotingPolicyName);
  proto.set_default_rule(policy.default_rule);
  for (const KindVotingRule& rule : policy.rules) {
    v1::EscalationKindVotingRule* entry = proto.add_rules();
    entry->set_decision_kind(rule.decision_kind);
    entry->set_rule(rule.rule);
  }
  if (policy.update_time) SetTime(proto.mutable_update_time(), *policy.update_time);
  proto.set_etag(policy.etag);
  return proto;
}

VotingPolicy FromProto(const v1::EscalationVotingPolicy& proto) {
  VotingPolicy policy;
  policy.default_rule = proto.default_rule();
  for (const auto& entry : proto.rules()) {
    policy.rules.push_back(KindVotingRule{entry.decision_kind(), entry.rule()});
  }
  policy.update_time = OptionalTime(proto.has_update_time(), proto.update_time());
  policy.etag = proto.etag();
  return policy;
}

}  // namespace herstel::escalation
