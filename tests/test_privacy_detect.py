"""The privacy guard's rules (learncom/guard/detect.py): what is flagged and what is not.

TRUE_POSITIVES and FALSE_POSITIVES hold, per kind, texts that must and must not be flagged as
that kind; the property tests check the BSN 11-check and the IBAN mod-97 check themselves.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learncom.guard.detect import KINDS, REDACTED, bsn_valid, find, iban_valid, redact

# (text, the matched text)
TRUE_POSITIVES = {
    "bsn": [
        ("Haar BSN is 123456782.", "123456782"),
        ("bsn: 1234.56.782", "1234.56.782"),
        ("BSN 1234 56 782 staat in het dossier", "1234 56 782"),
        ("nummer 123 456 782", "123 456 782"),
        ("(111222333)", "111222333"),
    ],
    "phone": [
        ("Bel 06-12345678 als het niet lukt", "06-12345678"),
        ("Mijn eigen nummer: 06 12 34 56 78.", "06 12 34 56 78"),  # the author's own number
        ("kantoor (020) 123 45 67", "(020) 123 45 67"),
        ("0301234567", "0301234567"),
        ("+31 6 1234 5678", "+31 6 1234 5678"),
        ("+31 (0)6 12345678", "+31 (0)6 12345678"),
        ("0031 6 12345678", "0031 6 12345678"),
        ("+31612345678", "+31612345678"),
        ("010-1234567", "010-1234567"),
        ("Mevrouw (06-12345678) wacht", "06-12345678"),  # the sentence's parentheses
    ],
    "email": [
        ("mail fatima.el-idrissi@example.org even", "fatima.el-idrissi@example.org"),
        ("<jan+zorg@buurtteam.nl>", "jan+zorg@buurtteam.nl"),
        ("ANKE@EXAMPLE.NL.", "ANKE@EXAMPLE.NL"),
    ],
    "postcode": [
        ("Ze woont op 3581 AB 12.", "3581 AB 12"),
        ("adres: 3581AB 12a", "3581AB 12a"),
        ("Biltstraat 12, 3581 AB Utrecht", "Biltstraat 12, 3581 AB"),
        ("postcode 1012 JS nr. 4", "1012 JS nr. 4"),
        ("Dorpsweg 7-2 3581 AB", "Dorpsweg 7-2 3581 AB"),
    ],
    "iban": [
        ("IBAN NL91 ABNA 0417 1643 00 voor de huur", "NL91 ABNA 0417 1643 00"),
        ("rekening NL91ABNA0417164300.", "NL91ABNA0417164300"),
        ("BE68 5390 0754 7034", "BE68 5390 0754 7034"),
        ("nl91abna0417164300", "nl91abna0417164300"),
    ],
    "birthdate": [
        ("Hij is geboren op 12-03-1985 in Utrecht.", "12-03-1985"),
        ("geb. 1-2-1990", "1-2-1990"),
        ("geboortedatum: 12 maart 1985", "12 maart 1985"),
        ("mevrouw (geb. 12.3.85) woont alleen", "12.3.85"),
        ("born on 1985-03-12", "1985-03-12"),
        ("12/03/1985, zo staat haar geboortedatum genoteerd", "12/03/1985"),
    ],
}

FALSE_POSITIVES = {
    "bsn": [
        "Het dossiernummer 123456789 is geen BSN",  # fails the 11-check
        "000000000",  # all zeros
        "Een budget van 123.456.782 euro",  # thousands separators, not a BSN
        "code 1234567820",  # ten digits
        "NL91ABNA0417164300",  # digits inside an IBAN
        "a123456782",  # part of a word
    ],
    "phone": [
        "Op 01-02-2023 12 uur begonnen we",  # a date and a time
        "Bel gratis 0800-1234567",  # a service number
        "0900-8844 voor de politie",
        "06-1234567 is een cijfer te kort",
        "In 2019-2024 liep het project",
        "Het gaat om 120 000 mensen",
    ],
    "email": [
        "@Anke Siegers, zie je dit?",  # a mention
        "mail naar info at example punt org",
        "a@b",
    ],
    "postcode": [
        "Het gebied 3581 AB in Utrecht",  # a postcode without a house number
        "In 2023 is 5 keer vergaderd",
        "Rond 1900 en 12 jaar later",
        "Het aantal 3581 SS 12",  # SS is never used in postcodes
    ],
    "iban": [
        "NL92 ABNA 0417 1643 00",  # wrong check digits
        "ABCD1234",
        "NL91 is geen rekeningnummer",
    ],
    "birthdate": [
        "Op 12-03-2024 startten we de buurtkamer.",  # a date, no birth word near
        "Hij is geboren in Utrecht. Op 12-03-2024 startten we.",  # another sentence
        "geboren op 32-13-1985",  # not a date
        "geboren in 1985",  # a year, not a date
    ],
}


@pytest.mark.parametrize(("kind", "text", "expected"), [
    (kind, text, expected) for kind, cases in TRUE_POSITIVES.items() for text, expected in cases])
def test_true_positives(kind, text, expected):
    found = [(f.kind, f.text) for f in find(text)]
    assert (kind, expected) in found, found


@pytest.mark.parametrize(("kind", "text"), [
    (kind, text) for kind, cases in FALSE_POSITIVES.items() for text in cases])
def test_false_positives(kind, text):
    assert kind not in [f.kind for f in find(text)], find(text)


def test_every_kind_has_true_and_false_positive_cases():
    assert set(TRUE_POSITIVES) == set(FALSE_POSITIVES) == set(KINDS)


def test_findings_do_not_overlap_and_the_more_specific_wins():
    text = "mail 123456782@example.org of NL91ABNA0417164300 en bel 06-12345678"
    found = find(text)
    assert [f.kind for f in found] == ["email", "iban", "phone"]
    for first, second in zip(found, found[1:], strict=False):
        assert first.end <= second.start
    assert text[found[0].start:found[0].end] == "123456782@example.org"


def test_redact_replaces_every_match_and_keeps_the_rest():
    text = "Bel 06-12345678 of mail anke@example.org, BSN 123456782."
    assert redact(text) == f"Bel {REDACTED} of mail {REDACTED}, BSN {REDACTED}."
    assert find(redact(text)) == []


def test_empty_and_plain_texts_have_no_findings():
    assert find("") == [] and find(None) == []
    assert find("Een buurtkamer op dinsdag, met 12 bezoekers en koffie.") == []


# -- property tests of the checks ------------------------------------------------------------

def _bsn_check_digit(first8: list[int]) -> int | None:
    total = sum(d * w for d, w in zip(first8, (9, 8, 7, 6, 5, 4, 3, 2), strict=True))
    last = total % 11
    return last if last < 10 else None


eight_digits = st.lists(st.integers(0, 9), min_size=8, max_size=8)


@given(eight_digits)
def test_exactly_the_right_check_digit_makes_a_bsn_and_it_is_found(first8):
    head = "".join(map(str, first8))
    valid = [d for d in range(10) if bsn_valid(head + str(d))]
    expected = _bsn_check_digit(first8)
    if expected is None or (expected == 0 and not any(first8)):
        assert valid == []  # the check digit would be 10, or the number is all zeros
        return
    assert valid == [expected]
    number = head + str(expected)
    assert [(f.kind, f.text) for f in find(f"BSN {number} in het dossier")] == [("bsn", number)]


@given(eight_digits, st.integers(0, 8), st.integers(1, 9))
def test_changing_one_digit_of_a_bsn_breaks_the_11_check(first8, position, delta):
    last = _bsn_check_digit(first8)
    if last is None:
        return
    digits = [*first8, last]
    digits[position] = (digits[position] + delta) % 10
    changed = "".join(map(str, digits))
    assert not bsn_valid(changed)
    assert "bsn" not in [f.kind for f in find(f"nummer {changed} hier")]


@given(eight_digits, st.integers(0, 7))
def test_swapping_two_neighbouring_digits_breaks_the_11_check(first8, position):
    last = _bsn_check_digit(first8)
    digits = [*first8, last] if last is not None else None
    if digits is None or digits[position] == digits[position + 1]:
        return
    digits[position], digits[position + 1] = digits[position + 1], digits[position]
    assert not bsn_valid("".join(map(str, digits)))


def _iban(country: str, bban: str) -> str:
    """The IBAN with correct check digits for a country code and account part."""
    numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


bban = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=11, max_size=30)
country = st.sampled_from(["NL", "BE", "DE", "FR", "GB", "ES"])


@given(country, bban)
def test_an_iban_with_correct_check_digits_is_valid(code, account):
    assert iban_valid(_iban(code, account))


@given(country, bban, st.data())
def test_changing_one_character_of_an_iban_breaks_mod_97(code, account, data):
    iban = _iban(code, account)
    position = data.draw(st.integers(4, len(iban) - 1))
    alphabet = "0123456789" if iban[position].isdigit() else "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    replacement = data.draw(st.sampled_from([c for c in alphabet if c != iban[position]]))
    changed = iban[:position] + replacement + iban[position + 1:]
    assert not iban_valid(changed)


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_bsn_findings_always_pass_the_11_check(digits):
    found = [f for f in find(f"nummer {digits} hier") if f.kind == "bsn"]
    assert bool(found) == bsn_valid(digits)


@given(st.text(max_size=300))
def test_find_never_fails_and_redact_leaves_nothing_to_find(text):
    findings = find(text)
    for finding in findings:
        assert text[finding.start:finding.end] == finding.text
    assert find(redact(text, findings)) == []
