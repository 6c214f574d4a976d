"""Dutch is the default language and every interface string has a Dutch translation."""

from __future__ import annotations

import subprocess
import sys

from babel.messages.pofile import read_po

from learncom import ROOT

CATALOG = ROOT / "learncom" / "translations" / "nl" / "LC_MESSAGES" / "messages.po"


def test_every_interface_string_is_translated_to_dutch(tmp_path):
    template = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "--ignore-dirs", ".*", "-F",
         str(ROOT / "babel.cfg"), "-k", "_l", "-o", str(template), str(ROOT)],
        check=True, cwd=ROOT, capture_output=True)
    with template.open("rb") as handle:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle)
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string)
        and not m.fuzzy
    }
    missing = sorted(wanted - translated)
    assert not missing, f"{len(missing)} strings lack a Dutch translation, e.g. {missing[:15]}"


def test_interface_is_dutch_by_default_and_english_on_request(client):
    page = client.get("/").get_data(as_text=True)
    assert 'lang="nl"' in page
    assert "Inloggen" in page
    client.post("/taal", data={"locale": "en", "next": "/"})
    page = client.get("/").get_data(as_text=True)
    assert 'lang="en"' in page
    assert "Log in" in page
