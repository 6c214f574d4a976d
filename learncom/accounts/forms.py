"""Account and team forms. Messages are translated through Babel; forms never write to the
database (they may read it, to say a display name is taken)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from learncom.accounts.services import MIN_PASSWORD_LENGTH, display_name_taken, team_name_taken
from learncom.vocab import MEMBER_KINDS, ROLES


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _kind_choices():
    return [("", _l("Choose…"))] + list(MEMBER_KINDS.items())


def _new_password_field(label=None):
    return PasswordField(
        label or _l("Password"),
        validators=[DataRequired(_l("Choose a password.")),
                    Length(min=MIN_PASSWORD_LENGTH, max=200,
                           message=_l("Use at least %(num)d characters.",
                                      num=MIN_PASSWORD_LENGTH))],
        description=_l("At least %(num)d characters. A sentence is easy to remember.",
                       num=MIN_PASSWORD_LENGTH),
    )


def _password_again_field(label=None):
    return PasswordField(
        label or _l("Password again"),
        validators=[DataRequired(_l("Type your password again.")),
                    EqualTo("password", _l("The passwords are not the same."))],
    )


def _email_field(description=None, label=None):
    return EmailField(
        label or _l("E-mail address"),
        filters=[_strip],
        validators=[DataRequired(_l("Fill in your e-mail address.")),
                    Email(_l("This is not a valid e-mail address."), check_deliverability=False),
                    Length(max=254, message=_l("Use at most %(num)d characters.", num=254))],
        description=description,
    )


class ProfileFields(FlaskForm):
    name = StringField(
        _l("Display name"),
        filters=[_strip],
        validators=[DataRequired(_l("Fill in a display name.")),
                    Length(min=2, max=80, message=_l("Use 2 to 80 characters."))],
        description=_l("Shown with everything you write. A pseudonym is fine."),
    )
    kind = SelectField(
        _l("I take part as"),
        choices=_kind_choices,
        validators=[DataRequired(_l("Choose how you take part."))],
        description=_l("A badge beside your name, so others know your perspective. "
                       "It grants no rights."),
    )
    organisation = StringField(
        _l("Organisation (optional)"), filters=[_strip],
        validators=[Optional(), Length(max=120, message=_l("Use at most %(num)d characters.",
                                                           num=120))])
    function = StringField(
        _l("Function (optional)"), filters=[_strip],
        validators=[Optional(), Length(max=120, message=_l("Use at most %(num)d characters.",
                                                           num=120))])

    def __init__(self, *args, user_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._user_id = user_id

    def validate_name(self, field):
        if display_name_taken(field.data, exclude_user_id=self._user_id):
            raise ValidationError(_l("This display name is already in use; choose another."))


class RegisterForm(ProfileFields):
    email = _email_field(_l("Never shown to other members."))
    password = _new_password_field()
    password_again = _password_again_field()


class ProfileForm(ProfileFields):
    pass


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), filters=[_strip],
                       validators=[DataRequired(_l("Fill in your e-mail address."))])
    password = PasswordField(_l("Password"),
                             validators=[DataRequired(_l("Fill in your password."))])
    remember = BooleanField(_l("Keep me logged in on this device"))


class ForgotPasswordForm(FlaskForm):
    email = _email_field(_l("The address you registered with."))


class ResetPasswordForm(FlaskForm):
    password = _new_password_field(_l("New password"))
    password_again = _password_again_field(_l("New password again"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Fill in your current password."))])
    password = _new_password_field(_l("New password"))
    password_again = _password_again_field(_l("New password again"))


class ChangeEmailForm(FlaskForm):
    email = _email_field(_l("We send a link to this address. Your address changes only when "
                            "you follow that link."), label=_l("New e-mail address"))
    # Not "current_password": the password form on the same page has a field of that name.
    email_password = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Fill in your current password."))])


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=list(ROLES.items()))


class TeamForm(FlaskForm):
    name = StringField(
        _l("Team name"), filters=[_strip],
        validators=[DataRequired(_l("Fill in a name.")),
                    Length(min=2, max=120, message=_l("Use 2 to 120 characters."))])
    description = StringField(
        _l("Description (optional)"), filters=[_strip],
        validators=[Optional(), Length(max=500, message=_l("Use at most %(num)d characters.",
                                                           num=500))])

    def validate_name(self, field):
        if team_name_taken(field.data):
            raise ValidationError(_l("A team with this name already exists."))


class TeamMemberForm(FlaskForm):
    member = StringField(
        _l("Member"), filters=[_strip],
        validators=[DataRequired(_l("Fill in a display name or e-mail address.")),
                    Length(max=254, message=_l("Use at most %(num)d characters.", num=254))],
        description=_l("Their display name or e-mail address."))
