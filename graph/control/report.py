"""Per-entity answers as plain dicts: the ``control eval`` JSON lines.

Controllers come from ``answers.py`` (their one definition); evidence here is the engine's
full explanation (stakes with their edges, root paths); coverage, reasons, notes and the
one-line summary from ``explain.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graph.arrays import GraphArrays
from graph.control.answers import answers_of
from graph.control.engine import ControlResult
from graph.control.evidence import RootTree, explain
from graph.control.explain import Explainer, Labels
from graph.control.served import BLOCK, PolicyAnswers


def controller_dicts(arrays: GraphArrays, answers: PolicyAnswers, y: int,
                     restricted: Any) -> list[dict[str, Any]]:
    """Entity y's controllers as served (``restricted``: the lower-bound restricted column)."""
    out = []
    for pos, basis, lo, hi, direct in answers.controllers.of(y):
        row: dict[str, Any] = {"id": str(arrays.ids[pos]), "basis": basis.label,
                               "restricted": bool(restricted[pos]), "direct": direct}
        if lo is not None:
            row.update(share_lo=lo, share_hi=hi)
        out.append(row)
    return out


def records(arrays: GraphArrays, result: ControlResult, *, with_evidence: bool = True,
            labels: Labels | None = None) -> Iterator[dict[str, Any]]:
    """One dict per entity: the ``control eval`` JSON line, with the explanation
    (``coverage``, ``reasons``, ``notes``, ``summary``) of ``graph.control.explain``."""
    answers = answers_of(arrays, result)
    why = Explainer.build(arrays, result, labels)
    index = why.index
    trees = {b: RootTree.build(result, b) for b in ("lo", "hi")}
    for y in range(arrays.n_entities):
        flags = [name for name, col in (("inbound_over_one", result.inbound_over),
                                        ("conflicting_sources", result.conflict)) if col[y]]
        evidence = explain(arrays, result, y, index,
                           trees["lo" if result.verdict[y] == BLOCK else "hi"])
        record: dict[str, Any] = {
            "id": str(arrays.ids[y]), "policy": result.policy.name,
            "verdict": result.verdict_name(y),
            "restricted_lo": bool(result.lo.restricted[y]),
            "restricted_hi": bool(result.hi.restricted[y]),
            "exposure_lo": round(float(result.lo.exposure[y]), 9),
            "exposure_hi": round(float(result.hi.exposure[y]), 9),
            "ultimate_controllers": controller_dicts(arrays, answers, y, result.lo.restricted),
            "evidence": evidence if with_evidence else None,
            "flags": flags,
            **why.entity(y, evidence or {}),
        }
        yield record
