"""Organisation mentions without a statistical model.

Three sources of *strong* mentions (set as ``doc.ents`` with label ORG):
- the gazetteer (an EntityRuler built from known names; ``ent.kb_id_`` is the entity id),
- Reuters markup ``<Hughes Capital Corp>`` and ``(Groupe Videotron Ltd)``,
- capitalised runs ending in a company word (Corp, Inc, Ltd, Group, N.V., ...).

*Weak* mentions (``doc.spans["org_weak"]``) are any other capitalised runs ("LVMH", "Cisco"):
claim rules use them only in the owner/owned slots next to an ownership trigger.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import countrynames
import numpy as np
import pycountry
from countrynames.util import normalize_name
from spacy.attrs import LOWER, ORTH
from spacy.language import Language
from spacy.tokens import Doc, Span, Token
from spacy.util import filter_spans
from spacy.vocab import Vocab

ORG_LABEL = "ORG"

# Words that end a company name. Legal forms plus the structural words newswires use.
COMPANY_WORDS = frozenset(
    """corp corporation inc incorporated co cos company companies ltd limited plc llc lp llp
    group holdings holding ag sa nv bv gmbh spa ab kk se oy asa as pty bhd tbk
    industries bancorp bancshares partners trust airlines airways""".split()
)
_CONNECTORS = frozenset({"&", "and", "of", "-", "/", "(", ")", "de", "du", "des", "la", "van", "von"})
_HONORIFICS = frozenset({"mr", "mrs", "ms", "dr", "sir", "lord", "investor", "chairman", "president"})
_CALENDAR = frozenset(
    """january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday
    saturday sunday""".split()
)
_MAX_MARKUP = 14
# Words that end a capitalised run when walking back from a company word ("The", "In", "its").
_RUN_BREAKERS = frozenset(
    """the a an this that these those in on at for with by from to as but if when while after
    before since under last its his her their our it he she they we both all each some any or
    also then there here other another such many most more several said despite although though
    unlike like following during among amid including""".split()
)
# AP-style state abbreviations in datelines and "Stamford, Conn."; subdivisions come from pycountry.
_STATE_ABBREVIATIONS = frozenset(
    """ala. ariz. ark. calif. colo. conn. del. fla. ga. ill. ind. kan. ky. la. md. mass. mich.
    minn. miss. mo. mont. neb. nev. n.h. n.j. n.m. n.y. n.c. n.d. okla. ore. pa. r.i. s.c. s.d.
    tenn. tex. vt. va. wash. w.va. wis. wyo. d.c. me.""".split()
)
_SUBDIVISIONS = frozenset(
    s.name.lower()
    for code in ("US", "CA", "AU", "GB")
    for s in pycountry.subdivisions.get(country_code=code) or []  # type: ignore[no-untyped-call]
)
_PERSON_ROLES = frozenset(
    """executive president chairman spokesman spokeswoman director analyst chief producer investor
    official officer founder professor minister""".split()
)


@dataclass(frozen=True, slots=True)
class Mention:
    start: int
    end: int
    text: str
    strong: bool
    entity_id: str | None = None
    source: str = "capitalised"  # gazetteer | markup | suffix | capitalised | ner


def _bare(token: Token) -> str:
    return token.lower_.replace(".", "")


def is_company_word(token: Token) -> bool:
    if _bare(token) not in COMPANY_WORDS:
        return False
    # "co" in "co-founder" or lower-case "group" mid-sentence are not name endings.
    return token.text[:1].isupper() or token.lower_ in ("plc", "n.v.", "s.a.")


def is_name_token(token: Token) -> bool:
    text = token.text
    if not text or not (text[0].isupper() or (text[0].isdigit() and any(c.isalpha() for c in text))):
        return False
    return not token.is_punct


def _markup_spans(doc: Doc, openers: list[int]) -> list[Span]:
    spans: list[Span] = []
    for i in openers:
        opener = doc[i].text
        close = ">" if opener == "<" else ")"
        for j in range(i + 1, min(len(doc), i + _MAX_MARKUP)):
            if doc[j].text == close:
                inner = doc[i + 1 : j]
                if _markup_is_name(inner, opener):
                    spans.append(Span(doc, inner.start, inner.end, label=ORG_LABEL))
                break
    return spans


def _markup_is_name(inner: Span, opener: str) -> bool:
    if not len(inner) or not inner[0].text[:1].isupper():
        return False
    # All-caps content is a ticker (<CHEM>, <BAC.N>); parentheses must hold a company name.
    if not any(c.islower() for c in inner.text):
        return False
    return opener == "<" or is_company_word(inner[-1])


def _suffix_spans(doc: Doc, candidates: list[int]) -> list[Span]:
    spans: list[Span] = []
    for i in candidates:
        tok = doc[i]
        if not is_company_word(tok):
            continue
        if i + 1 < len(doc) and is_company_word(doc[i + 1]):
            continue  # "Co Ltd": the name ends at the last company word
        start = _walk_back(doc, i)
        if start < i:
            spans.append(Span(doc, start, i + 1, label=ORG_LABEL))
    return spans


def _walk_back(doc: Doc, end: int) -> int:
    """Start of the capitalised run ending at token ``end`` ("The" and other stop words end it)."""
    start = end
    i = end - 1
    while i >= 0:
        tok = doc[i]
        if is_name_token(tok):
            if tok.lower_ in _RUN_BREAKERS:
                break
            start = i
        elif tok.lower_ in _CONNECTORS or tok.text == "'s":
            prev = doc[i - 1] if i > 0 else None
            if prev is None or not is_name_token(prev) or prev.lower_ in _RUN_BREAKERS:
                break
            if tok.text == "'s" and is_company_word(prev):  # "Group Ltd's North American Corp"
                break
        else:
            break
        i -= 1
    return _trim_left(doc, start, end)


def _trim_left(doc: Doc, start: int, end: int) -> int:
    while start < end and (doc[start].lower_ in _CONNECTORS or doc[start].text == "'s"):
        start += 1
    text = doc[start : end + 1].text
    if text.count("(") != text.count(")"):  # "(Groupe Videotron Ltd": drop the open paren
        while start < end and "(" in doc[start : end + 1].text and doc[start].text != "(":
            start += 1
        start += 1 if doc[start].text == "(" else 0
    return start


def weak_spans(doc: Doc, taken: list[Span], start: int = 0, end: int | None = None) -> list[Span]:
    """Capitalised runs in doc[start:end] outside strong mentions, minus places, dates and
    persons with titles. Computed per sentence, only where an ownership trigger fired."""
    stop = len(doc) if end is None else end
    covered = {i for s in taken if s.end > start and s.start < stop for i in range(s.start, s.end)}
    runs: list[Span] = []
    i = start
    while i < stop:
        if i in covered or not is_name_token(doc[i]):
            i += 1
            continue
        j = i + 1
        while j < stop and j not in covered and (
            is_name_token(doc[j]) or (doc[j].text in ("&", "-", "/") and j + 1 < stop and is_name_token(doc[j + 1]))
        ):
            j += 1
        run = _clean_run(doc, i, j, taken)
        if run is not None:
            runs.append(run)
        i = j
    return _join_institutions(doc, runs)


_OWNED_WORDS = frozenset({"owned", "controlled"})
_INSTITUTIONS = frozenset(
    "commission board authority agency department ministry exchange association council office bank".split()
)


def _join_institutions(doc: Doc, runs: list[Span]) -> list[Span]:
    """"Securities and Exchange Commission" is one body, not "Securities" + "Exchange Commission"."""
    out: list[Span] = []
    for run in runs:
        prev = out[-1] if out else None
        if (prev is not None and run.start == prev.end + 1 and doc[prev.end].lower_ == "and"
                and run[-1].lower_ in _INSTITUTIONS):
            out[-1] = Span(doc, prev.start, run.end, label=ORG_LABEL)
        else:
            out.append(run)
    return out


@lru_cache(maxsize=65536)
def is_place(text: str) -> bool:
    if not text[:1].isupper():
        return False  # "and" is Andorra's ISO code; places are capitalised
    low = text.lower()
    if low in _STATE_ABBREVIATIONS or low in _SUBDIVISIONS:
        return True
    code = _country_names().get(normalize_name(text) or "")
    return code is not None and code != "FAIL"


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    """countrynames' alias table (normalised name -> code). ``to_code`` itself scans every
    code on each call, which dominated the pipeline's time; a dict lookup gives the same answer."""
    countrynames.to_code("France")  # loads the table
    return dict(countrynames.COUNTRY_NAMES)


def _clean_run(doc: Doc, start: int, end: int, strong: list[Span]) -> Span | None:
    while start < end and (doc[start].is_stop or doc[start].lower_ in _RUN_BREAKERS or _bare(doc[start]) in _CALENDAR):
        start += 1
    if start >= end or _bare(doc[start]) in _HONORIFICS:
        return None
    span = doc[start:end]
    if all(_bare(t) in _CALENDAR or t.like_num for t in span) or _not_an_org(doc, span, strong):
        return None
    return Span(doc, span.start, span.end, label=ORG_LABEL)


# Regions that are not countries, and words that make a capitalised run a currency or title.
_REGIONS = frozenset({
    "europe", "asia", "africa", "america", "americas", "oceania", "scandinavia", "caribbean",
    "north america", "south america", "latin america", "central america", "southern africa",
    "middle east", "far east", "southeast asia", "western europe", "eastern europe",
})
_NOT_ORG_WORDS = frozenset({"dlrs", "dollars", "dollar", "yen", "marks", "stg", "francs", "minister", "governor",
                            "secretary", "senator", "mayor"})
_INFLECTIONS = ("ed", "ing", "ly", "s")


def _common_word_at_start(doc: Doc, tok: Token) -> bool:
    """A capitalised sentence-initial word is an ordinary word when the document also uses it
    in lower case, or it carries an English inflection and is followed by a lower-case word."""
    if not (tok.is_sent_start and tok.is_title and tok.is_alpha):
        return False
    if any(t.lower_ == tok.lower_ and t.is_lower for t in doc):
        return True
    nxt = doc[tok.i + 1] if tok.i + 1 < len(doc) else None
    return nxt is not None and nxt.is_lower and tok.lower_.endswith(_INFLECTIONS)


def _word(doc: Doc, i: int) -> str:
    return doc[i].lower_ if 0 <= i < len(doc) else ""


def _not_an_org(doc: Doc, span: Span, strong: list[Span]) -> bool:
    """Places, tickers, modifiers ("a Houston firm", "Miami-based") and people with roles."""
    s, e = span.start, span.end
    if is_place(span.text) or span.text.lower() in _REGIONS:
        return True
    words = {t.lower_.rstrip(".") for t in span}
    if words & (_PERSON_ROLES | _NOT_ORG_WORDS):
        return True  # "Brazilian Finance Minister Dilson Funaro", "U.S. Dlrs"
    if len(span) == 1 and _common_word_at_start(doc, span[0]):
        return True  # "Proceeds will be used", "Terms of the agreement", "Banks held"
    if len(span) == 1 and any(c.isdigit() for c in span.text):
        return True  # model numbers: "10 A320 short-haul jets"
    if _word(doc, s - 1) == "<":
        return True  # <BAC.N> ticker
    if _word(doc, e) == "-" and e + 1 < len(doc) and doc[e + 1].is_lower and _word(doc, e + 1) not in _OWNED_WORDS:
        return True  # "Miami-based", "Privately-held" (but "Xerox-owned" names an owner)
    if _word(doc, s - 1) in ("a", "an") and e < len(doc) and doc[e].is_lower:
        return True  # "a Houston investment firm"
    if _word(doc, e) == "," and any(_word(doc, e + k) in _PERSON_ROLES for k in (1, 2, 3)):
        return True  # "Tsuzo Murase, executive vice president of ..."
    if _word(doc, s - 1) in _PERSON_ROLES or _word(doc, s - 1).rstrip(".") in _HONORIFICS or (
            _word(doc, s - 1) == "." and _word(doc, s - 2) in _HONORIFICS):
        return True  # "Hollywood producer Burt Sugarman", "Mr . Begelman" (tokenised apart)
    if _word(doc, e) == "," and e + 1 < len(doc) and is_place(doc[e + 1].text):
        return True  # a city: "Evendale, Ohio", "Stamford, Conn."
    # "Hoechst AG of West Germany", "<Woodco Inc> of Houston": a place after a company.
    return _word(doc, s - 1) in ("of", "in") and any(x.end in (s - 1, s - 2) for x in strong)


def _inside_longer_name(doc: Doc, ent: Span) -> bool:
    """A gazetteer alias that is only part of a longer name ("Shell" in "Shell Canada")."""
    if not (ent.ent_id_ or ent.kb_id_):
        return False
    after = doc[ent.end] if ent.end < len(doc) else None
    before = doc[ent.start - 1] if ent.start > 0 else None
    if after is not None and is_name_token(after) and not is_company_word(after):
        return True
    return before is not None and is_name_token(before) and not before.is_sent_start and before.lower_ not in _RUN_BREAKERS


def _company_word_variants() -> list[str]:
    """Surface forms the cue matcher looks for: "corp", "corp.", "n.v.", "s.a." ..."""
    out = set()
    for w in COMPANY_WORDS:
        out |= {w, w + "."}
        if len(w) <= 3:
            out.add(".".join(w) + ".")
    return sorted(out)


class OrgMentions:
    """Pipeline component: markup and company-word mentions into doc.ents (gazetteer hits win).

    The few cue tokens (company words, "<", "(") are found on the doc's hash arrays with numpy,
    so that only they are walked from, not every token of every article in Python.
    """

    def __init__(self, vocab: Vocab) -> None:
        self.company = np.array([vocab.strings.add(w) for w in _company_word_variants()], dtype=np.uint64)
        self.openers = np.array([vocab.strings.add(w) for w in ("<", "(")], dtype=np.uint64)

    def __call__(self, doc: Doc) -> Doc:
        arr = doc.to_array([LOWER, ORTH])
        company = np.flatnonzero(np.isin(arr[:, 0], self.company)).tolist()
        openers = np.flatnonzero(np.isin(arr[:, 1], self.openers)).tolist()
        found = _markup_spans(doc, openers) + _suffix_spans(doc, company)
        # Gazetteer/NER entities first so that filter_spans keeps them on equal length.
        known = [e for e in doc.ents if not _inside_longer_name(doc, e)]
        doc.ents = sorted(filter_spans(known + found), key=lambda s: s.start)
        return doc


@Language.factory("org_mentions")
def make_org_mentions(nlp: Language, name: str) -> OrgMentions:
    return OrgMentions(nlp.vocab)


def mentions_of(doc: Doc) -> list[Mention]:
    """Strong organisation mentions of a processed doc, in text order."""
    return [
        Mention(e.start, e.end, e.text, True, e.ent_id_ or e.kb_id_ or None, _source(e))
        for e in doc.ents
        if e.label_ == ORG_LABEL
    ]


def sentence_mentions(doc: Doc, strong: list[Mention], start: int, end: int) -> list[Mention]:
    """Strong mentions inside doc[start:end] plus the weak capitalised runs of that sentence."""
    inside = [m for m in strong if start <= m.start and m.end <= end]
    taken = [doc[m.start : m.end] for m in strong]
    weak = [Mention(s.start, s.end, s.text, False) for s in weak_spans(doc, taken, start, end)]
    return sorted(inside + weak, key=lambda m: m.start)


def _source(span: Span) -> str:
    if span.ent_id_ or span.kb_id_:
        return "gazetteer"
    doc = span.doc
    if span.start > 0 and doc[span.start - 1].text in ("<", "("):
        return "markup"
    return "suffix" if is_company_word(span[-1]) else "ner"
