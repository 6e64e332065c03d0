"""From the store and the control engine to a snapshot (the only place api/ calls the engine).

The engine gives verdicts and exposure for every entity at once. Evidence (the ownership
paths that carry an entity over the threshold) and ultimate controllers are derived per
entity on demand from the same arrays and cached, so a 1M-entity generation does not build
paths for entities nobody asks about.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from api.settings import Settings
from api.snapshot import (
    VERDICTS,
    PolicyTable,
    Snapshot,
    assemble,
    data_as_of,
    generation_id,
    merge_views,
)
from graph.arrays import GraphArrays, day_number, interest_kind_code
from graph.control.engine import VERDICTS as ENGINE_VERDICTS
from graph.control.engine import evaluate
from graph.control.policies import Policy, known_policies
from graph.errors import NotReady, UnknownName
from graph.model import FULL_CONTROL_KINDS
from graph.store import GraphStore

log = logging.getLogger(__name__)

MAX_PATHS = 20
MAX_DEPTH = 12
FULL_CONTROL_CODES = frozenset(interest_kind_code(k) for k in FULL_CONTROL_KINDS)
_TO_OURS = np.array([VERDICTS.index(v) for v in ENGINE_VERDICTS], dtype=np.int8)


@dataclass
class Explainer:
    """Inbound edge lists of one generation, to walk from an entity up to its controllers."""

    arrays: GraphArrays
    as_of_day: int
    ptr: npt.NDArray[np.int64] = field(init=False)
    order: npt.NDArray[np.int64] = field(init=False)

    def __post_init__(self) -> None:
        a = self.arrays
        active = (a.start <= self.as_of_day) & (a.end > self.as_of_day)
        idx = np.flatnonzero(active)
        idx = idx[np.argsort(a.owned[idx], kind="stable")]
        counts = np.bincount(a.owned[idx], minlength=a.n_entities)
        self.order = idx
        self.ptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)

    def inbound(self, pos: int) -> npt.NDArray[np.int64]:
        return self.order[self.ptr[pos]:self.ptr[pos + 1]]

    def paths(self, pos: int, restricted: npt.NDArray[np.bool_],
              roots: npt.NDArray[np.bool_]) -> tuple[tuple[int, ...], ...]:
        """Edge paths root -> ... -> pos through restricted owners (depth-first, bounded)."""
        found: list[tuple[int, ...]] = []
        stack: list[tuple[int, tuple[int, ...], frozenset[int]]] = [(pos, (), frozenset({pos}))]
        while stack and len(found) < MAX_PATHS:
            node, path, seen = stack.pop()
            for edge in self.inbound(node).tolist():
                owner = int(self.arrays.owner[edge])
                if owner in seen or not restricted[owner] or self.arrays.share_hi[edge] <= 0:
                    continue
                extended = (edge, *path)
                if roots[owner]:
                    found.append(extended)
                elif len(extended) < MAX_DEPTH:
                    stack.append((owner, extended, seen | {owner}))
        return tuple(found)

    def controllers(self, pos: int) -> tuple[int, ...]:
        """Top of the majority chain: follow the owner holding > 50 % (or full control)."""
        a = self.arrays
        node, seen = pos, {pos}
        while True:
            parent = self._majority_owner(node)
            if parent is None or parent in seen:
                break
            seen.add(parent)
            node = parent
        if node != pos:
            return (node,)
        # nobody holds a majority: the significant owners, largest first
        edges = self.inbound(pos)
        big = [e for e in edges.tolist() if a.share_lo[e] >= 0.25]
        big.sort(key=lambda e: -float(a.share_lo[e]))
        return tuple(dict.fromkeys(int(a.owner[e]) for e in big))

    def _majority_owner(self, node: int) -> int | None:
        a = self.arrays
        for edge in self.inbound(node).tolist():
            if a.share_lo[edge] > 0.5 or int(a.edge_kind[edge]) in FULL_CONTROL_CODES:
                return int(a.owner[edge])
        return None


class LazyExtras:
    """Per-entity evidence and controllers of one policy, computed on first request."""

    def __init__(self, explainer: Explainer, restricted: npt.NDArray[np.bool_],
                 roots: npt.NDArray[np.bool_], verdict: npt.NDArray[np.int8]) -> None:
        self.explainer = explainer
        self.restricted = restricted
        self.roots = roots
        self.verdict = verdict
        self._lock = threading.Lock()
        self._evidence: dict[int, tuple[tuple[int, ...], ...]] = {}
        self._controllers: dict[int, tuple[int, ...]] = {}

    def evidence(self, pos: int) -> tuple[tuple[int, ...], ...]:
        if VERDICTS[int(self.verdict[pos])] not in ("BLOCK", "REVIEW"):
            return ()
        return self._cached(self._evidence, pos,
                            lambda: self.explainer.paths(pos, self.restricted, self.roots))

    def controllers(self, pos: int) -> tuple[int, ...]:
        return self._cached(self._controllers, pos, lambda: self.explainer.controllers(pos))

    def _cached(self, cache: dict[int, Any], pos: int, make: Callable[[], Any]) -> Any:
        hit = cache.get(pos)
        if hit is None:
            hit = make()
            with self._lock:
                if len(cache) > 100_000:
                    cache.clear()
                cache[pos] = hit
        return hit


def policy_table(arrays: GraphArrays, policy: Policy, as_of: dt.date | None = None,
                 explainer: Explainer | None = None) -> PolicyTable:
    result = evaluate(arrays, policy, as_of)
    verdict = _TO_OURS[result.verdict]
    day = day_number(result.as_of.isoformat(), open_value=0)
    explainer = explainer if explainer and explainer.as_of_day == day else Explainer(arrays, day)
    extras = LazyExtras(explainer, result.hi.restricted | result.roots, result.roots, verdict)
    return PolicyTable(policy=policy.name, verdict=verdict,
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
    today = as_of or dt.datetime.now(dt.UTC).date()
    explainer = Explainer(arrays, day_number(today.isoformat(), open_value=0))
    return {p.name: policy_table(arrays, p, as_of, explainer) for p in policies_for(settings)}


def snapshot_from_store(store: GraphStore, settings: Settings) -> Snapshot:
    """Read entities and arrays, evaluate every configured policy, assemble the snapshot."""
    arrays = store.load_arrays()
    if arrays.n_entities == 0:
        raise NotReady("the graph is empty; ingest data first")
    views = merge_views(e for batch in store.iter_entities(settings.batch_size) for e in batch)
    tables = tables_for(arrays, settings)
    snap = assemble(views, arrays, tables, generation=generation_id(arrays, views),
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
