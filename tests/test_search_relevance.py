"""Relevance over the Dutch demo data: the posts a domain expert expects on top, for inflections,
compounds, phrases, filters, typos with their suggestion, comment-only matches and visibility.

The demo is loaded (and indexed) once per test function, so the cases are tables checked in a
loop that reports every miss at once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from learncom.accounts.models import User
from learncom.extensions import db
from learncom.search import search
from tests import search_fixtures

search_app = search_fixtures.search_app

# (query, titles expected among the first `top` hits, top)
TOP_CASES = [
    # compounds: a word finds the longer words it starts
    ("schuldhulp", ["Elf weken wachten op schuldhulpverlening",
                    "Schuldhulp begint met rust, niet met een compleet dossier"], 3),
    ("buurtkamer", ["Het buurtkamerproject in Zuilen: drie buurtkamers, één vrijwilligerspool",
                    "Buurtkamer als vindplaats voor eenzame ouderen"], 3),
    ("jeugdzorg", ["Jeugdprofessional op de basisschool in plaats van een verwijzing"], 3),
    # inflections
    ("buurtkamers", ["Buurtkamer als vindplaats voor eenzame ouderen",
                     "Vertrouwen komt via de buurtkamer, niet via het loket"], 3),
    ("eenzame ouderen", ["Buurtkamer als vindplaats voor eenzame ouderen",
                         "Alle aandacht voor eenzaamheid gaat naar ouderen"], 3),
    ("wachtlijsten", ["Wachtlijst ggz: het buurtteam als wachtkamer"], 3),
    ("ervaringsdeskundigen", ["Ervaringsdeskundige als vast lid van het wijkteam"], 3),
    ("mantelzorgers", ["Buurtgenoten als respijt voor mantelzorgers",
                       "Mantelzorgers vragen geen hulp; bied iets concreets aan"], 2),
    ("laaggeletterd", ["Laaggeletterdheid zie je pas als je hulp bij brieven aanbiedt"], 1),
    # plain words and word pairs
    ("eenzaamheid jongeren", ["Jongeren noemen het geen eenzaamheid",
                              "Eenzaamheid onder jongeren: wandelgroep 'Loop eens mee'"], 2),
    ("kostendelersnorm", ["De kostendelersnorm jaagt mijn zoon het huis uit"], 1),
    ("huurachterstand", ["Bij huurachterstand werkt samen aanbellen beter dan nog een brief",
                         "Vroegsignalering: samen aanbellen bij twee maanden huurachterstand"], 2),
    ("energiearmoede", ["Energiecoaches aan de deur tegen energiearmoede"], 1),
    ("moskee", ["Inloopspreekuur in de moskee",
                "Inloopspreekuur in de moskee, nu ook in Geuzenveld?"], 2),
    ("privacy avg", ["Privacyregels die samenwerking blokkeren",
                     "Vraag toestemming aan de keukentafel, dan blokkeert de AVG zelden"], 2),
    ("logeeropvang", ["Eerst een Wmo-indicatie voor één weekje logeeropvang"], 1),
    ("doorzettingsmacht", ["Doorbraakaanpak: één procesregisseur met doorzettingsmacht",
                           "Doorzettingsmacht werkt vooral omdat iedereen weet dat hij er is"], 2),
    ("taalmaatjes voedselbank", ["Taalmaatjes bij de uitgifte van de Voedselbank"], 1),
    ("jeugdhulp achttien", ["Op je achttiende valt de jeugdhulp weg",
                            "Begin de overgang naar achttien op je zestiende"], 2),
    ("ggz wachtlijst", ["Wachtlijst ggz: het buurtteam als wachtkamer"], 1),
    ("straatcoaches", ["Straatcoaches als vindplaats voor gezinnen met geldzorgen",
                       "Straatcoaches mogen alleen aanspreken, niet doorverwijzen"], 2),
    # phrase, OR, field syntax
    ('"samen aanbellen"',
     ["Bij huurachterstand werkt samen aanbellen beter dan nog een brief",
      "Vroegsignalering: samen aanbellen bij twee maanden huurachterstand"], 2),
    ("logeeropvang OR kostendelersnorm",
     ["Eerst een Wmo-indicatie voor één weekje logeeropvang",
      "De kostendelersnorm jaagt mijn zoon het huis uit"], 3),
    ("wijk:overvecht buurtkamer", ["Buurtkamer als vindplaats voor eenzame ouderen"], 1),
    ("author:anke", ["Vertrouwen komt via de buurtkamer, niet via het loket",
                     "Laat bewoners de uitkomstmaten kiezen"], 2),
    # found only through a comment
    ("schoenendoos", ["Vrijwillige thuisadministratie gekoppeld aan het buurtteam"], 1),
    ("spierziekte", ["Voor elke kleine hulpvraag een nieuwe indicatie"], 1),
    ("woningnood", ["De kostendelersnorm jaagt mijn zoon het huis uit"], 1),
]

SUGGESTIONS = [
    ("kostendelersnrom", "kostendelersnorm"),
    ("eenzaamhied", "eenzaamheid"),
    ("buurtkamr", "buurtkamer"),
    ("vrijwiligers", "vrijwilligers"),
]


@pytest.fixture
def demo(search_app):
    from learncom.demo.loader import load_demo
    from learncom.search.services import check, rebuild

    assert load_demo().loaded
    db.session.commit()
    rebuild()
    assert check().ok
    return search_app


def titles(query: str, viewer=None, **kwargs) -> list[str]:
    return [hit.title for hit in search(query, None, 1, viewer, **kwargs).hits]


# Both engines must reach these on the demo data (the score of each is printed).
MIN_RECALL = 0.95  # share of the expected titles found within their top
MIN_CASES = 0.95  # share of the queries with every expected title within its top


def test_experts_expect_these_posts_on_top(demo, search_engine, capsys):
    misses = []
    found = expected_count = met = 0
    for query, expected, top in TOP_CASES:
        shown = titles(query)[:top]
        missing = [title for title in expected if title not in shown]
        found += len(expected) - len(missing)
        expected_count += len(expected)
        met += not missing
        if missing:
            misses.append(f"{query!r}: missing {missing} in top {top}: {shown}")
    recall, cases = found / expected_count, met / len(TOP_CASES)
    with capsys.disabled():
        print(f"\nrelevance [{search_engine}]: {found}/{expected_count} expected titles in "
              f"their top (recall {recall:.3f}); {met}/{len(TOP_CASES)} queries fully met "
              f"({cases:.3f})" + "".join(f"\n  miss {m}" for m in misses))
    assert recall >= MIN_RECALL and cases >= MIN_CASES, "\n".join(misses)
    assert len(TOP_CASES) + len(SUGGESTIONS) >= 25


def test_filters_exclusions_suggestions_and_visibility(demo):
    from learncom.posts.models import Post

    # Every hit honours the filter; the word's other posts are left out.
    tagged = search("tag:bijstand", None, 1, None)
    assert tagged.total >= 5
    assert all("bijstand" in [t.name for t in hit.post.tags] for hit in tagged.hits)
    lessons = search("kind:les vertrouwen", None, 1, None)
    assert lessons.total >= 5 and {hit.kind for hit in lessons.hits} == {"lesson"}
    assert "Buurtkamer als vindplaats voor eenzame ouderen" not in titles("buurtkamer -eenzame")

    for typo, better in SUGGESTIONS:
        found = search(typo, None, 1, None)
        assert found.total == 0 and found.suggestion == better, (typo, found.suggestion)

    # A team-only post: never a hit or a suggestion outside its team.
    whatsapp = "Mislukte pilot: WhatsApp-spreekuur van het buurtteam"
    ilse = db.session.scalar(select(User).where(User.email == "ilse.vandam@demo.learncom.nl"))
    outsider = db.session.scalar(select(User).where(User.email == "ricardo.pinas@demo.learncom.nl"))
    for viewer in (None, outsider):
        assert search("whatsapp", None, 1, viewer).total == 0
        assert search("wahtsapp", None, 1, viewer).suggestion is None
        assert whatsapp not in titles("spreekuur", viewer, per_page=50)
    assert titles("whatsapp", ilse) == [whatsapp]
    assert search("wahtsapp", None, 1, ilse).suggestion == "whatsapp"

    # Members-only posts need a login.
    members_only = "Na de aanbesteding een andere jeugdzorgaanbieder: we beginnen weer bij nul"
    assert members_only not in titles("jeugdzorgaanbieder")
    assert members_only in titles("jeugdzorgaanbieder", outsider)
    assert db.session.scalar(select(Post.visibility).where(Post.title == members_only)) == "members"
