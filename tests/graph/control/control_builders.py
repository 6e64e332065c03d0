"""Small graph builders for the control tests."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from graph.arrays import GraphArrays
from graph.control.engine import ControlResult, evaluate
from graph.control.files import EdgeRow, EntityRow, arrays_from_rows
from graph.control.policies import Policy, resolve_policy


def ent(id: str, **kw: Any) -> EntityRow:
    if "flags" in kw:
        kw["flags"] = frozenset(kw["flags"])
    if "exceptions" in kw:
        kw["exceptions"] = frozenset(kw["exceptions"])
    return EntityRow(id, **kw)


def own(owner: str, owned: str, lo: float, hi: float | None = None, **kw: Any) -> EdgeRow:
    return EdgeRow(owner, owned, share_lo=lo, share_hi=lo if hi is None else hi, **kw)


def policy(name: str, **overrides: Any) -> Policy:
    return replace(resolve_policy(name), **overrides)


def run(entities: list[EntityRow], edges: list[EdgeRow], pol: Policy | str,
        as_of: str = "2026-06-01") -> tuple[GraphArrays, ControlResult, dict[str, str]]:
    arrays = arrays_from_rows(entities, edges)
    chosen = resolve_policy(pol) if isinstance(pol, str) else pol
    result = evaluate(arrays, chosen, as_of)
    verdicts = {str(arrays.ids[i]): result.verdict_name(i) for i in range(arrays.n_entities)}
    return arrays, result, verdicts
