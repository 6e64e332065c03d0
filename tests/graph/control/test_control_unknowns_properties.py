"""Unknown owners against brute force on small random graphs (hypothesis), in both readings.

``explicit``: the pessimistic evaluation starts from the roots, the parties flagged unknown,
entities with an explicit reporting exception and entities in which an unknown party holds
an interest of unstated nature that may pass the threshold; ``strict`` adds every entity of
kind unknown, every exception and each entity's unrecorded share.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.control.engine import INSUFFICIENT, evaluate
from graph.control.explain import Explainer
from graph.control.files import EdgeRow, EntityRow, arrays_from_rows
from graph.control.policies import Policy, RootRule
from graph.control.unknowns import is_explicit_reason
from graph.model import InterestKind

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EXCEPTIONS = ["NON_PUBLIC", "NATURAL_PERSONS", "NO_KNOWN_PERSON", "psc-exists-but-not-identified",
              "no-individual-or-entity-with-signficant-control", "NO_LEI"]
KINDS = ["company", "company", "person", "unknown"]


@dataclass
class Graph:
    n: int
    kinds: list[str]
    flagged: set[int]  # unknown_party
    exceptions: dict[int, str]
    shares: dict[tuple[int, int], tuple[Fraction, Fraction]]  # shareholding [lo, hi]
    other: dict[tuple[int, int], Fraction]  # "other" interests, [0, hi]
    roots: set[int]


@st.composite
def graphs(draw: st.DrawFn) -> Graph:
    n = draw(st.integers(2, 10))
    pairs = [(i, j) for i in range(n) for j in range(n) if i != j]
    kinds = [draw(st.sampled_from(KINDS)) for _ in range(n)]
    flagged = set(draw(st.lists(st.integers(0, n - 1), max_size=3, unique=True)))
    exc = draw(st.dictionaries(st.integers(0, n - 1), st.sampled_from(EXCEPTIONS), max_size=3))
    shares = {}
    for i, j in draw(st.lists(st.sampled_from(pairs), max_size=min(20, len(pairs)), unique=True)):
        lo = draw(st.integers(0, 20))
        shares[(i, j)] = (Fraction(lo, 20), Fraction(draw(st.integers(lo, 20)), 20))
    other = {p: Fraction(draw(st.sampled_from([1, 10, 20])), 20)
             for p in draw(st.lists(st.sampled_from(pairs), max_size=3, unique=True))}
    roots = set(draw(st.lists(st.integers(0, n - 1), max_size=2, unique=True)))
    return Graph(n, kinds, flagged, exc, shares, other, roots)


def _arrays(g: Graph) -> object:
    entities = [EntityRow(f"e{i}", kind=g.kinds[i],
                          flags=frozenset({"unknown_party"} if i in g.flagged else ()),
                          exceptions=frozenset({g.exceptions[i]} if i in g.exceptions else ()))
                for i in range(g.n)]
    edges = [EdgeRow(f"e{i}", f"e{j}", "shareholding", float(lo), float(hi))
             for (i, j), (lo, hi) in g.shares.items()]
    edges += [EdgeRow(f"e{i}", f"e{j}", "other", 0.0, float(hi)) for (i, j), hi in g.other.items()]
    return arrays_from_rows(entities, edges)


def _policy(g: Graph, unknowns: str, inclusive: bool) -> Policy:
    return Policy(name="t", roots=RootRule(ids=frozenset(f"e{i}" for i in g.roots)),
                  comparison=">=" if inclusive else ">", unknowns=unknowns,  # type: ignore[arg-type]
                  share_kinds=(InterestKind.SHAREHOLDING,), control_kinds=())


def _passes(x: Fraction, inclusive: bool) -> bool:
    return x >= Fraction(1, 2) if inclusive else x > Fraction(1, 2)


def _naive_possible(g: Graph, strict: bool, inclusive: bool) -> set[int]:
    """The pessimistic set, one entity and one round at a time (a policy without roots
    restricts nobody, so it has nothing to be pessimistic about)."""
    if not g.roots:
        return set()
    parties = {i for i in range(g.n) if i in g.flagged or (strict and g.kinds[i] == "unknown")}
    start = set(g.roots) | parties
    start |= {i for i, r in g.exceptions.items() if strict or is_explicit_reason(r)}
    start |= {j for (i, j), hi in g.other.items() if i in parties and _passes(hi, inclusive)}
    extra = [Fraction(0)] * g.n
    if strict:
        for y in range(g.n):
            if g.kinds[y] != "person":
                known = sum((lo for (_, j), (lo, _) in g.shares.items() if j == y), Fraction(0))
                extra[y] = max(Fraction(0), 1 - known)
    possible = set(start)
    changed = True
    while changed:
        changed = False
        for y in range(g.n):
            if y in possible:
                continue
            held = sum((hi for (z, j), (_, hi) in g.shares.items() if j == y and z in possible),
                       Fraction(0))
            if _passes(held + extra[y], inclusive):
                possible.add(y)
                changed = True
    return possible


@SETTINGS
@given(graphs(), st.booleans())
def test_pessimistic_evaluation_matches_brute_force_in_both_readings(g: Graph, inclusive: bool
                                                                   ) -> None:
    arrays = _arrays(g)
    for mode in ("explicit", "strict"):
        result = evaluate(arrays, _policy(g, mode, inclusive), "2026-01-01")  # type: ignore[arg-type]
        expected = _naive_possible(g, mode == "strict", inclusive)
        got = set(np.flatnonzero(result.possible))
        assert got == expected | set(np.flatnonzero(result.hi.restricted)), mode


@SETTINGS
@given(graphs(), st.booleans())
def test_explicit_reading_is_never_more_pessimistic_and_never_touches_block_or_review(
        g: Graph, inclusive: bool) -> None:
    arrays = _arrays(g)
    explicit = evaluate(arrays, _policy(g, "explicit", inclusive), "2026-01-01")  # type: ignore[arg-type]
    strict = evaluate(arrays, _policy(g, "strict", inclusive), "2026-01-01")  # type: ignore[arg-type]
    assert np.all(strict.possible >= explicit.possible)
    assert np.array_equal(explicit.lo.restricted, strict.lo.restricted)
    assert np.array_equal(explicit.hi.restricted, strict.hi.restricted)
    if not (g.flagged or g.exceptions):  # nothing withheld: nothing undecidable
        assert not np.any(explicit.verdict == INSUFFICIENT)


@SETTINGS
@given(graphs(), st.sampled_from(["explicit", "strict"]))
def test_every_insufficient_answer_names_counted_unknowns(g: Graph, mode: str) -> None:
    arrays = _arrays(g)
    result = evaluate(arrays, _policy(g, mode, False), "2026-01-01")  # type: ignore[arg-type]
    why = Explainer.build(arrays, result)  # type: ignore[arg-type]
    counted = result.unknowns.roots
    for y in np.flatnonzero(result.verdict == INSUFFICIENT):
        reasons = why.entity(int(y))["reasons"]
        assert reasons, f"e{y} is INSUFFICIENT_DATA without a reason"
        for r in reasons:
            i = int(r["entity"][1:])
            if r["code"] == "unaccounted_share":
                assert mode == "strict" and result.unaccounted[i] > 0
            elif r["code"] == "undisclosed_interest":
                assert result.unknowns.parties[i] and counted[int(r["via"][1:])]
            else:
                assert counted[i], r
