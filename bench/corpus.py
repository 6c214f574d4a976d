"""A deterministic, realistic Dutch corpus for the search benchmark.

Posts of the three kinds with 150-800 word bodies written from Dutch social-domain sentences,
1-6 tags, a neighbourhood, a visibility mix (mostly public, some members-only and team-only),
0-8 comments and, for experiments, a few log entries. Users of every member kind, teams.

Everything is inserted with SQLAlchemy Core `insert()` over lists of dicts (executemany), in
batches, so 100,000 posts take minutes. The same seed always gives the same corpus.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape

from sqlalchemy import insert

from learncom import vocab
from learncom.accounts.models import Team, User, team_members
from learncom.discussion.models import Comment
from learncom.extensions import db
from learncom.markdown import EXCERPT_LENGTH, shorten
from learncom.posts.models import MARKDOWN_FIELDS, LogEntry, Neighbourhood, Post, Tag, post_tags
from learncom.text import slugify

BATCH = 2_000

# -- vocabulary ------------------------------------------------------------------------------

CITIES = {
    "Utrecht": ["Kanaleneiland", "Overvecht", "Zuilen", "Lunetten", "Hoograven", "Ondiep",
                "Tuindorp", "Leidsche Rijn", "Vleuten-De Meern", "Wittevrouwen", "Lombok"],
    "Rotterdam": ["Feijenoord", "Charlois", "Delfshaven", "Crooswijk", "Afrikaanderwijk",
                  "Bospolder-Tussendijken", "Hillesluis", "Ommoord", "Pendrecht", "Tarwewijk"],
    "Amsterdam": ["Nieuw-West", "Slotervaart", "Osdorp", "Bijlmer-Centrum", "Geuzenveld",
                  "Indische Buurt", "Van der Pek", "Kolenkit", "Holendrecht"],
    "Den Haag": ["Schilderswijk", "Transvaal", "Moerwijk", "Laak", "Bouwlust", "Mariahoeve",
                 "Duindorp", "Spoorwijk"],
    "Zwolle": ["Holtenbroek", "Aa-landen", "Diezerpoort", "Stadshagen", "Assendorp"],
    "Tilburg": ["Groenewoud", "Kruidenbuurt", "Stokhasselt", "Tilburg-Noord", "Jeruzalem"],
    "Groningen": ["Selwerd", "De Hoogte", "Vinkhuizen", "Beijum", "Lewenborg", "Paddepoel"],
}

FIRST_NAMES = ["Anouk", "Bram", "Fatima", "Jeroen", "Samira", "Mohamed", "Eva", "Kees",
               "Yasmina", "Thijs", "Noor", "Wim", "Lotte", "Hamza", "Ingrid", "Sanne", "Ruud",
               "Esra", "Gerrit", "Marieke", "Joyce", "Ahmed", "Priya", "Daan", "Femke",
               "Henk", "Latifa", "Pieter", "Ilse", "Kofi"]
LAST_NAMES = ["de Vries", "Jansen", "Bakker", "El Amrani", "Visser", "Smit", "Yilmaz",
              "Meijer", "de Boer", "Mulder", "Bouzid", "van Dijk", "Kok", "Hoekstra",
              "Demir", "Postma", "Ramdin", "van Leeuwen", "Dekker", "Brouwer"]
ORGANISATIONS = ["Wijkteam Zuid", "Gemeente", "Buurtwerk", "Humanitas", "Vluchtelingenwerk",
                 "MEE", "Jeugdteam", "GGD", "Woningcorporatie", "Voedselbank",
                 "Schuldhulpmaatje", "Mantelzorgsteunpunt"]

# Posts are about one or two topics: a topic's words appear in a few percent of the posts (as
# in a real corpus), while the generic sentences give the common words every post shares.
TOPICS = {
    "schulden": {
        "tags": ["schuldhulpverlening", "armoede", "vroegsignalering", "inkomen"],
        "objects": ["de schulden van bewoners eerder", "de schuldhulpverlening zonder wachttijd",
                    "vroegsignalering van betalingsachterstanden",
                    "een betalingsregeling met de verhuurder",
                    "de beslagvrije voet bij loonbeslag", "een budgetcoach aan huis"],
        "words": ["schuldhulpverlener", "huurachterstand", "bewindvoering", "schuldenbewind",
                  "betalingsachterstanden", "incassokosten", "thuisadministratie", "deurwaarder"],
    },
    "eenzaamheid": {
        "tags": ["eenzaamheid", "ouderen", "buurtkamer", "sociale-basis"],
        "objects": ["eenzaamheid onder ouderen in de flat", "een wandelgroep voor ouderen",
                    "een inloopochtend in de buurtkamer", "een buurtkamerproject met jongeren",
                    "huisbezoeken door vrijwilligers", "een maatje voor alleenstaanden"],
        "words": ["buurtkamers", "ontmoetingsplek", "koffieochtend", "eenzaamheidsaanpak",
                  "buurtcirkel", "ouderenadviseur", "dementievriendelijk", "huiskamerproject"],
    },
    "mantelzorg": {
        "tags": ["mantelzorg", "informele-zorg", "vrijwilligers", "wmo"],
        "objects": ["respijtzorg voor overbelaste mantelzorgers", "een maatje voor mantelzorgers",
                    "de mantelzorgwaardering", "logeeropvang voor een weekend",
                    "een steunpunt voor jonge mantelzorgers"],
        "words": ["mantelzorgers", "respijtzorg", "mantelzorgwaardering", "overbelasting",
                  "logeeropvang", "mantelzorgsteunpunt", "dagopvang", "zorgtaken"],
    },
    "jeugd": {
        "tags": ["jeugdzorg", "onderwijs-zorg", "jongerenwerk", "preventie"],
        "objects": ["de wachtlijst bij de jeugdzorgaanbieder", "een gezinscoach op school",
                    "de overdracht tussen jeugdteam en school", "een plek in de jeugdhulp",
                    "een praktijkondersteuner jeugd bij de huisarts"],
        "words": ["jeugdzorgaanbieder", "jeugdhulp", "gezinscoach", "schoolmaatschappelijk",
                  "jeugdteam", "thuiszitters", "wachtlijsten", "jeugdbescherming"],
    },
    "inkomen": {
        "tags": ["participatiewet", "kostendelersnorm", "bijstand", "toeslagen", "inkomen"],
        "objects": ["de kostendelersnorm als drempel voor inwonende kinderen",
                    "de aanvraag voor bijzondere bijstand", "de terugvordering van toeslagen",
                    "de energietoeslag voor huishoudens", "de regels rond de Participatiewet",
                    "een spreekuur over toeslagen"],
        "words": ["kostendelersnorm", "bijstandsuitkering", "toeslagen", "terugvordering",
                  "inkomensondersteuning", "armoedeval", "klantmanager", "leefgeld"],
    },
    "wonen": {
        "tags": ["wonen", "dakloosheid", "energiearmoede", "samenwerking"],
        "objects": ["de samenwerking met de woningcorporatie", "woonbegeleiding na de opvang",
                    "een urgentieverklaring voor het gezin", "energiecoaches in de portiekflat",
                    "tochtstrips en radiatorfolie voor huurders"],
        "words": ["woningcorporatie", "woonbegeleiding", "urgentieverklaring", "huisuitzetting",
                  "energiecoach", "portiekflat", "maatschappelijke opvang", "huurders"],
    },
    "taal": {
        "tags": ["laaggeletterdheid", "taalcafe", "statushouders", "digitale-inclusie"],
        "objects": ["een taalcafé in de bibliotheek", "formulieren in eenvoudige taal",
                    "huisbezoeken bij nieuwe statushouders", "laaggeletterdheid bij ouders",
                    "een digicafé voor ouderen"],
        "words": ["taalcafé", "laaggeletterdheid", "statushouders", "taalmaatje", "inburgering",
                  "eenvoudige", "digicafé", "taalvrijwilliger"],
    },
    "toegang": {
        "tags": ["integrale-toegang", "keukentafelgesprek", "maatwerk", "regelarm-werken"],
        "objects": ["een keukentafelgesprek met het gezin",
                    "een gezamenlijke intake met het sociaal team",
                    "een vast aanspreekpunt per gezin", "een budget voor maatwerk",
                    "een doorbraakaanpak voor vastgelopen casussen",
                    "een escalatieteam voor complexe situaties"],
        "words": ["keukentafelgesprek", "maatwerkbudget", "doorbraakaanpak", "escalatieteam",
                  "indicatiestelling", "zorgcoördinatie", "casusregie", "voorliggende"],
    },
    "ggz": {
        "tags": ["psychische-kwetsbaarheid", "gezondheid", "huiselijk-geweld", "preventie"],
        "objects": ["een signaal over huiselijk geweld", "verwarde personen in de wijk",
                    "een ggz-consulent in het wijkteam", "zorgmijders die niemand binnenlaten",
                    "een herstelcafé met ervaringsdeskundigen"],
        "words": ["zorgmijders", "herstelcafé", "ggz-consulent", "vertrouwenspersoon",
                  "crisisdienst", "psychiatrische", "veiligthuis", "kwartiermaken"],
    },
    "participatie": {
        "tags": ["participatie", "ervaringsdeskundigheid", "dagbesteding", "vrijwilligers"],
        "objects": ["dagbesteding dichtbij huis", "ervaringsdeskundigen in het team",
                    "het ophalen van ervaringen van bewoners", "een vrijwilligerspool in de wijk",
                    "een buurtbudget dat bewoners zelf verdelen"],
        "words": ["ervaringsdeskundigen", "dagbesteding", "vrijwilligerspool", "buurtbudget",
                  "bewonersinitiatief", "buurtsportcoach", "opbouwwerker", "talentenbank"],
    },
}
TAGS = sorted({t for topic in TOPICS.values() for t in topic["tags"]}
              | {"wijkgericht-werken", "samenwerking", "gezondheid"})

SUBJECTS = ["Het wijkteam", "Het sociaal team", "De gemeente", "Een bewoner uit de flat",
            "De maatschappelijk werker", "De huisarts", "Het buurthuis", "De wijkagent",
            "Een vrijwilliger", "De coördinator", "Het team", "Een collega", "De teamleider",
            "Een ervaringsdeskundige", "De wijkverpleegkundige", "De consulent"]
VERBS = ["organiseerde", "probeerde", "merkte", "signaleerde", "besprak", "ontdekte",
         "startte", "evalueerde", "verbeterde", "koppelde", "vroeg", "regelde", "onderzocht",
         "stelde voor", "bracht samen", "zag", "ondersteunde", "begeleidde", "meldde",
         "vereenvoudigde", "combineerde", "testte", "ervoer"]
GENERIC_OBJECTS = ["een nieuw overleg", "de eerste resultaten", "de aanpak in de wijk",
                   "een gesprek met bewoners", "de afspraken met partners", "het plan van aanpak",
                   "de signalen uit de buurt", "een bijeenkomst in het buurthuis",
                   "de werkwijze van het team", "een evaluatie met de gemeente",
                   "de rol van vrijwilligers", "de contacten met de huisarts"]
CLAUSES = ["omdat bewoners de weg niet vonden", "zodat gezinnen niet tussen wal en schip vallen",
           "maar de regels werkten tegen", "waardoor de drempel lager werd",
           "nadat een bewoner aan de bel trok", "zonder extra formulieren",
           "in samenwerking met de huisarts", "want het vertrouwen was laag",
           "en dat leverde veel op", "ook al was er weinig budget", "binnen drie maanden",
           "zodat niemand lang hoefde te wachten", "met korte lijnen tussen de partners"]
OPENERS = ["In de eerste weken", "Na een half jaar", "Tijdens de evaluatie", "Achteraf gezien",
           "Opvallend was dat", "Wat goed werkte:", "Wat niet werkte:", "Bij de start",
           "Volgens de bewoners", "In het teamoverleg", "Uit de cijfers bleek dat",
           "Een belangrijke les is dat", "Daarnaast", "Toch", "Ook", "Vervolgens"]
COMPOUND_HEADS = ["buurt", "wijk", "jeugd", "schuld", "zorg", "mantel", "armoede", "taal",
                  "gezins", "ouderen", "jongeren", "werk", "woon", "geld", "inloop"]
COMPOUND_TAILS = ["kamer", "team", "aanpak", "project", "netwerk", "overleg", "coach",
                  "loket", "plan", "regeling", "budget", "ontbijt", "spreekuur", "café",
                  "hulpverlening", "verlening", "aanbieder", "signalering", "maatje"]
COMMENTS = ["Herkenbaar! Bij ons in {wijk} liep het precies zo.",
            "Hoe hebben jullie dat opgelost?", "Mooi experiment, dank voor het delen.",
            "Hebben jullie ook ervaringsdeskundigen betrokken?",
            "Wij doen iets vergelijkbaars in {wijk}.", "Goede les voor ons team.",
            "Is er al iets bekend over het effect?",
            "Kunnen we dit agenderen bij het regionaal overleg?",
            "Welke gemeente heeft dit budget vrijgemaakt?", "Wie is hier de contactpersoon?"]

MEMBER_KINDS = list(vocab.MEMBER_KINDS)


def _compounds(rng: random.Random) -> list[str]:
    """A long tail of Dutch compounds, so the vocabulary is not only a few hundred words."""
    words = [h + t for h in COMPOUND_HEADS for t in COMPOUND_TAILS]
    rng.shuffle(words)
    return words


@dataclass
class CorpusStats:
    users: int = 0
    teams: int = 0
    posts: int = 0
    comments: int = 0
    log_entries: int = 0
    words: int = 0
    seconds: float = 0.0


class Writer:
    """Sentences and posts from a seeded random generator."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.compounds = _compounds(self.rng)
        # A Zipf-like weight: a few compounds are common, most are rare.
        self.compound_weights = [1.0 / (i + 1) for i in range(len(self.compounds))]
        self.places = [w for ws in CITIES.values() for w in ws]
        self.topic_names = list(TOPICS)
        self.topics: tuple[dict, ...] = (TOPICS[self.topic_names[0]],)

    def pick_topics(self) -> tuple[dict, ...]:
        first = self.rng.choice(self.topic_names)
        names = [first]
        if self.rng.random() < 0.4:
            names.append(self.rng.choice(self.topic_names))
        self.topics = tuple(TOPICS[n] for n in names)
        return self.topics

    def _topic(self) -> dict:
        # The first topic dominates; a second one appears now and then.
        return self.topics[0] if len(self.topics) == 1 or self.rng.random() < 0.75 \
            else self.topics[1]

    def sentence(self) -> str:
        r = self.rng
        roll = r.random()
        topic = self._topic()
        if roll < 0.35:
            text = (f"{r.choice(SUBJECTS)} {r.choice(VERBS)} {r.choice(GENERIC_OBJECTS)} "
                    f"{r.choice(CLAUSES)}.")
        elif roll < 0.6:
            text = (f"{r.choice(OPENERS)} {r.choice(SUBJECTS).lower()} {r.choice(VERBS)} "
                    f"{r.choice(topic['objects'])}.")
        elif roll < 0.75:
            text = (f"{r.choice(SUBJECTS)} {r.choice(VERBS)} {r.choice(topic['objects'])} "
                    f"{r.choice(CLAUSES)}.")
        elif roll < 0.88:
            compound = r.choices(self.compounds, self.compound_weights)[0]
            text = (f"Het {compound} in {r.choice(self.places)} hielp bij "
                    f"{r.choice(topic['words'])} en {r.choice(topic['words'])}.")
        else:
            text = (f"{r.choice(OPENERS)} meldden {r.randint(2, 95)} bewoners zich over "
                    f"{r.choice(topic['words'])} {r.choice(CLAUSES)}.")
        return text[0].upper() + text[1:]

    def text(self, min_words: int, max_words: int) -> tuple[str, int]:
        target = self.rng.randint(min_words, max_words)
        paragraphs: list[str] = []
        sentences: list[str] = []
        count = 0
        while count < target:
            s = self.sentence()
            sentences.append(s)
            count += s.count(" ") + 1
            if len(sentences) >= self.rng.randint(3, 7):
                paragraphs.append(" ".join(sentences))
                sentences = []
        if sentences:
            paragraphs.append(" ".join(sentences))
        return "\n\n".join(paragraphs), count

    def title(self) -> str:
        r = self.rng
        topic = self.topics[0]
        obj = r.choice(topic["objects"])
        pattern = r.random()
        if pattern < 0.4:
            return f"{obj[0].upper()}{obj[1:]} in {r.choice(self.places)}"[:200]
        if pattern < 0.7:
            return f"{r.choice(SUBJECTS)} {r.choice(VERBS)} {obj}"[:200]
        return (f"{r.choice(topic['words']).capitalize()}: "
                f"{r.choice(GENERIC_OBJECTS)} {r.choice(CLAUSES)}")[:200]

    def tags(self) -> list[str]:
        """1-6 tags, mostly from the post's topics."""
        r = self.rng
        own = [t for topic in self.topics for t in topic["tags"]]
        chosen = set(r.sample(own, min(len(own), r.randint(1, 4))))
        while len(chosen) < 6 and r.random() < 0.3:
            chosen.add(r.choice(TAGS))
        return sorted(chosen)


def html(text: str) -> str:
    """Cheap stand-in for the Markdown renderer (the body_html column is not searched)."""
    return "".join(f"<p>{escape(p)}</p>" for p in text.split("\n\n"))


def stored(text: str) -> dict:
    """What `learncom.rendered` stores for a Markdown text: its HTML and its excerpt (the corpus
    is plain text, so its plain text is the text itself)."""
    return {"body_html": html(text),
            "excerpt": shorten(" ".join(text.split()), EXCERPT_LENGTH)}


# Comments per post by default: 0-8, about 3 on average.
COMMENT_COUNTS = (0, 0, 1, 2, 2, 3, 4, 5, 6, 8)
# Every this-many-th post gets a long thread (`busy_thread` comments) in a load corpus.
BUSY_EVERY = 500


def generate(n_posts: int, seed: int = 20261123, progress=None, *,
             comments_per_post: float | None = None, busy_thread: int = 200,
             busy_every: int = BUSY_EVERY) -> CorpusStats:
    """Fill the (empty) database of the current app with `n_posts` posts. Returns counts.

    `comments_per_post`: the mean thread length for a load test (e.g. 10 for 1,000,000 comments
    on 100,000 posts), with every `busy_every`-th post a thread of `busy_thread` comments, and
    every third comment of a thread a reply. Without it, the search benchmark's corpus (0-8
    comments; same seed, same corpus as always)."""
    started = time.monotonic()
    w = Writer(seed)
    r = w.rng
    stats = CorpusStats()
    conn = db.session.connection()
    now = datetime(2026, 11, 1, tzinfo=UTC)

    # Neighbourhoods, tags, teams, users.
    hoods = [{"id": i + 1, "name": name, "slug": slugify(name), "city": city}
             for i, (city, name) in enumerate((c, n) for c, ns in CITIES.items() for n in ns)]
    conn.execute(insert(Neighbourhood), hoods)
    tag_ids = {t: i + 1 for i, t in enumerate(TAGS)}
    conn.execute(insert(Tag), [{"id": i, "name": t} for t, i in tag_ids.items()])
    n_teams = max(4, min(200, n_posts // 500))
    teams = [{"id": i + 1, "name": f"Wijkteam {hoods[i % len(hoods)]['name']} {i + 1}",
              "slug": f"wijkteam-{i + 1}", "description": "Team uit de benchmark",
              "created_at": now} for i in range(n_teams)]
    conn.execute(insert(Team), teams)
    n_users = max(len(MEMBER_KINDS) * 2, min(20_000, n_posts // 5))
    users = []
    for i in range(n_users):
        users.append({"id": i + 1, "email": f"lid{i + 1}@bench.example",
                      "name": f"{r.choice(FIRST_NAMES)} {r.choice(LAST_NAMES)}",
                      "password_hash": None, "kind": MEMBER_KINDS[i % len(MEMBER_KINDS)],
                      "organisation": r.choice(ORGANISATIONS), "function": None,
                      "role": "coordinator" if i % 97 == 0 else "member", "locale": None,
                      "active": True,
                      "created_at": now})
    for start in range(0, len(users), BATCH):
        conn.execute(insert(User), users[start:start + BATCH])
    memberships = [{"team_id": (i % n_teams) + 1, "user_id": i + 1} for i in range(n_users)
                   if i % 3 != 2]
    for start in range(0, len(memberships), BATCH):
        conn.execute(insert(team_members), memberships[start:start + BATCH])
    user_team = {m["user_id"]: m["team_id"] for m in memberships}
    stats.users, stats.teams = n_users, n_teams

    comment_id = 0
    log_id = 0
    kinds = ["experiment"] * 5 + ["friction"] * 3 + ["lesson"] * 2
    experiment_statuses = list(vocab.EXPERIMENT_STATUSES)
    change_statuses = list(vocab.CHANGE_STATUSES)
    for start in range(0, n_posts, BATCH):
        posts, tag_rows, comments, logs = [], [], [], []
        for post_id in range(start + 1, min(start + BATCH, n_posts) + 1):
            kind = r.choice(kinds)
            author = r.randint(1, n_users)
            created = now - timedelta(minutes=r.randint(0, 3 * 365 * 24 * 60))
            roll = r.random()
            visibility = "public" if roll < 0.8 else "members" if roll < 0.92 else "team"
            team = user_team.get(author) if visibility == "team" or r.random() < 0.3 else None
            if visibility == "team" and team is None:
                visibility = "members"
            w.pick_topics()
            body, words = w.text(150, 800)
            stats.words += words
            row = {c: None for c in _KIND_COLUMNS}
            row.update({
                "id": post_id, "kind": kind, "title": w.title(), "body": body,
                **stored(body), "author_id": author,
                "neighbourhood_id": r.randint(1, len(hoods)), "team_id": team,
                "visibility": visibility, "created_at": created, "updated_at": created,
                "curated": False,
            })
            if kind == "experiment":
                row.update(hypothesis=w.text(15, 40)[0], approach=w.text(20, 60)[0],
                           target_group=r.choice(["Ouderen", "Jongeren", "Gezinnen",
                                                  "Mantelzorgers", "Statushouders"]),
                           status=r.choice(experiment_statuses),
                           evidence_level=r.choice(list(vocab.EVIDENCE_LEVELS)))
                for _ in range(r.randint(0, 3)):
                    log_id += 1
                    text = w.text(20, 60)[0]
                    logs.append({"id": log_id, "post_id": post_id, "author_id": author,
                                 "date": (created + timedelta(days=r.randint(1, 90))).date(),
                                 "body": text, **stored(text), "created_at": created})
            elif kind == "friction":
                row.update(obstacle_type=r.choice(list(vocab.OBSTACLE_TYPES)),
                           affected=w.text(10, 30)[0], change_status=r.choice(change_statuses))
            else:
                row.update(statement=w.sentence()[:300], context=w.text(20, 60)[0],
                           confidence=r.choice(list(vocab.CONFIDENCES)))
            row["fields_html"] = {name: html(row[name]) for name in MARKDOWN_FIELDS
                                  if row.get(name)}
            posts.append(row)
            for tag in w.tags():
                tag_rows.append({"post_id": post_id, "tag_id": tag_ids[tag]})
            if comments_per_post is None:
                thread = r.choice(COMMENT_COUNTS)
            elif post_id % busy_every == 0:
                thread = busy_thread
            else:
                thread = _thread_length(r, comments_per_post, busy_thread, busy_every)
            first = comment_id + 1
            for n in range(thread):
                comment_id += 1
                text = r.choice(COMMENTS).format(wijk=r.choice(w.places)) + " " + w.sentence()
                # In long threads every third comment answers an earlier one.
                parent = (r.randint(first, comment_id - 1)
                          if comments_per_post is not None and n and n % 3 == 0 else None)
                comments.append({"id": comment_id, "post_id": post_id, "parent_id": parent,
                                 "author_id": r.randint(1, n_users), "body": text,
                                 **stored(text),
                                 "created_at": created + timedelta(hours=r.randint(1, 500),
                                                                   seconds=n),
                                 "edited_at": None, "deleted_at": None})
        conn.execute(insert(Post), posts)
        conn.execute(insert(post_tags), tag_rows)
        if comments:
            conn.execute(insert(Comment), comments)
        if logs:
            conn.execute(insert(LogEntry), logs)
        stats.posts += len(posts)
        stats.comments += len(comments)
        stats.log_entries += len(logs)
        if progress is not None:
            progress(len(posts))
    _advance_sequences(conn)
    db.session.commit()
    stats.seconds = time.monotonic() - started
    return stats


def _advance_sequences(conn) -> None:
    """Rows went in with explicit ids: on PostgreSQL move each id sequence past them, so the
    app's own inserts (a comment during a load test) get fresh ids."""
    if conn.dialect.name != "postgresql":
        return
    for table in db.metadata.sorted_tables:
        if "id" in table.c and table.c.id.primary_key:
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                f"COALESCE((SELECT max(id) FROM {table.name}), 0) + 1, false)")


def _thread_length(r: random.Random, mean: float, busy: int, every: int) -> int:
    """A thread length with the given overall mean once the busy threads are counted."""
    rest = max(0.0, (mean * every - busy) / (every - 1))
    return round(r.expovariate(1 / rest)) if rest > 0 else 0


_KIND_COLUMNS = ("hypothesis", "approach", "target_group", "outcome_measures", "start_date",
                 "end_date", "status", "result", "evidence_level", "obstacle_type", "affected",
                 "change_status", "resolution_note", "owner_id", "statement", "context",
                 "confidence")

__all__ = ["CorpusStats", "Writer", "generate"]
