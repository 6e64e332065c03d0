"""A part of the record set, prepared apart on a Spark worker: the resolver's own columns.

Names are normalised once (the normalise stage) and their forms travel with the record;
a part is then ``matching.prepare.prepare`` over its records with those forms and the
whole set's statistics (``Corpus``), so every feature, level and rule sees what it would
see in a single-machine run. Records are kept in their global order, so row and record
order - which break ties in blocking, clustering and canonical ids - is the global one.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from graph.model import Identifier
from matching.normalize import NameForms, Normalizer
from matching.prepare import Corpus, Prepared, prepare
from matching.records import Record

_FIELDS = NameForms.__slots__


def pack(record: Record, forms: Iterable[NameForms]) -> bytes:
    """A record and the normal forms of its names, as the stages pass them on."""
    fields = (record.id, record.names, record.country,
              tuple((i.scheme, i.value, i.valid) for i in record.identifiers), record.address, record.related)
    return pickle.dumps((fields, [tuple(getattr(f, n) for n in _FIELDS) for f in forms]), protocol=5)


def unpack(blob: bytes) -> tuple[Record, list[NameForms]]:
    fields, forms = pickle.loads(blob)  # noqa: S301 - written by pack() in this job
    rid, names, country, idents, address, related = fields
    record = Record(rid, names, country, tuple(Identifier(*i) for i in idents), address, related)
    return record, [NameForms(*f) for f in forms]


class ShippedForms(Normalizer):
    """A normaliser that answers names from forms computed upstream (it computes only a
    name it was not sent); countries and addresses as usual."""

    def __init__(self) -> None:
        super().__init__()
        self.known: dict[str, NameForms] = {}

    def name(self, text: str | None) -> NameForms:
        found = self.known.get((text or "").casefold())
        return found if found is not None else super().name(text)

    def warm(self, texts: list[str], workers: int = 1, chunk: int = 5000) -> None:
        return None


_NORMALIZER: list[ShippedForms] = []


def shipped_forms() -> ShippedForms:
    """One per worker process (its tables load once)."""
    if not _NORMALIZER:
        _NORMALIZER.append(ShippedForms())
    return _NORMALIZER[0]


@dataclass(frozen=True)
class Shared:
    """The whole set's facts every part needs (small: broadcast with the job)."""

    n_names: int
    countries: tuple[str, ...]
    form_countries: dict[str, frozenset[int]]


@dataclass(frozen=True)
class PartRecord:
    rec: int  # global record index
    row0: int  # its first global name row
    n_rows: int
    blob: bytes  # pack()
    tokens: Sequence[str]  # the record's tokens with their whole-set frequency
    df: Sequence[int]
    generic: Sequence[bool]


@dataclass
class Part:
    prep: Prepared
    recs: npt.NDArray[np.int64]  # local record -> global record, ascending
    row0: npt.NDArray[np.int64]  # local record -> first global row
    local0: npt.NDArray[np.int64]  # local record -> first local row

    def local_rows(self, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int32]:
        """Global name rows (of records in this part) -> local name rows."""
        at = np.searchsorted(self.row0, rows, side="right") - 1
        return (self.local0[at] + rows - self.row0[at]).astype(np.int32)

    def local_records(self, recs: npt.NDArray[np.int64]) -> npt.NDArray[np.int32]:
        return np.searchsorted(self.recs, recs).astype(np.int32)


def build_part(members: Iterable[PartRecord], shared: Shared) -> Part:
    """The prepared columns of these records (each once), in global order."""
    unique = sorted({m.rec: m for m in members}.values(), key=lambda m: m.rec)
    normalizer = shipped_forms()
    normalizer.known = {}
    records: list[Record] = []
    df: dict[str, int] = {}
    generic: set[str] = set()
    for m in unique:
        record, forms = unpack(m.blob)
        records.append(record)
        normalizer.known.update((f.original, f) for f in forms)
        for token, count, is_generic in zip(m.tokens, m.df, m.generic, strict=True):
            df[token] = count
            if is_generic:
                generic.add(token)
    corpus = Corpus(n_names=shared.n_names, df=df, generic=frozenset(generic), countries=shared.countries,
                    form_countries=shared.form_countries)
    prep = prepare(records, normalizer, corpus=corpus)
    normalizer.known = {}
    n_rows = np.asarray([m.n_rows for m in unique], dtype=np.int64)
    counts = np.bincount(prep.name_rec, minlength=len(unique))
    if not np.array_equal(counts, n_rows):
        raise RuntimeError("a part's records have other name rows than when they were normalised")
    local0 = np.concatenate([[0], np.cumsum(n_rows)[:-1]]).astype(np.int64)
    return Part(prep=prep, recs=np.asarray([m.rec for m in unique], dtype=np.int64),
                row0=np.asarray([m.row0 for m in unique], dtype=np.int64), local0=local0)


def part_records(rows: Iterable[dict[str, Any]]) -> list[PartRecord]:
    return [PartRecord(r["rec"], r["row0"], r["n_rows"], r["blob"], r["tokens"] or (), r["tdf"] or (),
                       r["tgeneric"] or ()) for r in rows]
