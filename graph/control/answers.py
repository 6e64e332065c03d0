"""Every entity's answer under one policy, computed once per generation.

This is the one place that turns an engine evaluation into what is served: the verdict,
the exposure bounds, the ultimate controllers (one definition, below) and the evidence paths
of every BLOCK / REVIEW. The generation artifact stores these arrays (and the evaluation
itself, from which ``explain.py`` words coverage, reasons and notes on request); the API,
the CLI, the UI, generation diffs and the store's ``Result`` nodes all read them from there
and never evaluate again.

Ultimate controllers: the top of the majority-control chain (``controllers.py``: certain
majority or full control, owners grouped by their own top, cycles returned whole). Where
nobody holds a majority, the significant owners instead: every owner that holds at least
``SIGNIFICANT`` (25 %, upper bound) directly or through entities it controls by majority,
largest first, at most ``MAX_OWNERS``. Holdings pass up a chain only through majority links,
as the UK PSC rules count indirect holdings (a 50 % holder of a 50 % holder is not listed);
the shares given are the holdings so counted, in bounds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from graph.arrays import GraphArrays
from graph.control.combine import UNIT, Prepared, to_fraction
from graph.control.controllers import Controllers as Ultimate
from graph.control.controllers import ultimate_controllers
from graph.control.engine import ControlResult, evaluate
from graph.control.evidence import InboundIndex, RootTree, carrying, root_paths
from graph.control.policies import Policy
from graph.control.served import (
    BLOCK,
    REVIEW,
    Basis,
    Controllers,
    Evidence,
    PolicyAnswers,
)

SIGNIFICANT = 0.25  # the usual "significant control" floor
MAX_OWNERS = 10  # significant owners listed per entity
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
ControllerRow = tuple[int, int, float, float, bool]  # controller, basis, share lo/hi, direct


def answers(arrays: GraphArrays, policy: Policy, as_of: dt.date | str | None = None
            ) -> PolicyAnswers:
    """Evaluate the policy and derive everything served about every entity (pure)."""
    return answers_of(arrays, evaluate(arrays, policy, as_of))


def answers_of(arrays: GraphArrays, result: ControlResult) -> PolicyAnswers:
    index = InboundIndex.build(result.prepared)
    return PolicyAnswers(
        policy=result.policy.name, as_of=result.as_of.isoformat(),
        verdict=result.verdict.astype(np.int8),
        exposure_lo=np.clip(result.lo.exposure, 0.0, 1.0).astype(np.float64),
        exposure_hi=np.clip(result.hi.exposure, 0.0, 1.0).astype(np.float64),
        controllers=controllers(result), evidence=evidence(result, index))


# ---------------------------------------------------------------- controllers


@dataclass(frozen=True)
class _Listed:
    """Controller rows as columns (entity, controller, basis, shares, direct, rank)."""

    entity: I64
    controller: I64
    basis: npt.NDArray[np.int8]
    share_lo: F64
    share_hi: F64
    direct: npt.NDArray[np.bool_]
    rank: F64  # order within an entity: lowest first, ties by ``then``
    then: F64

    @classmethod
    def concat(cls, parts: list[_Listed]) -> _Listed:
        return cls(*(np.concatenate([getattr(p, f) for p in parts])
                     for f in ("entity", "controller", "basis", "share_lo", "share_hi",
                               "direct", "rank", "then")))


def controllers(result: ControlResult) -> Controllers:
    prep = result.prepared
    ctl = ultimate_controllers(prep)
    has = ctl.parent >= 0
    chain = np.flatnonzero(has & (ctl.cycle_label < 0))
    top = ctl.terminal[chain]
    parts = [_Listed(chain, top, np.full(len(chain), Basis.MAJORITY_CHAIN, dtype=np.int8),
                     np.full(len(chain), np.nan), np.full(len(chain), np.nan),
                     top == ctl.parent[chain], np.zeros(len(chain)), np.zeros(len(chain)))]
    cyclic = [(y, m) for y in np.flatnonzero(has & (ctl.cycle_label >= 0)).tolist()
              for m in ctl.of(y)]
    if cyclic:
        ys = np.array([c[0] for c in cyclic], dtype=np.int64)
        ms = np.array([c[1] for c in cyclic], dtype=np.int64)
        parts.append(_Listed(ys, ms, np.full(len(ys), Basis.CYCLE, dtype=np.int8),
                             np.full(len(ys), np.nan), np.full(len(ys), np.nan),
                             ms == ctl.parent[ys], np.zeros(len(ys)), ms.astype(np.float64)))
    parts.append(significant_owners(prep, ctl))
    listed = _Listed.concat(parts)
    order = np.lexsort((listed.then, listed.rank, listed.entity))
    entity = listed.entity[order]
    starts = np.searchsorted(entity, entity, side="left")
    keep = order[(np.arange(len(order)) - starts) < MAX_OWNERS]
    counts = np.bincount(listed.entity[keep], minlength=prep.n)
    ptr = np.zeros(prep.n + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    return Controllers(ptr, listed.controller[keep].astype(np.int64), listed.basis[keep],
                       listed.share_lo[keep], listed.share_hi[keep], listed.direct[keep])


def significant_owners(prep: Prepared, ctl: Ultimate) -> _Listed:
    """For every entity without a majority parent: the owners holding >= 25 % (upper bound)
    directly or through what they control by majority, ranked largest first."""
    n = prep.n
    rows = np.flatnonzero(~prep.control & (ctl.parent[prep.owned] < 0) & (prep.q_hi > 0))
    owner = prep.owner[rows].astype(np.int64)
    owned = prep.owned[rows].astype(np.int64)
    # a holder in a controlling cycle stands for itself; otherwise for the top of its chain
    group = np.where(ctl.cycle_label[owner] >= 0, owner, ctl.terminal[owner])
    keep = group != owned  # shares of itself held by what it controls
    rows, owner, owned, group = rows[keep], owner[keep], owned[keep], group[keep]
    cls = prep.cls[rows].astype(np.int64)
    pairs, held_lo = _summed(owned, group, cls, prep.q_lo[rows], n, prep.n_measures)
    _, held_hi = _summed(owned, group, cls, prep.q_hi[rows], n, prep.n_measures)
    picked = held_hi >= SIGNIFICANT * UNIT - 1
    pairs, lo, hi = pairs[picked], to_fraction(held_lo[picked]), to_fraction(held_hi[picked])
    y, g = pairs // n, pairs % n
    direct = np.isin(pairs, owned * n + owner)
    # after any majority rows (rank 0): larger holdings first, by upper then lower bound
    return _Listed(y, g, np.full(len(y), Basis.SIGNIFICANT_OWNER, dtype=np.int8),
                   np.round(lo, 9), np.round(hi, 9), direct, 2.0 - hi, -lo)


def _summed(owned: I64, group: I64, cls: I64, q: I64, n: int, n_measures: int
            ) -> tuple[I64, I64]:
    """Per (owned, group): the largest over share measures of the group's summed stakes.
    Returns the pair keys (owned * n + group) and their quantized holdings."""
    per_measure = (owned * n + group) * (n_measures + 1) + cls
    keys, inverse = np.unique(per_measure, return_inverse=True)
    sums = np.rint(np.bincount(inverse, weights=q)).astype(np.int64)
    pair = keys // (n_measures + 1)
    pairs, at = np.unique(pair, return_inverse=True)
    best = np.zeros(len(pairs), dtype=np.int64)
    np.maximum.at(best, at, sums)
    return pairs, best


# ---------------------------------------------------------------- evidence


def evidence(result: ControlResult, index: InboundIndex) -> Evidence:
    """Edge paths behind every BLOCK / REVIEW (a root itself has none): for each direct
    owner carrying the exposure, the shortest chain of carrying stakes from a root; each link
    shows every statement that carries it (a share and a consolidation, say)."""
    prep = result.prepared
    paths: dict[int, list[tuple[int, ...]]] = {}
    for verdict, bound in ((BLOCK, "lo"), (REVIEW, "hi")):
        wanted = np.flatnonzero((result.verdict == verdict) & ~result.roots)
        if len(wanted) == 0:
            continue
        tree = RootTree.build(result, bound)
        links = _links(result, bound)
        for y in wanted.tolist():
            found = [tuple(e for row in rows for e in links(row))
                     for rows in root_paths(result, index, tree, y)]
            if found:
                paths[y] = found
    return Evidence.build(prep.n, paths)


def _links(result: ControlResult, bound: str) -> Any:
    """row -> the edges of every carrying stake between the row's owner and owned (upper
    links repeat across many entities' paths: each is worked out once)."""
    prep = result.prepared
    rows = np.flatnonzero(carrying(result, bound))
    keys = prep.owned[rows].astype(np.int64) * prep.n + prep.owner[rows]
    order = np.argsort(keys, kind="stable")
    rows, keys = rows[order], keys[order]
    known: dict[int, list[int]] = {}

    def edges(row: int) -> list[int]:
        found = known.get(row)
        if found is None:
            key = int(prep.owned[row]) * prep.n + int(prep.owner[row])
            lo, hi = np.searchsorted(keys, key, "left"), np.searchsorted(keys, key, "right")
            found = [int(e) for r in rows[lo:hi].tolist()
                     for e in prep.member_edges[prep.group_start[r]: prep.group_start[r + 1]]]
            known[row] = found
        return found

    return edges
