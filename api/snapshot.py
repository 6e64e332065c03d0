"""The in-memory snapshot of one published generation: what screening and reads are served from.

A snapshot is the generation artifact plus its lookup indexes; it is immutable once built.
The app holds one reference to the current snapshot and replaces it in a single assignment
when a new generation is published, so a request sees either the old generation or the new
one, never a mix. Every answer is read from the artifact's arrays (``graph/control/answers``
computed them once, when the generation was built).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from api.generations.artifact import Artifact, name_index
from api.index import NameHit, NameIndex, build_identifier_index, normal_identifier
from api.views import EntityView
from graph.arrays import INTEREST_KIND_CODES, GraphArrays, day_to_iso
from graph.control.explain import Explainer, Labels
from graph.control.served import PolicyAnswers
from graph.errors import NotReady, UnknownName

if TYPE_CHECKING:
    from graph.control.engine import ControlResult

log = logging.getLogger(__name__)


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
    arrays: GraphArrays
    policies: dict[str, PolicyAnswers]
    provenance: dict[str, dict[str, Any]]  # evidence edge key -> full provenance
    policy_tables: dict[str, dict[str, Any]]  # the policies as computed (re-read for as_of)
    evaluations: dict[str, ControlResult] = field(default_factory=dict)
    identifier_conflicts: tuple[tuple[str, str], ...] = ()
    explainers: dict[str, Explainer] = field(default_factory=dict)  # built on first use

    @property
    def default_policy(self) -> str:
        """The first policy in force (``OWNERGRAPH_POLICIES``' first) when a caller names none."""
        return next(iter(self.policies))

    @property
    def ids(self) -> npt.NDArray[np.str_]:
        return self.arrays.ids

    def table(self, policy: str) -> PolicyAnswers:
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

    def search(self, name: str, limit: int, country: str | None = None) -> list[NameHit]:
        return self.names.search(name, limit, country=country)

    def answer(self, policy: str, pos: int, other: AtDate | None = None) -> dict[str, Any]:
        """Entity ``pos``'s answer under a policy, with its explanation (``other``: the same
        policy evaluated at another date, see ``Service.answers_as_of``)."""
        table = other.answers if other is not None else self.table(policy)
        explainer = other.explainer if other is not None else self.explainer(policy)
        out: dict[str, Any] = {
            "verdict": table.verdict_name(pos),
            "exposure": {"lo": float(table.exposure_lo[pos]), "hi": float(table.exposure_hi[pos])},
            "ultimate_controllers": self.controllers(table, pos),
            "evidence": [self.path(p) for p in table.evidence.of(pos)],
        }
        if explainer is not None:
            out.update(explainer.answer(pos))
        return out

    def explainer(self, policy: str) -> Explainer | None:
        """Words for the answers of a policy, from its stored evaluation (None without one)."""
        found = self.explainers.get(policy)
        if found is None and policy in self.evaluations:
            found = self.explainers[policy] = Explainer.build(
                self.arrays, self.evaluations[policy], self.labels())
        return found

    def labels(self) -> Labels:
        return Labels(names=[e.name for e in self.entities])

    def controllers(self, table: PolicyAnswers, pos: int) -> list[dict[str, Any]]:
        out = []
        for controller, basis, lo, hi, direct in table.controllers.of(pos):
            row = {**self.brief(controller), "basis": basis.label, "direct": direct}
            if lo is not None:
                row.update(share_lo=lo, share_hi=hi)
            out.append(row)
        return out

    def brief(self, pos: int) -> dict[str, Any]:
        e = self.entities[pos]
        return {"id": e.id, "name": e.name, "jurisdiction": e.jurisdiction,
                "hq_country": e.hq_country}

    def edge(self, i: int) -> dict[str, Any]:
        a = self.arrays
        key = str(a.edge_key[i]) if a.edge_key.shape[0] > i else ""
        owner, owned = str(a.ids[a.owner[i]]), str(a.ids[a.owned[i]])
        return {
            "owner": owner, "owner_name": self._name_of(owner),
            "owned": owned, "owned_name": self._name_of(owned),
            "kind": INTEREST_KIND_CODES[int(a.edge_kind[i])].value,
            "share_lo": float(a.share_lo[i]), "share_hi": float(a.share_hi[i]),
            "start": day_to_iso(int(a.start[i])), "end": day_to_iso(int(a.end[i])),
            "confidence": float(a.confidence[i]), "key": key,
            "provenance": self.provenance.get(key) or provenance_from_key(key),
        }

    def path(self, edge_indices: Sequence[int]) -> dict[str, Any]:
        return {"edges": [self.edge(int(i)) for i in edge_indices]}

    def _name_of(self, entity_id: str) -> str:
        pos = self.position.get(entity_id)
        return self.entities[pos].name if pos is not None else entity_id


@dataclass(frozen=True)
class AtDate:
    """A policy's answers on another date than the generation's, with their explainer."""

    answers: PolicyAnswers
    explainer: Explainer


class SnapshotHolder:
    """The one mutable reference the app keeps: replaced atomically, read lock-free."""

    def __init__(self) -> None:
        self._current: Snapshot | None = None

    def publish(self, snapshot: Snapshot) -> None:
        self._current = snapshot  # a single reference assignment: atomic under the GIL
        log.debug("snapshot swapped in", extra={"generation": snapshot.generation,
                                               "entities": len(snapshot.entities)})

    @property
    def current(self) -> Snapshot:
        snap = self._current
        if snap is None:
            raise NotReady("no generation has been published yet; run `ownergraph compute` "
                           "(or `ownergraph generations run`) to publish one")
        return snap

    @property
    def ready(self) -> bool:
        return self._current is not None


def snapshot_of(artifact: Artifact) -> Snapshot:
    """Pure: a generation artifact -> a servable snapshot with its indexes."""
    views, arrays = artifact.views, artifact.arrays
    entities = [views.get(str(cid)) or _bare_view(str(cid)) for cid in arrays.ids.tolist()]
    position = {e.id: i for i, e in enumerate(entities)}
    redirects = {m: e.id for e in entities for m in e.members if m != e.id}
    conflicts: list[tuple[str, str]] = []
    identifiers = build_identifier_index(
        ((i, s, v) for i, e in enumerate(entities) for s, v in e.identifiers), conflicts=conflicts)
    names = name_index(artifact)
    return Snapshot(
        generation=artifact.id, data_as_of=artifact.manifest.get("data_as_of"),
        loaded_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        entities=entities, position=position, redirects=redirects, identifiers=identifiers,
        names=names, arrays=arrays, policies=dict(artifact.answers),
        provenance=artifact.provenance,
        policy_tables=dict(artifact.manifest.get("policy_tables") or {}),
        evaluations=dict(artifact.evaluations), identifier_conflicts=tuple(conflicts),
    )


def _bare_view(cid: str) -> EntityView:
    return EntityView(id=cid, name=cid, kind="unknown", jurisdiction=None, hq_country=None,
                      names=(), identifiers=(), members=(cid,))
