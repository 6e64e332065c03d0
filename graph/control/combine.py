"""Edge preparation: as-of filter, counted kinds, and combination of parallel statements.

Several sources often report the *same* stake (a registry filing, a BODS statement and a news
claim about owner -> owned). They are one stake, never added: their intervals are intersected
when consistent, else the hull is taken and the pair is flagged as a conflict.

Shares are quantized to integers so that threshold tests are exact: a share on the 10⁻⁶ grid
is ``units * OPEN``; an exclusive bound (PSC band "more than 25 %", BODS exclusiveMinimum) is
one sub-unit inside it (``+ 1`` for a lower bound, ``- 1`` for an upper one), i.e. an
infinitesimal. Sums of such integers compare exactly with the threshold (so 0.25 + 0.25 is
exactly 0.5, and two "more than 25 %" stakes are more than 0.5). Exclusive bounds come from
``GraphArrays.share_lo_open`` or, as the PSC and BODS adapters store them, as the nearest float
inside the grid value; a value off the grid is rounded outwards (down for lo, up for hi) and
marked exclusive, so a bound is never tightened.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from graph.arrays import GraphArrays, day_number, interest_kind_code
from graph.control.policies import Policy
from graph.model import InterestKind

SCALE = 1_000_000  # grid units per 100 %
OPEN = 1 << 16  # sub-units per grid unit: room for 65,535 exclusive bounds in one sum
UNIT = SCALE * OPEN  # quantized value of a 100 % share
_BIG = np.iinfo(np.int64).max


def grid(fraction: float) -> int:
    """A threshold (or any exact fraction) in quantized units."""
    return int(round(fraction * SCALE)) * OPEN


# A board appointment edge confers control only for a board majority ("> 50 %").
MAJORITY_Q = grid(0.5)


@dataclass(frozen=True)
class Issue:
    """A problem found in the input; the engine skips or flags and answers for the rest."""

    code: str  # "share_range", "lo_gt_hi", "self_loop", "dangling", "inbound_over_one", ...
    message: str
    edge: int = -1  # index into GraphArrays edges, -1 when about an entity
    entity: int = -1


I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
B = npt.NDArray[np.bool_]


@dataclass
class Prepared:
    """Combined edges: one row per (owner, owned, class). Classes 0..n_measures-1 are share
    measures (shares and votes are separate measures, never added); ``control`` rows give full
    control (VIE, consolidation parent, board majority)."""

    n: int
    n_measures: int
    owner: I32
    owned: I32
    cls: npt.NDArray[np.int16]
    control: B
    q_lo: I64  # lo evaluation: strong statements only (quantized, exclusive bounds kept)
    q_hi: I64  # hi evaluation: every counted statement, weak ones included
    ctrl_lo: B  # confers control in the lo evaluation
    ctrl_hi: B
    conflict: B
    ultimate: B  # the stake is (also) stated as a GLEIF ultimate consolidation parent
    group_start: I64  # members of row g: member_edges[group_start[g]:group_start[g+1]]
    member_edges: I64
    issues: list[Issue] = field(default_factory=list)


def _units(share: npt.NDArray[np.float64], outward: str) -> npt.NDArray[np.int64]:
    scaled = share * SCALE
    near = np.rint(scaled)
    on_grid = np.abs(scaled - near) < 1e-6  # float noise of a decimal share
    rounded = np.floor(scaled) if outward == "down" else np.ceil(scaled)
    return np.where(on_grid, near, rounded).astype(np.int64)


def quantize_lo(share: npt.NDArray[np.float64], lo_open: npt.NDArray[np.bool_]) -> I64:
    units = _units(share, "down")
    above = lo_open | (share > units / SCALE)  # strictly above its grid value: exclusive
    return units * OPEN + above


def quantize_hi(share: npt.NDArray[np.float64]) -> I64:
    units = _units(share, "up")
    below = share < units / SCALE
    return units * OPEN - below


def to_fraction(q: npt.NDArray[np.int64] | np.int64) -> npt.NDArray[np.float64]:
    """Quantized value -> fraction on the grid (the infinitesimal part dropped)."""
    return np.asarray(np.rint(np.asarray(q, dtype=np.float64) / OPEN) / SCALE,
                      dtype=np.float64)


def exclusive(q: npt.NDArray[np.int64] | np.int64) -> npt.NDArray[np.int64]:
    """The infinitesimal part: > 0 just above the grid value, < 0 just below."""
    q64 = np.asarray(q, dtype=np.int64)
    return np.asarray(q64 - np.rint(q64 / OPEN).astype(np.int64) * OPEN, dtype=np.int64)


def valid_at(arrays: GraphArrays, as_of: dt.date) -> B:
    day = day_number(as_of.isoformat(), open_value=0)
    return (arrays.start <= day) & (day < arrays.end)


def _lo_open(arrays: GraphArrays) -> B:
    lo_open = getattr(arrays, "share_lo_open", None)
    if lo_open is None or len(lo_open) != arrays.n_edges:
        return np.zeros(arrays.n_edges, dtype=np.bool_)
    return np.asarray(lo_open, dtype=np.bool_)


def bad_edges(arrays: GraphArrays) -> tuple[B, list[Issue]]:
    """Edges the engine cannot use (reported by index, key when known)."""
    n = arrays.n_entities
    lo, hi = arrays.share_lo, arrays.share_hi
    checks = [
        ("dangling", (arrays.owner < 0) | (arrays.owner >= n) | (arrays.owned < 0)
         | (arrays.owned >= n), "edge refers to an entity index that does not exist"),
        ("share_range", ~((lo >= 0) & (lo <= 1) & (hi >= 0) & (hi <= 1)),
         "share outside [0, 1] (or not a number)"),
        ("lo_gt_hi", lo > hi, "share_lo greater than share_hi"),
        ("self_loop", arrays.owner == arrays.owned, "entity owns itself"),
    ]
    bad = np.zeros(arrays.n_edges, dtype=np.bool_)
    issues: list[Issue] = []
    keys = arrays.edge_key if len(arrays.edge_key) == arrays.n_edges else None
    for code, mask, text in checks:
        mask = mask & ~bad
        for i in np.flatnonzero(mask)[:100]:
            label = f" ({keys[i]})" if keys is not None else ""
            issues.append(Issue(code, f"edge {int(i)}{label}: {text}", edge=int(i)))
        bad |= mask
    return bad, issues


def interest_classes(policy: Policy) -> tuple[npt.NDArray[np.int16], int]:
    """Interest-kind code -> class; -1 = not counted. News claims join the shareholding class."""
    from graph.arrays import INTEREST_KIND_CODES

    table = np.full(len(INTEREST_KIND_CODES), -1, dtype=np.int16)
    measures = list(policy.share_kinds)
    for i, kind in enumerate(measures):
        table[interest_kind_code(kind)] = i
    n_measures = max(len(measures), 1)
    if policy.news_claims != "ignore":
        share_cls = measures.index(InterestKind.SHAREHOLDING) if (
            InterestKind.SHAREHOLDING in measures) else 0
        table[interest_kind_code(InterestKind.NEWS_CLAIM)] = share_cls
    for j, kind in enumerate(policy.control_kinds):
        table[interest_kind_code(kind)] = n_measures + j
    for kind, alias in control_aliases(policy).items():
        table[interest_kind_code(kind)] = table[interest_kind_code(alias)]
    if InterestKind.BRANCH not in policy.control_kinds:
        table[interest_kind_code(InterestKind.BRANCH)] = n_measures + len(policy.control_kinds)
    return table, n_measures


def control_aliases(policy: Policy) -> dict[InterestKind, InterestKind]:
    """Kinds counted as another control kind of the policy: a GLEIF ultimate consolidation
    parent consolidates like a direct one (GLEIF states it for every child, so a group whose
    middle layers have no LEI still reaches its top); a branch is its head office, under
    every policy (its own class, added by ``interest_classes``). An alias joins the class of the
    kind it stands for, so a direct and an ultimate parent that are the same entity are one
    stake."""
    out: dict[InterestKind, InterestKind] = {}
    consolidation = InterestKind.CONSOLIDATION_PARENT
    if consolidation in policy.control_kinds and \
            InterestKind.ULTIMATE_CONSOLIDATION_PARENT not in policy.control_kinds:
        out[InterestKind.ULTIMATE_CONSOLIDATION_PARENT] = consolidation
    return out


def prepare(arrays: GraphArrays, policy: Policy, as_of: dt.date) -> Prepared:
    bad, issues = bad_edges(arrays)
    cls_of_kind, n_measures = interest_classes(policy)
    cls = cls_of_kind[arrays.edge_kind.astype(np.int64)]
    keep = ~bad & (cls >= 0) & valid_at(arrays, as_of)
    idx = np.flatnonzero(keep).astype(np.int64)
    owner, owned, cls = arrays.owner[idx], arrays.owned[idx], cls[idx]
    n_cls = int(cls_of_kind.max()) + 1 if len(cls_of_kind) else 1
    n_ent = max(arrays.n_entities, 1)
    if n_ent * n_ent * n_cls < 2**62:
        # one composite int64 key sorts faster than a three-key lexsort
        order = np.argsort((owner.astype(np.int64) * n_ent + owned) * n_cls + cls)
    else:
        order = np.lexsort((cls, owned, owner))
    idx, owner, owned, cls = idx[order], owner[order], owned[order], cls[order]
    news = arrays.edge_kind[idx] == interest_kind_code(InterestKind.NEWS_CLAIM)
    strong = arrays.confidence[idx] >= np.float32(policy.min_confidence)
    if policy.news_claims != "count":
        strong &= ~news
    qlo = quantize_lo(arrays.share_lo[idx], _lo_open(arrays)[idx])
    qhi = quantize_hi(arrays.share_hi[idx])
    if len(idx):
        new_group = np.ones(len(idx), dtype=np.bool_)
        new_group[1:] = (np.diff(owner) != 0) | (np.diff(owned) != 0) | (np.diff(cls) != 0)
        starts = np.flatnonzero(new_group)
    else:
        starts = np.zeros(0, dtype=np.int64)
    rows = _combine(qlo, qhi, strong, starts)
    g_cls = cls[starts] if len(starts) else cls[:0]
    control = g_cls >= n_measures
    board = np.zeros(len(starts), dtype=np.bool_)
    if InterestKind.BOARD_APPOINTMENT in policy.control_kinds:
        board_cls = n_measures + policy.control_kinds.index(InterestKind.BOARD_APPOINTMENT)
        board = g_cls == board_cls
    has_strong, has_any = rows["has_strong"], rows["has_any"]
    ctrl_lo = control & has_strong & (~board | (rows["lo"] > MAJORITY_Q))
    ctrl_hi = control & has_any & (~board | (rows["hi"] > MAJORITY_Q))
    ultimate_kind = arrays.edge_kind[idx] == interest_kind_code(
        InterestKind.ULTIMATE_CONSOLIDATION_PARENT)
    ultimate = np.logical_or.reduceat(ultimate_kind, starts) if len(starts) else \
        np.zeros(0, dtype=np.bool_)
    return Prepared(
        n=arrays.n_entities, n_measures=n_measures,
        owner=owner[starts], owned=owned[starts], cls=g_cls.astype(np.int16), control=control,
        q_lo=np.where(control, 0, rows["lo"]), q_hi=np.where(control, 0, rows["hi"]),
        ctrl_lo=ctrl_lo, ctrl_hi=ctrl_hi, conflict=rows["conflict"], ultimate=ultimate,
        group_start=np.append(starts, len(idx)).astype(np.int64), member_edges=idx,
        issues=issues,
    )


def _combine(qlo: I64, qhi: I64, strong: B, starts: I64) -> dict[str, npt.NDArray[Any]]:
    """Per group: lo-evaluation value from the strong members (intersection, or hull on
    conflict), hi-evaluation value = max of the strong combination's hi and any weak hi."""
    if len(starts) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return {"lo": empty, "hi": empty, "conflict": empty.astype(np.bool_),
                "has_strong": empty.astype(np.bool_), "has_any": empty.astype(np.bool_)}
    s_lo_max = np.maximum.reduceat(np.where(strong, qlo, -1), starts)
    s_hi_min = np.minimum.reduceat(np.where(strong, qhi, _BIG), starts)
    s_lo_min = np.minimum.reduceat(np.where(strong, qlo, _BIG), starts)
    s_hi_max = np.maximum.reduceat(np.where(strong, qhi, -1), starts)
    w_hi_max = np.maximum.reduceat(np.where(strong, -1, qhi), starts)
    has_strong = s_lo_max >= 0
    consistent = s_lo_max <= s_hi_min
    lo = np.where(consistent, s_lo_max, s_lo_min)
    hi_strong = np.where(consistent, s_hi_min, s_hi_max)
    lo = np.where(has_strong, lo, 0)
    hi = np.maximum(np.where(has_strong, hi_strong, 0), np.maximum(w_hi_max, 0))
    # all statements (strong and weak) disagreeing is a conflict worth reporting too
    a_lo_max = np.maximum.reduceat(qlo, starts)
    a_hi_min = np.minimum.reduceat(qhi, starts)
    conflict = (has_strong & ~consistent) | (a_lo_max > a_hi_min)
    return {"lo": lo, "hi": np.maximum(hi, lo), "conflict": conflict,
            "has_strong": has_strong, "has_any": np.ones(len(starts), dtype=np.bool_)}
