"""Bundle forms: they validate and never write."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from learncom.posts.forms import MARKDOWN_HELP, MAX_TEXT, renders
from learncom.posts.services import parse_post_ref


class BundleForm(FlaskForm):
    title = StringField(_l("Title"), validators=[
        DataRequired(_l("Fill in a title.")),
        Length(max=200, message=_l("Use at most %(max)d characters."))],
        description=_l("For example: Team day Overvecht, March 2026."))
    intro = TextAreaField(_l("Introduction"), validators=[
        Length(max=MAX_TEXT, message=_l("Use at most %(max)d characters.")), renders],
        description=MARKDOWN_HELP)


class AddItemForm(FlaskForm):
    post = StringField(
        _l("Post"),
        validators=[DataRequired(_l("Fill in the number or the address of a post."))],
        description=_l("A curated lesson, or an experiment or friction: its number (e.g. 123) "
                       "or its address (…/posts/123)."))

    @property
    def post_id(self) -> int | None:
        return parse_post_ref(self.post.data)

    def validate_post(self, field):
        if self.post_id is None:
            raise ValidationError(_l("This is not the number or the address of a post."))
