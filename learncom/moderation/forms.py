"""Moderation forms. They validate what was typed; the views and services do the rest."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from learncom.moderation.services import MAX_EXPLANATION, REASONS


class FlagForm(FlaskForm):
    reason = RadioField(
        _l("Why should a coordinator look at this?"),
        choices=[SelectChoice(value, label) for value, label in REASONS.items()],
        validators=[DataRequired(_l("Choose a reason."))],
    )
    explanation = TextAreaField(
        _l("Explanation"),
        validators=[Optional(), Length(max=MAX_EXPLANATION)],
        description=_l("Optional, unless you chose \"Something else\". Only coordinators "
                       "read this."),
        render_kw={"rows": 4},
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.reason.data == "other" and not (self.explanation.data or "").strip():
            self.explanation.errors = [*self.explanation.errors,
                                       _l("Tell us what is wrong.")]
            valid = False
        return valid


class HideForm(FlaskForm):
    """Hiding from the queue, with an optional note for the audit log."""

    note = TextAreaField(_l("Note (optional)"),
                         validators=[Optional(), Length(max=MAX_EXPLANATION)],
                         render_kw={"rows": 2})
