"""Build GraphArrays from streamed pages of entity and edge columns.

Adapters hand over one page at a time; pages are turned into numpy columns at once and
concatenated at the end, so no Python object per edge lives longer than one page.
Entities are indexed by canonical id (``canonical_id`` or ``id``); the attributes of a
canonical index come from the member whose id is the canonical id (else the first member),
and where that member is silent (a BODS filing gives no headquarters, a placeholder has no
kind) from the first member that knows; flags and reporting exceptions are the union over
all members. Policy roots depend on these columns, so a merge must never lose a country.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from graph.arrays import (
    ENTITY_KIND_CODES,
    INTEREST_KIND_CODES,
    OPEN_END,
    OPEN_START,
    GraphArrays,
    day_number,
)

_ENTITY_CODE = {k.value: i for i, k in enumerate(ENTITY_KIND_CODES)}
_INTEREST_CODE = {k.value: i for i, k in enumerate(INTEREST_KIND_CODES)}
_UNKNOWN_ENTITY = _ENTITY_CODE["unknown"]
_OTHER_INTEREST = _INTEREST_CODE["other"]


def _country(values: Sequence[Any]) -> npt.NDArray[np.str_]:
    return np.array([v or "" for v in values], dtype="<U2")


class _DayCache:
    """ISO date -> day number; dates repeat heavily, so parse each distinct one once."""

    def __init__(self, open_value: int) -> None:
        self.open_value = open_value
        self.seen: dict[Any, int] = {None: open_value, "": open_value}

    def column(self, values: Sequence[Any]) -> npt.NDArray[np.int32]:
        if not any(values):  # the common page: every edge open (one C-level pass)
            return np.full(len(values), self.open_value, dtype=np.int32)
        seen = self.seen
        out = np.empty(len(values), dtype=np.int32)
        for i, v in enumerate(values):
            day = seen.get(v)
            if day is None:
                day = day_number(str(v), open_value=self.open_value)
                seen[v] = day
            out[i] = day
        return out


@dataclass(frozen=True)
class EdgeColumns:
    """One page of edges, coded: interest kind codes, share bounds, start and end as day
    numbers (OPEN_START / OPEN_END when open), confidence, and the edge keys."""

    kind: npt.NDArray[Any]
    lo: npt.NDArray[Any]
    hi: npt.NDArray[Any]
    start: npt.NDArray[Any]
    end: npt.NDArray[Any]
    confidence: npt.NDArray[Any]
    key: Sequence[str]


class ArraysBuilder:
    """Feed entity pages, then ``finish_entities()``, then edge pages, then ``build()``."""

    def __init__(self) -> None:
        self._ent: dict[str, list[npt.NDArray[Any]]] = {
            k: [] for k in ("ids", "canonical", "kind", "jur", "hq", "nat", "res")}
        self._flag_rows: dict[str, list[int]] = {}
        self._exc_rows: dict[str, list[int]] = {}
        self._n_rows = 0
        self._row_to_index: npt.NDArray[np.int64] | None = None
        self._canon: npt.NDArray[np.str_] | None = None
        self._rep: npt.NDArray[np.int64] | None = None
        self._edges: dict[str, list[npt.NDArray[Any]]] = {}
        self.reset_edges()
        self._start_days = _DayCache(int(OPEN_START))
        self._end_days = _DayCache(int(OPEN_END))

    def reset_edges(self) -> None:
        """Forget the edges added so far (a retried stream starts again)."""
        self._edges = {
            k: [] for k in ("owner", "owned", "kind", "lo", "hi", "start", "end", "conf")}
        # Keys stay Python strings until build(): one conversion to a fixed-width array at
        # the end, instead of one per page and a copy of them all to the widest page's width.
        self._keys: list[str] = []

    @property
    def n_rows(self) -> int:
        return self._n_rows

    def add_entities(self, cols: Sequence[Sequence[Any]]) -> None:
        """Columns: id, canonical_id, kind, jurisdiction, hq_country, nationality,
        residence, flags (list), exceptions (list). Row numbers continue across pages."""
        ids, canonical, kind, jur, hq, nat, res, flags, excs = cols
        base = self._n_rows
        e = self._ent
        e["ids"].append(np.array(ids, dtype=np.str_))
        e["canonical"].append(np.array([c or i for c, i in zip(canonical, ids, strict=True)],
                                       dtype=np.str_))
        e["kind"].append(np.array([_ENTITY_CODE.get(k, _UNKNOWN_ENTITY) for k in kind],
                                  dtype=np.int8))
        for name, col in (("jur", jur), ("hq", hq), ("nat", nat), ("res", res)):
            e[name].append(_country(col))
        for target, lists in ((self._flag_rows, flags), (self._exc_rows, excs)):
            for i, values in enumerate(lists):
                for v in values or ():
                    target.setdefault(str(v), []).append(base + i)
        self._n_rows += len(ids)

    def finish_entities(self) -> None:
        ids = _cat(self._ent["ids"], np.str_)
        canonical = _cat(self._ent["canonical"], np.str_)
        self._canon, inverse = np.unique(canonical, return_inverse=True)
        self._row_to_index = inverse.astype(np.int64)
        # Representative row per canonical index: the self-canonical member first.
        not_self = (ids != canonical).astype(np.int8)
        order = np.lexsort((np.arange(ids.shape[0]), not_self, inverse))
        _, first = np.unique(inverse[order], return_index=True)
        self._rep = order[first]

    def canonical_index(self, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int32]:
        """Entity row numbers -> canonical indices (-1 stays -1)."""
        assert self._row_to_index is not None, "finish_entities() first"
        out = np.full(rows.shape[0], -1, dtype=np.int32)
        known = rows >= 0
        out[known] = self._row_to_index[rows[known]]
        return out

    def add_edges(self, owner_rows: npt.NDArray[np.int64], owned_rows: npt.NDArray[np.int64],
                  cols: Sequence[Sequence[Any]]) -> None:
        """Columns after the endpoints: kind, share_lo, share_hi, start, end, confidence, key."""
        kind, lo, hi, start, end, conf, key = cols
        self.add_edge_columns(owner_rows, owned_rows, EdgeColumns(
            kind=np.array([_INTEREST_CODE.get(k, _OTHER_INTEREST) for k in kind], dtype=np.int8),
            lo=np.array(lo, dtype=np.float64), hi=np.array(hi, dtype=np.float64),
            start=self._start_days.column(start), end=self._end_days.column(end),
            confidence=np.array([1.0 if c is None else c for c in conf], dtype=np.float32),
            key=key))

    def add_edge_columns(self, owner_rows: npt.NDArray[np.int64],
                         owned_rows: npt.NDArray[np.int64], cols: EdgeColumns) -> None:
        owner = self.canonical_index(owner_rows)
        owned = self.canonical_index(owned_rows)
        keep = (owner >= 0) & (owned >= 0)
        ed = self._edges
        ed["owner"].append(owner[keep])
        ed["owned"].append(owned[keep])
        ed["kind"].append(cols.kind.astype(np.int8)[keep])
        ed["lo"].append(cols.lo.astype(np.float64)[keep])
        ed["hi"].append(cols.hi.astype(np.float64)[keep])
        ed["start"].append(cols.start.astype(np.int32)[keep])
        ed["end"].append(cols.end.astype(np.int32)[keep])
        ed["conf"].append(cols.confidence.astype(np.float32)[keep])
        self._keys.extend(cols.key if keep.all() else
                          (k for k, kept in zip(cols.key, keep.tolist(), strict=True) if kept))

    def build(self) -> GraphArrays:
        assert self._canon is not None, "finish_entities() first"
        n = int(self._canon.shape[0])
        e, ed = self._ent, self._edges
        return GraphArrays(
            ids=self._canon,
            kind=self._first_known(_cat(e["kind"], np.int8), _UNKNOWN_ENTITY),
            jurisdiction=self._first_known(_cat(e["jur"], "<U2"), ""),
            hq_country=self._first_known(_cat(e["hq"], "<U2"), ""),
            nationality=self._first_known(_cat(e["nat"], "<U2"), ""),
            residence=self._first_known(_cat(e["res"], "<U2"), ""),
            flags=self._bool_columns(self._flag_rows, n),
            exceptions=self._bool_columns(self._exc_rows, n),
            owner=_cat(ed["owner"], np.int32),
            owned=_cat(ed["owned"], np.int32),
            edge_kind=_cat(ed["kind"], np.int8),
            share_lo=_cat(ed["lo"], np.float64),
            share_hi=_cat(ed["hi"], np.float64),
            start=_cat(ed["start"], np.int32),
            end=_cat(ed["end"], np.int32),
            confidence=_cat(ed["conf"], np.float32),
            edge_key=np.array(self._keys, dtype=np.str_),
        )

    def _first_known(self, values: npt.NDArray[Any], missing: Any) -> npt.NDArray[Any]:
        """Per canonical index: the representative's value, else the first member's that
        is not ``missing``."""
        assert self._row_to_index is not None and self._rep is not None
        inverse = self._row_to_index
        out = values[self._rep].copy()
        gaps = out == missing
        if gaps.any():
            rows = np.flatnonzero((values != missing) & gaps[inverse])
            idx, first = np.unique(inverse[rows], return_index=True)
            out[idx] = values[rows[first]]
        return out

    def _bool_columns(self, rows_by_name: dict[str, list[int]], n: int
                      ) -> dict[str, npt.NDArray[np.bool_]]:
        assert self._row_to_index is not None
        out: dict[str, npt.NDArray[np.bool_]] = {}
        for name, rows in rows_by_name.items():
            col = np.zeros(n, dtype=np.bool_)
            col[self._row_to_index[np.asarray(rows, dtype=np.int64)]] = True
            out[name] = col
        return out


def _cat(parts: list[npt.NDArray[Any]], dtype: Any) -> npt.NDArray[Any]:
    if not parts:
        return np.array([], dtype=dtype)
    return np.concatenate(parts).astype(dtype, copy=False)
