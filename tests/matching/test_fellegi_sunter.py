"""EM recovers known m / u / prior from unlabelled data; judgements shift the weights."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.features import FEATURES
from matching.fellegi_sunter import Model, _non_increasing, estimate_u, train_em, train_labelled


def _draw(model: Model, n: int, prior: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    is_match = rng.random(n) < prior
    levels = np.zeros((n, len(model.features)), dtype=np.int8)
    for col in range(len(model.features)):
        m, u = model.m[col][1:], model.u[col][1:]
        k = len(m)
        levels[is_match, col] = rng.choice(k, size=is_match.sum(), p=m / m.sum()) + 1
        levels[~is_match, col] = rng.choice(k, size=(~is_match).sum(), p=u / u.sum()) + 1
    return levels, is_match


def test_em_recovers_prior_and_m() -> None:
    rng = np.random.default_rng(3)
    truth = Model.from_priors()
    levels, _ = _draw(truth, 40_000, 0.2, rng)
    random_levels, _ = _draw(truth, 40_000, 0.0, rng)
    model = Model.from_priors(prior=0.5)
    model.m = [np.r_[1.0, np.full(len(m) - 1, 1.0 / (len(m) - 1))] for m in model.m]  # flat start
    estimate_u(model, random_levels)
    train_em(model, levels, iterations=200)
    assert abs(model.prior - 0.2) < 0.02
    name = model.features.index("name")
    assert np.allclose(model.m[name][1:], truth.m[name][1:], atol=0.03)


def test_probability_separates_matches() -> None:
    rng = np.random.default_rng(5)
    model = Model.from_priors()
    levels, is_match = _draw(model, 5000, 0.3, rng)
    p = model.probability(levels)
    assert p[is_match].mean() > 0.9 and p[~is_match].mean() < 0.1


def test_labelled_pairs_raise_the_weight_of_what_they_show() -> None:
    model = Model.from_priors()
    address = model.features.index("address")
    before = model.weights()[address][3]  # "different" address
    same = np.zeros((200, len(FEATURES)), dtype=np.int8)
    same[:, address] = 3  # judged-same pairs with different addresses
    train_labelled(model, same, np.zeros((0, len(FEATURES)), dtype=np.int8))
    assert model.weights()[address][3] > before


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-20, 20), min_size=1, max_size=8))
def test_pooled_weights_are_non_increasing_and_keep_the_mean(values: list[float]) -> None:
    out = _non_increasing(np.asarray(values))
    assert all(out[i] >= out[i + 1] - 1e-9 for i in range(len(out) - 1))
    assert abs(out.sum() - sum(values)) < 1e-6
