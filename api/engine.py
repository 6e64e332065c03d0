"""From the store and the control engine to a snapshot (the only place api/ calls the engine).

The engine gives verdicts and exposure for every entity at once. Evidence (the ownership
paths that carry an entity over the threshold) is the engine's explanation, asked per entity
on demand and cached, so a 1M-entity generation does not build paths nobody asks about.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

import numpy as np

from api.settings import Settings
from api.snapshot import (
    VERDICTS,
    EntityView,
    PolicyTable,
    Snapshot,
    assemble,
    data_as_of,
    merge_views,
)
from graph.arrays import GraphArrays
from graph.control.combine import UNIT
from graph.control.controllers import ultimate_controllers
from graph.control.engine import VERDICTS as ENGINE_VERDICTS
from graph.control.engine import ControlResult, evaluate
from graph.control.evidence import InboundIndex, explain
from graph.control.policies import Policy, known_policies
from graph.control.run import content_generation
from graph.errors import NotReady, UnknownName
from graph.store import GraphStore

log = logging.getLogger(__name__)

SIGNIFICANT_Q = UNIT // 4  # 25 % in the engine's quantized share units
MAX_OWNERS = 10
_TO_OURS = np.array([VERDICTS.index(v) for v in ENGINE_VERDICTS], dtype=np.int8)


class LazyExtras:
    """Per-entity evidence and controllers of one policy, computed on first request."""

    def __init__(self, arrays: GraphArrays, result: ControlResult) -> None:
        self.arrays = arrays
        self.result = result
        self.ctl = ultimate_controllers(result.prepared)
        self.index = InboundIndex.build(result.prepared)
        self._lock = threading.Lock()
        self._evidence: dict[int, tuple[tuple[int, ...], ...]] = {}

    def controllers(self, pos: int) -> tuple[int, ...]:
        """The engine's majority-chain controllers; where nobody holds a majority, the
        direct owners with a significant stake (>= 25 % at the upper bound), largest first.
        (The engine's look-through of significant owners solves a linear system per entity:
        too slow for a gateway answer, so it stays in ``control eval``.)"""
        tops = self.ctl.of(pos)
        if tops:
            return tuple(tops)
        prep = self.result.prepared
        rows = [int(r) for r in self.index.rows(pos)
                if not prep.control[r] and prep.q_hi[r] >= SIGNIFICANT_Q]
        rows.sort(key=lambda r: -int(prep.q_hi[r]))
        return tuple(dict.fromkeys(int(prep.owner[r]) for r in rows))[:MAX_OWNERS]

    def evidence(self, pos: int) -> tuple[tuple[int, ...], ...]:
        """Edge-index paths root -> ... -> pos from the engine's explanation."""
        hit = self._evidence.get(pos)
        if hit is None:
            hit = self._paths(pos)
            with self._lock:
                if len(self._evidence) > 100_000:
                    self._evidence.clear()
                self._evidence[pos] = hit
        return hit

    def _paths(self, pos: int) -> tuple[tuple[int, ...], ...]:
        why = explain(self.arrays, self.result, pos, self.index)
        if not why or why.get("root"):
            return ()
        by_pair: dict[tuple[str, str], list[int]] = {}
        for stake in why["stakes"]:
            by_pair.setdefault((stake["owner"], stake["owned"]), []).extend(stake["edges"])
        paths = []
        for ids in why["paths"]:
            edges = [e for a, b in zip(ids, ids[1:], strict=False) for e in by_pair.get((a, b), [])]
            if edges:
                paths.append(tuple(edges))
        if not paths:  # aggregate over several owners with no single chain: show the stakes
            paths = [tuple(e for stake in why["stakes"] for e in stake["edges"])]
        return tuple(paths)


def policy_table(arrays: GraphArrays, policy: Policy, as_of: dt.date | None = None) -> PolicyTable:
    result = evaluate(arrays, policy, as_of)
    extras = LazyExtras(arrays, result)
    return PolicyTable(policy=policy.name, verdict=_TO_OURS[result.verdict],
                       exposure_lo=np.clip(result.lo.exposure, 0.0, 1.0),
                       exposure_hi=np.clip(result.hi.exposure, 0.0, 1.0),
                       controllers=extras.controllers, evidence=extras.evidence,
                       as_of=result.as_of.isoformat())


def policies_for(settings: Settings) -> list[Policy]:
    known = known_policies(settings.policy_file)
    missing = [p for p in settings.policies if p not in known]
    if missing:
        raise UnknownName(f"OWNERGRAPH_POLICIES names unknown policies {missing}; known: "
                          f"{', '.join(sorted(known))}", field="policies")
    extra = [name for name in known if name not in settings.policies and
             known[name].source != "built-in"]
    return [known[p] for p in [*settings.policies, *extra]]


def tables_for(arrays: GraphArrays, settings: Settings,
               as_of: dt.date | None = None) -> dict[str, PolicyTable]:
    return {p.name: policy_table(arrays, p, as_of) for p in policies_for(settings)}


PROVENANCE_FIELDS = ("source", "record_id", "file", "location", "published", "retrieved",
                     "run_id", "confidence")


def enrich_evidence(snapshot: Snapshot, store: GraphStore, result: dict[str, Any]) -> None:
    """Full provenance (file, location, publication, run) on every evidence edge.

    The snapshot knows each edge's source and record id from its key; the rest is read from
    the store once per owned entity and kept in the snapshot's cache. Store I/O: callers on
    the event loop run this in the thread pool.
    """
    facts = snapshot.edges
    if facts is None:
        return
    edges = [e for path in result.get("evidence") or () for e in path["edges"]]
    for owned in {e["owned"] for e in edges if e["key"] not in facts.provenance}:
        pos = snapshot.position.get(owned)
        for member in snapshot.entities[pos].members if pos is not None else ():
            for stored in store.owners(member, 1):
                if isinstance(stored.get("key"), str):
                    facts.provenance[stored["key"]] = {f: stored.get(f) for f in PROVENANCE_FIELDS}
    for edge in edges:
        edge["provenance"] = facts.provenance.get(edge["key"], edge["provenance"])


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


def snapshot_from_store(store: GraphStore, settings: Settings) -> Snapshot:
    """Read entities and arrays, evaluate every configured policy, assemble the snapshot."""
    arrays = store.load_arrays()
    if arrays.n_entities == 0:
        raise NotReady("the graph is empty; ingest data first")
    views = merge_views(e for batch in store.iter_entities(settings.batch_size) for e in batch)
    fill_member_countries(arrays, views)
    tables = tables_for(arrays, settings)
    snap = assemble(views, arrays, tables, generation=content_generation(arrays),
                    data_as_of=data_as_of(views.values()))
    log.info("snapshot built", extra={"generation": snap.generation, "entities": len(snap.entities),
                                      "edges": arrays.n_edges, "policies": len(tables)})
    return snap


def table_as_of(snapshot: Snapshot, policy: str, as_of: dt.date, settings: Settings) -> Snapshot:
    """The snapshot with one policy re-evaluated at another date (same generation)."""
    from dataclasses import replace

    assert snapshot.edges is not None
    known = {p.name: p for p in policies_for(settings)}
    table = policy_table(snapshot.edges.arrays, known[policy], as_of)
    return replace(snapshot, policies={**snapshot.policies, policy: table})
