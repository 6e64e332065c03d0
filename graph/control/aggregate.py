"""Aggregate mode: the least fixpoint R ⊇ roots with y ∈ R when the holdings of R in y pass
the threshold (summed over owners, or per owner), or some z ∈ R fully controls y.

Monotone, so a frontier iteration terminates: each round pushes only the out-edges of the
entities that joined R in the previous round (a sparse mat-vec restricted to the frontier);
total work is O(edges · log) whatever the depth or the cycles.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class AggregateInput:
    n: int
    n_measures: int
    owner: npt.NDArray[np.int32]
    owned: npt.NDArray[np.int32]
    cls: npt.NDArray[np.int16]  # share measure (or >= n_measures for control rows)
    value: I64  # quantized share (0 for control rows)
    ctrl: B  # row confers full control
    threshold_q: int
    inclusive: bool
    per_owner: bool


def passes(q: I64, threshold_q: int, inclusive: bool) -> B:
    return q >= threshold_q if inclusive else q > threshold_q


def _csr(owner: npt.NDArray[np.int32], n: int) -> tuple[I64, I64]:
    order = np.argsort(owner, kind="stable").astype(np.int64)
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=n), out=ptr[1:])
    return order, ptr


def _gather(frontier: I64, order: I64, ptr: I64) -> I64:
    """Row indices of every out-edge of the frontier entities."""
    starts, ends = ptr[frontier], ptr[frontier + 1]
    counts = ends - starts
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.cumsum(counts) + counts, counts)
    return order[offsets + np.arange(total, dtype=np.int64)]


def _dedupe(values: I64) -> I64:
    """Sorted distinct values (sorting beats np.unique's hashing on large frontiers)."""
    if len(values) == 0:
        return values
    values = np.sort(values)
    return values[np.concatenate(([True], values[1:] != values[:-1]))]


def _accumulate(acc: I64, slot: I64, value: I64, per_owner: bool) -> I64:
    """Add (or max) the values into acc[slot]; returns the touched slots."""
    touched, inverse = np.unique(slot, return_inverse=True)
    if per_owner:
        best = np.zeros(len(touched), dtype=np.int64)
        np.maximum.at(best, inverse, value)
        acc[touched] = np.maximum(acc[touched], best)
    else:
        # integer sums < 2**53 are exact in float64 weights
        acc[touched] += np.rint(np.bincount(inverse, weights=value)).astype(np.int64)
    return touched


def aggregate_fixpoint(inp: AggregateInput, roots: B, extra: I64 | None = None
                       ) -> tuple[B, I64, B]:
    """Returns (restricted, holding, controlled).

    holding[y] = the largest over measures of the restricted owners' holding in y (plus
    ``extra``, a virtual unknown owner's share, in the pessimistic evaluation); controlled[y]
    = some restricted entity holds a full-control interest in y."""
    n, m = inp.n, inp.n_measures
    acc = np.zeros(m * n, dtype=np.int64)
    if extra is not None:
        acc += np.tile(extra, m)
    restricted = roots.copy()
    controlled = np.zeros(n, dtype=np.bool_)
    share_rows = ~inp.ctrl & (inp.value > 0) & (inp.cls < m)
    order, ptr = _csr(np.where(share_rows | inp.ctrl, inp.owner, n).astype(np.int64), n + 1)
    ptr = ptr[: n + 1]
    start = passes(acc.reshape(m, n), inp.threshold_q, inp.inclusive).any(axis=0)
    frontier = np.flatnonzero(restricted | start).astype(np.int64)
    restricted[frontier] = True
    while len(frontier):
        rows = _gather(frontier, order, ptr)
        if len(rows) == 0:
            break
        srows = rows[share_rows[rows]]
        slots = _accumulate(acc, inp.cls[srows].astype(np.int64) * n + inp.owned[srows],
                            inp.value[srows], inp.per_owner)
        crow_targets = inp.owned[rows[inp.ctrl[rows]]].astype(np.int64)
        controlled[crow_targets] = True
        cand = _dedupe(np.concatenate([slots % n, crow_targets]))
        cand = cand[~restricted[cand]]
        hit = controlled[cand] | passes(acc.reshape(m, n)[:, cand], inp.threshold_q,
                                        inp.inclusive).any(axis=0)
        frontier = cand[hit]
        restricted[frontier] = True
    holding = acc.reshape(m, n).max(axis=0) if m else np.zeros(n, dtype=np.int64)
    return restricted, holding, controlled
