"""Evidence for BLOCK / REVIEW: the stakes, and paths from roots, carrying the exposure.

Paths: for each direct owner whose stake carries the exposure (at the verdict's bound),
the shortest chain of carrying stakes from a root down to it (``RootTree``: one search from
all roots at once, for every entity). ``explain`` adds the stakes behind an entity (bounded),
each with the indices and keys of the edges (statements) behind it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from graph.arrays import INTEREST_KIND_CODES, GraphArrays
from graph.control.combine import Prepared, exclusive, to_fraction
from graph.control.engine import ControlResult
from graph.control.served import BLOCK, REVIEW

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


def carrying(result: ControlResult, bound: str,
             rows: npt.NDArray[np.int64] | None = None) -> npt.NDArray[np.bool_]:
    """Per stake (all, or these rows): does it carry exposure at this bound (a restricted
    owner, or in effective mode any exposed owner, with a share or full control that counts)."""
    prep = result.prepared
    at = np.arange(len(prep.owner)) if rows is None else rows
    b = result.lo if bound == "lo" else result.hi
    owner = prep.owner[at]
    owner_counts = b.restricted[owner]
    if result.policy.mode == "effective":
        owner_counts = owner_counts | (b.exposure[owner] > 0)
    counts = np.where(prep.control[at], (prep.ctrl_lo if bound == "lo" else prep.ctrl_hi)[at],
                      (prep.q_lo if bound == "lo" else prep.q_hi)[at] > 0)
    return np.asarray(owner_counts & counts, dtype=np.bool_)


def _order(prep: Prepared, rows: npt.NDArray[np.int64], bound: str) -> npt.NDArray[np.int64]:
    """Rows strongest first: full control, then the larger share, then the lower row."""
    weight = prep.q_lo if bound == "lo" else prep.q_hi
    return rows[np.lexsort((rows, -weight[rows], ~prep.control[rows]))]


@dataclass
class RootTree:
    """Each reached entity's stake toward its nearest root at one bound (-1: a root itself or
    not reached), found by one breadth-first search down the carrying stakes."""

    bound: str
    via: npt.NDArray[np.int64]

    @classmethod
    def build(cls, result: ControlResult, bound: str) -> RootTree:
        prep = result.prepared
        rows = np.flatnonzero(carrying(result, bound)).astype(np.int64)
        via = np.full(prep.n, -1, dtype=np.int64)
        seen = result.roots.copy()
        frontier = result.roots.copy()
        while frontier.any() and len(rows):
            step = rows[frontier[prep.owner[rows]] & ~seen[prep.owned[rows]]]
            if len(step) == 0:
                break
            step = _order(prep, step, bound)
            owned = prep.owned[step]
            _, first = np.unique(owned, return_index=True)  # the strongest stake per entity
            chosen = step[first]
            via[prep.owned[chosen]] = chosen
            frontier = np.zeros(prep.n, dtype=np.bool_)
            frontier[prep.owned[chosen]] = True
            seen |= frontier
        return cls(bound, via)

    def rows_from_root(self, prep: Prepared, start: int) -> list[int]:
        """The stakes root -> ... -> start (empty when start is a root or unreached)."""
        out: list[int] = []
        node = start
        while self.via[node] >= 0 and len(out) < prep.n:
            row = int(self.via[node])
            out.append(row)
            node = int(prep.owner[row])
        return out[::-1]


def root_paths(result: ControlResult, index: InboundIndex, tree: RootTree, y: int,
               limit: int = MAX_PATHS) -> list[list[int]]:
    """Stake rows of one shortest root path through each direct owner carrying y's exposure,
    strongest owner first. In aggregate mode several owners together pass the threshold
    (40 % from a root plus 20 % from a restricted subsidiary): each of them is shown."""
    prep = result.prepared
    rows = index.rows(y)
    paths: list[list[int]] = []
    owners: set[int] = set()
    for row in _order(prep, rows[carrying(result, tree.bound, rows)], tree.bound).tolist():
        owner = int(prep.owner[row])
        if owner in owners:
            continue
        owners.add(owner)
        paths.append([*tree.rows_from_root(prep, owner), row])
        if len(paths) >= limit:
            break
    return paths


def explain(arrays: GraphArrays, result: ControlResult, y: int,
            index: InboundIndex | None = None, tree: RootTree | None = None
            ) -> dict[str, Any] | None:
    """Stakes and root paths behind entity y's BLOCK / REVIEW; None for other verdicts.
    (``tree``: the root tree at y's verdict bound, when the caller has it already.)"""
    verdict = int(result.verdict[y])
    if verdict not in (BLOCK, REVIEW):
        return None
    bound = "lo" if verdict == BLOCK else "hi"
    prep = result.prepared
    index = index or InboundIndex.build(prep)
    if result.roots[y]:
        return {"bound": bound, "root": True, "stakes": [], "paths": [[str(arrays.ids[y])]]}
    stakes: list[dict[str, Any]] = []
    seen = {y}
    queue = deque([y])
    truncated = False
    while queue and not truncated:
        node = queue.popleft()
        rows = index.rows(node)
        rows = _order(prep, rows[carrying(result, bound, rows)], bound).tolist()
        truncated = len(stakes) + len(rows) > MAX_STAKES
        for row in rows[: MAX_STAKES - len(stakes)]:
            stakes.append(_stake(arrays, prep, row))
            owner = int(prep.owner[row])
            if owner not in seen and not result.roots[owner]:
                seen.add(owner)
                queue.append(owner)
    tree = tree if tree is not None and tree.bound == bound else RootTree.build(result, bound)
    paths = [[str(arrays.ids[prep.owner[rows[0]]]), *(str(arrays.ids[prep.owned[r]]) for r in rows)]
             for rows in root_paths(result, index, tree, y)]
    return {"bound": bound, "root": False, "stakes": stakes, "paths": paths,
            "truncated": truncated or bool(queue)}
