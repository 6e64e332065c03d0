"""Effective (look-through) shares of every upstream owner in one entity, on demand.

x_z = Σ_w share(z→w) · x_w with x_y = 1: the share of y that z holds directly and through
everything it owns. Solved exactly (cycles included) on y's upstream subgraph, bounded to
MAX_UPSTREAM entities; ``truncated`` says when the bound cut the subgraph.
"""

from __future__ import annotations

import warnings
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.linalg import MatrixRankWarning, spsolve

from graph.control.combine import OPEN, SCALE, Prepared

MAX_UPSTREAM = 2000
DENSE = 48  # small upstream sets: dense algebra (single-threaded sizes) beats sparse setup
F64 = npt.NDArray[np.float64]
Rows = Callable[[int], npt.NDArray[np.int64]]


@dataclass
class Lookthrough:
    owners: list[int]  # upstream entities (y itself excluded)
    share_lo: F64
    share_hi: F64
    truncated: bool


def _upstream(prep: Prepared, rows_into: Rows, y: int) -> tuple[list[int], bool]:
    seen = {y}
    order = [y]
    queue = deque([y])
    while queue:
        node = queue.popleft()
        for row in rows_into(node):
            owner = int(prep.owner[row])
            if owner in seen or prep.control[row]:
                continue
            if len(order) >= MAX_UPSTREAM:
                return order, True
            seen.add(owner)
            order.append(owner)
            queue.append(owner)
    return order, False


def _solve(prep: Prepared, rows_into: Rows, nodes: list[int], q: npt.NDArray[np.int64]
           ) -> F64:
    k = len(nodes)
    if k == 1:
        return np.zeros(1)
    local = {node: i for i, node in enumerate(nodes)}
    best: dict[tuple[int, int], float] = {}
    for pos, node in enumerate(nodes):
        for row in rows_into(node):
            owner = local.get(int(prep.owner[row]))
            if owner is None or prep.control[row]:
                continue
            value = float(np.rint(q[row] / OPEN)) / SCALE
            best[(owner, pos)] = max(best.get((owner, pos), 0.0), value)
    src = np.fromiter((s for s, _ in best), dtype=np.int64, count=len(best))
    dst = np.fromiter((d for _, d in best), dtype=np.int64, count=len(best))
    weight = np.fromiter(best.values(), dtype=np.float64, count=len(best))
    rhs = np.zeros(k)
    rhs[0] = 1.0
    # x = A x + e_0  ->  (I - A) x = e_0
    if k <= DENSE:
        a = np.zeros((k, k))
        a[src, dst] = weight
        try:
            x = np.linalg.solve(np.eye(k) - a, rhs)
        except np.linalg.LinAlgError:  # a closed 100 % loop: no finite answer
            x = np.zeros(k)
    else:
        a_sp = sp.csc_matrix((weight, (src, dst)), shape=(k, k))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MatrixRankWarning)
            x = np.atleast_1d(spsolve((sp.identity(k, format="csc") - a_sp).tocsc(), rhs))
    if not np.isfinite(x).all():
        x = np.zeros(k)
    return np.asarray(np.clip(x, 0.0, 1.0), dtype=np.float64)


def lookthrough(prep: Prepared, rows_into: Rows, y: int) -> Lookthrough:
    nodes, truncated = _upstream(prep, rows_into, y)
    lo = _solve(prep, rows_into, nodes, prep.q_lo)
    hi = np.maximum(_solve(prep, rows_into, nodes, prep.q_hi), lo)
    return Lookthrough(nodes[1:], lo[1:], hi[1:], truncated)
