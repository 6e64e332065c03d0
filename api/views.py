"""Entities as served: the source-record entities merged into one view per canonical id."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from graph.arrays import GraphArrays
from graph.model import Entity


@dataclass(frozen=True, slots=True)
class EntityView:
    """One canonical entity as served: the union of the source records merged into it."""

    id: str
    name: str
    kind: str
    jurisdiction: str | None
    hq_country: str | None
    names: tuple[str, ...]
    identifiers: tuple[tuple[str, str], ...]
    members: tuple[str, ...]  # source-record entity ids merged into this one
    addresses: tuple[str, ...] = ()
    provenance: tuple[dict[str, Any], ...] = ()
    flags: tuple[str, ...] = ()


def merge_views(records: Iterable[Entity]) -> dict[str, EntityView]:
    """Group source-record entities by canonical id into served views."""
    groups: dict[str, list[Entity]] = {}
    for entity in records:
        groups.setdefault(entity.canonical_id or entity.id, []).append(entity)
    return {cid: _view(cid, members) for cid, members in groups.items()}


def _view(canonical: str, members: list[Entity]) -> EntityView:
    # GLEIF legal names read best (PSC gives upper-case names, BODS local filings); then the
    # record the resolver kept as canonical
    members = sorted(members, key=lambda e: (e.provenance.source != "gleif", e.id != canonical,
                                             e.name.isupper(), e.id))
    head = members[0]
    names: list[str] = []
    identifiers: list[tuple[str, str]] = []
    addresses: list[str] = []
    flags: set[str] = set()
    for m in members:
        names.extend([m.name, *(n.value for n in m.names)])
        identifiers.extend((i.scheme, i.value) for i in m.identifiers if i.valid)
        addresses.extend(a.text for a in m.addresses)
        flags |= set(m.flags)
    return EntityView(
        id=canonical, name=head.name, kind=head.kind.value,
        jurisdiction=_first(m.jurisdiction for m in members),
        hq_country=_first(m.hq_country for m in members),
        names=tuple(dict.fromkeys(n for n in names if n)),
        identifiers=tuple(dict.fromkeys(identifiers)),
        members=tuple(m.id for m in members),
        addresses=tuple(dict.fromkeys(addresses)),
        provenance=tuple(_provenance(m) for m in members),
        flags=tuple(sorted(flags)),
    )


def _first(values: Iterable[str | None]) -> str | None:
    return next((v for v in values if v), None)


def _provenance(e: Entity) -> dict[str, Any]:
    p = e.provenance
    return {"entity_id": e.id, "source": p.source, "record_id": p.record_id, "file": p.file,
            "location": p.location, "published": p.published, "retrieved": p.retrieved,
            "run_id": p.run_id, "confidence": p.confidence}


def data_as_of(views: Iterable[EntityView]) -> str | None:
    dates = [str(p.get("published") or "")[:10] for v in views for p in v.provenance]
    return max((d for d in dates if d), default=None)


def fill_member_countries(arrays: GraphArrays, views: dict[str, EntityView]) -> int:
    """A merged entity's jurisdiction / headquarters come from any of its records.

    The store's arrays take them from one representative record; when that record is silent
    (a BODS filing has no headquarters) but another member knows it (GLEIF says Shenzhen),
    the member's value is used. Returns how many cells were filled.
    """
    filled = 0
    for column, attr in (("jurisdiction", "jurisdiction"), ("hq_country", "hq_country")):
        values = getattr(arrays, column)
        for pos in np.flatnonzero(values == "").tolist():
            view = views.get(str(arrays.ids[pos]))
            known = getattr(view, attr) if view is not None else None
            if known:
                values[pos] = known[:2]
                filled += 1
    return filled
