"""Records -> columns: normal forms per name, codes per record, token statistics.

Everything the blocker and the features need, computed once per run. Name rows (a record's
primary name and each alias) are the unit of blocking and name comparison; record columns
(country, address, identifiers, graph context) are shared by all of a record's names.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import sparse

from matching.identifiers import valid_keys
from matching.normalize import NameForms, Normalizer
from matching.records import Record

# Generic words (rigour SYMBOL / DOMAIN tags) weigh this fraction of a rare token.
GENERIC_WEIGHT = 0.1


@dataclass
class TokenStats:
    """Document frequencies of name tokens over the corpus being resolved."""

    df: Counter[str] = field(default_factory=Counter)
    n_names: int = 0

    def idf(self, token: str) -> float:
        n = max(self.n_names, 1)
        return math.log((n + 1) / (self.df.get(token, 0) + 1)) + 1.0


@dataclass(frozen=True)
class Corpus:
    """What a part of a record set needs to know about the whole, when it is prepared apart
    (one Spark partition): token document frequencies and generic words, the number of
    name rows, the country codes and the countries each written legal form is used in."""

    n_names: int
    df: dict[str, int]  # at least every token of the part
    generic: frozenset[str]  # tokens that are a generic word in some name of the whole
    countries: tuple[str, ...]  # ISO codes; a country's code is its position here
    form_countries: dict[str, frozenset[int]] = field(default_factory=dict)  # jurisdiction.place_keys -> codes


@dataclass
class RowColumns:
    """Per name row, as arrays, so that millions of pairs are compared without Python loops."""

    compact: npt.NDArray[np.object_]
    core: npt.NDArray[np.object_]
    han: npt.NDArray[np.object_]
    exact_key: npt.NDArray[np.object_]  # han or compact: identity for weak names
    empty: npt.NDArray[np.bool_]
    guard: npt.NDArray[np.bool_]  # initials or only generic words
    has_symbols: npt.NDArray[np.bool_]
    distinct: npt.NDArray[np.object_]  # distinctive tokens run together ("" for Han names)
    sorted_core: npt.NDArray[np.object_]  # core tokens sorted: ratio on it is token_sort_ratio
    symbols: sparse.csr_matrix  # name row x descriptor symbol, 1/0
    n_tokens: npt.NDArray[np.int16]  # core tokens per name
    first_char: npt.NDArray[np.int32]  # code point of the compact form's first character (0: none)
    initials: npt.NDArray[np.object_]  # first letters of the core tokens, sorted ("abe")


def _row_columns(forms: list[NameForms]) -> RowColumns:
    compact = [f.compact for f in forms]
    return RowColumns(
        compact=np.asarray(compact, dtype=object),
        core=np.asarray([f.core for f in forms], dtype=object),
        han=np.asarray([f.han for f in forms], dtype=object),
        exact_key=np.asarray([f.han or c for f, c in zip(forms, compact, strict=True)], dtype=object),
        empty=np.asarray([f.empty for f in forms], dtype=bool),
        guard=np.asarray([f.initials or f.weak for f in forms], dtype=bool),
        has_symbols=np.asarray([bool(f.symbols) for f in forms], dtype=bool),
        distinct=np.asarray([distinct_part(f) for f in forms], dtype=object),
        sorted_core=np.asarray([" ".join(sorted(f.core.split())) for f in forms], dtype=object),
        symbols=_symbol_matrix(forms),
        n_tokens=np.asarray([len(f.tokens) for f in forms], dtype=np.int16),
        first_char=np.asarray([ord(c[0]) if c else 0 for c in compact], dtype=np.int32),
        initials=np.asarray(["".join(sorted(t[:1] for t in f.tokens)) for f in forms], dtype=object),
    )


def _symbol_matrix(forms: list[NameForms]) -> sparse.csr_matrix:
    index: dict[str, int] = {}
    indptr = [0]
    indices: list[int] = []
    for f in forms:
        indices.extend(index.setdefault(s, len(index)) for s in f.symbols)
        indptr.append(len(indices))
    return sparse.csr_matrix(
        (np.ones(len(indices), dtype=np.float32), np.asarray(indices, dtype=np.int32), np.asarray(indptr, dtype=np.int64)),
        shape=(len(forms), max(len(index), 1)),
    )


def distinct_part(f: NameForms) -> str:
    """The name without its generic words, run together: what a dropped descriptor leaves."""
    return "" if f.han else "".join(f.distinctive)


@dataclass
class Prepared:
    records: Sequence[Record]
    forms: list[NameForms]  # one per name row
    texts: list[str]  # the name as the record spells it, per name row
    name_rec: npt.NDArray[np.int32]  # name row -> record index
    country: npt.NDArray[np.int16]  # record -> country code index, -1 unknown
    legal: npt.NDArray[np.int16]  # name row -> index into legal_codes, -1 none
    legal_codes: list[str]  # canonical legal forms (matching.legal_forms)
    address: list[str]  # record -> normalised address ("" none)
    idents: list[tuple[str, ...]]  # record -> valid scheme:value keys
    related: list[frozenset[str]]
    stats: TokenStats
    token_matrix: sparse.csr_matrix  # name row x token, 1/0
    token_weight: npt.NDArray[np.float32]  # token column -> idf (generic words damped)
    token_index: dict[str, int]
    countries: list[str]
    lead: npt.NDArray[np.int32]  # name row -> token column of its first distinctive token, -1
    rows: RowColumns
    corpus: Corpus | None = None  # set when these records are a part of a larger set

    @property
    def n_records(self) -> int:
        return len(self.records)

    @property
    def n_names(self) -> int:
        return len(self.forms)


def prepare(
    records: Sequence[Record], normalizer: Normalizer, workers: int = 1, corpus: Corpus | None = None
) -> Prepared:
    """Columns for ``records``; with ``corpus`` they are a part of a larger set, whose token
    statistics and country codes apply (the same columns as preparing the whole)."""
    normalizer.warm([n for r in records for n in r.names], workers)
    forms: list[NameForms] = []
    texts: list[str] = []
    name_rec: list[int] = []
    for index, record in enumerate(records):
        seen: set[str] = set()
        for text in record.names or ("",):
            f = normalizer.name(text)
            if f.empty and (seen or len(record.names) > 1):
                continue  # an empty alias adds nothing; keep one row per record regardless
            if f.key in seen:
                continue
            seen.add(f.key)
            forms.append(f)
            texts.append(text)
            name_rec.append(index)
        if not seen:
            forms.append(normalizer.name(""))
            texts.append("")
            name_rec.append(index)
    countries: dict[str, int] = {c: k for k, c in enumerate(corpus.countries)} if corpus else {}
    country = np.full(len(records), -1, dtype=np.int16)
    for index, record in enumerate(records):
        code = normalizer.country(record.country)
        if code:
            country[index] = countries.setdefault(code, len(countries))
    legal_codes: dict[str, int] = {}
    legal = np.array(
        [legal_codes.setdefault(f.legal_code, len(legal_codes)) if f.legal_code else -1 for f in forms],
        dtype=np.int16,
    )
    stats, matrix, weight, index_map = _token_columns(forms, corpus)
    return Prepared(
        records=records,
        forms=forms,
        texts=texts,
        name_rec=np.asarray(name_rec, dtype=np.int32),
        country=country,
        legal=legal,
        legal_codes=list(legal_codes),
        address=[normalizer.address(r.address) for r in records],
        idents=[valid_keys(r.identifiers) for r in records],
        rows=_row_columns(forms),
        corpus=corpus,
        related=[frozenset(r.related) for r in records],
        stats=stats,
        token_matrix=matrix,
        token_weight=weight,
        token_index=index_map,
        countries=list(countries),
        lead=np.asarray(
            [index_map.get(f.distinctive[0], -1) if f.distinctive else -1 for f in forms], dtype=np.int32
        ),
    )


def token_facts(f: NameForms) -> tuple[set[str], set[str]]:
    """A name's distinct tokens, and those of them that are generic words in it."""
    tokens = set(f.tokens)
    return tokens, tokens - set(f.distinctive)


def _token_columns(
    forms: list[NameForms], corpus: Corpus | None = None,
) -> tuple[TokenStats, sparse.csr_matrix, npt.NDArray[np.float32], dict[str, int]]:
    """Name row x token matrix and token weights.

    Columns are in token order and each row's entries in column order, so that a weighted
    sum adds the same numbers in the same order whichever records are prepared together
    (float32 sums of three or more terms depend on their order)."""
    df: Counter[str] = Counter()
    generic: set[str] = set()
    row_tokens: list[set[str]] = []
    for f in forms:
        tokens, generic_here = token_facts(f)
        df.update(tokens)
        generic.update(generic_here)
        row_tokens.append(tokens)
    index_map = {t: k for k, t in enumerate(sorted(df))}
    indptr = [0]
    indices: list[int] = []
    for tokens in row_tokens:
        indices.extend(sorted(index_map[t] for t in tokens))
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    matrix = sparse.csr_matrix(
        (data, np.asarray(indices, dtype=np.int32), np.asarray(indptr, dtype=np.int64)),
        shape=(len(forms), max(len(index_map), 1)),
    )
    stats = TokenStats(df=df, n_names=len(forms))
    if corpus is not None:
        stats = TokenStats(df=Counter({t: corpus.df[t] for t in df}), n_names=corpus.n_names)
        generic = {t for t in df if t in corpus.generic}
    weight = np.zeros(max(len(index_map), 1), dtype=np.float32)
    for token, col in index_map.items():
        damp = GENERIC_WEIGHT if token in generic else 1.0
        weight[col] = stats.idf(token) * damp
    return stats, matrix, weight, index_map
