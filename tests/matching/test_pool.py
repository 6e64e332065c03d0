"""The resolver's long steps split over processes give the single process's answer exactly."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from matching import pool
from matching.blocking import block
from matching.features import compute_levels
from matching.generate import generate
from matching.normalize import Normalizer
from matching.prepare import prepare
from matching.resolve import ResolveConfig, resolve


@pytest.fixture(scope="module")
def records() -> list:
    records, _ = generate(4000, seed=11)
    return records


def test_pairs_compared_in_two_processes_equal_one_process(records: list, monkeypatch: pytest.MonkeyPatch) -> None:
    prep = prepare(records, Normalizer())
    pairs = block(prep, ResolveConfig().blocking)
    assert pairs.left.size > 1000
    monkeypatch.setattr(pool, "MIN_PAIRS_PER_WORKER", 100)
    levels, scores = pool.compare_pairs(prep, pairs.left, pairs.right, 2)
    one_levels, one_scores = compute_levels(prep, pairs.left, pairs.right)
    assert levels.shape == one_levels.shape and (levels > 0).any()
    np.testing.assert_array_equal(levels, one_levels)
    np.testing.assert_array_equal(scores, one_scores)


def test_names_normalised_in_two_processes_equal_one_process(records: list) -> None:
    names = [n for r in records for n in r.names]
    parallel, single = Normalizer(), Normalizer()
    parallel.warm(names, workers=2, chunk=200)  # 4 x chunk distinct names: really forked
    assert all(parallel.name(n) == single.name(n) for n in names)


def test_resolution_with_two_workers_is_the_single_process_one(
        records: list, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool, "MIN_PAIRS_PER_WORKER", 100)
    config = ResolveConfig(workers=1)
    one = resolve(records, config=config)
    two = resolve(records, config=dataclasses.replace(config, workers=2))
    assert two.canonical == one.canonical
    assert len(set(one.canonical.values())) < len(records)  # it did merge
    assert two.stats["pairs"] == one.stats["pairs"]
