"""Connected components by min-label propagation agree with scipy's on chains, stars and
random graphs (a long chain needs the pointer jumps to settle in few rounds)."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components as scipy_components

from matching.spark.components import connected_components


def _expected(edges: list[tuple[int, int]]) -> dict[int, int]:
    nodes = sorted({x for e in edges for x in e})
    index = {n: k for k, n in enumerate(nodes)}
    a = np.asarray([index[s] for s, _ in edges])
    b = np.asarray([index[d] for _, d in edges])
    graph = sparse.coo_matrix((np.ones(len(edges)), (a, b)), shape=(len(nodes), len(nodes)))
    _, labels = scipy_components(graph, directed=False)
    least: dict[int, int] = {}
    for n in nodes:
        least[labels[index[n]]] = min(least.get(labels[index[n]], n), n)
    return {n: least[labels[index[n]]] for n in nodes}


def test_chains_stars_and_random_edges(spark: Any) -> None:
    rng = np.random.default_rng(3)
    chain = [(k, k + 1) for k in range(1000, 1064)]  # diameter 64
    reversed_chain = [(k + 1, k) for k in range(2000, 2100)]
    star = [(5000, k) for k in range(5001, 5050)]
    loose = [(int(a), int(b)) for a, b in rng.integers(10_000, 10_400, size=(300, 2))]
    edges = chain + reversed_chain + star + loose + [(7, 7)]
    frame = spark.createDataFrame(edges, "src long, dst long")
    labels, rounds = connected_components(frame)
    got = {r["id"]: r["label"] for r in labels.collect()}
    expected = _expected([e for e in edges if e[0] != e[1]])
    assert got == expected
    assert rounds <= 10  # pointer jumping: about log2(64) rounds, not 64
