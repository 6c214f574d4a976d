"""The notification settings form (it never writes to the database)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

DIGEST_CHOICES = {
    "off": _l("No e-mail: I look on the site myself"),
    "daily": _l("One e-mail a day at most"),
    "weekly": _l("One e-mail a week at most"),
}


class DigestSettingsForm(FlaskForm):
    email_digest = RadioField(
        _l("E-mail about your notifications"),
        choices=[SelectChoice(value, label) for value, label in DIGEST_CHOICES.items()],
        validators=[InputRequired(_l("Choose one of the options."))])
