"""Post forms. The kind-specific part is generated from posts/kinds.py, so a new field needs no
form code. Forms validate and hand over a PostInput; they never write to the database."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from learncom import vocab
from learncom.markdown import MAX_NESTING, MarkdownTooComplex, check_markdown
from learncom.posts.kinds import COORDINATOR_FIELDS, KIND_FIELDS, WORKFLOW_FIELDS, KindField
from learncom.posts.services import MAX_TAGS, MAX_TEXT, PostInput, parse_tags

MARKDOWN_HELP = _l("Markdown: **bold**, *italic*, a line starting with - for a list, "
                   "[text](https://…) for a link. Leave an empty line between paragraphs.")


def renders(_form, field) -> None:
    """Markdown the renderer accepts: not nested too deep, not too complex to render quickly
    (learncom/markdown.py). Every Markdown field of every form uses this."""
    if field.errors:  # too long already: one message is enough
        return
    try:
        check_markdown(field.data)
    except MarkdownTooComplex as error:
        if error.reason == "nesting":
            raise ValidationError(_l(
                "This text is nested too deeply. Use at most %(max)d levels of square "
                "brackets [ ] or of quotes (>).", max=MAX_NESTING)) from None
        raise ValidationError(_l(
            "This text is too complicated to show. Leave an empty line between paragraphs, "
            "and use fewer links, code marks (`) and marks for bold or italic (* and _).")
        ) from None


def choices(pairs) -> list[SelectChoice]:
    """SelectField choices from (value, label) pairs or a {value: label} vocabulary."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    return [SelectChoice(value=value, label=label) for value, label in items]


class PostForm(FlaskForm):
    """The fields every post has; `post_form()` adds the kind's own fields."""

    kind = "experiment"
    kind_fields: tuple[str, ...] = ()

    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Fill in a title.")),
                    Length(max=200, message=_l("Use at most %(max)d characters."))],
    )
    body = TextAreaField(
        _l("Text"),
        validators=[Length(max=MAX_TEXT, message=_l("Use at most %(max)d characters.")),
                    renders],
        description=MARKDOWN_HELP,
    )
    tags = StringField(
        _l("Tags"),
        validators=[DataRequired(_l("Give at least one tag."))],
        description=_l("1 to %(num)d tags, separated by commas, for example: loneliness, "
                       "informal care. They are saved in lower case, with hyphens for spaces.",
                       num=MAX_TAGS),
    )
    neighbourhood = SelectField(_l("Neighbourhood"), choices=[], default="")
    team = SelectField(_l("Team"), choices=[], default="",
                       description=_l("Only teams you are a member of."))
    visibility = SelectField(_l("Who can see this?"), choices=choices(vocab.VISIBILITIES),
                             default="public")

    def __init__(self, *args, neighbourhoods=(), teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.neighbourhood.choices = [SelectChoice("", _l("No neighbourhood"))] + [
            SelectChoice(str(h.id), h.name, optgroup=h.city or None)
            for h in sorted(neighbourhoods, key=lambda h: (h.city or "", h.name))]
        self.team.choices = [SelectChoice("", _l("No team"))] + [
            SelectChoice(str(t.id), t.name) for t in teams]
        # Without a team to choose, "only the team" is no choice at all.
        self.has_teams = bool(teams)
        if not self.has_teams:
            self.visibility.choices = [choice for choice in self.visibility.choices
                                       if choice.value != "team"]

    @property
    def normalised_tags(self) -> list[str]:
        return parse_tags(self.tags.data or "")

    def validate_tags(self, field):
        tags = self.normalised_tags
        if not tags:
            raise ValidationError(_l("Give at least one tag."))
        if len(tags) > MAX_TAGS:
            raise ValidationError(_l("Use at most %(num)d tags (you gave %(given)d).",
                                     num=MAX_TAGS, given=len(tags)))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.visibility.data == "team" and not self.team.data and not self.team.errors:
            self.team.errors.append(_l("Choose a team for a post that only the team can see."))
            ok = False
        start, end = getattr(self, "start_date", None), getattr(self, "end_date", None)
        if start is not None and end is not None and start.data and end.data \
                and not end.errors and end.data < start.data:
            end.errors.append(_l("The end date cannot be before the start date."))
            ok = False
        return ok

    def kind_field_objects(self):
        return [self[name] for name in self.kind_fields]

    def text_fields(self):
        """The fields people write in: what the privacy guard checks."""
        return [self.title, self.body] + [f for f in self.kind_field_objects()
                                          if isinstance(f, StringField | TextAreaField)]

    def to_input(self) -> PostInput:
        return PostInput(
            kind=self.kind,
            title=self.title.data.strip(),
            body=self.body.data or "",
            tags=self.normalised_tags,
            neighbourhood_id=int(self.neighbourhood.data) if self.neighbourhood.data else None,
            team_id=int(self.team.data) if self.team.data else None,
            visibility=self.visibility.data,
            fields={name: self[name].data for name in self.kind_fields},
        )


def _kind_field(spec: KindField):
    label, help_ = spec.label, spec.help or None
    if spec.type == "choice":
        return SelectField(label, choices=choices(spec.choices), default=spec.default,
                           description=help_)
    if spec.type == "date":
        return DateField(label, validators=[Optional()], description=help_,
                         render_kw={"placeholder": "jjjj-mm-dd"})
    if spec.type == "bool":
        return BooleanField(label, default=bool(spec.default), description=help_)
    required = [DataRequired(_l("Fill in this field."))] if spec.required else [Optional()]
    if spec.type == "line":
        length = Length(max=spec.length,
                        message=_l("Use at most %(max)d characters."))
        return StringField(label, validators=[*required, length], description=help_)
    length = Length(max=MAX_TEXT, message=_l("Use at most %(max)d characters."))
    return TextAreaField(label, validators=[*required, length, renders],
                         description=help_ or MARKDOWN_HELP)


_FORM_CLASSES: dict[tuple[str, bool, frozenset[str]], type[PostForm]] = {}


def post_form_class(kind: str, coordinator: bool,
                    without: frozenset[str] = frozenset()) -> type[PostForm]:
    """The form for one kind; coordinator-only fields are left out for everyone else, and the
    fields named in `without` for everyone."""
    key = (kind, coordinator, frozenset(without))
    if key not in _FORM_CLASSES:
        specs = [spec for spec in KIND_FIELDS[kind] if spec.name not in WORKFLOW_FIELDS
                 and spec.name not in without
                 and (coordinator or spec.name not in COORDINATOR_FIELDS)]
        attrs = {spec.name: _kind_field(spec) for spec in specs}
        attrs.update(kind=kind, kind_fields=tuple(spec.name for spec in specs))
        _FORM_CLASSES[key] = type(f"{kind.title()}Form", (PostForm,), attrs)
    return _FORM_CLASSES[key]


def post_form_data(post) -> dict:
    """What the edit form starts with: the post as it is."""
    data = {
        "title": post.title,
        "body": post.body,
        "tags": ", ".join(tag.name for tag in post.tags),
        "neighbourhood": str(post.neighbourhood_id) if post.neighbourhood_id else "",
        "team": str(post.team_id) if post.team_id else "",
        "visibility": post.visibility,
    }
    for spec in KIND_FIELDS[post.kind]:
        data[spec.name] = getattr(post, spec.name)
    return data


class LogEntryForm(FlaskForm):
    date = DateField(_l("Date"), default=date.today,
                     validators=[DataRequired(_l("Fill in a date (YYYY-MM-DD)."))])
    text = TextAreaField(
        _l("What happened?"),
        validators=[DataRequired(_l("Write what happened.")),
                    Length(max=MAX_TEXT, message=_l("Use at most %(max)d characters.")),
                    renders],
        description=MARKDOWN_HELP,
    )


class LinkForm(FlaskForm):
    relation = SelectField(_l("This post"), choices=choices(vocab.RELATIONS),
                           default="related")
    target = StringField(
        _l("Other post"),
        validators=[DataRequired(_l("Fill in the number or the address of a post."))],
        description=_l('The number of the post (e.g. 123) or its address (…/posts/123).'),
    )

    @property
    def target_id(self) -> int | None:
        from learncom.posts.services import parse_post_ref

        return parse_post_ref(self.target.data)

    def validate_target(self, field):
        if self.target_id is None:
            raise ValidationError(_l("This is not the number or the address of a post."))


class NeighbourhoodForm(FlaskForm):
    name = StringField(_l("Name"), validators=[
        DataRequired(_l("Fill in a name.")),
        Length(max=80, message=_l("Use at most %(max)d characters."))])
    city = StringField(_l("City"), validators=[
        Optional(), Length(max=80, message=_l("Use at most %(max)d characters."))])
