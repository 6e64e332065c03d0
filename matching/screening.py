"""Screening with the resolver's own feature model: rank candidate entities for a query.

One matcher: a screening query and its candidates are compared with the same features
(``matching.features``), the same Fellegi-Sunter model (the declared m / u of each level
unless a trained model is given) and the same merge rule (a name level of at least
"partial", or a shared valid identifier) as the resolver; the answer is the candidates'
probabilities with the per-feature explanation, best first, top ``k`` (default 5). Below the
floor (or the request's own threshold) a candidate is no match; no candidate left is
NO_MATCH. Names are compared in their normal forms, so word-spaced pinyin ("Hengdian Jituan
Konggu Youxian Gongsi"), syllable-split pinyin, simplified and traditional Han reach the same
entity.

:func:`name_keys` gives the keys under which a screening index files each name, so that those
spellings meet: the compact normal form (pinyin and Han alike), each word, and a prefix and the
consonant skeleton of longer words (one typo per word still meets).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz

from matching.features import FEATURES, compute_levels
from matching.fellegi_sunter import Model, explain
from matching.normalize import NameForms, Normalizer, default_normalizer
from matching.prepare import prepare
from matching.records import Record

TOP_K = 5
# Below this probability a candidate is no match (the answer is NO_MATCH when none is left).
FLOOR = 0.5
# P(candidate is the queried company) before its evidence: the candidates were found by name
# keys and most are not the one. With the declared m / u this puts an exact name alone at
# 0.98, an exact name in another country at 0.87 (a weak match: REVIEW), a typo'd name alone at
# 0.84 and with its country at 0.96.
PRIOR = 0.02
NAME_COL = [f.name for f in FEATURES].index("name")
IDENT_COL = [f.name for f in FEATURES].index("identifiers")
MAX_NAME_LEVEL = 4  # "partial": the resolver's merge rule (resolve.Thresholds.max_name_level)
AUTO = 0.9  # the resolver's merge threshold (resolve.Thresholds.auto)


@dataclass(frozen=True)
class Candidate:
    """An entity offered for screening: its key (e.g. a snapshot position) and its records'
    names, country and identifiers."""

    key: int
    names: tuple[str, ...]
    country: str | None = None
    record: Record | None = None  # identifiers and address, when the caller has them


@dataclass(frozen=True)
class Scored:
    key: int
    probability: float
    name: str  # the candidate's name that scored best
    name_level: str
    features: list[dict[str, object]]  # per feature: level, score, weight (bits)
    name_ok: bool  # a name level the resolver merges on ("partial" or better)
    shared_id: bool  # a shared valid identifier

    @property
    def match(self) -> bool:
        """A candidate screening may offer (the probability threshold applies on top)."""
        return self.shared_id or self.name_ok

    @property
    def merge(self) -> bool:
        """What the resolver would do with this pair alone."""
        return self.shared_id or (self.name_ok and self.probability >= AUTO)

    @property
    def explanation(self) -> str:
        return json.dumps({"probability": self.probability, "features": self.features}, ensure_ascii=False)


class Scorer:
    """Scores a query against candidates with one Fellegi-Sunter model."""

    def __init__(self, model: Model | None = None, *, prior: float = PRIOR,
                 normalizer: Normalizer | None = None) -> None:
        self.model = model or Model.from_priors(prior=prior)
        self.normalizer = normalizer or default_normalizer()

    def rank(self, query: Record, candidates: Sequence[Candidate], *, top_k: int = TOP_K,
             threshold: float = FLOOR) -> list[Scored]:
        """Candidates at or above ``threshold`` (never below the floor), best first."""
        scored = self.score(query, candidates)
        keep = [s for s in scored if s.match and s.probability >= max(threshold, FLOOR)]
        return keep[:top_k]

    def score(self, query: Record, candidates: Sequence[Candidate],
              common: Callable[[str], bool] | None = None) -> list[Scored]:
        """Every candidate with its probability and explanation, best first (``common``:
        whether a name word is frequent in the register, for the shorter-form rule)."""
        if not candidates or not query.names:
            return []
        records = [query]
        for n, c in enumerate(candidates):
            base = c.record or Record(id=f"c{n}", names=c.names, country=c.country)
            records.append(Record(id=f"c{n}", names=c.names or base.names, country=c.country or base.country,
                                  identifiers=base.identifiers, address=base.address))
        prep = prepare(records, self.normalizer)
        rows_q = np.flatnonzero(prep.name_rec == 0).astype(np.int32)
        rows_c = np.flatnonzero(prep.name_rec > 0).astype(np.int32)
        left = np.repeat(rows_q, rows_c.size)
        right = np.tile(rows_c, rows_q.size)
        levels, scores = compute_levels(prep, left, right)
        probability = self.model.probability(levels)
        shared = levels[:, IDENT_COL] == 1
        probability[shared] = 1.0
        probability[levels[:, IDENT_COL] == 2] = 0.0  # another valid number of one register
        best: dict[int, int] = {}
        for k in range(left.size):
            cand = int(prep.name_rec[right[k]]) - 1
            if cand not in best or probability[k] > probability[best[cand]]:
                best[cand] = k
        out = []
        for cand, k in best.items():
            level = int(levels[k, NAME_COL])
            name_ok = 1 <= level <= MAX_NAME_LEVEL
            p = round(float(probability[k]), 6)
            out.append(Scored(
                key=candidates[cand].key, probability=p, name=prep.texts[int(right[k])],
                name_level=self.model.labels[NAME_COL][level - 1] if level else "missing",
                features=explain(self.model, levels[k], scores[k]),
                name_ok=name_ok, shared_id=bool(shared[k]),
            ))
        # ties (two names at one level, e.g. both "strong") go to the closer string
        query_form = prep.forms[int(rows_q[0])]
        closeness = {s.key: fuzz.ratio(query_form.compact, self.normalizer.name(s.name).compact) for s in out}
        if common is not None:
            out = self._unique_shorter_form(query_form, out, common)
        out.sort(key=lambda s: (-s.probability, -closeness[s.key], s.key))
        return out

    def _unique_shorter_form(self, query: NameForms, scored: list[Scored],
                             common: Callable[[str], bool]) -> list[Scored]:
        """A query that is a registered name without its last, common word (a line of
        business: "Kanex Rami Pte Ltd" for "Kanex Rami Semiconductor Pte Ltd"), with no other
        candidate so named and none better, is a possible match: offered at the floor, so
        screening answers REVIEW. Han names are left alone (a character is not a word)."""
        if query.han or any(s.match and s.probability >= FLOOR for s in scored):
            return scored
        words = query.core.split()
        shorter = [s for s in scored if len(words) >= 2 and s.name_ok
                   and _without_last_common_word(words, self.normalizer.name(s.name), common)]
        if len(shorter) != 1:
            return scored
        only = shorter[0]
        rule = {"feature": "name", "level": "registered name without its line of business",
                "score": only.probability, "weight": None}
        raised = Scored(only.key, FLOOR, only.name, only.name_level, [*only.features, rule],
                        only.name_ok, only.shared_id)
        return [raised if s is only else s for s in scored]


def _without_last_common_word(words: list[str], candidate: NameForms,
                              common: Callable[[str], bool]) -> bool:
    theirs = candidate.core.split()
    return (not candidate.han and len(theirs) == len(words) + 1 and theirs[:-1] == words
            and common(theirs[-1]))


def score_pair(a: Record, b: Record, *, model: Model | None = None,
               normalizer: Normalizer | None = None) -> Scored:
    """One pair, as the resolver would see it alone (tests and explanations)."""
    scorer = Scorer(model, normalizer=normalizer)
    return scorer.score(a, [Candidate(0, b.names, b.country, b)])[0]


def name_keys(text: str, normalizer: Normalizer | None = None) -> set[str]:
    """Keys a screening index files a name under (see the module doc)."""
    forms = (normalizer or default_normalizer()).name(text)
    keys: set[str] = set()
    if forms.compact:
        keys.add("=" + forms.compact)  # pinyin with or without spaces, Han via its pinyin
    if forms.han:
        keys.add("#" + forms.han)
    for token in forms.core.split():
        if len(token) < 2:
            continue
        keys.add(token)
        if len(token) >= 6:
            keys.add("<" + token[:4])
            keys.add(">" + token[-4:])
        if len(token) >= 5:
            skeleton = token.translate(_VOWELS)
            if len(skeleton) >= 3:
                keys.add("~" + skeleton)
    return keys


_VOWELS = str.maketrans("", "", "aeiouy")
