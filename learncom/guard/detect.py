"""What looks like a client's personal data in a text: the rules of the privacy guard.

`find(text)` returns the matches, each with its kind, in text order and never overlapping:

- ``bsn``        nine digits (also ``1234.56.782``, ``1234 56 782``, ``123 456 782``) that pass
                 the 11-check; nine digits that fail it are no BSN;
- ``phone``      a Dutch phone number: 10 digits from ``0`` (``06-12345678``,
                 ``(020) 123 45 67``) or ``+31``/``0031`` and 9 digits; service numbers
                 (0800, 090x) and dates are not phone numbers;
- ``email``      an e-mail address;
- ``postcode``   a postcode with a house number (``3581 AB 12``, ``Biltstraat 12, 3581 AB``);
                 a postcode on its own names an area, not a person, and is left alone;
- ``iban``       an account number in IBAN form that passes the mod-97 check;
- ``birthdate``  a date (``12-03-1985``, ``12 maart 1985``, ``1985-03-12``) within a few words
                 of "geboren", "geb.", "geboortedatum", "born", "date of birth".

Pure functions without Flask, so the import and the tests use them as they are. Whether a
number belongs to the writer or to a client cannot be known: everything that matches is
flagged, and the member chooses (remove it, or post anyway with a reason).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = ("bsn", "phone", "email", "postcode", "iban", "birthdate")
REDACTED = "[weggehaald]"


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int
    text: str


# -- the checks ------------------------------------------------------------------------------

BSN_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)


def bsn_valid(number: str) -> bool:
    """The 11-check ("elfproef") of a BSN: nine digits, not all zero, whose weighted sum
    (9, 8, …, 2 and -1 for the last digit) is a multiple of 11."""
    digits = re.sub(r"[ .-]", "", number or "")
    if len(digits) != 9 or not digits.isascii() or not digits.isdigit() or int(digits) == 0:
        return False
    return sum(int(d) * w for d, w in zip(digits, BSN_WEIGHTS, strict=True)) % 11 == 0


def iban_valid(value: str) -> bool:
    """An IBAN: two letters, two check digits and 11 to 30 letters or digits, whose number
    (the first four characters moved to the end, letters as 10..35) leaves 1 when divided by
    97 (ISO 13616)."""
    iban = re.sub(r"\s", "", value or "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", iban):
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


# -- patterns --------------------------------------------------------------------------------

_BSN = re.compile(r"(?<![\w@])(?<!\d[.,])(?:\d{9}|\d{4}([ .-])\d{2}\1\d{3}|\d{3} \d{3} \d{3})"
                  r"(?![\w@])(?![.,]\d)")

# A Dutch number: "0" (or "+31"/"0031", optionally with "(0)") and nine more digits, the
# first not 0, each digit optionally after one separator (space, dash, dot, a closing
# parenthesis after the area code).
_PHONE = re.compile(
    r"(?<![\w+/])(?:(?:\+|00)31[ .-]?(?:\(0\)[ .-]?)?|\(0|0)[1-9](?:\)?[ .-]?\d){8}(?![\w])")
_SERVICE = re.compile(r"0(?:800|90[069])")
_DATE_LIKE = re.compile(r"\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")

_EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}(?![\w])")

# A postcode: four digits (not starting with 0) and two letters, capitals when apart
# ("3581 AB"), any case when written together ("3581ab"); SA, SD and SS are never used.
_POSTCODE = r"[1-9]\d{3}(?: (?!SA|SD|SS)[A-Z]{2}|(?!sa|sd|ss|SA|SD|SS)[A-Za-z]{2})"
_HOUSE_NUMBER = r"\d{1,5}(?:[ -]?[A-Za-z](?![A-Za-z]))?(?:-\d{1,4})?"
_POSTCODE_THEN_NUMBER = re.compile(
    rf"(?<![\w])(?:{_POSTCODE}),?[ ]+(?:(?:nr|nummer|huisnummer)\.?[ ]*)?{_HOUSE_NUMBER}"
    r"(?![\w])")
_STREET_NUMBER_THEN_POSTCODE = re.compile(
    rf"(?<![\w])[A-Za-zÀ-ÿ][\w'.-]*[ ]{_HOUSE_NUMBER},?[ ]+(?:{_POSTCODE})(?![\w])")

_IBAN = re.compile(r"(?<![\w])[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]{4}){2,7}(?:[ ]?[A-Za-z0-9]{1,3})?"
                   r"(?![\w])")

_MONTHS = (r"januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november"
           r"|december|jan|feb|mrt|apr|jun|jul|aug|sep|sept|okt|nov|dec|january|february"
           r"|march|may|june|july|august|october")
_DATE = re.compile(
    r"(?<![\w/.-])(?:(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>\d{4}|\d{2})"
    r"|(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2})"
    rf"|(?P<td>\d{{1,2}})\s+(?P<tm>{_MONTHS})\.?\s+(?P<ty>\d{{4}}))(?![\w/-])",
    re.IGNORECASE)
_BIRTH_WORDS = re.compile(
    r"(?<![\w])(?:geboren|geb\.|geboortedatum|geboortedag|geb\.datum|born|date of birth"
    r"|birth date|birthdate|d\.o\.b\.|dob)(?![\w])", re.IGNORECASE)
#: How far (in characters) a birth word may be from the date, in the same sentence.
BIRTH_WINDOW = 40
_SENTENCE_END = re.compile(r"(?<!\bgeb)(?<!d\.o\.b)[.!?;]\s|\n", re.IGNORECASE)


def _phones(text: str) -> list[Finding]:
    found = []
    for match in _PHONE.finditer(text):
        raw = match.group()
        digits = re.sub(r"\D", "", raw)
        if not raw.startswith(("0", "(0")) or raw.startswith("00"):  # +31, 0031: national form
            digits = "0" + digits.removeprefix("00").removeprefix("31").removeprefix("0")
        if len(digits) != 10 or _SERVICE.match(digits) or _DATE_LIKE.match(raw):
            continue
        # Digits are grouped in twos or more after the area code ("06 12 34 56 78", "+31 6
        # 12345678"), never one by one: "01-02-2023 12" is a date and a time.
        national = re.sub(r"^(?:\+|00)31[ .-]?(?:\(0\)[ .-]?)?", "", raw)
        groups = [g for g in re.split(r"\D+", national) if g]
        if any(len(g) == 1 for g in groups[1:]):
            continue
        start = match.start()
        if raw.startswith("(") and ")" not in raw:
            # "(06-12345678)": the parenthesis is the sentence's, not an area code's.
            start, raw = start + 1, raw[1:]
        found.append(Finding("phone", start, match.end(), raw))
    return found


def _ibans(text: str) -> list[Finding]:
    found = []
    for match in _IBAN.finditer(text):
        raw = match.group()
        # A greedy match may have taken a following short group ("… 00 en"): try shorter.
        parts = raw.split(" ") if " " in raw else [raw]
        for cut in range(len(parts), 0, -1):
            candidate = " ".join(parts[:cut])
            if len(candidate.replace(" ", "")) < 15:
                break
            if iban_valid(candidate):
                start = match.start()
                found.append(Finding("iban", start, start + len(candidate), candidate))
                break
    return found


def _birthdates(text: str) -> list[Finding]:
    found = []
    for match in _DATE.finditer(text):
        day, month = _day_month(match)
        if not (1 <= day <= 31 and 1 <= month <= 12):
            continue
        before = _SENTENCE_END.split(text[max(0, match.start() - BIRTH_WINDOW):match.start()])[-1]
        after = _SENTENCE_END.split(text[match.end():match.end() + BIRTH_WINDOW])[0]
        if _BIRTH_WORDS.search(before) or _BIRTH_WORDS.search(after):
            found.append(Finding("birthdate", match.start(), match.end(), match.group()))
    return found


_MONTH_NUMBERS = {"jan": 1, "feb": 2, "maa": 3, "mrt": 3, "mar": 3, "apr": 4, "mei": 5,
                  "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "okt": 10, "oct": 10,
                  "nov": 11, "dec": 12}


def _day_month(match: re.Match) -> tuple[int, int]:
    if match.group("d"):
        return int(match.group("d")), int(match.group("m"))
    if match.group("iy"):
        return int(match.group("id")), int(match.group("im"))
    return int(match.group("td")), _MONTH_NUMBERS.get(match.group("tm").lower()[:3], 0)


def _simple(kind: str, pattern: re.Pattern, text: str, valid=None) -> list[Finding]:
    return [Finding(kind, m.start(), m.end(), m.group()) for m in pattern.finditer(text)
            if valid is None or valid(m.group())]


def find(text: str | None) -> list[Finding]:
    """Every match in the text, in text order. Where two overlap, the more specific wins
    (an e-mail address over the digits in it, an IBAN over a BSN-like run, …)."""
    if not text:
        return []
    candidates = (
        _simple("email", _EMAIL, text)
        + _ibans(text)
        + _birthdates(text)
        + _simple("postcode", _STREET_NUMBER_THEN_POSTCODE, text)
        + _simple("postcode", _POSTCODE_THEN_NUMBER, text)
        + _phones(text)
        + _simple("bsn", _BSN, text, bsn_valid)
    )
    chosen: list[Finding] = []
    for finding in candidates:  # in order of priority
        if all(finding.end <= other.start or finding.start >= other.end for other in chosen):
            chosen.append(finding)
    return sorted(chosen, key=lambda f: f.start)


def redact(text: str, findings: list[Finding] | None = None) -> str:
    """The text with every match replaced by "[weggehaald]"."""
    findings = find(text) if findings is None else findings
    for finding in sorted(findings, key=lambda f: f.start, reverse=True):
        text = text[:finding.start] + REDACTED + text[finding.end:]
    return text
