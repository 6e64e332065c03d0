"""The in-memory snapshot of one generation: what screening and reads are served from.

A snapshot is immutable once built. The app holds one reference to the current snapshot and
replaces it in a single assignment when a new generation is published, so a request sees
either the old generation or the new one, never a mix.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from api.index import NameHit, NameIndex, build_identifier_index, normal_identifier
from graph.arrays import INTEREST_KIND_CODES, GraphArrays, day_to_iso
from graph.errors import NotReady, UnknownName
from graph.model import Entity

log = logging.getLogger(__name__)

VERDICTS: tuple[str, ...] = ("ALLOW", "REVIEW", "BLOCK", "INSUFFICIENT_DATA")


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


@dataclass(frozen=True)
class PolicyTable:
    """Per-entity answers of one policy, as columns plus sparse extras."""

    policy: str
    verdict: npt.NDArray[np.int8]  # index into VERDICTS
    exposure_lo: npt.NDArray[np.float64]
    exposure_hi: npt.NDArray[np.float64]
    controllers: Callable[[int], tuple[int, ...]]  # entity -> controller positions
    evidence: Callable[[int], tuple[tuple[int, ...], ...]]  # entity -> paths of edge indices
    as_of: str


@dataclass(frozen=True)
class EdgeFacts:
    """The ownership edges of the generation, for evidence and reads without the store."""

    arrays: GraphArrays
    provenance: dict[str, dict[str, Any]] = field(default_factory=dict)  # by edge key

    def edge(self, i: int, ids: npt.NDArray[np.str_]) -> dict[str, Any]:
        a = self.arrays
        key = str(a.edge_key[i]) if a.edge_key.shape[0] > i else ""
        return {
            "owner": str(ids[a.owner[i]]), "owned": str(ids[a.owned[i]]),
            "kind": INTEREST_KIND_CODES[int(a.edge_kind[i])].value,
            "share_lo": float(a.share_lo[i]), "share_hi": float(a.share_hi[i]),
            "start": day_to_iso(int(a.start[i])), "end": day_to_iso(int(a.end[i])),
            "confidence": float(a.confidence[i]), "key": key,
            "provenance": self.provenance.get(key) or provenance_from_key(key),
        }


def provenance_from_key(key: str) -> dict[str, Any]:
    """An edge key starts with ``source|record_id``: the minimum provenance always known."""
    parts = key.split("|")
    return {"source": parts[0], "record_id": parts[1]} if len(parts) >= 2 else {}


@dataclass(frozen=True)
class Snapshot:
    generation: str
    data_as_of: str | None
    loaded_at: str
    entities: list[EntityView]
    position: dict[str, int]
    redirects: dict[str, str]  # merged member id -> canonical id
    identifiers: dict[tuple[str, str], int]
    names: NameIndex
    policies: dict[str, PolicyTable]
    edges: EdgeFacts | None = None
    identifier_conflicts: tuple[tuple[str, str], ...] = ()

    @property
    def ids(self) -> npt.NDArray[np.str_]:
        return self.edges.arrays.ids if self.edges else np.array([e.id for e in self.entities])

    def table(self, policy: str) -> PolicyTable:
        found = self.policies.get(policy)
        if found is None:
            known = ", ".join(sorted(self.policies))
            raise UnknownName(f"unknown policy {policy!r}; known policies: {known}",
                              field="policy", known=sorted(self.policies))
        return found

    def canonical(self, entity_id: str) -> str | None:
        if entity_id in self.position:
            return entity_id
        return self.redirects.get(entity_id)

    def by_identifier(self, scheme: str, value: str) -> int | None:
        return self.identifiers.get(normal_identifier(scheme, value))

    def search(self, name: str, limit: int) -> list[NameHit]:
        return self.names.search(name, limit)

    def answer(self, policy: str, pos: int) -> dict[str, Any]:
        table = self.table(policy)
        controllers = [self.brief(c) for c in table.controllers(pos)]
        return {
            "verdict": VERDICTS[int(table.verdict[pos])],
            "exposure": {"lo": float(table.exposure_lo[pos]), "hi": float(table.exposure_hi[pos])},
            "ultimate_controllers": controllers,
            "evidence": [self.path(p) for p in table.evidence(pos)],
        }

    def brief(self, pos: int) -> dict[str, Any]:
        e = self.entities[pos]
        return {"id": e.id, "name": e.name, "jurisdiction": e.jurisdiction,
                "hq_country": e.hq_country}

    def path(self, edge_indices: Sequence[int]) -> dict[str, Any]:
        assert self.edges is not None
        edges = []
        for i in edge_indices:
            edge = self.edges.edge(int(i), self.ids)
            edge["owner_name"] = self._name_of(edge["owner"])
            edge["owned_name"] = self._name_of(edge["owned"])
            edges.append(edge)
        return {"edges": edges}

    def _name_of(self, entity_id: str) -> str:
        pos = self.position.get(entity_id)
        return self.entities[pos].name if pos is not None else entity_id


class SnapshotHolder:
    """The one mutable reference the app keeps: replaced atomically, read lock-free."""

    def __init__(self) -> None:
        self._current: Snapshot | None = None

    def publish(self, snapshot: Snapshot) -> None:
        self._current = snapshot  # a single reference assignment: atomic under the GIL
        log.info("generation published", extra={"generation": snapshot.generation,
                                                 "entities": len(snapshot.entities)})

    @property
    def current(self) -> Snapshot:
        snap = self._current
        if snap is None:
            raise NotReady("no generation has been loaded yet; run ingest, resolve and compute")
        return snap

    @property
    def ready(self) -> bool:
        return self._current is not None


# ---------------------------------------------------------------- building from source records


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


def assemble(views: dict[str, EntityView], arrays: GraphArrays, tables: dict[str, PolicyTable], *,
             generation: str, data_as_of: str | None,
             provenance: dict[str, dict[str, Any]] | None = None) -> Snapshot:
    """Pure: views + arrays + policy tables -> a servable snapshot with its indexes."""
    entities = [views.get(str(cid)) or _bare_view(str(cid)) for cid in arrays.ids.tolist()]
    position = {e.id: i for i, e in enumerate(entities)}
    redirects = {m: e.id for e in entities for m in e.members if m != e.id}
    conflicts: list[tuple[str, str]] = []
    identifiers = build_identifier_index(
        ((i, s, v) for i, e in enumerate(entities) for s, v in e.identifiers), conflicts=conflicts)
    names = NameIndex.build((i, n) for i, e in enumerate(entities) for n in e.names)
    return Snapshot(
        generation=generation, data_as_of=data_as_of,
        loaded_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        entities=entities, position=position, redirects=redirects, identifiers=identifiers,
        names=names, policies=tables, edges=EdgeFacts(arrays, provenance or {}),
        identifier_conflicts=tuple(conflicts),
    )


def _bare_view(cid: str) -> EntityView:
    return EntityView(id=cid, name=cid, kind="unknown", jurisdiction=None, hq_country=None,
                      names=(), identifiers=(), members=(cid,))


def data_as_of(views: Iterable[EntityView]) -> str | None:
    dates = [str(p.get("published") or "")[:10] for v in views for p in v.provenance]
    return max((d for d in dates if d), default=None)
