"""Comment forms. They validate what was typed; the views and services do the rest."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, ValidationError

from learncom.discussion.services import MAX_COMMENT_LENGTH
from learncom.posts.forms import renders


def _unix_newlines(value: str | None) -> str | None:
    """Browsers send CRLF; store and count plain newlines."""
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


def _not_too_long(_form, field) -> None:
    """Like Length(max=...), but without the ``maxlength`` attribute Length puts on the
    textarea: a browser silently cuts a pasted text at that length, and the rest is lost."""
    length = len(field.data or "")
    if length > MAX_COMMENT_LENGTH:
        raise ValidationError(_l("Use at most %(max)d characters; this text has %(length)d.",
                                 max=MAX_COMMENT_LENGTH, length=length))


MARKDOWN_HELP = _l("You can use Markdown: **bold**, *italic*, [a link](https://…) and lists "
                   "(lines starting with -). Never write anything that identifies a client.")


class EditCommentForm(FlaskForm):
    body = TextAreaField(
        _l("Your comment"),
        validators=[
            DataRequired(_l("Write something first.")),
            _not_too_long,
            renders,
        ],
        filters=[_unix_newlines],
        description=MARKDOWN_HELP,
        render_kw={"rows": 8},
    )


class CommentForm(EditCommentForm):
    """A new comment, or a reply when ``parent_id`` is filled in."""

    parent_id = HiddenField()
