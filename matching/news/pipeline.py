"""The news pipeline: spaCy (blank English, or a trained model when one is installed and named)
+ gazetteer + organisation-mention rules + claim rules. Pure: text in, claims out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import spacy
from spacy.attrs import IS_LOWER, IS_PUNCT, IS_SPACE, ORTH, SENT_START
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc
from spacy.vocab import Vocab

from graph.model import Entity
from matching.news import mentions as _mentions  # noqa: F401  (registers "org_mentions")
from matching.news.article import Article
from matching.news.claims import Claim, Evidence, Party
from matching.news.mentions import COMPANY_WORDS, is_place, mentions_of, sentence_mentions
from matching.news.rules import Triggers, apply_rules
from matching.news.slots import RawClaim, Sentence

log = logging.getLogger(__name__)

# Claims that rest on a capitalised run alone are less certain than legal-form names.
WEAK_PENALTY = 0.15
LINK_BONUS = 0.1
MAX_SENTENCE_TOKENS = 300
TITLES = frozenset({"mr", "mrs", "ms", "dr", "prof", "sen", "gov", "rep", "gen", "st"})  # longer "sentences" are tables or run-ons: skipped, not parsed


@dataclass(frozen=True, slots=True)
class GazetteerEntry:
    """A known entity and the names it goes by (legal, other, transliterated, trading)."""

    entity_id: str
    names: tuple[str, ...]


def gazetteer_from_entities(entities: Iterable[Entity], skip_sources: frozenset[str] = frozenset({"news"})) -> list[GazetteerEntry]:
    """Gazetteer entries from graph entities: the name plus every Latin-script alias. Entities
    that news created themselves are skipped (their id already is their normalised name)."""
    out = []
    for e in entities:
        if e.provenance.source in skip_sources:
            continue
        names = dict.fromkeys([e.name, *(n.value for n in e.names if n.script in (None, "Latn"))])
        usable = tuple(n for n in names if n and len(n.strip()) > 1)
        if usable:
            out.append(GazetteerEntry(e.canonical_id or e.id, usable))
    return out


class NewlineSentences:
    """Paragraph breaks end sentences; a lower-case word or punctuation never starts one
    ("Carlson Companies Inc . , owner of" is one sentence). Runs after the sentencizer and
    works on the doc's attribute arrays, touching only the tokens it changes."""

    def __init__(self, vocab: Vocab) -> None:
        self.openers = np.array([vocab.strings.add(w) for w in ('"', "(", "<")], dtype=np.uint64)

    def __call__(self, doc: Doc) -> Doc:
        if len(doc) < 2:
            return doc
        arr = doc.to_array([SENT_START, IS_LOWER, IS_PUNCT, IS_SPACE, ORTH]).astype(np.int64)
        starts, lower, punct, space = arr[:, 0] == 1, arr[:, 1] == 1, arr[:, 2] == 1, arr[:, 3] == 1
        opener = np.isin(doc.to_array([ORTH]), self.openers)
        wrong = starts & (lower | (punct & ~opener))
        wrong[0] = False
        # "Mr . Begelman": a title's full stop does not end the sentence.
        for i in np.flatnonzero(starts[2:]).tolist():
            if doc[i + 1].text == "." and doc[i].lower_ in TITLES:
                wrong[i + 2] = True
        for i in np.flatnonzero(wrong).tolist():
            doc[i].is_sent_start = False
        for i in np.flatnonzero(space).tolist():
            tok = doc[i]
            if i + 1 < len(doc) and ("\n" in tok.text or tok.is_sent_start):
                doc[i + 1].is_sent_start = True  # a paragraph break belongs to the sentence it ends
            if i > 0:
                tok.is_sent_start = False
        return doc


@Language.factory("newline_sentences")
def make_newline_sentences(nlp: Language, name: str) -> NewlineSentences:
    return NewlineSentences(nlp.vocab)


def _pattern_variants(name: str) -> set[str]:
    """The name and, when it ends in a legal form, the name without it ("Royal Dutch Shell")."""
    variants = {name.strip()}
    words = name.strip().rstrip(".").split()
    if len(words) > 1 and words[-1].lower().replace(".", "") in COMPANY_WORDS:
        variants.add(" ".join(words[:-1]).rstrip(","))
    return {v for v in variants if len(v) > 1}


def load_language(model: str | None) -> tuple[Language, str]:
    """A trained pipeline when ``model`` names an installed one; otherwise blank English."""
    if model:
        if spacy.util.is_package(model):
            nlp = spacy.load(model, exclude=["lemmatizer", "textcat"])
            return nlp, model
        log.warning("news model not installed; using rules only", extra={"model": model})
    return spacy.blank("en"), "blank:en"


def build_nlp(gazetteer: Iterable[GazetteerEntry] = (), model: str | None = None) -> tuple[Language, str]:
    nlp, name = load_language(model)
    # "<" and ">" are Reuters markup even when glued to text ("Association.<ICGS.L>").
    infixes = list(nlp.Defaults.infixes or []) + [r"[<>]"]
    tokenizer = nlp.tokenizer
    if isinstance(tokenizer, Tokenizer):
        tokenizer.infix_finditer = spacy.util.compile_infix_regex(infixes).finditer
    if "parser" not in nlp.pipe_names and "senter" not in nlp.pipe_names:
        nlp.add_pipe("sentencizer")
        nlp.add_pipe("newline_sentences")
    patterns = [
        {"label": "ORG", "pattern": variant, "id": entry.entity_id}
        for entry in gazetteer
        for name in entry.names
        for variant in _pattern_variants(name)
    ]
    if patterns:
        before = {"before": "ner"} if "ner" in nlp.pipe_names else {}
        ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": True}, **before)  # type: ignore[arg-type]
        ruler.add_patterns(patterns)  # type: ignore[attr-defined]
    nlp.add_pipe("org_mentions")
    is_place("France")  # load the country table now, not inside the first article
    return nlp, name


class NewsPipeline:
    """Articles -> claims. Build once (the gazetteer compiles into phrase patterns) and reuse."""

    def __init__(self, gazetteer: Iterable[GazetteerEntry] = (), model: str | None = None) -> None:
        self.nlp, self.model_name = build_nlp(gazetteer, model)
        self.triggers = Triggers(self.nlp.vocab)

    def extract(self, article: Article) -> list[Claim]:
        return self.claims_of(self.nlp(article.text), article)

    def extract_many(self, articles: Iterable[Article], batch_size: int = 64) -> Iterator[tuple[Article, list[Claim]]]:
        pairs = ((a.text, a) for a in articles)
        for doc, article in self.nlp.pipe(pairs, as_tuples=True, batch_size=batch_size):
            yield article, self.claims_of(doc, article)

    def extract_text(self, text: str, article_id: str = "text", published: str | None = None) -> list[Claim]:
        return self.extract(Article(id=article_id, text=text, file="", location="", published=published))

    def claims_of(self, doc: Doc, article: Article) -> list[Claim]:
        strong = mentions_of(doc)
        by_sentence = self.triggers.by_sentence(doc, [m.start for m in strong])
        out: list[Claim] = []
        for index, span in enumerate(doc.sents):
            if len(span) > MAX_SENTENCE_TOKENS or span.start not in by_sentence:
                continue
            matches, _cue = by_sentence[span.start]
            sent = Sentence(doc, span, sentence_mentions(doc, strong, span.start, span.end))
            if len(sent.mentions) < 2:
                continue
            apply_rules(doc, matches, sent)
            evidence = Evidence(
                article_id=article.id, sentence=span.text.strip(), sentence_index=index,
                url=article.url, date=article.published, file=article.file, location=article.location,
            )
            out.extend(_finish(sent.claims, evidence))
        return out


def _finish(raw: list[RawClaim], evidence: Evidence) -> list[Claim]:
    """Deduplicate (same owner, owned, polarity, share) keeping the most confident rule."""
    best: dict[tuple[str, str, str, float, float], Claim] = {}
    for r in raw:
        claim = _to_claim(r, evidence)
        key = (claim.owner.text, claim.owned.text, claim.polarity, claim.share_lo, claim.share_hi)
        if key not in best or best[key].confidence < claim.confidence:
            best[key] = claim
    return list(best.values())


def _to_claim(r: RawClaim, evidence: Evidence) -> Claim:
    confidence = r.confidence
    if not (r.owner.strong and r.owned.strong):
        confidence -= WEAK_PENALTY
    if r.owner.entity_id and r.owned.entity_id:
        confidence += LINK_BONUS
    return Claim(
        owner=Party(r.owner.text, r.owner.entity_id, r.owner.strong),
        owned=Party(r.owned.text, r.owned.entity_id, r.owned.strong),
        polarity=r.polarity, share_lo=r.share.lo, share_hi=r.share.hi, percent=r.share.percent,
        band=r.share.band, rule=r.rule, confidence=round(min(max(confidence, 0.05), 0.95), 3),
        evidence=evidence, form=r.form,
    )
