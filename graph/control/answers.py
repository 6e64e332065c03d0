"""Every entity's answer under one policy, computed once per generation.

This is the one place that turns an engine evaluation into what is served: the verdict,
the exposure bounds, the ultimate controllers (one definition, below), the evidence paths
of every BLOCK / REVIEW and the reasons of every INSUFFICIENT_DATA. The generation artifact
stores these arrays; the API, the CLI, the UI, generation diffs and the store's ``Result``
nodes all read them from there and never evaluate again.

Ultimate controllers: the top of the majority-control chain (``controllers.py``: certain
majority or full control, owners grouped by their own top, cycles returned whole). Where
nobody holds a majority, the significant owners instead: every owner, direct or through
others, whose look-through share may reach ``SIGNIFICANT`` (25 %), largest first, at most
``MAX_OWNERS``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from graph.arrays import GraphArrays
from graph.control.combine import UNIT, to_fraction
from graph.control.controllers import ultimate_controllers
from graph.control.engine import BLOCK, INSUFFICIENT, REVIEW, VERDICTS, ControlResult, evaluate
from graph.control.evidence import InboundIndex, explain
from graph.control.lookthrough import lookthrough
from graph.control.policies import Policy

SIGNIFICANT = 0.25  # the usual "significant control" floor
MAX_OWNERS = 10  # significant owners listed per entity
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
ControllerRow = tuple[int, int, float, float, bool]  # controller, basis, share lo/hi, direct


class Basis(IntEnum):
    """Why a controller is listed."""

    MAJORITY_CHAIN = 0  # top of the majority-control chain
    CYCLE = 1  # a group of entities controlling each other, none above them
    SIGNIFICANT_OWNER = 2  # nobody holds a majority: an owner with >= 25 % look-through

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Ragged:
    """Per-entity lists as two arrays: entity i's items are ``values[ptr[i]:ptr[i+1]]``."""

    ptr: I64
    values: I64

    def of(self, i: int) -> I64:
        return self.values[self.ptr[i]: self.ptr[i + 1]]

    @classmethod
    def build(cls, n: int, lists: dict[int, list[int]]) -> Ragged:
        counts = np.zeros(n, dtype=np.int64)
        for i, items in lists.items():
            counts[i] = len(items)
        ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=ptr[1:])
        values = np.fromiter((v for i in sorted(lists) for v in lists[i]), dtype=np.int64,
                             count=int(ptr[-1]))
        return cls(ptr, values)


@dataclass(frozen=True)
class Controllers:
    """Each entity's controllers: position, basis and (significant owners) look-through
    share bounds; majority-chain controllers carry NaN shares (control, not a share)."""

    ptr: I64
    entity: I64
    basis: npt.NDArray[np.int8]
    share_lo: F64
    share_hi: F64
    direct: npt.NDArray[np.bool_]

    @classmethod
    def build(cls, n: int, rows: dict[int, list[ControllerRow]]) -> Controllers:
        """From entity -> [(controller, basis, share_lo, share_hi, direct), ...]."""
        flat = [row for y in sorted(rows) for row in rows[y]]
        counts = np.zeros(n, dtype=np.int64)
        for y, items in rows.items():
            counts[y] = len(items)
        ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=ptr[1:])
        return cls(ptr=ptr, entity=np.array([r[0] for r in flat], dtype=np.int64),
                   basis=np.array([r[1] for r in flat], dtype=np.int8),
                   share_lo=np.array([r[2] for r in flat], dtype=np.float64),
                   share_hi=np.array([r[3] for r in flat], dtype=np.float64),
                   direct=np.array([r[4] for r in flat], dtype=np.bool_))

    def of(self, i: int) -> Iterator[tuple[int, Basis, float | None, float | None, bool]]:
        for k in range(int(self.ptr[i]), int(self.ptr[i + 1])):
            lo, hi = float(self.share_lo[k]), float(self.share_hi[k])
            yield (int(self.entity[k]), Basis(int(self.basis[k])),
                   None if np.isnan(lo) else lo, None if np.isnan(hi) else hi,
                   bool(self.direct[k]))


@dataclass(frozen=True)
class Evidence:
    """Paths of edge indices (root -> ... -> entity) behind each BLOCK / REVIEW: entity i's
    paths are ``paths.of(i)`` (path ids), path p's edges ``edges.of(p)``."""

    paths: Ragged
    edges: Ragged

    def of(self, i: int) -> list[tuple[int, ...]]:
        return [tuple(int(e) for e in self.edges.of(int(p))) for p in self.paths.of(i)]

    @classmethod
    def build(cls, n: int, paths: dict[int, list[tuple[int, ...]]]) -> Evidence:
        """From entity -> [path of edge indices, ...]."""
        per_entity: dict[int, list[int]] = {}
        flat: dict[int, list[int]] = {}
        for y in sorted(paths):
            for path in paths[y]:
                per_entity.setdefault(y, []).append(len(flat))
                flat[len(flat)] = list(path)
        return cls(Ragged.build(n, per_entity), Ragged.build(len(flat), flat))


@dataclass(frozen=True)
class PolicyAnswers:
    """One policy's answers for every entity of a generation (columns by entity position)."""

    policy: str
    as_of: str
    verdict: npt.NDArray[np.int8]  # index into VERDICTS
    exposure_lo: F64
    exposure_hi: F64
    controllers: Controllers
    evidence: Evidence
    reasons: dict[int, dict[str, Any]]  # INSUFFICIENT_DATA: what leaves the answer open

    def verdict_name(self, i: int) -> str:
        return VERDICTS[int(self.verdict[i])]

    def counts(self) -> dict[str, int]:
        tally = np.bincount(self.verdict, minlength=len(VERDICTS))
        return {v: int(c) for v, c in zip(VERDICTS, tally, strict=True)}


def answers(arrays: GraphArrays, policy: Policy, as_of: dt.date | str | None = None
            ) -> PolicyAnswers:
    """Evaluate the policy and derive everything served about every entity (pure)."""
    return answers_of(arrays, evaluate(arrays, policy, as_of))


def answers_of(arrays: GraphArrays, result: ControlResult) -> PolicyAnswers:
    index = InboundIndex.build(result.prepared)
    undecided = np.flatnonzero(result.verdict == INSUFFICIENT).tolist()
    return PolicyAnswers(
        policy=result.policy.name, as_of=result.as_of.isoformat(),
        verdict=result.verdict.astype(np.int8),
        exposure_lo=np.clip(result.lo.exposure, 0.0, 1.0).astype(np.float64),
        exposure_hi=np.clip(result.hi.exposure, 0.0, 1.0).astype(np.float64),
        controllers=controllers(result, index), evidence=evidence(arrays, result, index),
        reasons={y: insufficient_reasons(arrays, result, index, y) for y in undecided})


# ---------------------------------------------------------------- controllers


def controllers(result: ControlResult, index: InboundIndex) -> Controllers:
    prep = result.prepared
    ctl = ultimate_controllers(prep)
    rows: dict[int, list[ControllerRow]] = {}
    has = np.flatnonzero(ctl.parent >= 0)
    acyclic = has[ctl.cycle_label[has] < 0]
    direct_parent = ctl.parent
    for y, top in zip(acyclic.tolist(), ctl.terminal[acyclic].tolist(), strict=True):
        rows[y] = [(top, Basis.MAJORITY_CHAIN, np.nan, np.nan, top == direct_parent[y])]
    for y in has[ctl.cycle_label[has] >= 0].tolist():
        rows[y] = [(m, Basis.CYCLE, np.nan, np.nan, m == direct_parent[y]) for m in ctl.of(y)]
    for y in _may_have_significant_owners(result, ctl.parent):
        found = significant_owners(result, index, y)
        if found:
            rows[y] = found
    return Controllers.build(prep.n, rows)


def _may_have_significant_owners(result: ControlResult, parent: I64) -> list[int]:
    """Entities without a majority parent whose inbound shares may add up to 25 %: an owner
    can hold at most what its direct stakes carry, so the others have none."""
    prep = result.prepared
    share = ~prep.control
    inbound = np.bincount(prep.owned[share], weights=prep.q_hi[share], minlength=prep.n)
    return np.flatnonzero((parent < 0) & (inbound >= SIGNIFICANT * UNIT - 1)).tolist()


def significant_owners(result: ControlResult, index: InboundIndex, y: int
                       ) -> list[ControllerRow]:
    """Owners (at any depth) whose look-through share of y may reach 25 %, largest first."""
    view = lookthrough(result.prepared, index.rows, y)
    direct = {int(result.prepared.owner[r]) for r in index.rows(y)}
    picked = np.flatnonzero(view.share_hi >= SIGNIFICANT - 1e-12)
    ranked = sorted(picked.tolist(), key=lambda i: (-view.share_hi[i], -view.share_lo[i]))
    return [(view.owners[i], Basis.SIGNIFICANT_OWNER, round(float(view.share_lo[i]), 9),
             round(float(view.share_hi[i]), 9), view.owners[i] in direct)
            for i in ranked[:MAX_OWNERS]]


# ---------------------------------------------------------------- evidence and reasons


def evidence(arrays: GraphArrays, result: ControlResult, index: InboundIndex) -> Evidence:
    """Edge paths behind every BLOCK / REVIEW (a root itself has none)."""
    wanted = np.flatnonzero((result.verdict == BLOCK) | (result.verdict == REVIEW))
    paths = {y: evidence_paths(arrays, result, index, y)
             for y in wanted[~result.roots[wanted]].tolist()}
    return Evidence.build(arrays.n_entities, {y: p for y, p in paths.items() if p})


def evidence_paths(arrays: GraphArrays, result: ControlResult, index: InboundIndex, y: int
                   ) -> list[tuple[int, ...]]:
    """The engine's explanation as paths of edge indices root -> ... -> y; where several
    owners pass the threshold only together, one path of all the carrying stakes."""
    why = explain(arrays, result, y, index)
    if not why or why.get("root"):
        return []
    by_pair: dict[tuple[str, str], list[int]] = {}
    for stake in why["stakes"]:
        by_pair.setdefault((stake["owner"], stake["owned"]), []).extend(stake["edges"])
    paths = []
    for ids in why["paths"]:
        edges = [e for a, b in zip(ids, ids[1:], strict=False) for e in by_pair.get((a, b), [])]
        if edges:
            paths.append(tuple(edges))
    if not paths and why["stakes"]:
        paths = [tuple(e for stake in why["stakes"] for e in stake["edges"])]
    return paths


def insufficient_reasons(arrays: GraphArrays, result: ControlResult, index: InboundIndex,
                         y: int) -> dict[str, Any]:
    """Why y cannot be decided: its own unknowns, and owners that are themselves undecided."""
    reasons: dict[str, Any] = {"unaccounted_share": round(float(result.unaccounted[y]), 9)}
    exceptions = [name for name, col in arrays.exceptions.items() if col[y]]
    if exceptions:
        reasons["reporting_exceptions"] = sorted(exceptions)
    prep = result.prepared
    undecided: dict[int, float] = {}
    for row in index.rows(y):
        owner = int(prep.owner[row])
        if result.possible[owner] and not result.hi.restricted[owner]:
            share = float(to_fraction(prep.q_hi[row]))
            undecided[owner] = max(undecided.get(owner, 0.0), share)
    ranked = sorted(undecided.items(), key=lambda kv: -kv[1])[:MAX_OWNERS]
    if ranked:
        reasons["undecided_owners"] = [{"id": str(arrays.ids[o]), "share_hi": round(s, 9)}
                                       for o, s in ranked]
    return reasons

