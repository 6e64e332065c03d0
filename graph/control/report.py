"""Per-entity answers as plain dicts (one JSON line each) and as store results."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from graph.arrays import GraphArrays
from graph.control.combine import UNIT, to_fraction
from graph.control.controllers import Controllers, ultimate_controllers
from graph.control.engine import INSUFFICIENT, ControlResult
from graph.control.evidence import InboundIndex, explain
from graph.store import DerivedResult

SIGNIFICANT_Q = UNIT // 4  # 25 %: the usual "significant control" floor
MAX_OWNERS = 10


def significant_owners(arrays: GraphArrays, result: ControlResult, index: InboundIndex,
                       y: int) -> list[dict[str, Any]]:
    """Owners of y holding at least 25 % (upper bound) of some measure, largest first."""
    prep = result.prepared
    best: dict[int, tuple[int, int]] = {}
    for row in index.rows(y):
        if prep.control[row] or prep.q_hi[row] < SIGNIFICANT_Q:
            continue
        owner = int(prep.owner[row])
        lo, hi = best.get(owner, (0, 0))
        best[owner] = (max(lo, int(prep.q_lo[row])), max(hi, int(prep.q_hi[row])))
    ranked = sorted(best.items(), key=lambda kv: (-kv[1][1], -kv[1][0]))[:MAX_OWNERS]
    return [{"id": str(arrays.ids[o]), "basis": "significant_owner",
             "share_lo": float(to_fraction(np.int64(lo))), "share_hi": float(to_fraction(np.int64(hi))),
             "restricted": bool(result.lo.restricted[o])} for o, (lo, hi) in ranked]


def _controllers(arrays: GraphArrays, result: ControlResult, ctl: Controllers,
                 index: InboundIndex, y: int) -> list[dict[str, Any]]:
    tops = ctl.of(y)
    if not tops:
        return significant_owners(arrays, result, index, y)
    basis = "cycle" if ctl.cycle_label[y] >= 0 else "majority_chain"
    return [{"id": str(arrays.ids[t]), "basis": basis,
             "restricted": bool(result.lo.restricted[t])} for t in tops]


def _insufficient(arrays: GraphArrays, result: ControlResult, y: int) -> dict[str, Any]:
    reasons: dict[str, Any] = {"unaccounted_share": round(float(result.unaccounted[y]), 9)}
    exceptions = [name for name, col in arrays.exceptions.items() if col[y]]
    if exceptions:
        reasons["reporting_exceptions"] = sorted(exceptions)
    return reasons


def records(arrays: GraphArrays, result: ControlResult, *, with_evidence: bool = True
            ) -> Iterator[dict[str, Any]]:
    """One dict per entity: the ``control eval`` JSON line."""
    ctl = ultimate_controllers(result.prepared)
    index = InboundIndex.build(result.prepared)
    for y in range(arrays.n_entities):
        flags = [name for name, col in (("inbound_over_one", result.inbound_over),
                                        ("conflicting_sources", result.conflict)) if col[y]]
        record: dict[str, Any] = {
            "id": str(arrays.ids[y]), "policy": result.policy.name,
            "verdict": result.verdict_name(y),
            "restricted_lo": bool(result.lo.restricted[y]),
            "restricted_hi": bool(result.hi.restricted[y]),
            "exposure_lo": round(float(result.lo.exposure[y]), 9),
            "exposure_hi": round(float(result.hi.exposure[y]), 9),
            "ultimate_controllers": _controllers(arrays, result, ctl, index, y),
            "evidence": explain(arrays, result, y, index) if with_evidence else None,
            "flags": flags,
        }
        if result.verdict[y] == INSUFFICIENT:
            record["insufficient"] = _insufficient(arrays, result, y)
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
