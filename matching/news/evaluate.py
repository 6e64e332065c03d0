"""Precision and recall of extracted claims against a hand-labelled sentence set.

A claim is (owner, owned, percent). A predicted claim matches a labelled one when both names
match by normalised containment (``names_match``) and the stated percentages are equal (both
absent, or within 0.05 points). Each labelled claim can be matched once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from matching.news.names import names_match
from matching.news.pipeline import NewsPipeline


@dataclass(frozen=True, slots=True)
class LabelledClaim:
    owner: str
    owned: str
    percent: float | None
    polarity: str = ""


@dataclass(frozen=True, slots=True)
class LabelledSentence:
    id: str
    text: str
    claims: tuple[LabelledClaim, ...]
    published: str | None = None


@dataclass
class Scores:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    sentences: int = 0
    errors: list[dict[str, object]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_positives + self.false_negatives
        return self.true_positives / wanted if wanted else 1.0

    def summary(self) -> dict[str, object]:
        return {
            "sentences": self.sentences, "tp": self.true_positives, "fp": self.false_positives,
            "fn": self.false_negatives, "precision": round(self.precision, 4), "recall": round(self.recall, 4),
        }


def load_labelled(path: Path) -> list[LabelledSentence]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            r = json.loads(line)
            claims = tuple(
                LabelledClaim(c["owner"], c["owned"], c["percent"], c.get("polarity", "")) for c in r["claims"]
            )
            rows.append(LabelledSentence(r["id"], r["text"], claims, r.get("published")))
    return rows


def _same(pred: LabelledClaim, gold: LabelledClaim) -> bool:
    if not (names_match(pred.owner, gold.owner) and names_match(pred.owned, gold.owned)):
        return False
    if pred.percent is None or gold.percent is None:
        return pred.percent is None and gold.percent is None
    return abs(pred.percent - gold.percent) < 0.05


def score_sentence(predicted: Iterable[LabelledClaim], gold: tuple[LabelledClaim, ...], scores: Scores, sid: str) -> None:
    unmatched = list(dict.fromkeys((g.owner, g.owned, g.percent) for g in gold))
    seen: set[tuple[str, str, float | None]] = set()
    for p in predicted:
        key = (p.owner, p.owned, p.percent)
        if key in seen:
            continue
        seen.add(key)
        hit = next((g for g in unmatched if _same(p, LabelledClaim(*g))), None)
        if hit is not None:
            unmatched.remove(hit)
            scores.true_positives += 1
        elif any(_same(p, g) for g in gold):
            continue  # a second spelling of a claim already matched: neither right nor wrong twice
        else:
            scores.false_positives += 1
            scores.errors.append({"id": sid, "kind": "fp", "claim": key})
    scores.false_negatives += len(unmatched)
    scores.errors += [{"id": sid, "kind": "fn", "claim": g} for g in unmatched]


def evaluate(pipeline: NewsPipeline, labelled: list[LabelledSentence]) -> Scores:
    scores = Scores()
    for row in labelled:
        claims = pipeline.extract_text(row.text, article_id=row.id, published=row.published)
        predicted = [LabelledClaim(c.owner.text, c.owned.text, c.percent, c.polarity) for c in claims]
        score_sentence(predicted, row.claims, scores, row.id)
        scores.sentences += 1
    return scores
