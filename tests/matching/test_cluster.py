"""Constrained clustering and stable canonical ids."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from matching.cluster import ConstrainedUnionFind, canonical_ids


def test_conflicting_identifiers_refuse_even_transitively() -> None:
    uf = ConstrainedUnionFind(3, [("lei:A",), (), ("lei:B",)])
    assert uf.union(0, 1) is None
    assert uf.union(1, 2) == "different lei numbers"  # 1 now carries lei:A through 0
    assert uf.find(0) == uf.find(1) != uf.find(2)


def test_not_same_judgement_blocks_any_path() -> None:
    uf = ConstrainedUnionFind(4, [(), (), (), ()])
    uf.add_apart(0, 3)
    assert uf.union(0, 1) is None and uf.union(2, 3) is None
    assert uf.union(1, 2) == "judged not-same"


def test_lines_of_business_keep_siblings_apart() -> None:
    lines = [frozenset({"ENERGY"}), frozenset(), frozenset({"SERVICE"})]
    uf = ConstrainedUnionFind(3, [(), (), ()], lines)
    assert uf.union(0, 1) is None
    assert uf.union(1, 2) == "different lines of business"


def test_clusters_in_different_countries_stay_apart() -> None:
    # same-name companies: one record says DE (0), one CH (1), one can be either (a GmbH)
    places = [frozenset({0}), frozenset({0, 1}), frozenset({1}), frozenset()]
    uf = ConstrainedUnionFind(4, [(), (), (), ()], places=places)
    assert uf.union(0, 1) is None  # the GmbH record fits Germany
    assert uf.union(1, 2) == "different countries"  # the cluster is German now
    assert uf.union(3, 2) is None  # unknown country fits anywhere
    assert uf.union(0, 2, anywhere=True) is None  # a shared identifier overrides


def test_forced_union_ignores_identifiers() -> None:
    uf = ConstrainedUnionFind(2, [("lei:A",), ("lei:B",)])
    assert uf.union(0, 1, force=True) is None and uf.find(0) == uf.find(1)


def test_canonical_id_is_kept_when_a_smaller_id_joins() -> None:
    first = canonical_ids(["m", "z"], [0, 0])
    assert set(first.values()) == {"m"}
    second = canonical_ids(["a", "m", "z"], [0, 0, 0], previous=first)
    assert set(second.values()) == {"m"}  # not "a": ids stay stable across runs


def test_split_cluster_gives_the_old_id_to_the_half_holding_it() -> None:
    previous = {"a": "a", "b": "a", "c": "a"}
    out = canonical_ids(["a", "b", "c"], [0, 1, 1], previous)
    assert out["a"] == "a" and out["b"] == out["c"] == "b"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=30), st.randoms())
def test_canonical_ids_do_not_depend_on_input_order(labels: list[int], rnd: object) -> None:
    ids = [f"r{i:03d}" for i in range(len(labels))]
    pairs = list(zip(ids, labels, strict=True))
    shuffled = pairs[:]
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    a = canonical_ids([p[0] for p in pairs], [p[1] for p in pairs])
    b = canonical_ids([p[0] for p in shuffled], [p[1] for p in shuffled])
    assert a == b
    for rid, label in pairs:  # a canonical id is a member of its own cluster
        assert labels[ids.index(a[rid])] == label
