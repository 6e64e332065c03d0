"""Small ownership rings (cross-holdings of a few entities) solved in batches.

Most cyclic components are rings of 2..8 entities. Solving each through sparse matrices or
one dense matrix per ring costs fixed overhead per call; here the rings of one level are
stacked into (m, s, s) arrays (s: the level's largest ring, smaller rings padded with
identity rows) and solved with one ``np.linalg.solve``. The layout depends only on the
edges, so it is built once per Plan. Semantics are those of the dense solver in
``effective``: entities not reachable from positive inflow keep 0, and a ring whose exact
solution is not a valid exposure (upper bounds of bands summing over 1) goes to the
caller's fallback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
I8 = npt.NDArray[np.int8]
B = npt.NDArray[np.bool_]
SMALL_RING = 8  # rings up to this size are batched; larger ones take the sparse path

Fallback = Callable[[F64, I64, I64, F64], None]


def small_ring_edges(labels: I64, n_comp: int, owner: I64, owned: I64) -> B:
    """Edges inside a cyclic component of at most SMALL_RING entities."""
    size = np.bincount(labels, minlength=n_comp)
    ring = size[labels[owned]]
    return np.asarray((labels[owner] == labels[owned]) & (ring <= SMALL_RING), dtype=np.bool_)


@dataclass(frozen=True)
class RingPlan:
    """Small-ring edges in plan order: ring index, and the owner's / owned's rank inside
    their ring. Rings of level L are rings[ring_bounds[L]:ring_bounds[L+1]]."""

    ring: I64
    pos_src: I8
    pos_dst: I8
    nodes: I64  # (rings, SMALL_RING) member entities, -1 past the ring's size
    ring_bounds: I64
    width: I64  # per level, the largest ring size

    @classmethod
    def build(cls, labels: I64, src: I64, dst: I64, edge_level: I64, n_levels: int) -> RingPlan:
        """``src, dst, edge_level``: the small-ring edges in plan order (sorted by level)."""
        lab = labels[dst]
        _, first, inverse = np.unique(lab, return_index=True, return_inverse=True)
        rank = np.empty(len(first), dtype=np.int64)
        rank[np.argsort(first, kind="stable")] = np.arange(len(first))
        ring = rank[inverse]  # numbered in plan order: a level's rings are contiguous
        members = np.unique(ring * (len(labels) + 1) + dst)  # (ring, entity) pairs, sorted
        m_ring, m_node = members // (len(labels) + 1), members % (len(labels) + 1)
        starts = np.searchsorted(m_ring, np.arange(len(first)))
        m_pos = np.arange(len(members)) - starts[m_ring]
        nodes = np.full((len(first), SMALL_RING), -1, dtype=np.int64)
        nodes[m_ring, m_pos] = m_node
        pos_dst = m_pos[np.searchsorted(members, ring * (len(labels) + 1) + dst)]
        pos_src = m_pos[np.searchsorted(members, ring * (len(labels) + 1) + src)]
        ring_level = np.zeros(len(first), dtype=np.int64)
        ring_level[ring] = edge_level
        ring_bounds = np.searchsorted(ring_level, np.arange(n_levels + 1))
        size = np.bincount(m_ring, minlength=len(first))
        width = np.zeros(n_levels, dtype=np.int64)
        np.maximum.at(width, ring_level, size)
        return cls(ring, pos_src.astype(np.int8), pos_dst.astype(np.int8), nodes,
                   ring_bounds.astype(np.int64), width)


def _live(a: F64, rhs: F64) -> B:
    """Per ring, entities reachable from positive inflow (s rounds reach every member)."""
    live = rhs > 0
    reach = (a > 0).astype(np.float64)
    for _ in range(a.shape[1] - 1):
        live = live | (np.einsum("mi,mij->mj", live.astype(np.float64), reach) > 0)
    return live


def solve_level_rings(e: F64, plan: RingPlan, level: int, span: tuple[int, int, int],
                      edges: tuple[I64, I64, F64], fallback: Fallback) -> None:
    """Solve the small rings of one level in place (their rhs already sits in e).
    ``span``: (first small-ring edge of the level in plan order, end, its offset in the
    RingPlan arrays); ``edges``: src, dst, w of the whole plan order."""
    lo, hi, off = span
    r0, r1, s = int(plan.ring_bounds[level]), int(plan.ring_bounds[level + 1]), int(
        plan.width[level])
    m = r1 - r0
    nodes = plan.nodes[r0:r1, :s]
    valid = nodes >= 0
    idx = slice(off, off + hi - lo)
    flat = ((plan.ring[idx] - r0) * s + plan.pos_src[idx]) * s + plan.pos_dst[idx]
    a: F64 = np.bincount(flat, weights=edges[2][lo:hi], minlength=m * s * s).astype(
        np.float64, copy=False).reshape(m, s, s)
    rhs = np.where(valid, e[nodes], 0.0)
    live = _live(a, rhs)
    a *= live[:, :, None] & live[:, None, :]
    try:
        x = np.linalg.solve(np.eye(s) - a.transpose(0, 2, 1), rhs[:, :, None])[:, :, 0]
        ok = np.isfinite(x).all(axis=1) & (x.min(axis=1) >= -1e-9) & (x.max(axis=1) <= 1 + 1e-9)
    except np.linalg.LinAlgError:  # one singular ring: every ring of the level falls back
        x, ok = np.zeros((m, s)), np.zeros(m, dtype=np.bool_)
    keep = valid & ok[:, None]
    e[nodes[keep]] = np.clip(x[keep], 0.0, None)
    if not ok.all():
        bad = ~ok[plan.ring[idx] - r0] & (edges[2][lo:hi] > 0)
        if bad.any():
            fallback(e, edges[0][lo:hi][bad], edges[1][lo:hi][bad], edges[2][lo:hi][bad])
