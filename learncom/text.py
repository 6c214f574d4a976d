"""Small text helpers used by several features."""

from __future__ import annotations

from slugify import slugify as _transliterating_slugify


def slugify(value: str, max_length: int = 80) -> str:
    """ASCII slug for URLs that keeps every letter: "Vleuten-De Meern" -> "vleuten-de-meern",
    "Straße" -> "strasse", "Ærø" -> "aero" (python-slugify transliterates; a plain
    NFKD-and-drop loses letters that have no decomposition)."""
    return _transliterating_slugify(value or "", max_length=max_length,
                                    word_boundary=False) or "x"
