"""Editorial check: does a block's own prose say more than the passages it cites?

Quote verification proves each cited passage is in its source; nothing proved that the block's
paraphrase keeps to it. This module compares every prose field a brief prints (text, each
audience's wording, title, figure, stance, role, the event date and the as-of date) with the
union of the block's cited passages, and reports five kinds of drift an editor must look at:

1. numbers, percentages, money and years the passages do not give (``1,200`` = ``1200``);
2. a number's qualifier dropped, added or changed in kind (below / above / approximate);
3. named actors (people, organisations, states) and dates the passages never mention;
4. certainty raised: a hedged, conditional or forecast passage told as fact or instruction;
5. a claim of an opinion, commentary, analysis or think-tank source stated unattributed.

Everything is deterministic and explainable: word lists, regular expressions and a small
suffix stemmer, no model. Each finding quotes both sides, so the editor can judge it in
seconds. A block's ``inference`` field (the editor's own, labelled, reading) is never checked:
that is where framing the passages do not state belongs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import lru_cache

from ..core.errors import BriefsmithWarning, printable
from ..core.models import Block, Content, Source, para_locator
from ..core.vocabulary import (
    HEDGES,
    MONTHS,
    WEEKDAYS,
    Number,
    normalise,
    numbers,
    qualifier_before,
    sentences,
)
from .quotecache import FindingCache

OPINION_KINDS = ("opinion", "commentary", "analysis", "think-tank paper")
EXCERPT = 80

# --- words ---------------------------------------------------------------------------------

# Demonyms, adjectives and short forms → one key per state or body, so "Russian threats" is
# a mention of Russia and "UK" one of "Britain".
_PLACES = {
    "russia": "russia russian russians",
    "ukraine": "ukraine ukrainian ukrainians",
    "poland": "poland polish poles",
    "finland": "finland finnish finns",
    "baltic": "baltic baltics",
    "estonia": "estonia estonian estonians",
    "latvia": "latvia latvian latvians",
    "lithuania": "lithuania lithuanian lithuanians",
    "belarus": "belarus belarusian belarusians",
    "united kingdom": "uk u.k. britain british briton britons",
    "united states": "us u.s. usa u.s.a. america american americans",
    "china": "china chinese",
    "india": "india indian indians",
    "myanmar": "myanmar burma burmese",
    "germany": "germany german germans",
    "france": "france french",
    "italy": "italy italian italians",
    "spain": "spain spanish",
    "canada": "canada canadian canadians",
    "norway": "norway norwegian norwegians",
    "belgium": "belgium belgian belgians",
    "netherlands": "netherlands dutch",
    "sweden": "sweden swedish swedes",
    "denmark": "denmark danish danes",
    "ireland": "ireland irish",
    "scotland": "scotland scottish scots",
    "wales": "wales welsh",
    "england": "england english",
    "kenya": "kenya kenyan kenyans",
    "uganda": "uganda ugandan ugandans",
    "nigeria": "nigeria nigerian nigerians",
    "ethiopia": "ethiopia ethiopian ethiopians",
    "mozambique": "mozambique mozambican mozambicans",
    "angola": "angola angolan angolans",
    "cambodia": "cambodia cambodian cambodians",
    "nicaragua": "nicaragua nicaraguan nicaraguans",
    "afghanistan": "afghanistan afghan afghans",
    "iran": "iran iranian iranians",
    "iraq": "iraq iraqi iraqis",
    "israel": "israel israeli israelis",
    "palestine": "palestine palestinian palestinians",
    "syria": "syria syrian syrians",
    "turkey": "turkey turkish turks",
    "egypt": "egypt egyptian egyptians",
    "japan": "japan japanese",
    "korea": "korea korean koreans",
    "qatar": "qatar qatari qataris",
    "brazil": "brazil brazilian brazilians",
    "mexico": "mexico mexican mexicans",
    "australia": "australia australian australians",
    "pakistan": "pakistan pakistani pakistanis",
    "greece": "greece greek greeks",
    "hungary": "hungary hungarian hungarians",
    "austria": "austria austrian austrians",
    "switzerland": "switzerland swiss",
    "europe": "europe european europeans",
    "european union": "eu e.u.",
    "united nations": "un u.n.",
    "africa": "africa african africans",
    "asia": "asia asian asians",
}
PLACE_KEY = {form.rstrip("."): key for key, forms in _PLACES.items()
             for form in (key, *forms.split())}
COMPASS = {"north", "south", "east", "west", "northern", "southern", "eastern", "western",
           "global", "north-south", "east-west"}
PHRASE_KEY = {"united kingdom": "united kingdom", "great britain": "united kingdom",
              "united states": "united states", "baltic states": "baltic",
              "european union": "european union", "united nations": "united nations",
              "south africa": "south africa", "south african": "south africa"}


def _words(text: str) -> set[str]:
    return set(text.split())


# Words of a name that say what kind of body it is, not which one: "the Court" does not name
# the European Court of Human Rights.
GENERIC = _words("""
the of for to and on in de la du van von der court commission government ministry
minister trust council group party union institute agency organisation organization
department office committee parliament bank fund state states republic kingdom national
international european united human rights world health treaty convention new north
south east west eastern western northern southern central general federal royal supreme
high city county school university college centre center foundation association society
service services forces army navy force police security defence defense president prime
secretary chancellor mr mrs ms dr sir lord lady global
""")

# A capitalised word that starts a sentence is read as an ordinary word unless it is a known
# place or part of a longer capitalised name; these are never names even inside one.
FUNCTION_WORDS = _words("""
a an the in on at for since after before by with from as unless while when although
though but and or of to this that these those its it their his her our they we he she
there here some many several most both all each every no not other such unlike despite
according among between once if rather instead even also only however yet so then why
how what who which where is are was were will would could should may might must can do
does did have has had be more over nearly almost about around roughly just close upwards
approximately under quoted cited on until during today now
""")

STOPWORDS = FUNCTION_WORDS | _words("""
out up into than very much also its it's them him us been being said says say
""")

IRREGULAR = {
    "left": "leave", "went": "go", "gone": "go", "took": "take", "taken": "take",
    "made": "make", "said": "say", "told": "tell", "built": "build", "led": "lead",
    "paid": "pay", "won": "win", "fought": "fight", "became": "become", "began": "begin",
    "begun": "begin", "held": "hold", "kept": "keep", "met": "meet", "sent": "send",
    "spent": "spend", "rose": "rise", "risen": "rise", "fell": "fall", "fallen": "fall",
    "grew": "grow", "grown": "grow", "brought": "bring", "bought": "buy", "thought": "think",
    "sold": "sell", "struck": "strike", "shown": "show", "gave": "give", "given": "give",
    "wrote": "write", "written": "write", "saw": "see", "seen": "see", "knew": "know",
    "known": "know", "chose": "choose", "chosen": "choose", "broke": "break",
    "broken": "break", "ran": "run", "drew": "draw", "drawn": "draw", "sought": "seek",
    "felt": "feel", "lost": "lose", "found": "find", "agreed": "agree",
}

_POSSIBLE = ("could", "may", "might", "would", "possibly", "potentially", "perhaps", "likely",
             "unlikely", "risk", "risks", "potential", "prospect", "possibility", "possible",
             "if", "unless", "can", "expect", "expects", "expected", "estimate", "estimates",
             "forecast", "forecasts")
_FORECAST = ("will", "'ll", "won't", "would", "could", "may", "might", "plan", "plans",
             "planned", "expect", "expects", "expected", "set to", "going to", "intend",
             "intends", "forecast", "forecasts", "predicts", "predicted", "due to", "future",
             "prospect", "likely", "scheduled", "beforehand")
_ASPIRE = ("desire", "desires", "intend", "intends", "intent", "intention", "wish", "wishes",
           "want", "wants", "aim", "aims", "seek", "seeks", "plan", "plans", "hope", "hopes",
           "challenge", "challenges", "try", "tries", "would like", "will", "'ll", "indicate",
           "indicated", "indicating", "could", "may", "might", "would", "propose", "proposes")
_NORMATIVE = ("should", "ought", "must", "need", "needs", "needed", "recommend",
              "recommends", "suggest", "suggests", "propose", "proposes", "urge", "urges",
              "urged", "call for", "calls for", "called for", "want", "wants", "ask", "asks",
              "would", "could", "may", "might")
_ATTRIBUTING = ("says", "said", "say", "argues", "argued", "argue", "suggests", "suggested",
                "claims", "claimed", "claim", "contends", "contend", "according to",
                "in the view of", "in its view", "in their view", "believes", "believe",
                "thinks", "asserts", "maintains", "insists", "warns", "warned", "calls",
                "describes", "described", "notes", "noted", "reports", "reported", "states",
                "stated", "writes", "wrote", "sees", "frames", "presents", "expects",
                "considers", "concludes", "adds", "links", "locates", "lists", "cites", "asks",
                "view", "estimates", "estimated", "contend", "recognises", "explains")
PRESERVES = {
    "possibility": _POSSIBLE,
    "conditional": _POSSIBLE,
    "forecast": _FORECAST,
    "aspiration": _ASPIRE,
    "normative": _NORMATIVE,
    "attribution": (*_ATTRIBUTING, *_POSSIBLE, "will", "gives", "sees", "finds"),
}
FAMILY_WORDS = {
    "possibility": "a possibility", "conditional": "a condition", "forecast": "a forecast",
    "aspiration": "an aim or a challenge", "normative": "a wish ('should be')",
    "attribution": "a view",
}
DEONTIC = ("should", "must", "ought", "need to", "needs to", "have to", "has to")
_DEONTIC_IN_PASSAGE = (*DEONTIC, "need", "needed", "urged", "urge", "required", "require",
                       "call for", "calls for", "called for", "demand", "demanded", "recommend")

SOURCE_NOUNS = ("analysis", "commentary", "report", "paper", "study", "column", "op-ed",
                "article", "author", "authors", "writer", "piece", "essay", "editorial",
                "review", "columnist", "think tank", "survey", "researchers")

# --- text ----------------------------------------------------------------------------------

_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_MARKS = re.compile(r"[*_`#>]+")
# A word of letters in any script ("Kasčiūnas", "García"), with inner apostrophes, dots and
# hyphens ("O'Neill", "U.S.", "anti-personnel"): ASCII-only classes cut a name at its accent.
_LETTER = r"[^\W\d_]"
_WORD = re.compile(rf"{_LETTER}(?:{_LETTER}|['.\-])*{_LETTER}|{_LETTER}")


def plain(text: str) -> str:
    """Markdown reduced to the words a reader sees, under the quote-matching normalisation."""
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_MARKS.sub("", text)
    return normalise(text)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A crude suffix stemmer: enough to match 'opting'/'opt out', 'caused'/'causes'."""
    word = word.lower().strip("'.-")
    word = IRREGULAR.get(word, word)
    if word.endswith("'s"):
        word = word[:-2]
    for suffix in ("ations", "ation", "ments", "ment", "ingly", "ings", "ing", "edly", "ies",
                   "ied", "ers", "er", "ed", "es", "ly", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if suffix in ("ies", "ied"):
                word += "y"
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]  # "opting" → "opt", "planned" → "plan"
    return word[:-1] if word.endswith("e") and len(word) >= 3 else word  # "fine"/"fined"


@lru_cache(maxsize=8192)
def content_stems(text: str) -> frozenset[str]:
    return frozenset(stem(w) for w in _WORD.findall(text)
                     if w.lower() not in STOPWORDS and len(w) > 1)


_NON_WORD = re.compile(r"[^a-z0-9']+")


def _has(text: str, phrases: Iterable[str]) -> str | None:
    """The first of `phrases` that occurs in `text` as whole words, case-insensitively."""
    low = " " + _NON_WORD.sub(" ", text.lower().replace("'s ", " ")) + " "
    for phrase in phrases:
        if f" {phrase} " in low:
            return phrase
    return None


def excerpt(text: str, start: int = 0, end: int | None = None, limit: int = EXCERPT) -> str:
    """At most `limit` characters of `text` around [start, end), cut at word boundaries."""
    end = len(text) if end is None else end
    if len(text) <= limit:
        return printable(text, limit + 1)
    room = max(0, limit - (end - start))
    lo = max(0, start - room // 2)
    hi = min(len(text), lo + limit)
    lo = max(0, hi - limit)
    if lo > 0:
        lo = text.find(" ", lo) + 1 or lo
    if hi < len(text):
        cut = text.rfind(" ", lo, hi)
        hi = cut if cut > start else hi
    piece = text[lo:hi].strip()
    return printable(("\u2026" if lo > 0 else "") + piece + ("\u2026" if hi < len(text) else ""),
                     limit + 3)


# --- the comparison ------------------------------------------------------------------------


@dataclass(frozen=True)
class Passage:
    """One cited passage and what the check needs to know about its source."""

    text: str
    source_kind: str = "news"
    source_label: str = ""
    names: tuple[str, ...] = ()  # title, label, outlet, authors, editors
    published: str | None = None
    credits: tuple[str, ...] = ()  # outlet, authors, editors: naming one attributes a claim
    paragraphs: tuple[str, ...] = ()  # the whole source, to say where else it names someone

    @classmethod
    def of(cls, quote: str, source: Source) -> Passage:
        people = (*source.shown_authors, *source.shown_editors)
        names = tuple(n for n in (source.title, source.short_title, source.label,
                                  source.outlet, source.publisher, *people) if n)
        credits = tuple(n for n in (source.outlet, source.publisher, *people) if n)
        return cls(normalise(quote), source.kind, source.label, names, source.published,
                   credits, source.paragraphs)


@dataclass(frozen=True)
class Finding:
    """One drift: which check, in which field, and both sides quoted."""

    kind: str  # number | qualifier | actor | certainty | attribution
    what: str  # e.g. "number not in its passages"
    prose: str
    passage: str
    advice: str
    field: str = "text"

    def warning(self, block: Block) -> BriefsmithWarning:
        return BriefsmithWarning(
            block.at(self.field), f"block '{block.id}' {self.what}: the prose says "
            f"\"{self.prose}\" but its passages say \"{self.passage}\": {self.advice}",
            "fidelity")


@dataclass
class _Evidence:
    """The passages of one block, pre-digested once for all its prose fields."""

    passages: Sequence[Passage]
    exempt: Sequence[str] = ()  # the block's own actor / speaker
    joined: str = ""
    words: set[str] = field(default_factory=set)
    capital_keys: set[str] = field(default_factory=set)
    keys: set[str] = field(default_factory=set)
    nums: list[tuple[Number, str]] = field(default_factory=list)
    sents: list[tuple[str, Passage, frozenset[str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.joined = " ".join(p.text for p in self.passages)
        names = [n for p in self.passages for n in p.names] + list(self.exempt)
        for words, capital_keys, keys in [*map(_text_forms, (p.text for p in self.passages)),
                                          *map(_name_forms, names)]:
            self.words.update(words)
            self.capital_keys.update(capital_keys)
            self.keys.update(keys)
        for p in self.passages:
            self.nums += [(n, p.text) for n in numbers(p.text, words=True)]
            if p.published:
                self.nums.append((Number(float(p.published[:4]), False, "", True, 0, 0,
                                         p.published), p.published))
            for _, s in sentences(p.text):
                self.sents.append((s, p, content_stems(s)))

    def best(self, stems: AbstractSet[str],
             opinion: bool | None = None) -> tuple[int, str, Passage]:
        """The passage sentence sharing most content stems with `stems`."""
        best: tuple[int, str, Passage] = (0, "", Passage(""))
        for s, p, ss in self.sents:
            if opinion is not None and (p.source_kind in OPINION_KINDS) != opinion:
                continue
            score = len(stems & ss)
            if score > best[0]:
                best = (score, s, p)
        return best


def _text_forms(text: str) -> tuple[set[str], set[str], set[str]]:
    """A text's lookup forms, capitalised keys and phrase keys (see _word_forms)."""
    words: set[str] = set()
    capital_keys: set[str] = set()
    for whole in _WORD.findall(text):
        forms, capitals = _word_forms(whole)
        words.update(forms)
        if capitals:
            capital_keys.update(capitals)
    low = text.lower()
    return words, capital_keys, {v for k, v in PHRASE_KEY.items() if k in low}


@lru_cache(maxsize=4096)
def _name_forms(name: str) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """_text_forms of a source's title, outlet or author, or a block's actor: the same few
    names come with every block that cites the source, once worked out."""
    words, capital_keys, keys = _text_forms(name)
    return frozenset(words), frozenset(capital_keys), frozenset(keys)


@lru_cache(maxsize=65536)
def _word_forms(whole: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The lookup forms of one word of a passage (and of each part of a hyphenated one), and
    its capitalised keys: worked out once per distinct word, not once per passage."""
    words: list[str] = []
    capital_keys: list[str] = []
    for w in {whole, *(whole.split("-") if "-" in whole.strip("-") else ())}:
        if not w:
            continue
        low = w.lower().rstrip(".")
        words += (low, stem(low), PLACE_KEY.get(low, low))
        if w[0].isupper():
            capital_keys += (_key(w), stem(low))
    return tuple(words), tuple(capital_keys)


def _key(word: str) -> str:
    low = word.lower().rstrip(".")
    if low.endswith("'s"):
        low = low[:-2]
    return PLACE_KEY.get(low, low)


def compare(prose: str, passages: Sequence[Passage], *, exempt: Sequence[str] = (),
            field: str = "text", heading: bool = False,
            attributed: bool = False) -> list[Finding]:
    """Every drift of `prose` from `passages`. `exempt`: the block's own actor or speaker.
    `attributed`: the block's head already names the source (a position or quote whose actor
    is the source), so its sentences need not. `heading`: a title or label, which is not held
    to the attribution rule."""
    evidence = _Evidence(passages, exempt)
    return _compare(plain(prose), evidence, field, not heading and not attributed)


def _compare(text: str, ev: _Evidence, field: str, attribution: bool) -> list[Finding]:
    found: list[Finding] = []
    found += _numbers(text, ev, field)
    found += _actors(text, ev, field)
    found += _certainty(text, ev, field)
    if attribution:
        found += _attribution(text, ev, field)
    return found


def _around(text: str, start: int, end: int) -> str:
    return excerpt(text, start, end)


def _sentence_at(text: str, offset: int) -> tuple[int, str]:
    for start, s in reversed(sentences(text)):
        if start <= offset:
            return start, s
    return 0, text


def _hedged(qualifier: tuple[str, str] | None) -> tuple[str, str] | None:
    """'exactly 2,000' says no more than '2,000': only a hedge of the number counts here."""
    return qualifier if qualifier and qualifier[1] != "exact" else None


def _numbers(text: str, ev: _Evidence, field: str) -> list[Finding]:
    found = []
    for num in numbers(text):
        matches = [(n, src) for n, src in ev.nums if num.same(n)]
        if not matches and num.year:
            matches = [(n, src) for n, src in ev.nums
                       if n.year and str(int(n.value)) == str(int(num.value))]
        if not matches:
            what = "year not in its passages" if num.year else "number not in its passages"
            peers = [(n, src) for n, src in ev.nums if n.year == num.year
                     and n.percent == num.percent and n.end > n.start]
            if peers:
                n, src = min(peers, key=lambda p: abs(p[0].value - num.value))
                theirs = _around(src, n.start, n.end)
            else:
                _, theirs, _ = ev.best(content_stems(_sentence_at(text, num.start)[1]))
                theirs = excerpt(theirs or ev.joined)
            advice = ("give the passages' figure, or cite the passage that gives this one"
                      if not num.year else
                      "cite the passage that gives this year, or leave the year out")
            found.append(Finding("number", what, _around(text, num.start, num.end), theirs,
                                 advice, field))
            continue
        mine = _hedged(qualifier_before(text, num.start))
        theirs_q = [(_hedged(qualifier_before(src, n.start)), n, src) for n, src in matches
                    if n.end]
        if not theirs_q or num.year:
            continue
        kinds = {q[1] if q else None for q, _, _ in theirs_q}
        if (mine[1] if mine else None) in kinds:
            continue
        q, n, src = theirs_q[0]
        if mine and q:
            what = f"qualifier changed from {q[1]} to {mine[1]}"
            advice = f"say '{q[0]}' (or another {q[1]} word) as the passage does"
        elif mine:
            what = "qualifier added"
            advice = f"drop '{mine[0]}', or cite a passage that qualifies the figure"
        else:
            assert q is not None
            what = "qualifier dropped"
            advice = f"keep '{q[0]}' (or another {q[1]} word) before the figure"
        qstart = n.start - len(q[0]) - 1 if q else n.start
        pstart = num.start - len(mine[0]) - 1 if mine else num.start
        found.append(Finding("qualifier", what, _around(text, max(0, pstart), num.end),
                             _around(src, max(0, qstart), n.end), advice, field))
    return found


_CONNECT = ("of", "for", "to", "de", "la", "du", "van", "von", "der", "on")


def _names(text: str) -> list[tuple[int, int, list[str]]]:
    """Capitalised phrases (start, end, words), with sentence-initial ordinary words left
    out: 'Repeated droughts' names nobody; 'Kenyan farmers' and 'Angela Rayner said' do."""
    out = []
    starts = {s for s, _ in sentences(text)}
    tokens = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
    i = 0
    while i < len(tokens):
        s, e, w = tokens[i]
        if not w[0].isupper():
            i += 1
            continue
        j, words, end = i + 1, [w], e
        while j < len(tokens):
            _, e2, w2 = tokens[j]
            gap = text[end:tokens[j][0]]
            if gap.strip() not in ("", "-") or "\n" in gap:
                break
            if w2[0].isupper():
                words.append(w2)
                end = e2
                j += 1
            elif (w2 in _CONNECT and j + 1 < len(tokens) and tokens[j + 1][2][0].isupper()
                  and text[e2:tokens[j + 1][0]].strip() == ""):
                words.append(w2)
                j += 1
            else:
                break
        initial = s in starts or text[max(0, s - 2):s].strip() in ('"', "(", "'")
        while initial and words and words[0].lower() in FUNCTION_WORDS:
            words.pop(0)
        if initial and len(words) == 1 and _key(words[0]) not in PLACE_KEY.values():
            word = words[0]
            if not re.search(r"(?<![.!?;:] )(?<!^)\b" + re.escape(word) + r"\b", text[e:]):
                words = []
        while words and words[-1] in _CONNECT:
            words.pop()
        if words:
            out.append((s, end, words))
        i = j
    return out


def _mentioned(words: list[str], ev: _Evidence) -> bool:
    phrase = " ".join(w.lower() for w in words if w.lower() != "the")
    for form, key in PHRASE_KEY.items():
        if form in phrase and key in ev.keys | {ev_key for ev_key in ev.words}:
            return True
    keys = [_key(part) for w in words if w.lower() not in ("the", *_CONNECT)
            for part in (w.split("-") if "-" in w.strip("-") else [w])]
    if all(k in COMPASS for k in keys):
        return True  # "North-South", "Global South": directions, not actors
    distinctive = [k for k in keys if k not in GENERIC]
    if any(k in ev.capital_keys or stem(k) in ev.capital_keys for k in distinctive):
        return True
    return all(k in ev.words or stem(k) in ev.words for k in keys)


_DATE_WORDS = frozenset(MONTHS + WEEKDAYS)


def _actors(text: str, ev: _Evidence, field: str) -> list[Finding]:
    found = []
    for start, end, words in _names(text):
        months = [w for w in words if w.lower() in _DATE_WORDS]
        if months and len(words) == 1:
            if not any(m.lower() in ev.words for m in months) and not (
                    words[0] == "May" and field == "title"):
                _, theirs, _ = ev.best(content_stems(_sentence_at(text, start)[1]))
                found.append(Finding("actor", "date not in its passages",
                                     _around(text, start, end), excerpt(theirs or ev.joined),
                                     "cite the passage that dates it, or leave the date out",
                                     field))
            continue
        words = [w for w in words if w.lower() not in _DATE_WORDS] if months else words
        if not words or _mentioned(words, ev):
            continue
        _, theirs, _ = ev.best(content_stems(_sentence_at(text, start)[1]))
        elsewhere = _named_elsewhere(words, ev)
        advice = (f"its source names them in {elsewhere}: cite that passage too, or leave "
                  "the name out" if elsewhere else
                  "cite a passage that names them, or leave the name out")
        found.append(Finding("actor", f"name '{printable(' '.join(words), 60)}' not in its "
                             "passages", _around(text, start, end),
                             excerpt(theirs or ev.joined), advice, field))
    return found


def _named_elsewhere(words: list[str], ev: _Evidence) -> str | None:
    """'para 4 of source-id'-style pointer to where the cited source itself names `words`."""
    phrase = " ".join(w for w in words if w.lower() != "the")
    pattern = re.compile(r"\b" + re.escape(phrase) + r"\b", re.I)
    for p in ev.passages:
        for number, para in enumerate(p.paragraphs, 1):
            if pattern.search(normalise(para)):
                return para_locator((number, number))
    return None


def _scope(sentence: str, at: int) -> str:
    """The clause a hedge at offset `at` governs: up to the next clause break."""
    rest = sentence[at:]
    cut = re.search(r"[;:\u2014\u2013]| - |, (?:but|while|whereas|though|the \w+ said|it said)\b",
                    rest)
    return rest[: cut.start()] if cut else rest


def _certainty(text: str, ev: _Evidence, field: str) -> list[Finding]:
    found = []
    for _, mine in sentences(text):
        if mine.rstrip().endswith("?"):
            continue
        my_stems = content_stems(mine)
        # an instruction the passages never give
        if (deontic := _has(mine, DEONTIC)) is not None:
            score, theirs, _ = ev.best(my_stems)
            if score >= 2 and not any(_has(s, _DEONTIC_IN_PASSAGE) for s, _, ss in ev.sents
                                      if len(my_stems & ss) >= 2):
                found.append(Finding(
                    "certainty", "turns a passage into an instruction",
                    excerpt(mine, *_span(mine, deontic)), excerpt(theirs),
                    f"say what the passage says instead of '{deontic}' (or attribute the ask), "
                    "or put your own reading under 'inference'", field))
                continue
        for theirs, _, their_stems in ev.sents:
            hit = _hedge_in_scope(theirs, my_stems, their_stems)
            if hit is None:
                continue
            marker, family, head = hit
            if (_has(mine, PRESERVES[family]) is not None or _kept(mine, family, head)
                    or (family == "attribution" and _has(mine, SOURCE_NOUNS))):
                continue
            at = max(0, theirs.find(marker))
            word = next((m for m in _WORD.finditer(mine) if stem(m.group()) == head), None)
            mine_at = (word.start(), word.end()) if word else (0, len(mine))
            found.append(Finding(
                "certainty", f"states as fact what its passages give as {FAMILY_WORDS[family]}",
                excerpt(mine, *mine_at), excerpt(theirs, at, at + len(marker)),
                f"keep the passage's '{marker}' (or a word of the same force), or put your own "
                "reading under 'inference'", field))
            break
    return found


def _kept(mine: str, family: str, head: str) -> bool:
    """The prose keeps an aim as an aim ('to align with', for 'a desire to align with') or a
    forecast as a plan in progress ('are opting out', for 'will be opting out')."""
    words = [w.lower() for w in _WORD.findall(mine)]
    for before, word in zip(["", *words], words, strict=False):
        if stem(word) != head:
            continue
        if family == "aspiration" and before == "to":
            return True
        if family == "forecast" and before in ("is", "are", "be") and word.endswith("ing"):
            return True
    return False


def _span(text: str, phrase: str) -> tuple[int, int]:
    m = re.search(r"\b" + re.escape(phrase) + r"\b", text, re.I)
    return (m.start(), m.end()) if m else (0, len(text))


_NOT_HEAD = {"likely", "also", "nonetheless", "then", "still", "now", "soon", "eventually",
             "both", "even", "actually", "well"}


_HEDGE_RES = tuple((marker, family, re.compile(r"(?<![\w'])" + re.escape(marker) + r"(?![\w'])"))
                   for marker, family in HEDGES)


@lru_cache(maxsize=4096)
def _hedges_of(theirs: str) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """Each hedge of a passage sentence: (the marker as written, its family, the content
    stems of the clause it governs, head first). Cached: passages recur across blocks."""
    low = theirs.lower()
    taken: list[tuple[int, int]] = []
    out = []
    for marker, family, pattern in _HEDGE_RES:
        for m in pattern.finditer(low):
            if any(a <= m.start() < b for a, b in taken):
                continue
            if marker == "may" and theirs[m.start()] == "M":
                continue  # the month
            taken.append((m.start(), m.end()))
            scope = _scope(theirs, m.end())
            scope_stems = tuple(stem(w) for w in _WORD.findall(scope)
                                if w.lower() not in STOPWORDS | _NOT_HEAD and len(w) > 1)
            if scope_stems:
                out.append((theirs[m.start():m.end()], family, scope_stems))
    return tuple(out)


def _hedge_in_scope(theirs: str, my_stems: AbstractSet[str],
                    their_stems: AbstractSet[str]) -> tuple[str, str, str] | None:
    """The first hedge of passage sentence `theirs` whose clause the prose sentence restates:
    it shares the clause's first content word (its verb or noun) and one more word of the
    sentence; for 'argues'/'suggests', two words and half of the clause. Returns the marker,
    its family and that head word's stem."""
    if len(my_stems & their_stems) < 2:
        return None
    for marker, family, scope_stems in _hedges_of(theirs):
        shared = set(scope_stems) & my_stems
        if family == "attribution":
            restated = len(shared) >= 2 and len(shared) * 2 >= len(set(scope_stems))
        else:
            restated = scope_stems[0] in my_stems
        if restated:
            return marker, family, scope_stems[0]
    return None


def _attribution(text: str, ev: _Evidence, field: str) -> list[Finding]:
    names = {stem(w) for p in ev.passages for n in p.credits for w in _WORD.findall(n)
             if w.lower() not in GENERIC and w.lower() not in STOPWORDS}
    unattributed: list[tuple[str, str, Passage]] = []
    for _, mine in sentences(text):
        if mine.rstrip().endswith("?"):
            continue  # a question asks; it does not state the claim
        my_stems = content_stems(mine)
        score, theirs, passage = ev.best(my_stems, opinion=True)
        if score < 2 or score <= ev.best(my_stems, opinion=False)[0]:
            continue
        # Names and dates alone ("the Ottawa Treaty, adopted in 1997") are not the source's
        # argument: it takes three ordinary words shared with the passage to state its claim.
        if len(_common_stems(mine) & content_stems(theirs)) < 3:
            continue
        if _has(mine, (*_ATTRIBUTING, *SOURCE_NOUNS)) or my_stems & names:
            continue
        unattributed.append((mine, theirs, passage))
    if not unattributed:
        return []
    mine, theirs, passage = unattributed[0]
    more = len(unattributed) - 1
    what = (f"states a claim of {_article(passage.source_kind)} {passage.source_kind} as fact"
            + (f" (and in {more} more sentence{'s' if more > 1 else ''})" if more else ""))
    return [Finding("attribution", what, excerpt(mine), excerpt(theirs),
                    f"say whose claim it is (e.g. 'the {_noun(passage.source_kind)} argues "
                    "…')", field)]


def _common_stems(sentence: str) -> set[str]:
    """Content stems of the words written in lower case (the first word counts too)."""
    words = _WORD.findall(sentence)
    return {stem(w) for i, w in enumerate(words)
            if (i == 0 or not w[0].isupper()) and w.lower() not in STOPWORDS and len(w) > 1}


def _article(kind: str) -> str:
    return "an" if kind[0] in "aeiou" else "a"


def _noun(kind: str) -> str:
    return {"think-tank paper": "paper", "opinion": "author"}.get(kind, kind)


# --- blocks --------------------------------------------------------------------------------

PROSE_FIELDS = ("title", "figure", "stance", "role", "term", "text")


def _attributed_by_head(block: Block, passages: Sequence[Passage]) -> bool:
    """A position, recommendation or quote whose actor or speaker is the source itself: its
    head ('The Ottawa Treaty analysis — ...') already says whose claims the text gives."""
    who = block.actor or block.speaker
    if not who:
        return False
    mine = {stem(w) for w in _WORD.findall(who) if w.lower() not in GENERIC | STOPWORDS}
    for p in passages:
        theirs = _name_stems(p.names)
        if mine & theirs or _has(who, SOURCE_NOUNS):
            return True
    return False


@lru_cache(maxsize=4096)
def _name_stems(names: tuple[str, ...]) -> frozenset[str]:
    """The distinctive stems of a source's names: once per source, not once per citation."""
    return frozenset(stem(w) for n in names for w in _WORD.findall(n)
                     if w.lower() not in GENERIC | STOPWORDS)


def check_block(block: Block, passages: Sequence[Passage]) -> list[BriefsmithWarning]:
    """The located warnings for one block (none when it cites nothing)."""
    if not passages:
        return []
    exempt = tuple(x for x in (block.actor, block.speaker) if x)
    ev = _Evidence(passages, exempt)
    attributed = _attributed_by_head(block, passages)
    found: list[Finding] = []
    for name in PROSE_FIELDS:
        value = getattr(block, name)
        if not value:
            continue
        full = name == "text" and not attributed
        found += _compare(plain(value), ev, name, full)
    for audience, value in block.wording:
        key = f"wording.{audience}"
        found += _compare(plain(value), ev, key if key in dict(block.field_origins)
                          else "wording", not attributed)
    for name, what in (("date", "event year"), ("as_of", "as-of year")):
        value = getattr(block, name)
        if value and not any(n.year and int(n.value) == int(value[:4]) for n, _ in ev.nums):
            found.append(Finding("number", f"{what} not in its passages", value,
                                 excerpt(ev.joined),
                                 "cite a passage that gives this year, or say how you dated it "
                                 "under 'inference'", name))
    return list(dict.fromkeys(f.warning(block) for f in found))


def fidelity_warnings(content: Content, cache: FindingCache | None = None,
                      compared: Mapping[str, list[BriefsmithWarning]] | None = None
                      ) -> list[BriefsmithWarning]:
    """Every block's drift from its verified passages, in block order (issue 9). With a
    cache, a block unchanged since the last check (and its quotes and sources) is not compared
    again (briefsmith/quotecache.py says what the key covers). `compared`: lines already
    worked out elsewhere (check runs `compare_blocks` in its workers), by block id."""
    out: list[BriefsmithWarning] = []
    for block in content.blocks.values():
        citations = content.citations.get(block.id, ())
        key = cache.block_key(block, citations) if cache is not None else None
        lines = cache.get(key) if cache is not None and key is not None else None
        if lines is None:
            lines = (compared[block.id] if compared is not None and block.id in compared
                     else _check_cited(content, block))
            if cache is not None and key is not None:
                cache.put(key, lines)
        out += lines
    return out


def uncompared(content: Content, cache: FindingCache) -> list[str]:
    """The ids of the blocks the cache has no lines for: what is left to compare."""
    return [block.id for block in content.blocks.values()
            if cache.get(cache.block_key(block, content.citations.get(block.id, ()))) is None]


def compare_blocks(content: Content,
                   ids: Sequence[str]) -> dict[str, list[BriefsmithWarning]]:
    """check_block for some blocks: the part of `fidelity_warnings` a worker can do."""
    return {block_id: _check_cited(content, content.blocks[block_id]) for block_id in ids}


def _check_cited(content: Content, block: Block) -> list[BriefsmithWarning]:
    return check_block(block, [Passage.of(c.quote, c.source)
                               for c in content.citations.get(block.id, ())])
