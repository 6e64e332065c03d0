"""From the live store (after ingest, resolve and compute) to a generation artifact."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from api.engine import fill_member_countries, policies_for
from api.generations.artifact import Artifact, PolicyResults, utc_now
from api.settings import Settings
from api.snapshot import VERDICTS, EntityView, data_as_of, merge_views
from graph.arrays import GraphArrays
from graph.control.controllers import ultimate_controllers
from graph.control.engine import VERDICTS as ENGINE_VERDICTS
from graph.control.engine import evaluate
from graph.control.policies import Policy
from graph.control.run import content_generation
from graph.errors import NotReady
from graph.store import GraphStore

_TO_SERVED = np.array([VERDICTS.index(v) for v in ENGINE_VERDICTS], dtype=np.int8)


@dataclass(frozen=True)
class SourceRun:
    """What one source contributed to this run (records read decide the shrink guard)."""

    name: str
    format: str
    files: tuple[str, ...]
    records: int
    run_ids: tuple[str, ...] = ()
    quarantined: int = 0


@dataclass(frozen=True)
class RunInfo:
    sources: Sequence[SourceRun] = field(default_factory=tuple)
    trigger: str = "manual"  # manual | schedule | api


def policy_results(arrays: GraphArrays, policy: Policy) -> PolicyResults:
    """Verdicts, exposure bounds and ultimate controllers of every entity under one policy."""
    result = evaluate(arrays, policy)
    ctl = ultimate_controllers(result.prepared)
    controllers = np.full(arrays.n_entities, "", dtype=object)
    has = np.flatnonzero(ctl.parent >= 0)
    acyclic = has[ctl.cycle_label[has] < 0]
    controllers[acyclic] = arrays.ids[ctl.terminal[acyclic]]
    for i in has[ctl.cycle_label[has] >= 0].tolist():
        controllers[i] = ";".join(sorted(str(arrays.ids[m]) for m in ctl.of(i)))
    return PolicyResults(verdict=_TO_SERVED[result.verdict].astype(np.int8),
                         exposure_lo=np.clip(result.lo.exposure, 0.0, 1.0).astype(np.float64),
                         exposure_hi=np.clip(result.hi.exposure, 0.0, 1.0).astype(np.float64),
                         controllers=controllers.astype(np.str_) if len(controllers)
                         else np.array([], dtype=np.str_))


def source_counts(previous: dict[str, Any] | None, run: RunInfo) -> dict[str, dict[str, Any]]:
    """This run's sources, and the previous generation's for sources not re-read now."""
    sources: dict[str, dict[str, Any]] = dict((previous or {}).get("sources") or {})
    for s in run.sources:
        sources[s.name] = {"format": s.format, "files": list(s.files), "records": s.records,
                           "quarantined": s.quarantined, "run_ids": list(s.run_ids)}
    return sources


def build_artifact(arrays: GraphArrays, views: dict[str, EntityView], settings: Settings,
                   run: RunInfo, previous: dict[str, Any] | None = None) -> Artifact:
    """Pure: columns + views + this run's facts -> an artifact with its manifest."""
    fill_member_countries(arrays, views)
    results = {p.name: policy_results(arrays, p) for p in policies_for(settings)}
    manifest = {
        "id": content_generation(arrays), "created": utc_now(), "graph": settings.graph_name,
        "entities": arrays.n_entities, "edges": arrays.n_edges,
        "data_as_of": data_as_of(views.values()),
        "policies": {name: r.counts() for name, r in results.items()},
        "sources": source_counts(previous, run),
        "run": {"trigger": run.trigger, "sources": [s.name for s in run.sources]},
    }
    return Artifact(manifest, arrays, views, results)


def artifact_from_store(store: GraphStore, settings: Settings, run: RunInfo,
                        previous: dict[str, Any] | None = None) -> Artifact:
    arrays = store.load_arrays()
    if arrays.n_entities == 0:
        raise NotReady("the graph is empty; nothing to publish")
    views = merge_views(e for batch in store.iter_entities(settings.batch_size) for e in batch)
    return build_artifact(arrays, views, settings, run, previous)
