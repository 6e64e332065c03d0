"""Score one pair of records with the same features, model and merge rule the resolver uses.

For explanations, tests and a screening index: without a trained model the declared prior
m / u values apply (``Model.from_priors``); pass the model of a resolver run to score with
trained weights. Token rarity is measured on the pair itself plus ``background`` records.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from matching.features import FEATURES, compute_levels
from matching.fellegi_sunter import Model, explain
from matching.normalize import Normalizer, default_normalizer
from matching.prepare import prepare
from matching.records import Record
from matching.resolve import IDENT_COL, NAME_COL, Thresholds


@dataclass(frozen=True)
class PairScore:
    probability: float
    merge: bool  # what the resolver would do with this pair alone
    name_level: str
    explanation: str  # JSON: features with level, score and weight


def score_pair(
    a: Record, b: Record, *, model: Model | None = None, thresholds: Thresholds | None = None,
    background: Sequence[Record] = (), normalizer: Normalizer | None = None,
) -> PairScore:
    model = model or Model.from_priors()
    thresholds = thresholds or Thresholds()
    prep = prepare([a, b, *background], normalizer or default_normalizer())
    rows_a = np.flatnonzero(prep.name_rec == 0).astype(np.int32)
    rows_b = np.flatnonzero(prep.name_rec == 1).astype(np.int32)
    left = np.repeat(rows_a, rows_b.size)
    right = np.tile(rows_b, rows_a.size)
    levels, scores = compute_levels(prep, left, right, FEATURES)
    probability = model.probability(levels)
    best = int(np.argmax(probability))
    level = int(levels[best, NAME_COL])
    p = float(probability[best])
    shared_id = bool(levels[best, IDENT_COL] == 1)
    name_ok = 1 <= level <= thresholds.max_name_level
    merge = shared_id or (p >= thresholds.auto and name_ok)
    label = model.labels[NAME_COL][level - 1] if level else "missing"
    detail = {"probability": round(p, 6), "features": explain(model, levels[best], scores[best])}
    return PairScore(probability=1.0 if shared_id else p, merge=merge, name_level=label,
                     explanation=json.dumps(detail, ensure_ascii=False))
