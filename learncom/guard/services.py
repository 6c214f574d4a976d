"""The privacy guard in forms: check what was typed before anything is saved.

A view calls `check(field, …)` after its form validated. When the fields hold something that
looks like a client's personal data (`detect.py`) and the member has not yet chosen what to do,
`guard.blocked` is true: the view saves nothing and renders the form again (status 200, with
what was typed) and the partial ``guard/_guard.html`` shows the matches and two buttons,
which work without JavaScript because they are ordinary submit buttons of the same form:

- "Haal ze weg" (``privacy_action=redact``): the same text is checked again and every match
  replaced by "[weggehaald]" before it is saved;
- "Toch plaatsen" (``privacy_action=override``) with a reason: saved as it is, and
  `record_override` keeps who, where, which kinds and why, for coordinators.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import request
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from learncom.extensions import db
from learncom.guard import detect
from learncom.guard.models import PrivacyOverride

ACTION = "privacy_action"
REASON = "privacy_reason"
REDACT, OVERRIDE = "redact", "override"
MAX_REASON = 500

#: What the member is told about a match (B1: short and plain).
LABELS = {
    "bsn": _l("This looks like a BSN"),
    "phone": _l("This looks like a phone number"),
    "email": _l("This looks like an e-mail address"),
    "postcode": _l("This looks like an address (postcode and house number)"),
    "iban": _l("This looks like a bank account number (IBAN)"),
    "birthdate": _l("This looks like a date of birth"),
}
#: Short names, for the coordinators' list.
NAMES = {
    "bsn": _l("BSN"),
    "phone": _l("phone number"),
    "email": _l("e-mail address"),
    "postcode": _l("address"),
    "iban": _l("bank account number"),
    "birthdate": _l("date of birth"),
}


def kind_names(kinds) -> str:
    return ", ".join(str(NAMES.get(kind, kind)) for kind in kinds)


def highlight(text: str, findings: list[detect.Finding]) -> Markup:
    """The text, escaped, with each match in a <mark> that names what it looks like."""
    parts: list[str] = []
    position = 0
    for finding in findings:
        parts.append(str(escape(text[position:finding.start])))
        parts.append(f'<mark class="privacy-match privacy-{finding.kind}" '
                     f'title="{escape(str(LABELS[finding.kind]))}">'
                     f"{escape(finding.text)}</mark>")
        position = finding.end
    parts.append(str(escape(text[position:])))
    return Markup("".join(parts))  # noqa: S704 - built from escaped parts only


@dataclass
class FieldCheck:
    """The matches in one form field (as typed, before any redaction)."""

    field: object  # a WTForms field
    text: str
    findings: list[detect.Finding]

    @property
    def label(self) -> str:
        return str(self.field.label.text)

    @property
    def highlighted(self) -> Markup:
        return highlight(self.text, self.findings)

    def named(self) -> list[tuple[str, str]]:
        """(label, matched text) per match."""
        return [(str(LABELS[f.kind]), f.text) for f in self.findings]


@dataclass
class Guard:
    checks: list[FieldCheck] = field(default_factory=list)
    action: str = ""
    reason: str = ""
    reason_error: str | None = None

    @property
    def found(self) -> bool:
        return bool(self.checks)

    @property
    def kinds(self) -> list[str]:
        return sorted({f.kind for check in self.checks for f in check.findings},
                      key=detect.KINDS.index)

    @property
    def redacted(self) -> bool:
        return self.found and self.action == REDACT

    @property
    def overridden(self) -> bool:
        return self.found and self.action == OVERRIDE and bool(self.reason)

    @property
    def blocked(self) -> bool:
        """Nothing may be saved yet: something was found and the member has not chosen."""
        return self.found and not (self.redacted or self.overridden)


def check(*fields, formdata=None) -> Guard:
    """Check the text of these form fields. With "haal ze weg" chosen, the matches are
    replaced in the fields' data right away, so the view saves the cleaned text."""
    data = formdata if formdata is not None else request.form
    action = data.get(ACTION, "")
    guard = Guard(action=action if action in (REDACT, OVERRIDE) else "",
                  reason=" ".join((data.get(REASON) or "").split())[:MAX_REASON])
    for form_field in fields:
        text = form_field.data if isinstance(form_field.data, str) else ""
        findings = detect.find(text)
        if findings:
            guard.checks.append(FieldCheck(form_field, text, findings))
    if guard.redacted:
        for item in guard.checks:
            item.field.data = detect.redact(item.text, item.findings)
    elif guard.found and guard.action == OVERRIDE and not guard.reason:
        guard.reason_error = str(_l("Say why it is fine to post this."))
    return guard


def record_override(guard: Guard | None, user, *, post_id: int, target_type: str,
                    target_id: int) -> PrivacyOverride | None:
    """Keep the member's choice to post despite the warning (kinds and reason, never the
    matched text). Does nothing unless the guard was overridden."""
    if guard is None or not guard.overridden:
        return None
    row = PrivacyOverride(user_id=getattr(user, "id", None), post_id=post_id,
                          target_type=target_type, target_id=target_id, kinds=guard.kinds,
                          reason=guard.reason)
    db.session.add(row)
    db.session.flush()
    return row


def report(texts: dict[str, str | None]) -> list[str]:
    """For the importer: the kinds found per named text, e.g. ["body: BSN, phone number"]."""
    lines = []
    for name, text in texts.items():
        kinds = sorted({f.kind for f in detect.find(text)}, key=detect.KINDS.index)
        if kinds:
            lines.append(f"{name}: {', '.join(kinds)}")
    return lines
