"""Fellegi-Sunter: m / u probabilities per feature level, EM without labels, judgement updates.

``u`` (how often a level occurs between different entities) is estimated from random pairs,
which are different entities with overwhelming probability; ``m`` and the match prior
``lambda`` are then fitted by EM on the blocked candidate pairs with ``u`` held fixed (the
Splink recipe, which keeps EM from drifting onto a wrong mixture component). Judgements,
where present, are labelled pairs: their level counts are added to the EM estimates.
Missing levels (index 0) carry weight 0. Probabilities are the posterior of the fitted
two-class mixture, i.e. calibrated on the candidate-pair population they were fitted on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from matching.features import FEATURES, Feature

_EPS = 1e-6
Levels = npt.NDArray[np.int8]


@dataclass
class Model:
    features: tuple[str, ...]
    labels: tuple[tuple[str, ...], ...]  # level labels per feature
    m: list[npt.NDArray[np.float64]]  # per feature: P(level | match), index 0 unused
    u: list[npt.NDArray[np.float64]]
    prior: float = 0.01  # lambda: P(match) among candidate pairs
    history: list[str] = field(default_factory=list)
    _weights: tuple[bytes, list[npt.NDArray[np.float64]]] | None = field(
        default=None, init=False, repr=False, compare=False)

    @classmethod
    def from_priors(cls, features: Sequence[Feature] = FEATURES, prior: float = 0.05) -> Model:
        m = [np.array([1.0, *(lv.m for lv in f.levels)]) for f in features]
        u = [np.array([1.0, *(lv.u for lv in f.levels)]) for f in features]
        return cls(
            features=tuple(f.name for f in features),
            labels=tuple(tuple(lv.label for lv in f.levels) for f in features),
            m=m, u=u, prior=prior, history=["priors"],
        )

    def weights(self) -> list[npt.NDArray[np.float64]]:
        """log2(m/u) per level, made non-increasing from best to worst level; 0 for missing.

        Levels are ordered by similarity, so a closer level must never weigh less than a
        looser one; EM on correlated features can produce such inversions, which we pool.
        """
        # EM updates m and u in place: the weights are kept for the values they were made of
        state = b"".join(a.tobytes() for a in (*self.m, *self.u))
        if self._weights is not None and self._weights[0] == state:
            return self._weights[1]
        out = []
        for m, u in zip(self.m, self.u, strict=True):
            w = np.log2(np.maximum(m, _EPS) / np.maximum(u, _EPS))
            w[0] = 0.0
            w[1:] = _non_increasing(w[1:])
            out.append(w)
        self._weights = (state, out)
        return out

    def evidence(self, levels: Levels) -> npt.NDArray[np.float64]:
        """Bits of evidence of the pair itself (log2 Bayes factor, prior excluded)."""
        total = np.zeros(levels.shape[0])
        for col, w in enumerate(self.weights()):
            total += w[levels[:, col]]
        return total

    def log_odds(self, levels: Levels) -> npt.NDArray[np.float64]:
        prior_bits = float(np.log2(self.prior / (1 - self.prior)))
        return self.evidence(levels) + prior_bits

    def probability(self, levels: Levels) -> npt.NDArray[np.float64]:
        return 1.0 / (1.0 + np.exp2(-np.clip(self.log_odds(levels), -60, 60)))


def _non_increasing(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Pool-adjacent-violators: the closest non-increasing sequence (equal weights)."""
    blocks: list[list[float]] = []  # [sum, count]
    for v in values:
        blocks.append([float(v), 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] < blocks[-1][0] / blocks[-1][1]:
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    out: list[float] = []
    for total, count in blocks:
        out.extend([total / count] * int(count))
    return np.asarray(out)


def _frequencies(column: Levels, n_levels: int, weights: npt.NDArray[np.float64] | None = None) -> npt.NDArray[np.float64]:
    return _frequencies_of(np.bincount(column, weights=weights, minlength=n_levels + 1), n_levels)


def _frequencies_of(counts_in: npt.NDArray[np.float64] | npt.NDArray[np.int64], n_levels: int) -> npt.NDArray[np.float64]:
    counts = counts_in.astype(np.float64)
    counts[0] = 0.0
    total = counts.sum()
    freq = np.full(n_levels + 1, 1.0 / n_levels) if total <= 0 else (counts + _EPS) / (total + _EPS * n_levels)
    freq[0] = 1.0
    return freq


def level_counts(model: Model, levels: Levels) -> list[npt.NDArray[np.int64]]:
    """Per feature, how many pairs fall in each level (index 0: missing)."""
    return [np.bincount(levels[:, col], minlength=len(model.labels[col]) + 1).astype(np.int64)
            for col in range(len(model.features))]


def estimate_u(model: Model, random_levels: Levels, only: frozenset[str] = frozenset()) -> None:
    """u from pairs of different entities: random pairs (different with overwhelming
    probability) or pairs known apart; ``only`` limits it to those features."""
    if random_levels.shape[0] == 0:
        return
    estimate_u_counts(model, level_counts(model, random_levels), random_levels.shape[0], only)


def estimate_u_counts(
    model: Model, counts: Sequence[npt.NDArray[np.int64]], n_pairs: int, only: frozenset[str] = frozenset()
) -> None:
    """:func:`estimate_u` from the pairs' level counts (:func:`level_counts`), which a
    distributed run adds up without gathering the pairs."""
    if n_pairs == 0:
        return
    for col in range(len(model.features)):
        if only and model.features[col] not in only:
            continue
        n = len(model.labels[col])
        observed = counts[col][1:].sum()
        if observed >= 50:  # too few observations: keep the prior
            model.u[col] = _frequencies_of(counts[col], n)
    what = f"{', '.join(sorted(only))} u from {n_pairs} pairs known apart" if only else (
        f"u from {n_pairs} random pairs")
    model.history.append(what)


def train_em(
    model: Model, levels: Levels, iterations: int = 30, tol: float = 1e-5,
    fixed: frozenset[str] = frozenset(),
) -> None:
    """Fit m and the prior by EM on candidate pairs, u held fixed.

    ``fixed`` features keep their m: the features the candidate pairs were blocked on
    (names, here) are biased in that population - every pair already agrees on them - so,
    as in Splink's training sessions, their m is not re-estimated from it.
    """
    if levels.shape[0] == 0:
        return
    done = 0
    for step in range(iterations):
        done = step + 1
        p = model.probability(levels)
        prior = float(np.clip(p.mean(), 1e-6, 1 - 1e-6))
        change = abs(prior - model.prior)
        model.prior = prior
        for col in range(len(model.features)):
            if model.features[col] in fixed:
                continue
            n = len(model.labels[col])
            new = _frequencies(levels[:, col], n, weights=p)
            change = max(change, float(np.abs(new - model.m[col]).max()))
            model.m[col] = new
        if change < tol:
            break
    model.history.append(f"EM {done} iterations on {levels.shape[0]} pairs, prior {model.prior:.4f}")


def train_labelled(model: Model, same: Levels, different: Levels, strength: float = 20.0) -> None:
    """Blend labelled pairs (judgements) into m and u; ``strength`` = pseudo-count of the old."""
    for col in range(len(model.features)):
        n = len(model.labels[col])
        for rows, target in ((same, model.m), (different, model.u)):
            if rows.shape[0] == 0:
                continue
            counts = np.bincount(rows[:, col], minlength=n + 1).astype(np.float64)
            counts[0] = 0.0
            if counts.sum() == 0:
                continue
            blended = target[col] * strength + counts
            blended[0] = 0.0
            blended = blended / blended.sum()
            blended[0] = 1.0
            target[col] = blended
    model.history.append(f"labelled: {same.shape[0]} same, {different.shape[0]} not-same")


def explain(model: Model, levels_row: Levels, scores_row: npt.NDArray[np.float32]) -> list[dict[str, object]]:
    """Per feature: level label, raw score and weight (bits) for one pair."""
    weights = model.weights()
    out: list[dict[str, object]] = []
    for col, name in enumerate(model.features):
        level = int(levels_row[col])
        if level == 0:
            continue
        out.append({
            "feature": name,
            "level": model.labels[col][level - 1],
            "score": round(float(scores_row[col]), 4),
            "weight": round(float(weights[col][level]), 3),
        })
    return out
