"""FalkorDB rows: the shared positional layouts (graph/cypher/rows.py) with the bulk-load
copy (graph/falkordb/bulk.py) appended, computed from the row's own values."""

from __future__ import annotations

import functools
import struct
from typing import Any

from graph.arrays import OPEN_END, OPEN_START, day_number, interest_kind_code
from graph.cypher import rows as shared
from graph.errors import BadInput
from graph.falkordb.bulk import bulk_copy, entity_copy
from graph.model import Entity, InterestKind, OwnershipEdge

ENTITY_PROPS: tuple[str, ...] = (*shared.ENTITY_PROPS, "bulk")
EDGE_PROPS: tuple[str, ...] = (*shared.EDGE_PROPS, "bulk")


def _at(layout: tuple[str, ...], start: int, name: str) -> int:
    return start + layout.index(name)


_E = functools.partial(_at, shared.ENTITY_PROPS, shared.ENTITY_PROPS_AT)
_KIND, _JURISDICTION, _RESIDENCE = _E("kind"), _E("jurisdiction"), _E("residence")
_FLAGS, _REASONS = _E("flags"), _E("exceptions")
_R = functools.partial(_at, shared.EDGE_PROPS, shared.EDGE_PROPS_AT)
_EDGE_KIND, _LO, _HI, _START, _END = _R("kind"), _R("share_lo"), _R("share_hi"), _R("start"), _R("end")
_RECORD, _CONFIDENCE = _R("record_id"), _R("confidence")

# Kind codes by value, and days by ISO date (dates repeat heavily): runs for every edge.
_KIND_CODES: dict[Any, int] = {k.value: interest_kind_code(k) for k in InterestKind}


@functools.lru_cache(maxsize=65_536)
def _start_day(iso: str | None) -> int:
    return day_number(iso, open_value=int(OPEN_START))


@functools.lru_cache(maxsize=65_536)
def end_day(iso: str | None) -> int:
    return day_number(iso, open_value=int(OPEN_END))


def entity_values(e: Entity) -> list[Any]:
    """The shared entity row plus its bulk-load copy (kind, countries, flags, exceptions)."""
    row = shared.entity_values(e)
    row.append(entity_copy(row[_KIND], tuple(row[_JURISDICTION:_RESIDENCE + 1]), row[_FLAGS],
                           row[_REASONS]))
    return row


def edge_values(e: OwnershipEdge) -> list[Any]:
    """The shared edge row plus its bulk-load copy (numbers packed, then the key)."""
    row = shared.edge_values(e)
    try:
        row.append(bulk_copy(end_day(row[_END]), _KIND_CODES[row[_EDGE_KIND]], row[_LO],
                             row[_HI], _start_day(row[_START]), row[_CONFIDENCE], row[2]))
    except (ValueError, OverflowError, struct.error) as exc:
        raise BadInput(f"edge {row[2]}: start {row[_START]!r}, end {row[_END]!r} or "
                       f"confidence {row[_CONFIDENCE]!r} out of range: {exc}",
                       record=row[_RECORD], field="start/end/confidence") from exc
    return row


def entity_row_dict(values: list[Any]) -> dict[str, Any]:
    return shared.entity_row_dict(values, ENTITY_PROPS)


def edge_row_dict(values: list[Any]) -> dict[str, Any]:
    return shared.edge_row_dict(values, EDGE_PROPS)
