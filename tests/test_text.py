"""Slugs keep every letter (transliterated), so no two names collapse into one by losing some."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learncom.text import slugify


@pytest.mark.parametrize("name, slug", [
    ("Vleuten-De Meern", "vleuten-de-meern"),
    ("Straße", "strasse"),
    ("Ærø", "aero"),
    ("Café ’t Hoekje", "cafe-t-hoekje"),
    ("Ĳsselmonde", "ijsselmonde"),
    ("Œuvre", "oeuvre"),
    ("  ", "x"),
])
def test_letters_are_transliterated_not_dropped(name, slug):
    assert slugify(name) == slug


@given(st.text(max_size=200))
def test_a_slug_is_short_lowercase_ascii(text):
    slug = slugify(text)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug)
    assert len(slug) <= 80
