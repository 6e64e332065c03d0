"""Precision, recall and F1: pairwise and B-cubed, from a predicted and a true clustering.

Both are computed from the contingency table of (predicted cluster, true cluster) counts,
so a 1M-record evaluation never enumerates pairs. Only records present in both mappings
are scored; the counts of the others are reported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def scores(predicted: dict[str, str], truth: dict[str, str]) -> dict[str, float]:
    ids = predicted.keys() & truth.keys()
    cells: Counter[tuple[str, str]] = Counter((predicted[i], truth[i]) for i in ids)
    pred_size: Counter[str] = Counter(predicted[i] for i in ids)
    true_size: Counter[str] = Counter(truth[i] for i in ids)
    tp = sum(_pairs(n) for n in cells.values())
    pred_pairs = sum(_pairs(n) for n in pred_size.values())
    true_pairs = sum(_pairs(n) for n in true_size.values())
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    n = len(ids) or 1
    b_precision = sum(c * c / pred_size[p] for (p, _), c in cells.items()) / n
    b_recall = sum(c * c / true_size[t] for (_, t), c in cells.items()) / n
    return {
        "precision": round(precision, 6),
        "recall": round(recall, 6),
        "f1": round(_f1(precision, recall), 6),
        "bcubed_precision": round(b_precision, 6),
        "bcubed_recall": round(b_recall, 6),
        "bcubed_f1": round(_f1(b_precision, b_recall), 6),
        "records_scored": len(ids),
        "records_without_truth": len(predicted.keys() - truth.keys()),
        "truth_without_prediction": len(truth.keys() - predicted.keys()),
        "true_pairs": true_pairs,
        "predicted_pairs": pred_pairs,
        "true_clusters": len(true_size),
        "predicted_clusters": len(pred_size),
    }


def calibration(
    left_ids: Sequence[str], right_ids: Sequence[str], probabilities: Sequence[float],
    truth: dict[str, str], edges: tuple[float, ...] = (0.0, 0.5, 0.9, 0.99, 1.0),
) -> list[dict[str, float]]:
    """Scored candidate pairs binned by probability: mean probability vs observed match rate."""
    known = np.array([a in truth and b in truth for a, b in zip(left_ids, right_ids, strict=True)], dtype=bool)
    same = np.array([truth.get(a) == truth.get(b) for a, b in zip(left_ids, right_ids, strict=True)], dtype=bool)
    p = np.asarray(probabilities, dtype=np.float64)
    bins = np.clip(np.searchsorted(np.asarray(edges), p, side="right") - 1, 0, len(edges) - 2)
    out: list[dict[str, float]] = []
    for b in range(len(edges) - 1):
        mask = known & (bins == b)
        if mask.any():
            out.append({
                "from": edges[b], "to": edges[b + 1], "pairs": int(mask.sum()),
                "mean_probability": round(float(p[mask].mean()), 4),
                "observed_match_rate": round(float(same[mask].mean()), 4),
            })
    return out


def by_class(predicted: dict[str, str], pairs: Sequence[tuple[str, str, str, bool]]) -> dict[str, dict[str, float]]:
    """Per error class, precision and recall over that class's labelled pairs.

    ``pairs``: (left id, right id, class, same). A class's true pairs give its recall (joined
    / all); its pairs known apart count as false merges when joined, so precision is joined
    true pairs / all joined pairs of the class (1.0 when nothing of it was joined). Pairs
    with an id missing from ``predicted`` are skipped."""
    counts: dict[str, list[int]] = {}  # class -> [true pairs, joined true, pairs apart, joined apart]
    for left, right, cls, same in pairs:
        if left not in predicted or right not in predicted:
            continue
        joined = predicted[left] == predicted[right]
        c = counts.setdefault(cls, [0, 0, 0, 0])
        c[0 if same else 2] += 1
        c[1 if same else 3] += int(joined)
    out: dict[str, dict[str, float]] = {}
    for cls, (positives, found, negatives, wrong) in sorted(counts.items()):
        row: dict[str, float] = {"pairs_same": positives, "pairs_apart": negatives, "false_merges": wrong}
        row["precision"] = round(found / (found + wrong), 4) if found + wrong else 1.0
        if positives:
            row["recall"] = round(found / positives, 4)
        out[cls] = row
    return out


def read_pairs(path: str) -> list[tuple[str, str, str, bool]]:
    """Labelled pairs CSV ``left,right,class,same`` (same: 1 or 0)."""
    import csv

    with open(path, encoding="utf-8", newline="") as handle:
        return [(r["left"], r["right"], r["class"], r["same"] == "1") for r in csv.DictReader(handle)]
