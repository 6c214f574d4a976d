"""The status form. It validates what was typed; whether the move is allowed is the service's
decision (frictions.services.change_status), so the rule lives in one place."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from learncom import vocab
from learncom.frictions.services import MAX_REASON, MAX_RESOLUTION_NOTE, allowed_targets


class StatusForm(FlaskForm):
    to_status = SelectField(_l("New status"), choices=[], validate_choice=False)
    reason = TextAreaField(
        _l("Why?"),
        validators=[DataRequired(_l("Write a short reason.")),
                    Length(max=MAX_REASON, message=_l("Use at most %(max)d characters."))],
        description=_l("Everyone sees this in the discussion. Keep it short and clear."),
        render_kw={"rows": 3, "maxlength": MAX_REASON},
    )
    owner = SelectField(_l("Owner"), choices=[], default="", validate_choice=False,
                        description=_l("The coordinator who follows this friction up."))
    resolution_note = TextAreaField(
        _l("Resolution note"),
        validators=[Optional(), Length(max=MAX_RESOLUTION_NOTE,
                                       message=_l("Use at most %(max)d characters."))],
        description=_l("Only when you choose resolved or not resolved: what was decided?"),
        render_kw={"rows": 3},
    )
    next = HiddenField()

    def __init__(self, *args, post, coordinators=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.to_status.choices = [SelectChoice(status, vocab.CHANGE_STATUSES[status])
                                  for status in allowed_targets(post)]
        self.owner.choices = [SelectChoice("", _l("Nobody yet"))] + [
            SelectChoice(str(user.id), user.name) for user in coordinators]
        if self.owner.data in (None, "") and not self.is_submitted() and post.owner_id:
            self.owner.data = str(post.owner_id)

    def owner_id(self) -> int | None:
        """The chosen owner's id; None for nobody (also for a value that is no number)."""
        try:
            return int(self.owner.data) if self.owner.data else None
        except (TypeError, ValueError):
            return None
