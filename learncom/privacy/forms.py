"""Privacy forms: the public-profile choice and deleting an account. They validate what was
typed; the services do the rest."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from learncom.privacy.erasure import MODES


class PublicProfileForm(FlaskForm):
    public_profile = BooleanField(
        _l("Show my member page to visitors who are not logged in"),
        description=_l("Off: only members see your page and find you in the list of members. "
                       "Your name stays with what you post publicly."))


MODE_LABELS = {
    "anonymise": _l("Make anonymous: posts and comments stay, with “former member” instead "
                    "of the name."),
    "remove": _l("Remove everything: posts and comments go too. Replies by others stay, "
                 "under “[deleted]”."),
}


class DeleteAccountForm(FlaskForm):
    mode = RadioField(
        _l("What happens to what you wrote?"),
        choices=[SelectChoice(mode, MODE_LABELS[mode]) for mode in MODES],
        validators=[DataRequired(_l("Choose what happens to what you wrote."))])
    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(_l("Fill in your password."))],
        description=_l("So we know it is really you."))
