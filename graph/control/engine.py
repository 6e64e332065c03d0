"""The control engine: every entity's verdict under one policy, computed at once on arrays.

Three evaluations share one prepared edge table:
- ``lo``: strong statements only, every share at its lower bound -> certainly restricted;
- ``hi``: every counted statement (news claims, weak matches) at its upper bound -> possibly;
- ``pessimistic``: ``hi`` plus the unknown owners the policy counts (``unknowns``:
  "explicit" - owners a source says exist but does not identify; "strict" - also every
  reporting exception, entity of kind unknown and unaccounted share) treated as restricted
  -> cannot be ruled out.
BLOCK = lo; REVIEW = hi only; INSUFFICIENT_DATA = pessimistic only; ALLOW = none of them.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from graph.arrays import GraphArrays
from graph.control.aggregate import AggregateInput, aggregate_fixpoint
from graph.control.combine import (
    UNIT,
    Issue,
    Prepared,
    exclusive,
    grid,
    interest_classes,
    prepare,
    to_fraction,
    valid_at,
)
from graph.control.effective import Plan, effective_exposure, inbound_scale, passes_float
from graph.control.policies import Policy
from graph.control.roots import can_have_owners, root_mask
from graph.control.served import ALLOW, BLOCK, INSUFFICIENT, REVIEW, VERDICTS
from graph.control.unknowns import undisclosed_interest_edges, unknown_party_mask, withheld_mask

log = logging.getLogger(__name__)

B = npt.NDArray[np.bool_]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass
class Bound:
    """One evaluation's answer for every entity."""

    restricted: B
    exposure: F64  # aggregate restricted holding (aggregate mode) or look-through share
    controlled: B  # restricted through a full-control interest (aggregate mode)


@dataclass
class Unknowns:
    """What the pessimistic evaluation counted as possibly restricted, and what is on record.

    ``coverage_lo``/``coverage_hi``: the share of each entity's ownership on record (the
    largest share measure's sum of inbound lower / upper bounds, capped at 1; 1 for kinds
    without owners). ``parties``: owners that may be anyone; ``withheld``: entities with a
    counted reporting exception; ``undisclosed``: entities in which an unknown party holds an
    interest of a kind the policy does not count (``undisclosed_edges``: those edges)."""

    mode: str
    counted: bool  # the pessimistic evaluation ran (policy in force, has roots, not disabled)
    parties: B
    withheld: B
    undisclosed: B
    undisclosed_edges: npt.NDArray[np.int64]
    coverage_lo: F64
    coverage_hi: F64

    @classmethod
    def empty(cls, n: int) -> Unknowns:
        no = np.zeros(n, dtype=np.bool_)
        return cls("explicit", False, no, no.copy(), no.copy(), np.zeros(0, dtype=np.int64),
                   np.ones(n), np.ones(n))

    @property
    def roots(self) -> B:
        """Entities the pessimistic evaluation starts from besides the policy's roots."""
        out: B = self.parties | self.withheld | self.undisclosed
        return out


@dataclass
class ControlResult:
    policy: Policy
    as_of: dt.date
    in_force: bool
    roots: B
    lo: Bound
    hi: Bound
    possible: B  # restricted in the pessimistic evaluation
    verdict: npt.NDArray[np.int8]
    unaccounted: F64  # share of each entity no known owner accounts for (at lo)
    inbound_over: B  # some measure's inbound shares sum over 1
    conflict: B  # parallel statements about one stake disagree
    prepared: Prepared
    unknowns: Unknowns = field(default_factory=lambda: Unknowns.empty(0))
    issues: list[Issue] = field(default_factory=list)

    def verdict_name(self, i: int) -> str:
        return VERDICTS[int(self.verdict[i])]


def resolve_as_of(policy: Policy, as_of: dt.date | str | None) -> dt.date:
    if isinstance(as_of, dt.date):
        return as_of
    text = as_of or policy.as_of
    return dt.date.fromisoformat(text) if text else dt.datetime.now(dt.UTC).date()


def _inbound_sums(prep: Prepared, q: I64) -> I64:
    """Per entity, the largest over measures of the inbound share sum (quantized)."""
    n, m = prep.n, prep.n_measures
    share = ~prep.control
    slot = prep.cls[share].astype(np.int64) * n + prep.owned[share]
    sums = np.bincount(slot, weights=q[share], minlength=m * n)
    out: I64 = np.asarray(np.rint(sums), dtype=np.int64).reshape(m, n).max(axis=0)
    return out


def _unknowns(arrays: GraphArrays, policy: Policy, prep: Prepared, day: dt.date,
              counted: bool) -> Unknowns:
    strict = policy.unknowns == "strict"
    parties = unknown_party_mask(arrays, strict)
    n = arrays.n_entities
    cls_of_kind, _ = interest_classes(policy)
    inside = (arrays.owner >= 0) & (arrays.owner < n) & (arrays.owned >= 0) & (arrays.owned < n)
    edges = np.flatnonzero(undisclosed_interest_edges(
        arrays, valid_at(arrays, day) & inside, cls_of_kind[arrays.edge_kind.astype(np.int64)] >= 0,
        parties, policy.threshold, policy.inclusive))
    undisclosed = np.zeros(n, dtype=np.bool_)
    undisclosed[arrays.owned[edges]] = True
    ownerless = ~can_have_owners(arrays)
    lo = np.minimum(to_fraction(_inbound_sums(prep, prep.q_lo)), 1.0)
    hi = np.maximum(np.minimum(to_fraction(_inbound_sums(prep, prep.q_hi)), 1.0), lo)
    return Unknowns(policy.unknowns, counted, parties, withheld_mask(arrays, strict),
                    undisclosed, edges.astype(np.int64), np.where(ownerless, 1.0, lo),
                    np.where(ownerless, 1.0, hi))


def _unaccounted(arrays: GraphArrays, prep: Prepared, known: I64) -> I64:
    controlled = np.zeros(prep.n, dtype=np.bool_)
    controlled[prep.owned[prep.ctrl_lo]] = True
    u = np.clip(UNIT - known, 0, None)
    return np.where(can_have_owners(arrays) & ~controlled, u, 0)


def _aggregate_bounds(prep: Prepared, policy: Policy, roots: B, pessimistic_roots: B,
                      extra: I64) -> tuple[Bound, Bound, B]:
    def run(values: I64, ctrl: B, start: B, add: I64 | None) -> Bound:
        inp = AggregateInput(
            n=prep.n, n_measures=prep.n_measures, owner=prep.owner, owned=prep.owned,
            cls=prep.cls, value=values, ctrl=ctrl,
            threshold_q=grid(policy.threshold),
            inclusive=policy.inclusive, per_owner=policy.aggregation == "per_owner")
        restricted, holding, controlled = aggregate_fixpoint(inp, start, add)
        exposure = np.where(start | (controlled & restricted), 1.0, to_fraction(holding))
        return Bound(restricted, exposure, controlled & restricted)

    lo = run(prep.q_lo, prep.ctrl_lo, roots, None)
    hi = run(prep.q_hi, prep.ctrl_hi, roots, None)
    pess = run(prep.q_hi, prep.ctrl_hi, pessimistic_roots, extra)
    return lo, hi, pess.restricted


def _pair_weights(prep: Prepared, q: I64) -> tuple[I64, I64, F64]:
    """Effective mode: one weight per (owner, owned), the largest of its share measures."""
    share = ~prep.control
    owner, owned, value = prep.owner[share], prep.owned[share], q[share]
    if len(owner) == 0:
        return owner.astype(np.int64), owned.astype(np.int64), value.astype(np.float64)
    new = np.ones(len(owner), dtype=np.bool_)
    new[1:] = (np.diff(owner) != 0) | (np.diff(owned) != 0)
    starts = np.flatnonzero(new)
    best = np.maximum.reduceat(value, starts)
    # an exclusive bound ("more than 50 %") is nudged just inside its value
    weight = to_fraction(best) + np.sign(exclusive(best)) * 1e-10
    return owner[starts].astype(np.int64), owned[starts].astype(np.int64), weight


def _effective_bounds(prep: Prepared, policy: Policy, roots: B, pessimistic_roots: B,
                      extra: I64) -> tuple[Bound, Bound, B]:
    owner, owned, w_lo = _pair_weights(prep, prep.q_lo)
    _, _, w_hi = _pair_weights(prep, prep.q_hi)  # same (owner, owned) pairs, same order
    scale = inbound_scale(owned, w_lo, prep.n)  # only genuinely over-reported entities
    plan = Plan.build(prep.n, owner, owned)

    def run(weight: F64, start: B, add: F64 | None) -> Bound:
        e = effective_exposure(prep.n, owner, owned, weight, start, add, scale, plan)
        restricted = start | passes_float(e, policy.threshold, policy.inclusive)
        return Bound(restricted, e, np.zeros(prep.n, dtype=np.bool_))

    lo = run(w_lo, roots, None)
    hi = run(w_hi, roots, None)
    pess = run(w_hi, pessimistic_roots, to_fraction(extra))
    return lo, hi, pess.restricted


def _flag_issues(arrays: GraphArrays, over: B, conflict: B) -> list[Issue]:
    issues = []
    for i in np.flatnonzero(over)[:100]:
        issues.append(Issue("inbound_over_one", f"entity {arrays.ids[i]}: inbound shares of "
                            "one measure sum over 100 % (flagged, still evaluated)", entity=int(i)))
    for i in np.flatnonzero(conflict)[:100]:
        issues.append(Issue("conflict", f"entity {arrays.ids[i]}: sources disagree about a "
                            "stake (the hull of their intervals is used)", entity=int(i)))
    return issues


def evaluate(arrays: GraphArrays, policy: Policy, as_of: dt.date | str | None = None
             ) -> ControlResult:
    """Evaluate one policy for every entity (pure: arrays in, arrays out)."""
    day = resolve_as_of(policy, as_of)
    prep = prepare(arrays, policy, day)
    n = arrays.n_entities
    in_force = policy.in_force(day)
    roots = root_mask(arrays, policy) if in_force else np.zeros(n, dtype=np.bool_)
    known = _inbound_sums(prep, prep.q_lo)
    extra = _unaccounted(arrays, prep, known)
    pessimistic = policy.unknown_makes_insufficient and in_force and not policy.roots.empty
    unknowns = _unknowns(arrays, policy, prep, day, pessimistic)
    pess_roots = roots | unknowns.roots if pessimistic else roots
    # unrecorded remainders count only in the strict reading
    extra_used = extra if pessimistic and policy.unknowns == "strict" \
        else np.zeros(n, dtype=np.int64)
    bounds = _aggregate_bounds if policy.mode == "aggregate" else _effective_bounds
    lo, hi, possible = bounds(prep, policy, roots, pess_roots, extra_used)
    hi.restricted |= lo.restricted  # weak evidence only ever widens the upper bound
    possible = possible | hi.restricted
    verdict = np.full(n, ALLOW, dtype=np.int8)
    verdict[possible] = INSUFFICIENT
    verdict[hi.restricted] = REVIEW
    verdict[lo.restricted] = BLOCK
    over = known > UNIT
    conflict = np.zeros(n, dtype=np.bool_)
    conflict[prep.owned[prep.conflict]] = True
    issues = prep.issues + _flag_issues(arrays, over, conflict)
    log.info("policy evaluated", extra={
        "policy": policy.name, "as_of": day.isoformat(), "entities": n,
        "edges": arrays.n_edges, "stakes": len(prep.owner), "block": int(lo.restricted.sum()),
        "review": int((verdict == REVIEW).sum()), "insufficient": int((verdict == INSUFFICIENT).sum()),
        "issues": len(issues)})
    return ControlResult(
        policy=policy, as_of=day, in_force=in_force, roots=roots, lo=lo, hi=hi,
        possible=possible, verdict=verdict, unaccounted=to_fraction(extra),
        inbound_over=over, conflict=conflict, prepared=prep, unknowns=unknowns, issues=issues)
