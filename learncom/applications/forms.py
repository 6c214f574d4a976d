"""The "lesson applied" form. It validates what was typed; the service does the rest."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from learncom.applications.services import (
    MAX_PLACE,
    MAX_TEXT,
    ApplicationInput,
    local_today,
)
from learncom.posts.forms import renders
from learncom.posts.services import all_neighbourhoods

FRICTION_RETURNED_LABELS = {
    "unknown": _l("I don't know (yet)"),
    "no": _l("No, it did not come back"),
    "yes": _l("Yes, it came back"),
}
MARKDOWN_HELP = _l("You can use Markdown: **bold**, *italic*, [a link](https://…) and lists "
                   "(lines starting with -). Never write anything that identifies a client.")


class ApplicationForm(FlaskForm):
    neighbourhood = SelectField(_l("Neighbourhood"), choices=[], default="")
    place = StringField(
        _l("Or another place"),
        validators=[Optional(), Length(max=MAX_PLACE,
                                       message=_l("Use at most %(max)d characters."))],
        description=_l("A place that is not on the list, such as a town or an organisation."))
    team = SelectField(_l("Team"), choices=[], default="",
                       description=_l("Optional. Only teams you are a member of."))
    applied_on = DateField(_l("Date"), default=local_today,
                           validators=[DataRequired(_l("Fill in a date (YYYY-MM-DD)."))],
                           description=_l("When was the lesson applied? Not a date in the future."))
    what_happened = TextAreaField(
        _l("What happened?"),
        validators=[DataRequired(_l("Write what happened.")),
                    Length(max=MAX_TEXT, message=_l("Use at most %(max)d characters.")),
                    renders],
        description=MARKDOWN_HELP, render_kw={"rows": 5})
    friction_returned = RadioField(
        _l("Did the friction come back?"),
        choices=[SelectChoice(value, label) for value, label in FRICTION_RETURNED_LABELS.items()],
        default="unknown",
        validators=[DataRequired(_l("Choose an answer."))])

    def __init__(self, *args, neighbourhoods=(), teams=(), **kwargs):
        kwargs.setdefault("prefix", "applied")
        super().__init__(*args, **kwargs)
        self.neighbourhood.choices = [SelectChoice("", _l("Choose a neighbourhood"))] + [
            SelectChoice(str(h.id), h.name, optgroup=h.city or None)
            for h in sorted(neighbourhoods, key=lambda h: (h.city or "", h.name))]
        self.team.choices = [SelectChoice("", _l("No team"))] + [
            SelectChoice(str(t.id), t.name) for t in teams]

    @classmethod
    def for_member(cls, user, **kwargs) -> ApplicationForm:
        return cls(neighbourhoods=all_neighbourhoods(), teams=list(user.teams), **kwargs)

    def validate_applied_on(self, field):
        if field.data is not None and field.data > local_today():
            raise ValidationError(_l("The date cannot be in the future."))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not self.neighbourhood.data and not (self.place.data or "").strip() \
                and not self.neighbourhood.errors and not self.place.errors:
            self.place.errors.append(_l("Choose a neighbourhood or write where."))
            ok = False
        return ok

    def to_input(self) -> ApplicationInput:
        return ApplicationInput(
            applied_on=self.applied_on.data,
            what_happened=self.what_happened.data,
            friction_returned=self.friction_returned.data,
            neighbourhood_id=int(self.neighbourhood.data) if self.neighbourhood.data else None,
            place=(self.place.data or "").strip() or None,
            team_id=int(self.team.data) if self.team.data else None,
        )
