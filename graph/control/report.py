"""Per-entity answers as plain dicts (one JSON line each) and as store results."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from graph.arrays import GraphArrays
from graph.control.controllers import Controllers, ultimate_controllers
from graph.control.engine import ControlResult
from graph.control.evidence import InboundIndex, explain
from graph.control.explain import Explainer, Labels
from graph.control.lookthrough import lookthrough
from graph.store import DerivedResult

SIGNIFICANT = 0.25  # the usual "significant control" floor
MAX_OWNERS = 10


def significant_owners(arrays: GraphArrays, result: ControlResult, index: InboundIndex,
                       y: int) -> list[dict[str, Any]]:
    """Owners (at any depth) whose look-through share of y may reach 25 %, largest first."""
    view = lookthrough(result.prepared, index.rows, y)
    direct = {int(result.prepared.owner[r]) for r in index.rows(y)}
    picked = np.flatnonzero(view.share_hi >= SIGNIFICANT - 1e-12)
    ranked = sorted(picked, key=lambda i: (-view.share_hi[i], -view.share_lo[i]))[:MAX_OWNERS]
    out = []
    for i in ranked:
        owner = view.owners[i]
        out.append({"id": str(arrays.ids[owner]), "basis": "significant_owner",
                    "effective_lo": round(float(view.share_lo[i]), 9),
                    "effective_hi": round(float(view.share_hi[i]), 9),
                    "direct": owner in direct, "restricted": bool(result.lo.restricted[owner]),
                    "truncated": view.truncated})
    return out


def _controllers(arrays: GraphArrays, result: ControlResult, ctl: Controllers,
                 index: InboundIndex, y: int) -> list[dict[str, Any]]:
    tops = ctl.of(y)
    if not tops:
        return significant_owners(arrays, result, index, y)
    basis = "cycle" if ctl.cycle_label[y] >= 0 else "majority_chain"
    return [{"id": str(arrays.ids[t]), "basis": basis,
             "restricted": bool(result.lo.restricted[t])} for t in tops]


def records(arrays: GraphArrays, result: ControlResult, *, with_evidence: bool = True,
            labels: Labels | None = None) -> Iterator[dict[str, Any]]:
    """One dict per entity: the ``control eval`` JSON line. Besides the verdict, exposure,
    controllers and evidence it carries the explanation (``graph.control.explain``):
    ``coverage``, ``reasons``, ``notes`` and ``summary``."""
    ctl = ultimate_controllers(result.prepared)
    why = Explainer.build(arrays, result, labels)
    index = why.index
    for y in range(arrays.n_entities):
        flags = [name for name, col in (("inbound_over_one", result.inbound_over),
                                        ("conflicting_sources", result.conflict)) if col[y]]
        evidence = explain(arrays, result, y, index)
        record: dict[str, Any] = {
            "id": str(arrays.ids[y]), "policy": result.policy.name,
            "verdict": result.verdict_name(y),
            "restricted_lo": bool(result.lo.restricted[y]),
            "restricted_hi": bool(result.hi.restricted[y]),
            "exposure_lo": round(float(result.lo.exposure[y]), 9),
            "exposure_hi": round(float(result.hi.exposure[y]), 9),
            "ultimate_controllers": _controllers(arrays, result, ctl, index, y),
            "evidence": evidence if with_evidence else None,
            "flags": flags,
            **why.entity(y, evidence or {}),
        }
        yield record


def derived_results(arrays: GraphArrays, result: ControlResult) -> list[DerivedResult]:
    """Store rows for a generation: verdict, exposure and ultimate controller ids."""
    ctl = ultimate_controllers(result.prepared)
    out = []
    names = result.policy.name
    for y in range(arrays.n_entities):
        tops = tuple(str(arrays.ids[t]) for t in ctl.of(y))
        out.append(DerivedResult(
            entity_id=str(arrays.ids[y]), policy=names, verdict=result.verdict_name(y),
            exposure_lo=float(result.lo.exposure[y]), exposure_hi=float(result.hi.exposure[y]),
            controllers=tops))
    return out
