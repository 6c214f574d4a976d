"""The kinds of post, each declared once: what it is called, where it lives, how it looks and
which fields it has.

Everything else reads this table: the `posts` columns of the kind fields and the CHECK on
`kind` (posts/models.py), forms, the post page, revisions, lists and their URLs, feeds, the
search filter ``kind:`` (`aliases`), the OpenAPI document, dashboard charts, CSS colours
(/kinds.css), "my data" and JSONL import/export (`name` and the field names are the format).
Adding a kind is one `Kind(...)` here, a migration for its columns and the CHECK constraint,
and its Dutch strings (README, "A new kind of post"); tests/test_kinds.py checks that every
surface draws its kinds from `KINDS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, String, Text
from sqlalchemy.orm import mapped_column

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
    length: int | None = None  # "line" and "choice": the column's (and the form's) length
    index: bool = False  # lists filter on it

    def column(self):
        """The `posts` column that holds it (posts/models.py adds it to Post)."""
        if self.type == "text":
            return mapped_column(Text)
        if self.type == "date":
            return mapped_column(Date)
        if self.type == "bool":
            return mapped_column(Boolean, default=self.default, nullable=False)
        return mapped_column(String(self.length), index=self.index)


@dataclass(frozen=True)
class Kind:
    name: str  # stored, and the value in the API and JSONL import/export
    label: object  # "Experiment"
    plural: object  # "Experiments"
    one: object  # "An experiment"
    new_label: object  # Whole phrases: Dutch inflects around the noun ("nieuwe les").
    edit_label: object
    about_label: object
    description: object  # on the "what do you want to share?" page
    welcome: object  # on the welcome page (B1, a little longer)
    slug: str  # its list: /<slug>, and its feed: /feeds/<slug>.atom
    new_slug: str  # its form: /posts/nieuw/<new_slug>
    colour: str  # charts and CSS; meets WCAG AA contrast on white
    aliases: tuple[str, ...]  # what ``kind:`` in a search also accepts (besides the name)
    fields: tuple[KindField, ...]
    status_field: str | None = None  # the field lists filter on and cards show as status

    @property
    def statuses(self) -> dict:
        """The status field's values and labels ({} when the kind has none)."""
        return next((f.choices for f in self.fields if f.name == self.status_field), {})

    @property
    def schema(self) -> str:
        """The name of its fields' schema in the OpenAPI document."""
        return f"{self.name.capitalize()}Fields"


_KINDS = (
    Kind("experiment", _l("Experiment"), _l("Experiments"), _l("An experiment"),
         _l("New experiment"), _l("Edit experiment"), _l("About the experiment"),
         _l("Something you try out to see what works: your question, your approach, and a log "
            "of what happens."),
         _l("Something you try out. You write what you want to reach, what you do and what "
            "happens. While it runs, you add to its log."),
         slug="experimenten", new_slug="experiment", colour="#1f6f43",
         aliases=("experimenten",), status_field="status", fields=(
             KindField("hypothesis", "text", _l("Question or hypothesis"),
                       _l("What do you want to achieve, and what do you expect to happen?")),
             KindField("approach", "text", _l("Approach"), _l("What do you do, with whom?")),
             KindField("target_group", "line", _l("Target group"), length=200),
             KindField("outcome_measures", "text", _l("Outcome measures"),
                       _l("How will you know it works? Agree these with residents.")),
             KindField("start_date", "date", _l("Start date")),
             KindField("end_date", "date", _l("End date")),
             KindField("status", "choice", _l("Status"), choices=vocab.EXPERIMENT_STATUSES,
                       default="idea", required=True, length=16, index=True),
             KindField("result", "text", _l("Result"), _l("What happened? Also when it failed.")),
             KindField("evidence_level", "choice", _l("Evidence level"),
                       _l("After the Dutch recognition ladders (Movisie, NJi)."),
                       choices=vocab.EVIDENCE_LEVELS, default="described", required=True,
                       length=24),
         )),
    Kind("friction", _l("Friction"), _l("Frictions"), _l("A friction"),
         _l("New friction"), _l("Edit friction"), _l("About the friction"),
         _l("A rule, procedure, funding arrangement or habit that blocks you or the people you "
            "work for."),
         _l("Something that gets in the way: a rule, a form, money, or organisations that do not "
            "work together. Others can say “I recognise this”. A coordinator takes it to the "
            "people who can change it."),
         slug="fricties", new_slug="frictie", colour="#a23b12",
         aliases=("frictions", "frictie", "fricties"), status_field="change_status", fields=(
             KindField("obstacle_type", "choice", _l("Type of obstacle"),
                       choices=vocab.OBSTACLE_TYPES, default="other", required=True, length=16),
             KindField("affected", "text", _l("Who is affected?")),
             KindField("change_status", "choice", _l("Change status"),
                       choices=vocab.CHANGE_STATUSES, default="raised", required=True,
                       length=20, index=True),
             KindField("resolution_note", "text", _l("Resolution note")),
         )),
    Kind("lesson", _l("Lesson"), _l("Lessons"), _l("A lesson"),
         _l("New lesson"), _l("Edit lesson"), _l("About the lesson"),
         _l("Something you learned that others can use, and the context in which it holds."),
         _l("Something you learned that others can use. You also write where it works and how "
            "sure you are."),
         slug="lessen", new_slug="les", colour="#5b3d99",
         aliases=("lessons", "les", "lessen"), fields=(
             KindField("statement", "line", _l("What we learned"), _l("One short statement."),
                       required=True, length=300),
             KindField("context", "text", _l("Context"), _l("Where and when does this hold?")),
             KindField("confidence", "choice", _l("Confidence"), choices=vocab.CONFIDENCES,
                       default="single_observation", required=True, length=24),
             KindField("curated", "bool", _l("Curated"), default=False),
         )),
)

#: Every kind by name, in the order lists, menus and charts show them.
KINDS: dict[str, Kind] = {}
KIND_FIELDS: dict[str, tuple[KindField, ...]] = {}
#: The kind of a list URL (/experimenten) and of a new-post URL (/posts/nieuw/experiment; the
#: English names work too).
BY_SLUG: dict[str, str] = {}
BY_NEW_SLUG: dict[str, str] = {}
#: Every kind field once (fields of the same name in two kinds share a column).
ALL_FIELDS: list[KindField] = []
#: For routes: ``/<any(experimenten, fricties, lessen):slug>`` (set by `declare`).
SLUG_CONVERTER = ""


def declare(*kinds: Kind) -> None:
    """Add kinds to the tables above. Only before learncom.posts.models is imported (its
    columns and CHECK are made from them), so: here, or first thing in a test's process."""
    global SLUG_CONVERTER
    for kind in kinds:
        if kind.name in KINDS or kind.slug in BY_SLUG:
            raise ValueError(f"kind {kind.name!r} or its slug is declared twice")
        KINDS[kind.name] = kind
        KIND_FIELDS[kind.name] = kind.fields
        BY_SLUG[kind.slug] = kind.name
        BY_NEW_SLUG.update({kind.name: kind.name, kind.new_slug: kind.name})
        known = {spec.name for spec in ALL_FIELDS}
        ALL_FIELDS.extend(spec for spec in kind.fields if spec.name not in known)
    SLUG_CONVERTER = f"any({', '.join(BY_SLUG)})"


declare(*_KINDS)

# Fields only a coordinator sets: the change process and curation decide these.
COORDINATOR_FIELDS = frozenset({"change_status", "resolution_note", "curated"})
# Fields no post form sets, not even a coordinator's: a workflow moves them (the change status
# goes through frictions.services.change_status, which records why). New posts get the default.
WORKFLOW_FIELDS = frozenset({"change_status"})


def label(kind: str) -> str:
    """The kind's name as people read it (the stored value for an unknown one)."""
    return str(KINDS[kind].label) if kind in KINDS else kind


def status_labels() -> dict:
    """Every status value of every kind, with its label (search facets and filter chips)."""
    return {value: text for kind in KINDS.values() for value, text in kind.statuses.items()}


def css() -> str:
    """The kinds' colours as CSS (served at /kinds.css): ``--<kind>`` on the root, and
    ``--kind-colour`` on the cards and labels of each kind."""
    lines = [":root { " + " ".join(f"--{k.name}: {k.colour};" for k in KINDS.values()) + " }"]
    lines += [f".card-{k.name}, .kind-{k.name} {{ --kind-colour: var(--{k.name}); }}"
              for k in KINDS.values()]
    return "\n".join(lines) + "\n"
