"""Every feature's vectorised batch agrees with its scalar definition, on real and generated pairs."""

from __future__ import annotations

import numpy as np
import pytest

from matching import datasets
from matching.blocking import block
from matching.features import FEATURES, Feature
from matching.generate import generate
from matching.normalize import Normalizer
from matching.prepare import Prepared, prepare


@pytest.fixture(scope="module")
def prepared_sets() -> list[Prepared]:
    generated, _ = generate(2500, seed=21)
    patstat, _ = datasets.patstat()
    return [prepare(generated, Normalizer()), prepare(patstat, Normalizer())]


@pytest.mark.parametrize("feature", FEATURES, ids=lambda f: f.name)
def test_batch_equals_scalar(feature: Feature, prepared_sets: list[Prepared]) -> None:
    for prep in prepared_sets:
        blocks = block(prep)
        left, right = blocks.left[:6000], blocks.right[:6000]
        batch = feature.batch(prep, left, right)
        scalar = np.array(
            [np.nan if (v := feature.compare(prep, int(i), int(j))[0]) is None else v
             for i, j in zip(left, right, strict=True)], dtype=np.float32,
        )
        agree = (np.isnan(batch) & np.isnan(scalar)) | np.isclose(batch, scalar, atol=1e-5)
        assert agree.all(), [prep.forms[left[k]].original for k in np.flatnonzero(~agree)[:3]]


def test_levels_are_ordered_and_end_with_a_catch_all() -> None:
    for feature in FEATURES:
        mins = [lv.min_score for lv in feature.levels]
        assert mins == sorted(mins, reverse=True) and mins[-1] == float("-inf")
        assert abs(sum(lv.m for lv in feature.levels) - 1) < 1e-6
        assert abs(sum(lv.u for lv in feature.levels) - 1) < 1e-6
