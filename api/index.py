"""Screening indexes: identifiers are a dictionary lookup; names use keys + the resolver's model.

The name index never scans all names. Each name yields keys (``matching.screening.name_keys``:
its compact normal form, its words, prefixes, suffixes and consonant skeletons of longer
words); keys live in one CSR table (key -> slice of name rows). A query takes its rarest keys
first, counts key hits per name row, and the entities of the best-hit rows are scored with the
resolver's feature model (``matching.screening.Scorer``): probability and per-feature
explanation, the same evidence the resolver merges on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from matching.identifiers import scheme_name

if TYPE_CHECKING:
    from matching.normalize import Normalizer
    from matching.screening import Scorer

# The resolver's matcher (rigour, scipy, rapidfuzz) is imported when a name is looked up or
# indexed, not with this module: an identifier lookup answers without it.

_SEPARATORS = re.compile(r"[\s\-./]+")


def normal_identifier(scheme: str, value: str) -> tuple[str, str]:
    """Scheme by our name (``GB-COH`` is ``gb_crn``, ``uscc`` is ``cn_uscc``: the
    resolver's aliases); value without separators, upper-case (LEIs, USCC, CRNs alike), a
    Companies House number with the leading zeros spreadsheets drop."""
    name, text = scheme_name(scheme), _SEPARATORS.sub("", value).upper()
    if name == "gb_crn" and text.isdigit() and len(text) < 8:
        text = text.zfill(8)
    return name, text


def blocking_keys(name: str) -> set[str]:
    """The keys a name is filed under (``matching.screening.name_keys``): its compact normal
    form (pinyin with or without spaces and Han alike), its words, and a prefix, suffix and
    consonant skeleton of longer words (one typo per word still meets)."""
    from matching.screening import name_keys

    return name_keys(name)


@dataclass(frozen=True, slots=True)
class NameHit:
    entity: int  # entity position in the snapshot
    score: float  # match probability (the resolver's model, matching.screening)
    name: str  # the indexed name that matched best
    match: bool = True  # a name level the resolver merges on and at least the floor
    features: tuple[dict[str, object], ...] = ()  # per feature: level, score, weight (bits)


class NameIndex:
    """Inverted index over name keys; rows map to entity positions. Candidates found by key
    hits are scored with the resolver's feature model."""

    def __init__(self, entity_of_row: npt.NDArray[np.int32], names: list[str],
                 keys: dict[str, tuple[int, int]], postings: npt.NDArray[np.int32],
                 countries: Sequence[str | None] = (), readings: dict[str, str] | None = None) -> None:
        self.entity_of_row = entity_of_row
        self.names = names
        self.keys = keys
        self.postings = postings
        self.countries = countries
        self.readings = readings or {}  # pinyin of the names' Han cores, as indexed
        self.rows_of: dict[int, list[int]] = {}
        for row, entity in enumerate(entity_of_row.tolist()):
            self.rows_of.setdefault(entity, []).append(row)

    @cached_property
    def normalizer(self) -> Normalizer:
        from matching.normalize import Normalizer

        normalizer = Normalizer()
        normalizer.adopt_readings(self.readings)
        return normalizer

    @cached_property
    def scorer(self) -> Scorer:
        from matching.screening import Scorer

        return Scorer(normalizer=self.normalizer)

    @classmethod
    def build(cls, rows: Iterable[tuple[int, str]], countries: Sequence[str | None] = ()) -> NameIndex:
        """``rows``: (entity position, name) pairs; several names per entity are fine.
        ``countries``: per entity position, its country (jurisdiction or headquarters)."""
        from matching.normalize import default_normalizer
        from matching.screening import name_keys

        normalizer = default_normalizer()
        entity_of_row: list[int] = []
        names: list[str] = []
        key_ids: dict[str, int] = {}
        pair_key: list[int] = []
        pair_row: list[int] = []
        for entity, name in rows:
            found = name_keys(name, normalizer)
            if not found:
                continue
            row = len(names)
            entity_of_row.append(entity)
            names.append(name)
            for key in found:
                pair_key.append(key_ids.setdefault(key, len(key_ids)))
                pair_row.append(row)
        keys_arr = np.asarray(pair_key, dtype=np.int32)
        order = np.argsort(keys_arr, kind="stable")
        postings = np.asarray(pair_row, dtype=np.int32)[order]
        bounds = np.searchsorted(keys_arr[order], np.arange(len(key_ids) + 1), side="left")
        keys = {k: (int(bounds[i]), int(bounds[i + 1])) for k, i in key_ids.items()}
        return cls(np.asarray(entity_of_row, dtype=np.int32), names, keys, postings, countries,
                   normalizer.han_readings(names))

    def __len__(self) -> int:
        return len(self.names)

    def common(self, word: str) -> bool:
        """A word many registered names hold (a line of business, not a distinctive name)."""
        start, end = self.keys.get(word, (0, 0))
        return end - start >= max(COMMON_WORD_NAMES, COMMON_WORD_SHARE * len(self.names))

    def columns(self) -> dict[str, npt.NDArray[Any]]:
        """The index as arrays (a generation stores them: loading it normalises no name)."""
        ordered = sorted(self.keys.items())
        return {
            "entity_of_row": self.entity_of_row, "postings": self.postings,
            "names": np.array(self.names, dtype=np.str_),
            "countries": np.array([c or "" for c in self.countries], dtype=np.str_),
            "key_text": np.array([k for k, _ in ordered], dtype=np.str_),
            "key_span": np.array([span for _, span in ordered], dtype=np.int64).reshape(-1, 2),
            "han_core": np.array(list(self.readings), dtype=np.str_),
            "han_pinyin": np.array(list(self.readings.values()), dtype=np.str_),
        }

    @classmethod
    def from_columns(cls, cols: dict[str, npt.NDArray[Any]]) -> NameIndex:
        keys = dict(zip(cols["key_text"].tolist(), map(tuple, cols["key_span"].tolist()),
                        strict=True))
        readings = (dict(zip(cols["han_core"].tolist(), cols["han_pinyin"].tolist(), strict=True))
                    if "han_core" in cols else {})  # generations written before they were kept
        return cls(cols["entity_of_row"], cols["names"].tolist(), keys, cols["postings"],
                   [c or None for c in cols["countries"].tolist()], readings)

    def _candidate_rows(self, name: str, max_rows: int, max_df: int) -> npt.NDArray[np.int32]:
        from matching.screening import name_keys

        spans = sorted((self.keys[k] for k in name_keys(name, self.normalizer) if k in self.keys),
                       key=lambda span: span[1] - span[0])
        chosen: list[npt.NDArray[np.int32]] = []
        for start, end in spans:
            if chosen and end - start > max_df:
                break  # a common token adds noise, not recall, once rarer keys have hits
            chosen.append(self.postings[start:min(end, start + max_df)])
        if not chosen:
            return np.empty(0, dtype=np.int32)
        rows, hits = np.unique(np.concatenate(chosen), return_counts=True)
        return rows[np.argsort(-hits, kind="stable")[:max_rows]]  # most key hits first

    def search(self, name: str, limit: int = 10, *, country: str | None = None, max_entities: int = 10,
               max_rows: int = 200, max_df: int = 8_000) -> list[NameHit]:
        """Best entities for a name, best first, at most one hit per entity: the candidates
        the keys find, scored with the resolver's model (``match`` says which it would offer)."""
        from matching.records import Record
        from matching.screening import FLOOR, Candidate
        rows = self._candidate_rows(name, max_rows, max_df).tolist()
        entities: list[int] = []
        for row in rows:  # best key hits first
            entity = int(self.entity_of_row[row])
            if entity not in entities:
                entities.append(entity)
            if len(entities) >= max_entities:
                break
        candidates = [
            Candidate(e, tuple(self.names[r] for r in self.rows_of[e][:MAX_NAMES]),
                      self.countries[e] if e < len(self.countries) else None)
            for e in entities
        ]
        scored = self.scorer.score(Record(id="query", names=(name,), country=country), candidates,
                                   self.common)
        return [NameHit(s.key, s.probability, s.name, s.match and s.probability >= FLOOR, tuple(s.features))
                for s in scored[:limit]]


# Names of one entity compared with a query (a company has a few: legal, other, previous).
MAX_NAMES = 8
# A word in at least this many registered names (and this share of them) is common.
COMMON_WORD_NAMES = 20
COMMON_WORD_SHARE = 0.0005


def build_identifier_index(
    pairs: Iterable[tuple[int, str, str]], *, conflicts: list[tuple[str, str]] | None = None
) -> dict[tuple[str, str], int]:
    """(entity position, scheme, value) -> {(scheme, value): position}.

    A valid identifier should belong to one canonical entity; if resolution left it on two,
    the first wins and the pair is reported so nobody mistakes the lookup for exact.
    """
    index: dict[tuple[str, str], int] = {}
    for entity, scheme, value in pairs:
        key = normal_identifier(scheme, value)
        if not key[1]:
            continue
        seen = index.setdefault(key, entity)
        if seen != entity and conflicts is not None:
            conflicts.append(key)
    return index


def rank_names(query: str, names: Sequence[str], country: str | None = None) -> float:
    """The match probability of a query name against an entity's names (explains matches
    found by identifier)."""
    from matching.records import Record
    from matching.screening import Candidate, Scorer

    if not names:
        return 0.0
    scored = Scorer().score(Record(id="query", names=(query,)), [Candidate(0, tuple(names[:MAX_NAMES]), country)])
    return scored[0].probability if scored else 0.0
