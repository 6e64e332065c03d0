"""Effective (look-through) mode: e_y = Σ_z w(z→y)·(1 if z is a root else e_z) + c_y.

Cross-holdings make this a linear system. It is solved exactly: strongly connected components
of the non-root ownership graph are condensed, the condensation is walked in topological
levels, acyclic entities get their value by one gather, and the cyclic components of a level
are solved together as one sparse block-diagonal system (I − Aᵀ)x = rhs.

Entities whose inbound shares sum over 1 even at their lower bounds are over-reported (flagged
by the engine); their inbound weights are scaled to sum to 1 in every evaluation, so the
system is substochastic. Within a cycle, entities not reachable from any positive inflow keep
the least solution 0 (this is what makes a closed 100 % loop terminate with 0 instead of being
singular); the rest of the block is then non-singular. Upper bounds of bands may still sum
over 1 in a cycle: then the block's least fixpoint of e = min(1, rhs + Aᵀe) is iterated.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from graph.control.rings import RingPlan, small_ring_edges, solve_level_rings

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]
TOLERANCE = 1e-12

if TYPE_CHECKING:
    import scipy.sparse as sp

# scipy is imported where a system is solved, not with the module: reading a published
# generation (``ownergraph screen``, servers) needs the engine's result types, not its solver.


def passes_float(e: F64, threshold: float, inclusive: bool) -> B:
    return e >= threshold - TOLERANCE if inclusive else e > threshold + TOLERANCE


def inbound_scale(owned: I64, weight: F64, n: int) -> F64:
    """Per entity, the factor that brings inbound weights summing over 1 back to 1."""
    inbound = np.bincount(owned, weights=weight, minlength=n)
    return np.where(inbound > 1.0, 1.0 / np.maximum(inbound, 1e-300), 1.0)


def _levels(labels: I64, n_comp: int, src: I64, dst: I64) -> I64:
    """Longest-path level of each condensed component (Kahn's algorithm in rounds)."""
    cu, cv = labels[src], labels[dst]
    cross = cu != cv
    cu, cv = cu[cross], cv[cross]
    indeg = np.bincount(cv, minlength=n_comp)
    order = np.argsort(cu)
    ptr = np.zeros(n_comp + 1, dtype=np.int64)
    np.cumsum(np.bincount(cu, minlength=n_comp), out=ptr[1:])
    cv_sorted = cv[order]
    level = np.zeros(n_comp, dtype=np.int64)
    frontier = np.flatnonzero(indeg == 0)
    depth = 0
    while len(frontier):
        level[frontier] = depth
        starts, counts = ptr[frontier], ptr[frontier + 1] - ptr[frontier]
        total = int(counts.sum())
        if total == 0:
            break
        pos = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(total)
        targets = cv_sorted[pos]
        np.subtract.at(indeg, targets, 1)
        done = targets[indeg[targets] == 0]
        done.sort()  # dedupe by sorting: cheaper than np.unique on many small rounds
        frontier = done[np.concatenate(([True], done[1:] != done[:-1]))] if len(done) else done
        depth += 1
    return level


def _capped_fixpoint(a_t: sp.csr_matrix, rhs: F64, rounds: int = 100_000) -> F64:
    """Least fixpoint of x = min(1, rhs + Aᵀx) (monotone from 0, bounded, so it converges)."""
    x = np.zeros(len(rhs))
    for _ in range(rounds):
        nxt = np.minimum(1.0, rhs + a_t @ x)
        if np.abs(nxt - x).max() <= 1e-15:
            return np.asarray(nxt, dtype=np.float64)
        x = nxt
    return np.asarray(x, dtype=np.float64)


DENSE_BLOCK = 48  # small blocks: dense algebra beats building sparse matrices


def _solve_dense(k: int, ls: I64, ld: I64, w: F64, rhs: F64) -> F64:
    a = np.zeros((k, k))
    np.add.at(a, (ls, ld), w)
    live = rhs > 0
    while True:  # entities reachable from positive inflow
        grown = live | (a[live] > 0).any(axis=0)
        if (grown == live).all():
            break
        live = grown
    values = np.zeros(k)
    if not live.any():
        return values
    sub = a[np.ix_(live, live)]
    try:
        x = np.linalg.solve(np.eye(int(live.sum())) - sub.T, rhs[live])
        ok = bool(np.isfinite(x).all() and x.min() >= -1e-9 and x.max() <= 1 + 1e-9)
    except np.linalg.LinAlgError:
        ok = False
    if not ok:
        import scipy.sparse as sp

        x = _capped_fixpoint(sp.csr_matrix(sub.T), rhs[live])
    values[live] = np.clip(x, 0.0, None)
    return values


def _solve_block(e: F64, src: I64, dst: I64, w: F64) -> None:
    """Solve the cyclic components of one level in place (their rhs already sits in e)."""
    import scipy.sparse as sp
    from scipy.sparse import csgraph
    from scipy.sparse.linalg import MatrixRankWarning, spsolve

    nodes, local = np.unique(np.concatenate([src, dst]), return_inverse=True)
    k = len(nodes)
    ls, ld = local[: len(src)], local[len(src):]
    rhs = e[nodes]
    if k <= DENSE_BLOCK:
        e[nodes] = _solve_dense(k, ls, ld, w, rhs)
        return
    # reachability from positive inflow, through a virtual source k
    seeds = np.flatnonzero(rhs > 0)
    g = sp.csr_matrix((np.ones(len(ls) + len(seeds)),
                       (np.concatenate([ls, np.full(len(seeds), k)]),
                        np.concatenate([ld, seeds]))), shape=(k + 1, k + 1))
    reached = csgraph.breadth_first_order(g, k, directed=True, return_predecessors=False)
    live = np.zeros(k + 1, dtype=np.bool_)
    live[reached] = True
    live = live[:k]
    if not live.any():
        e[nodes] = 0.0
        return
    keep = live[ls] & live[ld]
    remap = np.cumsum(live) - 1
    size = int(live.sum())
    a_t = sp.csc_matrix((w[keep], (remap[ld[keep]], remap[ls[keep]])), shape=(size, size))
    system = (sp.identity(size, format="csc") - a_t).tocsc()
    with warnings.catch_warnings():  # a singular block is handled just below
        warnings.simplefilter("ignore", MatrixRankWarning)
        x = np.atleast_1d(spsolve(system, rhs[live]))
    if not (np.isfinite(x).all() and x.min() >= -1e-9 and x.max() <= 1 + 1e-9):
        x = _capped_fixpoint(a_t.tocsr(), rhs[live])
    values = np.zeros(k)
    values[live] = np.clip(x, 0.0, None)
    e[nodes] = values


@dataclass(frozen=True)
class Plan:
    """The graph's condensation in topological levels, shared by every evaluation (lo, hi,
    pessimistic) over the same edges: only weights and roots change between them."""

    n: int
    order: I64  # edge permutation: by level of the owned entity, acyclic inflow first
    bounds: I64  # edges of level L: order[bounds[L]:bounds[L+1]]
    small: I64  # within level L, edges inside small rings start at small[L] ...
    large: I64  # ... and edges inside larger cyclic components at large[L]
    rings: RingPlan

    @classmethod
    def build(cls, n: int, owner: I64, owned: I64) -> Plan:
        import scipy.sparse as sp
        from scipy.sparse import csgraph

        graph = sp.csr_matrix((np.ones(len(owner), dtype=np.int8), (owner, owned)),
                              shape=(n, n))
        n_comp, labels = csgraph.connected_components(graph, directed=True,
                                                      connection="strong")
        labels64: I64 = labels.astype(np.int64)
        comp_level = _levels(labels64, n_comp, owner, owned)
        edge_level = comp_level[labels64[owned]]
        intra = labels64[owner] == labels64[owned]
        # 0: acyclic inflow, 1: inside a small ring, 2: inside a larger cyclic component
        kind = np.where(small_ring_edges(labels64, n_comp, owner, owned), 1, 2 * intra)
        key = edge_level * 3 + kind
        order = np.argsort(key, kind="stable")
        key = key[order]
        n_levels = int(comp_level.max()) + 1 if n_comp else 0
        steps = 3 * np.arange(n_levels + 1)
        bounds = np.searchsorted(key, steps)
        small = np.searchsorted(key, steps[:-1] + 1)
        large = np.searchsorted(key, steps[:-1] + 2)
        ring_edges = order[key % 3 == 1]
        rings = RingPlan.build(labels64, owner[ring_edges], owned[ring_edges],
                               edge_level[ring_edges], n_levels)
        return cls(n, order.astype(np.int64), bounds.astype(np.int64),
                   small.astype(np.int64), large.astype(np.int64), rings)


def effective_exposure(n: int, owner: I64, owned: I64, weight: F64, roots: B,
                       extra: F64 | None = None, scale: F64 | None = None,
                       plan: Plan | None = None) -> F64:
    """Look-through exposure of every entity (roots report 1.0). ``scale``: per-entity factor
    for inbound weights (default: from these weights); ``plan``: a Plan built on the same
    (owner, owned) edges, to share the condensation between evaluations."""
    weight = weight * (inbound_scale(owned, weight, n) if scale is None else scale)[owned]
    weight = np.where(roots[owned], 0.0, weight)  # a root's own value is fixed at 1
    plan = plan or Plan.build(n, owner, owned)
    e = np.zeros(n) if extra is None else extra.astype(np.float64).copy()
    e[roots] = 1.0
    src, dst, w = owner[plan.order], owned[plan.order], weight[plan.order]
    offset = 0  # position of this level's small-ring edges in the RingPlan arrays
    for lev in range(len(plan.small)):
        a, small, large = int(plan.bounds[lev]), int(plan.small[lev]), int(plan.large[lev])
        b = int(plan.bounds[lev + 1])
        if small > a:  # acyclic inflow from lower levels, whose values are final
            np.add.at(e, dst[a:small], w[a:small] * e[src[a:small]])
            e[dst[a:small]] = np.minimum(e[dst[a:small]], 1.0)
        if large > small:
            if w[small:large].max() > 0:
                solve_level_rings(e, plan.rings, lev, (small, large, offset), (src, dst, w),
                                  _solve_block)
            offset += large - small
        if b > large:
            positive = w[large:b] > 0
            if positive.any():
                _solve_block(e, src[large:b][positive], dst[large:b][positive],
                             w[large:b][positive])
    e[roots] = 1.0
    return e
