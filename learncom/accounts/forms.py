"""Account forms. Messages are Dutch through Babel; forms never write to the database."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from learncom.accounts.services import MIN_PASSWORD_LENGTH, display_name_taken
from learncom.vocab import MEMBER_KINDS, ROLES


def _kind_choices():
    return [("", _l("Choose…"))] + list(MEMBER_KINDS.items())


class ProfileFields(FlaskForm):
    name = StringField(
        _l("Display name"),
        validators=[DataRequired(_l("Fill in a display name.")),
                    Length(min=2, max=80, message=_l("Use 2 to 80 characters."))],
        description=_l("Shown with everything you write. A pseudonym is fine."),
    )
    kind = SelectField(
        _l("I take part as"),
        choices=_kind_choices,
        validators=[DataRequired(_l("Choose how you take part."))],
        description=_l("A badge beside your name, so others know your perspective."),
    )
    organisation = StringField(_l("Organisation (optional)"),
                               validators=[Optional(), Length(max=120)])
    function = StringField(_l("Function (optional)"), validators=[Optional(), Length(max=120)])

    def __init__(self, *args, user_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._user_id = user_id

    def validate_name(self, field):
        if display_name_taken(field.data, exclude_user_id=self._user_id):
            raise ValidationError(_l("This display name is already in use; choose another."))


class RegisterForm(ProfileFields):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(_l("Fill in your e-mail address.")),
                    Email(_l("This is not a valid e-mail address."), check_deliverability=False),
                    Length(max=254)],
        description=_l("Never shown to other members."),
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Choose a password.")),
                    Length(min=MIN_PASSWORD_LENGTH, max=200,
                           message=_l("Use at least %(num)d characters.", num=MIN_PASSWORD_LENGTH))],
        description=_l("At least %(num)d characters. A sentence is easy to remember.",
                       num=MIN_PASSWORD_LENGTH),
    )
    password_again = PasswordField(
        _l("Password again"),
        validators=[DataRequired(_l("Type your password again.")),
                    EqualTo("password", _l("The passwords are not the same."))],
    )


class ProfileForm(ProfileFields):
    pass


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"),
                       validators=[DataRequired(_l("Fill in your e-mail address."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Fill in your password."))])
    remember = BooleanField(_l("Keep me logged in on this device"))


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=list(ROLES.items()))
