"""Controlled vocabularies. The stored values are also the JSONL import/export values,
so the format stays a plain mirror of the models; labels are what the UI shows. The kinds of
post, with their names, URLs and fields, are declared in learncom/posts/kinds.py."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

MEMBER_KINDS = {
    "professional": _l("Professional"),
    "resident": _l("Resident"),
    "volunteer": _l("Volunteer"),
    "expert_by_experience": _l("Expert by experience"),
    "civil_servant": _l("Civil servant"),
}
# Plural labels for perspective balance ("who took part").
MEMBER_KINDS_PLURAL = {
    "professional": _l("Professionals"),
    "resident": _l("Residents"),
    "volunteer": _l("Volunteers"),
    "expert_by_experience": _l("Experts by experience"),
    "civil_servant": _l("Civil servants"),
}

ROLES = {"member": _l("Member"), "coordinator": _l("Coordinator"), "admin": _l("Admin")}
ROLE_RANK = {"member": 0, "coordinator": 1, "admin": 2}

VISIBILITIES = {
    "public": _l("Public: everyone, also without an account"),
    "members": _l("Members: only logged-in members"),
    "team": _l("Team: only members of the team"),
}
VISIBILITY_SHORT = {"public": _l("Public"), "members": _l("Members only"), "team": _l("Team only")}

EXPERIMENT_STATUSES = {
    "idea": _l("Idea"),
    "running": _l("Running"),
    "concluded": _l("Concluded"),
    "stopped": _l("Stopped"),
}
EVIDENCE_LEVELS = {
    "described": _l("Described"),
    "substantiated": _l("Substantiated (a reasoned why it works)"),
    "first_indications": _l("First indications of effect"),
    "good_indications": _l("Good indications of effect"),
    "strong_indications": _l("Strong indications of effect"),
}
OBSTACLE_TYPES = {
    "rule": _l("Rule or regulation"),
    "funding": _l("Funding"),
    "cooperation": _l("Cooperation between organisations"),
    "procedure": _l("Procedure or bureaucracy"),
    "trust": _l("Trust or uncertainty"),
    "other": _l("Other"),
}
CHANGE_STATUSES = {
    "raised": _l("Raised"),
    "on_agenda": _l("On the agenda"),
    "being_addressed": _l("Being addressed"),
    "resolved": _l("Resolved"),
    "not_resolved": _l("Not resolved"),
}
CONFIDENCES = {
    "single_observation": _l("Single observation"),
    "several_teams": _l("Several teams"),
    "measured": _l("Measured"),
}
RELATIONS = {
    "addresses": _l("addresses"),
    "replicates": _l("replicates"),
    "learned_from": _l("learned from"),
    "related": _l("related to"),
}
# How a link reads from the other end.
RELATIONS_INVERSE = {
    "addresses": _l("addressed by"),
    "replicates": _l("replicated by"),
    "learned_from": _l("lesson drawn from it"),
    "related": _l("related to"),
}
