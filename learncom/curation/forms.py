"""Curation forms: they validate and never write."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from learncom.discussion.services import MAX_COMMENT_LENGTH

NOTE_LENGTH = 2000


class CurateForm(FlaskForm):
    note = TextAreaField(
        _l("Note (optional)"),
        validators=[Optional(), Length(max=NOTE_LENGTH,
                                       message=_l("Use at most %(max)d characters."))],
        description=_l("Why is this lesson worth sharing? Everyone sees this note."),
        render_kw={"rows": 3},
    )


class RequestChangesForm(FlaskForm):
    message = TextAreaField(
        _l("What should change?"),
        validators=[DataRequired(_l("Write what should change.")),
                    Length(max=MAX_COMMENT_LENGTH,
                           message=_l("Use at most %(max)d characters."))],
        description=_l("This becomes a comment in the lesson's discussion, so the author and "
                       "everyone else can see it."),
        render_kw={"rows": 4},
    )
