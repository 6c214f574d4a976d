"""The kind-specific fields of each post kind, declared once.

Forms, the post page, revisions and JSONL import/export all read this table, so adding a field
means adding a column and one line here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from learncom import vocab


@dataclass(frozen=True)
class KindField:
    name: str
    type: str  # "text" (Markdown), "line", "date", "choice", "bool"
    label: object
    help: object = ""
    choices: dict = field(default_factory=dict)
    default: object = None
    required: bool = False


KIND_FIELDS: dict[str, tuple[KindField, ...]] = {
    "experiment": (
        KindField("hypothesis", "text", _l("Question or hypothesis"),
                  _l("What do you want to achieve, and what do you expect to happen?")),
        KindField("approach", "text", _l("Approach"), _l("What do you do, with whom?")),
        KindField("target_group", "line", _l("Target group")),
        KindField("outcome_measures", "text", _l("Outcome measures"),
                  _l("How will you know it works? Agree these with residents.")),
        KindField("start_date", "date", _l("Start date")),
        KindField("end_date", "date", _l("End date")),
        KindField("status", "choice", _l("Status"), choices=vocab.EXPERIMENT_STATUSES,
                  default="idea", required=True),
        KindField("result", "text", _l("Result"), _l("What happened? Also when it failed.")),
        KindField("evidence_level", "choice", _l("Evidence level"),
                  _l("After the Dutch recognition ladders (Movisie, NJi)."),
                  choices=vocab.EVIDENCE_LEVELS, default="described", required=True),
    ),
    "friction": (
        KindField("obstacle_type", "choice", _l("Type of obstacle"),
                  choices=vocab.OBSTACLE_TYPES, default="other", required=True),
        KindField("affected", "text", _l("Who is affected?")),
        KindField("change_status", "choice", _l("Change status"), choices=vocab.CHANGE_STATUSES,
                  default="raised", required=True),
        KindField("resolution_note", "text", _l("Resolution note")),
    ),
    "lesson": (
        KindField("statement", "line", _l("What we learned"),
                  _l("One short statement."), required=True),
        KindField("context", "text", _l("Context"), _l("Where and when does this hold?")),
        KindField("confidence", "choice", _l("Confidence"), choices=vocab.CONFIDENCES,
                  default="single_observation", required=True),
        KindField("curated", "bool", _l("Curated"), default=False),
    ),
}

# Fields only a coordinator sets: the change process and curation decide these.
COORDINATOR_FIELDS = frozenset({"change_status", "resolution_note", "curated"})
# Fields no post form sets, not even a coordinator's: a workflow moves them (the change status
# goes through frictions.services.change_status, which records why). New posts get the default.
WORKFLOW_FIELDS = frozenset({"change_status"})


def fields_for(kind: str) -> tuple[KindField, ...]:
    return KIND_FIELDS[kind]
