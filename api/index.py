"""Screening indexes: identifiers are a dictionary lookup; names use blocking + rapidfuzz.

The name index never scans all names. Each name's normal form yields blocking keys (its
tokens, and 4-character prefixes/suffixes of longer tokens so one typo per token still
blocks); keys live in one CSR table (key -> slice of name rows). A query takes its rarest
keys first, counts key hits per name row, and only the best-hit rows are scored with
rapidfuzz.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from fingerprints import remove_types
from rapidfuzz import fuzz, process

from matching.identifiers import scheme_name
from matching.normalize import Normalizer

_SEPARATORS = re.compile(r"[\s\-./]+")


def normal_identifier(scheme: str, value: str) -> tuple[str, str]:
    """Scheme by our name (``GB-COH`` is ``gb_crn``, ``uscc`` is ``cn_uscc``: the
    resolver's aliases); value without separators, upper-case (LEIs, USCC, CRNs alike), a
    Companies House number with the leading zeros spreadsheets drop."""
    name, text = scheme_name(scheme), _SEPARATORS.sub("", value).upper()
    if name == "gb_crn" and text.isdigit() and len(text) < 8:
        text = text.zfill(8)
    return name, text


def make_normal_form(cache_size: int = 50_000) -> Callable[[str], str]:
    """The resolver's normaliser (Han via opencc + pinyin, any script to ASCII, lower case),
    then every legal form removed with ``fingerprints`` (its table also knows forms such as
    "Corporation" or "Company Limited" that the resolver keeps as name words). Screening
    compares a name typed at sign-up with a registered one, where the legal form is the
    least reliable part."""
    normalizer = Normalizer(cache_size=cache_size)

    def normal_form(name: str) -> str:
        forms = normalizer.name(name)
        if forms.han:
            return forms.core or forms.key
        tokens = (remove_types(forms.key) or "").split()
        # "Private Limited" (SG, IN, MY): fingerprints drops "Limited" but not "Private"
        if len(tokens) > 1 and tokens[-1] == "private":
            tokens.pop()
        return " ".join(tokens) or forms.core or forms.key

    return normal_form


_VOWELS = str.maketrans("", "", "aeiouy")


def blocking_keys(form: str) -> set[str]:
    """Tokens; prefix/suffix of long tokens (a typo at one end); the consonant skeleton of
    longer tokens (a swapped or wrong vowel, "Tralofi"/"Traolfi" -> "trlf")."""
    keys: set[str] = set()
    for token in form.split():
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


@dataclass(frozen=True, slots=True)
class NameHit:
    entity: int  # entity position in the snapshot
    score: float  # 0..1
    name: str  # the indexed name that matched best


class NameIndex:
    """Inverted index over normalised names; rows map to entity positions."""

    def __init__(self, entity_of_row: npt.NDArray[np.int32], names: list[str], forms: list[str],
                 keys: dict[str, tuple[int, int]], postings: npt.NDArray[np.int32],
                 normal_form: Callable[[str], str]) -> None:
        self.normal_form = normal_form
        self.entity_of_row = entity_of_row
        self.names = names
        self.forms = forms
        self.keys = keys
        self.postings = postings

    @classmethod
    def build(cls, rows: Iterable[tuple[int, str]]) -> NameIndex:
        """``rows``: (entity position, name) pairs; several names per entity are fine."""
        normal_form = make_normal_form()
        entity_of_row: list[int] = []
        names: list[str] = []
        forms: list[str] = []
        key_ids: dict[str, int] = {}
        pair_key: list[int] = []
        pair_row: list[int] = []
        for entity, name in rows:
            form = normal_form(name)
            if not form:
                continue
            row = len(names)
            entity_of_row.append(entity)
            names.append(name)
            forms.append(form)
            for key in blocking_keys(form):
                pair_key.append(key_ids.setdefault(key, len(key_ids)))
                pair_row.append(row)
        keys_arr = np.asarray(pair_key, dtype=np.int32)
        order = np.argsort(keys_arr, kind="stable")
        postings = np.asarray(pair_row, dtype=np.int32)[order]
        bounds = np.searchsorted(keys_arr[order], np.arange(len(key_ids) + 1), side="left")
        keys = {k: (int(bounds[i]), int(bounds[i + 1])) for k, i in key_ids.items()}
        return cls(np.asarray(entity_of_row, dtype=np.int32), names, forms, keys, postings,
                   normal_form)

    def __len__(self) -> int:
        return len(self.names)

    def _candidate_rows(self, form: str, max_rows: int, max_df: int) -> npt.NDArray[np.int32]:
        spans = sorted((self.keys[k] for k in blocking_keys(form) if k in self.keys),
                       key=lambda span: span[1] - span[0])
        chosen: list[npt.NDArray[np.int32]] = []
        for start, end in spans:
            if chosen and end - start > max_df:
                break  # a common token adds noise, not recall, once rarer keys have hits
            chosen.append(self.postings[start:min(end, start + max_df)])
        if not chosen:
            return np.empty(0, dtype=np.int32)
        rows, hits = np.unique(np.concatenate(chosen), return_counts=True)
        if rows.shape[0] > max_rows:
            rows = rows[np.argsort(-hits, kind="stable")[:max_rows]]
        return rows

    def search(self, name: str, limit: int = 10, *, max_rows: int = 200,
               max_df: int = 8_000) -> list[NameHit]:
        """Best entities for a name, best first, at most one hit per entity."""
        form = self.normal_form(name)
        if not form:
            return []
        rows = self._candidate_rows(form, max_rows, max_df).tolist()
        if not rows:
            return []
        # rapidfuzz's C loop ranks the candidates; only the best few get the full score
        choices = [self.forms[r] for r in rows]
        ranked = process.extract(form, choices, scorer=fuzz.token_sort_ratio,
                                 limit=max(limit * 3, 15))
        best: dict[int, NameHit] = {}
        for _, _, k in ranked:
            row = rows[k]
            score = _name_score(form, self.forms[row])
            entity = int(self.entity_of_row[row])
            current = best.get(entity)
            if current is None or score > current.score:
                best[entity] = NameHit(entity, score, self.names[row])
        return sorted(best.values(), key=lambda hit: (-hit.score, hit.entity))[:limit]


def _name_score(query: str, candidate: str) -> float:
    """Word order and one-token typos barely cost; dropped or extra tokens cost more; the
    plain ratio breaks ties between names made of the same words in another order."""
    sort = fuzz.token_sort_ratio(query, candidate)
    subset = fuzz.token_set_ratio(query, candidate)
    plain = fuzz.ratio(query, candidate)
    return round((0.6 * sort + 0.25 * subset + 0.15 * plain) / 100.0, 4)


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


def rank_names(query: str, names: Sequence[str], normal_form: Callable[[str], str]) -> float:
    """Best score of a query against a few names (used to explain identifier matches)."""
    form = normal_form(query)
    return max((_name_score(form, normal_form(n)) for n in names), default=0.0)
