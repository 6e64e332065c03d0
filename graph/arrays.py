"""Column arrays the control engine works on: the contract between store adapters and engine.

Entities are indexed 0..n-1 by *canonical* id (after resolution). Edges reference those
indices. Everything is a numpy column so that 10M entities / 12M edges fit comfortably and
no Python object per edge is ever needed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from graph.model import EntityKind, InterestKind

# Dates travel as int32 days since 1970-01-01; open ends use the extremes.
OPEN_START = np.iinfo(np.int32).min
OPEN_END = np.iinfo(np.int32).max
_EPOCH = dt.date(1970, 1, 1)

ENTITY_KIND_CODES: tuple[EntityKind, ...] = tuple(EntityKind)
INTEREST_KIND_CODES: tuple[InterestKind, ...] = tuple(InterestKind)


def entity_kind_code(kind: EntityKind | str) -> int:
    return ENTITY_KIND_CODES.index(EntityKind(kind))


def interest_kind_code(kind: InterestKind | str) -> int:
    return INTEREST_KIND_CODES.index(InterestKind(kind))


def day_number(iso: str | None, *, open_value: int) -> int:
    """ISO date (or datetime) -> days since epoch; None/empty -> the open sentinel."""
    if not iso:
        return open_value
    return (dt.date.fromisoformat(iso[:10]) - _EPOCH).days


def day_to_iso(day: int) -> str | None:
    if day in (OPEN_START, OPEN_END):
        return None
    return (_EPOCH + dt.timedelta(days=int(day))).isoformat()


@dataclass
class GraphArrays:
    """Entities and active ownership edges as parallel numpy columns."""

    ids: npt.NDArray[np.str_]  # canonical entity id per index
    kind: npt.NDArray[np.int8]  # index into ENTITY_KIND_CODES
    jurisdiction: npt.NDArray[np.str_]  # ISO alpha-2 or "" (dtype "<U2")
    hq_country: npt.NDArray[np.str_]
    nationality: npt.NDArray[np.str_]
    residence: npt.NDArray[np.str_]
    # flag name -> boolean column ("sanctioned", "entity-list", "listed", "state_owned", ...)
    flags: dict[str, npt.NDArray[np.bool_]]
    # reporting-exception reason -> boolean column ("NATURAL_PERSONS", "NON_PUBLIC", ...)
    exceptions: dict[str, npt.NDArray[np.bool_]]

    owner: npt.NDArray[np.int32]
    owned: npt.NDArray[np.int32]
    edge_kind: npt.NDArray[np.int8]  # index into INTEREST_KIND_CODES
    share_lo: npt.NDArray[np.float64]
    share_hi: npt.NDArray[np.float64]
    start: npt.NDArray[np.int32]  # days since epoch, OPEN_START when open
    end: npt.NDArray[np.int32]  # days since epoch, OPEN_END when open
    confidence: npt.NDArray[np.float32]  # min of match confidence and source confidence
    # Stable statement key per edge, to fetch provenance for evidence afterwards.
    edge_key: npt.NDArray[np.str_] = field(default_factory=lambda: np.array([], dtype=np.str_))
    # True where share_lo is an exclusive bound (PSC band "more than 25 %", BODS
    # exclusiveMinimum). Optional: empty (the default) means every lower bound is inclusive.
    share_lo_open: npt.NDArray[np.bool_] = field(default_factory=lambda: np.array([], dtype=np.bool_))

    @property
    def n_entities(self) -> int:
        return int(self.ids.shape[0])

    @property
    def n_edges(self) -> int:
        return int(self.owner.shape[0])


def content_id(arrays: GraphArrays) -> str:
    """The generation id: same data, same id. Hashes ids, edge keys and every value a
    verdict depends on (a re-filed share under the same statement key is new data)."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(arrays.ids).tobytes())
    order = np.argsort(arrays.edge_key, kind="stable") if arrays.edge_key.shape[0] == \
        arrays.n_edges else np.arange(arrays.n_edges)
    h.update(np.ascontiguousarray(arrays.edge_key[order] if arrays.edge_key.shape[0] else
                                  arrays.edge_key).tobytes())
    entity_columns: tuple[npt.NDArray[Any], ...] = (
        arrays.kind, arrays.jurisdiction, arrays.hq_country, arrays.nationality, arrays.residence)
    for column in entity_columns:
        h.update(np.ascontiguousarray(column).tobytes())
    edge_columns: tuple[npt.NDArray[Any], ...] = (
        arrays.owner, arrays.owned, arrays.edge_kind, arrays.share_lo, arrays.share_hi,
        arrays.start, arrays.end, arrays.confidence)
    for edge_column in edge_columns:
        h.update(np.ascontiguousarray(edge_column[order]).tobytes())
    if arrays.share_lo_open.shape[0] == arrays.n_edges:
        h.update(np.ascontiguousarray(arrays.share_lo_open[order]).tobytes())
    for table in (arrays.flags, arrays.exceptions):
        for name in sorted(table):
            h.update(name.encode())
            h.update(np.ascontiguousarray(table[name]).tobytes())
    return "g-" + h.hexdigest()[:16]
