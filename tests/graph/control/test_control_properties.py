"""The engine against brute force on small random graphs (hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.control.engine import evaluate
from graph.control.files import EdgeRow, EntityRow, arrays_from_rows
from graph.control.policies import Policy, RootRule
from graph.model import InterestKind

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def graphs(draw: st.DrawFn, acyclic: bool, max_inbound: Fraction = Fraction(1),
           control: bool = False) -> tuple[int, dict[tuple[int, int], Fraction], set[int],
                                            set[tuple[int, int]]]:
    """n entities, share per (owner, owned) in 1/20 steps, inbound sums <= max_inbound."""
    n = draw(st.integers(2, 12))
    pairs = [(i, j) for i in range(n) for j in range(n) if i != j and (not acyclic or i < j)]
    chosen = draw(st.lists(st.sampled_from(pairs), max_size=min(30, len(pairs)), unique=True))
    if not acyclic:  # make sure cross-holdings occur: a ring through the first k entities
        k = draw(st.integers(2, n))
        ring = [(i, (i + 1) % k) for i in range(k)]
        chosen = ring + [p for p in chosen if p not in ring]
    shares: dict[tuple[int, int], Fraction] = {}
    inbound = [Fraction(0)] * n
    for i, j in chosen:
        room = max_inbound - inbound[j]
        steps = min(int(room * 20), 20)  # one stake is at most 100 %
        if steps <= 0:
            continue
        share = Fraction(draw(st.integers(1, steps)), 20)
        shares[(i, j)] = share
        inbound[j] += share
    roots = set(draw(st.lists(st.integers(0, n - 1), max_size=3, unique=True)))
    ctrl: set[tuple[int, int]] = set()
    if control:
        ctrl = set(draw(st.lists(st.sampled_from(pairs), max_size=3, unique=True)))
    return n, shares, roots, ctrl


def _arrays(n: int, shares: dict[tuple[int, int], Fraction], ctrl: set[tuple[int, int]]
            ) -> object:
    entities = [EntityRow(f"e{i}") for i in range(n)]
    edges = [EdgeRow(f"e{i}", f"e{j}", "shareholding", float(s), float(s))
             for (i, j), s in shares.items()]
    edges += [EdgeRow(f"e{i}", f"e{j}", "contractual_control", 0.0, 1.0) for i, j in ctrl]
    return arrays_from_rows(entities, edges)


def _policy(roots: set[int], mode: str, comparison: str = ">", per_owner: bool = False
            ) -> Policy:
    return Policy(name="t", roots=RootRule(ids=frozenset(f"e{i}" for i in roots)),
                  comparison=comparison, mode=mode,  # type: ignore[arg-type]
                  aggregation="per_owner" if per_owner else "summed",
                  share_kinds=(InterestKind.SHAREHOLDING,),
                  control_kinds=(InterestKind.CONTRACTUAL_CONTROL,),
                  unknown_makes_insufficient=False)


def _paths_exposure(n: int, shares: dict[tuple[int, int], Fraction], roots: set[int]
                    ) -> list[Fraction]:
    """Σ over owner paths that start at a root and pass only non-roots, of the share product."""
    owners: dict[int, list[tuple[int, Fraction]]] = {j: [] for j in range(n)}
    for (i, j), s in shares.items():
        owners[j].append((i, s))

    def walk(y: int) -> Fraction:
        total = Fraction(0)
        for z, s in owners[y]:
            total += s if z in roots else s * walk(z)
        return total

    return [Fraction(1) if y in roots else walk(y) for y in range(n)]


@SETTINGS
@given(graphs(acyclic=True))
def test_effective_matches_path_enumeration_on_dags(g: tuple) -> None:  # type: ignore[type-arg]
    n, shares, roots, _ = g
    result = evaluate(_arrays(n, shares, set()), _policy(roots, "effective"), "2026-01-01")
    expected = [float(x) for x in _paths_exposure(n, shares, roots)]
    np.testing.assert_allclose(result.lo.exposure, expected, atol=1e-9)


@SETTINGS
@given(graphs(acyclic=False, max_inbound=Fraction(19, 20)))
def test_effective_matches_dense_inverse_with_cycles(g: tuple) -> None:  # type: ignore[type-arg]
    n, shares, roots, _ = g
    w = np.zeros((n, n))
    for (i, j), s in shares.items():
        w[i, j] = float(s)
    r = np.array([1.0 if i in roots else 0.0 for i in range(n)])
    m = w * (1 - r)[:, None]  # only non-roots pass their own exposure on
    e = np.linalg.solve(np.eye(n) - m.T, w.T @ r)
    e[r == 1] = 1.0
    result = evaluate(_arrays(n, shares, set()), _policy(roots, "effective"), "2026-01-01")
    np.testing.assert_allclose(result.lo.exposure, e, atol=1e-9)


def _naive_fixpoint(n: int, shares: dict[tuple[int, int], Fraction], roots: set[int],
                    ctrl: set[tuple[int, int]], inclusive: bool, per_owner: bool) -> set[int]:
    restricted = set(roots)
    changed = True
    while changed:
        changed = False
        for y in range(n):
            if y in restricted:
                continue
            held = [s for (z, j), s in shares.items() if j == y and z in restricted]
            total = max(held, default=Fraction(0)) if per_owner else sum(held, Fraction(0))
            passed = total >= Fraction(1, 2) if inclusive else total > Fraction(1, 2)
            if passed or any(j == y and z in restricted for z, j in ctrl):
                restricted.add(y)
                changed = True
    return restricted


@SETTINGS
@given(graphs(acyclic=False, max_inbound=Fraction(3, 2), control=True), st.booleans(),
       st.booleans())
def test_aggregate_matches_naive_fixpoint(g: tuple, inclusive: bool, per_owner: bool  # type: ignore[type-arg]
                                          ) -> None:
    n, shares, roots, ctrl = g
    ctrl = {(i, j) for i, j in ctrl if (i, j) not in shares}
    policy = _policy(roots, "aggregate", ">=" if inclusive else ">", per_owner)
    result = evaluate(_arrays(n, shares, ctrl), policy, "2026-01-01")
    expected = _naive_fixpoint(n, shares, roots, ctrl, inclusive, per_owner)
    assert set(np.flatnonzero(result.lo.restricted)) == expected
    assert set(np.flatnonzero(result.hi.restricted)) == expected


@SETTINGS
@given(graphs(acyclic=False, max_inbound=Fraction(19, 20)), st.sampled_from(["aggregate",
                                                                           "effective"]),
       st.data())
def test_raising_a_roots_share_never_lowers_exposure(g: tuple, mode: str,  # type: ignore[type-arg]
                                                     data: st.DataObject) -> None:
    n, shares, roots, _ = g
    from_roots = sorted(k for k in shares if k[0] in roots)
    if not from_roots:
        return
    key = data.draw(st.sampled_from(from_roots))
    inbound = sum((s for (_, j), s in shares.items() if j == key[1]), Fraction(0))
    raised = dict(shares)
    raised[key] = shares[key] + (1 - inbound) * Fraction(data.draw(st.integers(0, 20)), 20)
    before = evaluate(_arrays(n, shares, set()), _policy(roots, mode), "2026-01-01")
    after = evaluate(_arrays(n, raised, set()), _policy(roots, mode), "2026-01-01")
    assert np.all(after.lo.exposure >= before.lo.exposure - 1e-9)
    assert np.all(after.lo.restricted >= before.lo.restricted)


def _large_cyclic(n: int, seed: int, closed_ring: bool) -> tuple[object, np.ndarray, np.ndarray]:
    """One big strongly connected block (a ring plus random cross-links), so the sparse
    solver path (blocks over DENSE_BLOCK entities) is exercised."""
    rng = np.random.default_rng(seed)
    pairs = {(i, (i + 1) % n) for i in range(n)}
    pairs |= {(int(a), int(b)) for a, b in rng.integers(0, n, (2 * n, 2)) if a != b}
    w = np.zeros((n, n))
    for i, j in pairs:
        w[i, j] = rng.uniform(0.05, 1.0)
    w *= 0.95 / np.maximum(w.sum(axis=0), 0.95)  # inbound sums <= 0.95
    w = np.floor(w * 1e6) / 1e6  # shares are exact to 10^-6 (the engine's grid)
    roots = np.zeros(n, dtype=np.bool_)
    roots[rng.choice(n, 3, replace=False)] = True
    if closed_ring:  # plus a closed 100 % ring of 300 entities nobody else reaches
        k = 300
        w = np.pad(w, ((0, k), (0, k)))
        for i in range(k):
            w[n + i, n + (i + 1) % k] = 1.0
        roots = np.pad(roots, (0, k))
    total = len(roots)
    entities = [EntityRow(f"e{i}") for i in range(total)]
    edges = [EdgeRow(f"e{i}", f"e{j}", "shareholding", w[i, j], w[i, j])
             for i, j in zip(*np.nonzero(w), strict=True)]
    return arrays_from_rows(entities, edges), w, roots


@pytest.mark.parametrize("closed_ring", [False, True])
def test_effective_exact_on_a_large_cyclic_block(closed_ring: bool) -> None:
    arrays, w, roots = _large_cyclic(400, seed=3, closed_ring=closed_ring)
    ids = {f"e{i}" for i in np.flatnonzero(roots)}
    policy = Policy(name="t", roots=RootRule(ids=frozenset(ids)), mode="effective",
                    share_kinds=(InterestKind.SHAREHOLDING,), unknown_makes_insufficient=False)
    result = evaluate(arrays, policy, "2026-01-01")  # type: ignore[arg-type]
    r = roots.astype(float)
    m = w * (1 - r)[:, None]
    live = slice(0, 400)  # the closed ring gets the least solution 0 (singular otherwise)
    e = np.zeros(len(r))
    e[live] = np.linalg.solve(np.eye(400) - m[live, live].T, (w.T @ r)[live])
    e[roots] = 1.0
    np.testing.assert_allclose(result.lo.exposure, e, atol=1e-9)


@st.composite
def banded_graphs(draw: st.DrawFn) -> tuple[int, list[tuple[int, int, Fraction, Fraction, str,
                                                              float]], set[int]]:
    """Unique (owner, owned) pairs with [lo, hi] bands, some news claims, some weak edges."""
    n = draw(st.integers(2, 12))
    pairs = [(i, j) for i in range(n) for j in range(n) if i != j]
    chosen = draw(st.lists(st.sampled_from(pairs), max_size=min(30, len(pairs)), unique=True))
    edges = []
    for i, j in chosen:
        lo = draw(st.integers(0, 20))
        hi = draw(st.integers(lo, 20))
        kind = draw(st.sampled_from(["shareholding", "shareholding", "news_claim"]))
        conf = draw(st.sampled_from([1.0, 1.0, 0.5]))
        edges.append((i, j, Fraction(lo, 20), Fraction(hi, 20), kind, conf))
    roots = set(draw(st.lists(st.integers(0, n - 1), max_size=3, unique=True)))
    return n, edges, roots


@SETTINGS
@given(banded_graphs(), st.booleans())
def test_bounds_match_naive_fixpoints_and_nest(g: tuple, inclusive: bool) -> None:  # type: ignore[type-arg]
    n, edges, roots = g
    arrays = arrays_from_rows([EntityRow(f"e{i}") for i in range(n)], [
        EdgeRow(f"e{i}", f"e{j}", kind, float(lo), float(hi), confidence=conf)
        for i, j, lo, hi, kind, conf in edges])
    policy = _policy(roots, "aggregate", ">=" if inclusive else ">")
    policy = replace(policy, unknown_makes_insufficient=True)
    result = evaluate(arrays, policy, "2026-01-01")
    strong = {(i, j): lo for i, j, lo, _, kind, conf in edges
              if kind == "shareholding" and conf >= 0.9}
    every = {(i, j): hi for i, j, _, hi, _, _ in edges}
    assert set(np.flatnonzero(result.lo.restricted)) == _naive_fixpoint(
        n, strong, roots, set(), inclusive, False)
    assert set(np.flatnonzero(result.hi.restricted)) == _naive_fixpoint(
        n, every, roots, set(), inclusive, False)
    # BLOCK ⊆ possibly restricted ⊆ cannot be ruled out
    assert np.all(result.hi.restricted >= result.lo.restricted)
    assert np.all(result.possible >= result.hi.restricted)


def _naive_controllers(n: int, shares: dict[tuple[int, int], Fraction]) -> list[set[int]]:
    """Majority chains walked one step at a time, group majorities by the owners' tops."""
    parent: dict[int, int] = {}
    for y in range(n):
        major = [(s, -z) for (z, j), s in shares.items() if j == y and s > Fraction(1, 2)]
        if major:
            parent[y] = -max(major)[1]

    def walk(x: int) -> tuple[int, frozenset[int]]:
        seen: list[int] = []
        while x in parent and x not in seen:
            seen.append(x)
            x = parent[x]
        if x in seen:  # a cycle: its members
            return -1, frozenset(seen[seen.index(x):])
        return x, frozenset()

    for _ in range(8):
        tops = {z: walk(z) for z in range(n)}
        new: dict[int, int] = {}
        for y in range(n):
            stakes = [(z, s) for (z, j), s in shares.items() if j == y]
            if y in parent or len(stakes) < 2:
                continue
            groups: dict[tuple[int, frozenset[int]], Fraction] = {}
            for z, s in stakes:
                groups[tops[z]] = groups.get(tops[z], Fraction(0)) + s
            best = [(groups[tops[z]], s, -z) for z, s in stakes
                    if groups[tops[z]] > Fraction(1, 2)]
            if best:
                new[y] = -max(best)[2]
        if not new:
            break
        parent.update(new)
    out = []
    for y in range(n):
        if y not in parent:
            out.append(set())
            continue
        top, cycle = walk(y)
        out.append(set(cycle) if cycle else {top})
    return out


@SETTINGS
@given(graphs(acyclic=False, max_inbound=Fraction(1)))
def test_ultimate_controllers_match_a_step_by_step_walk(g: tuple) -> None:  # type: ignore[type-arg]
    from graph.control.controllers import ultimate_controllers

    n, shares, _, _ = g
    result = evaluate(_arrays(n, shares, set()), _policy(set(), "aggregate"), "2026-01-01")
    ctl = ultimate_controllers(result.prepared)
    assert [set(ctl.of(y)) for y in range(n)] == _naive_controllers(n, shares)


def _medium_graph(seed: int) -> tuple[int, dict[tuple[int, int], int], set[int]]:
    """~1,500 entities with chains, rings and fan-in; shares in 1/20 units, inbound <= 19."""
    rng = np.random.default_rng(seed)
    n = 1500
    shares: dict[tuple[int, int], int] = {}
    inbound = np.zeros(n, dtype=np.int64)
    ring = rng.permutation(n)[:60]
    candidates = [(int(a), int(b)) for a, b in zip(ring, np.roll(ring, -1), strict=True)]
    candidates += [(int(a), int(b)) for a, b in rng.integers(0, n, (1800, 2))]
    for a, b in candidates:
        room = 19 - inbound[b]
        if a == b or (a, b) in shares or room <= 0:
            continue
        units = int(rng.integers(1, min(room, 20) + 1))
        shares[(a, b)] = units
        inbound[b] += units
    roots = {int(r) for r in rng.choice(n, 40, replace=False)}
    return n, shares, roots


@pytest.mark.parametrize("seed", [1, 2])
def test_engine_matches_brute_force_on_a_medium_graph(seed: int) -> None:
    n, units, roots = _medium_graph(seed)
    shares = {k: Fraction(v, 20) for k, v in units.items()}
    arrays = _arrays(n, shares, set())
    result = evaluate(arrays, _policy(roots, "aggregate"), "2026-01-01")
    assert set(np.flatnonzero(result.lo.restricted)) == _naive_fixpoint(
        n, shares, roots, set(), False, False)
    w = np.zeros((n, n))
    for (i, j), s in shares.items():
        w[i, j] = float(s)
    r = np.array([1.0 if i in roots else 0.0 for i in range(n)])
    e = np.linalg.solve(np.eye(n) - (w * (1 - r)[:, None]).T, w.T @ r)
    e[r == 1] = 1.0
    effective = evaluate(arrays, _policy(roots, "effective"), "2026-01-01")
    np.testing.assert_allclose(effective.lo.exposure, e, atol=1e-9)
