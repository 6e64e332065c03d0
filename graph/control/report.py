"""Per-entity answers as plain dicts: the ``control eval`` JSON lines.

Controllers and INSUFFICIENT_DATA reasons come from ``answers.py`` (their one definition);
evidence here is the engine's full explanation (stakes with their edges, root paths).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graph.arrays import GraphArrays
from graph.control.answers import PolicyAnswers, answers_of
from graph.control.engine import ControlResult
from graph.control.evidence import InboundIndex, explain


def controller_dicts(arrays: GraphArrays, answers: PolicyAnswers, y: int,
                     restricted: Any) -> list[dict[str, Any]]:
    """Entity y's controllers as served (``restricted``: the lower-bound restricted column)."""
    out = []
    for pos, basis, lo, hi, direct in answers.controllers.of(y):
        row: dict[str, Any] = {"id": str(arrays.ids[pos]), "basis": basis.label,
                               "restricted": bool(restricted[pos]), "direct": direct}
        if lo is not None:
            row.update(effective_lo=lo, effective_hi=hi)
        out.append(row)
    return out


def records(arrays: GraphArrays, result: ControlResult, *, with_evidence: bool = True
            ) -> Iterator[dict[str, Any]]:
    """One dict per entity: the ``control eval`` JSON line."""
    answers = answers_of(arrays, result)
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
            "ultimate_controllers": controller_dicts(arrays, answers, y, result.lo.restricted),
            "evidence": explain(arrays, result, y, index) if with_evidence else None,
            "flags": flags,
        }
        if y in answers.reasons:
            record["insufficient"] = answers.reasons[y]
        yield record
