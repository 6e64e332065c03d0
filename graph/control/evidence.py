"""Evidence for BLOCK / REVIEW: the stakes, and paths from roots, carrying the exposure.

Computed per entity on demand (bounded), from the combined stakes; each stake lists the
indices and keys of the edges (statements) behind it so the API can attach provenance.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from graph.arrays import INTEREST_KIND_CODES, GraphArrays
from graph.control.combine import Prepared, exclusive, to_fraction
from graph.control.engine import BLOCK, REVIEW, ControlResult

MAX_STAKES = 50
MAX_PATHS = 5


@dataclass
class InboundIndex:
    """Combined stakes grouped by owned entity."""

    order: npt.NDArray[np.int64]
    ptr: npt.NDArray[np.int64]

    @classmethod
    def build(cls, prep: Prepared) -> InboundIndex:
        order = np.argsort(prep.owned, kind="stable").astype(np.int64)
        ptr = np.zeros(prep.n + 1, dtype=np.int64)
        np.cumsum(np.bincount(prep.owned, minlength=prep.n), out=ptr[1:])
        return cls(order, ptr)

    def rows(self, y: int) -> npt.NDArray[np.int64]:
        return self.order[self.ptr[y]: self.ptr[y + 1]]


def _stake(arrays: GraphArrays, prep: Prepared, row: int) -> dict[str, Any]:
    members = prep.member_edges[prep.group_start[row]: prep.group_start[row + 1]]
    keys = arrays.edge_key if len(arrays.edge_key) == arrays.n_edges else None
    kinds = sorted({INTEREST_KIND_CODES[int(k)].value for k in arrays.edge_kind[members]})
    return {
        "owner": str(arrays.ids[prep.owner[row]]), "owned": str(arrays.ids[prep.owned[row]]),
        "kinds": kinds, "control": bool(prep.control[row]),
        "share_lo": float(to_fraction(prep.q_lo[row])), "share_hi": float(to_fraction(prep.q_hi[row])),
        "open_lo": bool(exclusive(prep.q_lo[row]) > 0), "conflict": bool(prep.conflict[row]),
        "edges": [int(e) for e in members],
        "keys": [str(keys[e]) for e in members] if keys is not None else [],
    }


def _carries(result: ControlResult, row: int, bound: str) -> bool:
    prep = result.prepared
    b = result.lo if bound == "lo" else result.hi
    owner = int(prep.owner[row])
    if not b.restricted[owner] and not (result.policy.mode == "effective" and b.exposure[owner] > 0):
        return False
    if prep.control[row]:
        return bool(prep.ctrl_lo[row] if bound == "lo" else prep.ctrl_hi[row])
    return bool((prep.q_lo[row] if bound == "lo" else prep.q_hi[row]) > 0)


def explain(arrays: GraphArrays, result: ControlResult, y: int,
            index: InboundIndex | None = None) -> dict[str, Any] | None:
    """Stakes and root paths behind entity y's BLOCK / REVIEW; None for other verdicts."""
    verdict = int(result.verdict[y])
    if verdict not in (BLOCK, REVIEW):
        return None
    bound = "lo" if verdict == BLOCK else "hi"
    prep = result.prepared
    index = index or InboundIndex.build(prep)
    if result.roots[y]:
        return {"bound": bound, "root": True, "stakes": [], "paths": [[str(arrays.ids[y])]]}
    stakes: list[dict[str, Any]] = []
    parent: dict[int, int] = {y: -1}
    owners_of: dict[int, list[int]] = {}
    queue = deque([y])
    weight = prep.q_lo if bound == "lo" else prep.q_hi
    truncated = False
    while queue and not truncated:
        node = queue.popleft()
        rows = [int(r) for r in index.rows(node) if _carries(result, int(r), bound)]
        rows.sort(key=lambda r: (not prep.control[r], -int(weight[r])))
        truncated = len(stakes) + len(rows) > MAX_STAKES
        for row in rows[: MAX_STAKES - len(stakes)]:
            stakes.append(_stake(arrays, prep, row))
            owner = int(prep.owner[row])
            owners_of.setdefault(node, []).append(owner)
            if owner in parent:
                continue
            parent[owner] = node
            if not result.roots[owner]:
                queue.append(owner)
    paths = [[str(arrays.ids[i]) for i in path]
             for path in _paths_per_direct_owner(result.roots, y, owners_of)]
    return {"bound": bound, "root": False, "stakes": stakes, "paths": paths,
            "truncated": truncated or bool(queue)}


def _paths_per_direct_owner(roots: npt.NDArray[np.bool_], y: int,
                            owners_of: dict[int, list[int]]) -> list[list[int]]:
    """One shortest root path through each direct owner that carries y's exposure.

    In aggregate mode several owners together pass the threshold (40 % from a root plus
    20 % from a restricted subsidiary): every one of them must appear, not only the first
    root reached."""
    paths: list[list[int]] = []
    for direct in dict.fromkeys(owners_of.get(y, [])):
        path = _shortest_to_root(direct, owners_of, roots, y)
        if path is not None:
            paths.append([*path, y])
        if len(paths) >= MAX_PATHS:
            break
    return paths


def _shortest_to_root(start: int, owners_of: dict[int, list[int]],
                      roots: npt.NDArray[np.bool_], avoid: int) -> list[int] | None:
    """Root -> ... -> start along the carrying stakes, by breadth-first search upwards."""
    parent: dict[int, int | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if roots[node]:
            path: list[int] = []
            cur: int | None = node
            while cur is not None:
                path.append(cur)
                cur = parent[cur]
            return path
        for owner in owners_of.get(node, []):
            if owner not in parent and owner != avoid:
                parent[owner] = node
                queue.append(owner)
    return None
