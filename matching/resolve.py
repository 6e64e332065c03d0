"""The resolver: records (+ judgements, + previous canonical ids) -> clusters with explanations.

normalise -> block -> compare (features) -> Fellegi-Sunter (u from random pairs, m by EM,
labelled judgements blended in) -> constrained clustering -> stable canonical ids.
Pure: no I/O; the CLI and the store-backed command feed it and persist what it returns.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from graph.collections_pause import rare_collections
from graph.model import Decision, Judgement, MatchCandidate
from matching.blocking import BlockingConfig, block
from matching.cluster import ConstrainedUnionFind, canonical_ids
from matching.coherence import RecordsApart
from matching.features import FEATURES, compute_levels
from matching.fellegi_sunter import (
    Model,
    estimate_u,
    estimate_u_counts,
    explain,
    level_counts,
    train_em,
    train_labelled,
)
from matching.jurisdiction import plausible_countries
from matching.normalize import Normalizer
from matching.pool import compare_pairs, default_workers
from matching.prepare import Prepared, prepare
from matching.records import Record

log = logging.getLogger(__name__)
IDENT_COL = [f.name for f in FEATURES].index("identifiers")
NAME_COL = [f.name for f in FEATURES].index("name")
REVIEW_OTHER_BITS = 4.0  # evidence besides the name that puts a weak-name pair in review
# A record that fits two companies joins the one its links favour by this many bits (about
# what a shared address weighs), else neither.
AMBIGUITY_MARGIN = 4.0
MIN_APART_PAIRS = 500
# Training is trusted with at least this many candidate pairs and a fitted share of matches
# among them in this range; else the declared priors apply (see _train).
MIN_TRAIN_PAIRS = 200
MIN_PRIOR, MAX_PRIOR = 0.0001, 0.9999
FALLBACK_PRIOR = 0.05


@dataclass(frozen=True)
class Thresholds:
    auto: float = 0.9  # merge at or above
    review: float = 0.5  # queue for review at or above (and below auto)
    # A merge also needs the names to agree at least this well (name level index, 1 = exact)
    # or a shared identifier: in a match-rich block the prior alone can push a pair with
    # different names over ``auto``, and one such link joins two large clusters.
    max_name_level: int = 4


@dataclass(frozen=True)
class ResolveConfig:
    thresholds: Thresholds = Thresholds()
    blocking: BlockingConfig = BlockingConfig()
    em_iterations: int = 40
    em_sample: int = 400_000
    random_pairs: int = 100_000
    seed: int = 7
    # Processes for normalising names and comparing pairs (matching.pool): the cores this
    # process may use, at most two; 1 runs everything in this process.
    workers: int = field(default_factory=default_workers)


@dataclass
class Resolution:
    """What a run decided; explanations are built on demand (cheap to keep, costly to print)."""

    prep: Prepared
    model: Model
    canonical: dict[str, str]
    left: npt.NDArray[np.int32]  # record-pair endpoints (name rows)
    right: npt.NDArray[np.int32]
    levels: npt.NDArray[np.int8]
    scores: npt.NDArray[np.float32]
    probability: npt.NDArray[np.float64]
    merged: npt.NDArray[np.bool_]  # this pair joined two clusters
    review: npt.NDArray[np.bool_]
    refused: dict[int, str] = field(default_factory=dict)  # pair index -> constraint
    judged_merges: list[tuple[str, str, str]] = field(default_factory=list)
    stats: dict[str, float] = field(default_factory=dict)

    def rec_id(self, row: int) -> str:
        return str(self.prep.records[self.prep.name_rec[row]].id)

    def explanation(self, k: int) -> str:
        detail: dict[str, object] = {
            "probability": round(float(self.probability[k]), 6),
            "prior": round(self.model.prior, 6),
            "features": explain(self.model, self.levels[k], self.scores[k]),
            "names": [self.prep.texts[self.left[k]], self.prep.texts[self.right[k]]],
        }
        if k in self.refused:
            detail["refused"] = self.refused[k]
        if self.levels[k, IDENT_COL] == 1:
            detail["rule"] = "shared valid identifier"
        return json.dumps(detail, ensure_ascii=False)

    def candidates(self) -> list[MatchCandidate]:
        out = [
            MatchCandidate(a, b, 1.0, json.dumps({"rule": "judged same", "by": who}), "merged")
            for a, b, who in self.judged_merges
        ]
        for status, mask in (("merged", self.merged), ("review", self.review)):
            for k in np.flatnonzero(mask):
                out.append(MatchCandidate(
                    self.rec_id(self.left[k]), self.rec_id(self.right[k]),
                    float(self.probability[k]), self.explanation(int(k)), status,
                ))
        return out


def resolve(
    records: Sequence[Record],
    *,
    judgements: Sequence[Judgement] = (),
    previous: dict[str, str] | None = None,
    config: ResolveConfig | None = None,
    normalizer: Normalizer | None = None,
) -> Resolution:
    with rare_collections():  # millions of small acyclic objects (see the module there)
        return _resolve(records, judgements=judgements, previous=previous, config=config, normalizer=normalizer)


def _resolve(
    records: Sequence[Record],
    *,
    judgements: Sequence[Judgement] = (),
    previous: dict[str, str] | None = None,
    config: ResolveConfig | None = None,
    normalizer: Normalizer | None = None,
) -> Resolution:
    config = config or ResolveConfig()
    clock = _Clock()
    prep = prepare(records, normalizer or Normalizer(), config.workers)
    clock.lap("prepare")
    blocks = block(prep, config.blocking)
    clock.lap("block")
    levels, scores = compare_pairs(prep, blocks.left, blocks.right, config.workers)
    clock.lap("compare")
    decided = _latest(judgements, {r.id for r in records})
    model = _train(prep, levels, decided, config)
    clock.lap("train")
    probability = pair_probability(model, levels, config.thresholds)
    out = settle(prep, ScoredPairs(blocks.left, blocks.right, levels, scores, probability), model, decided,
                 config.thresholds, previous)
    clock.lap("cluster")
    out.stats = {
        "records": len(records), "workers": config.workers, "names": prep.n_names, "pairs": int(out.left.size),
        "windowed_blocks": blocks.windowed_blocks, "merged_pairs": int(out.merged.sum()),
        "review_pairs": int(out.review.sum()), "refused": len(out.refused),
        "clusters": len(set(out.canonical.values())), **clock.laps,
    }
    log.info("resolved", extra=out.stats)
    return out


@dataclass(frozen=True)
class ScoredPairs:
    """Candidate name-row pairs with their feature levels, raw scores and probability."""

    left: npt.NDArray[np.int32]
    right: npt.NDArray[np.int32]
    levels: npt.NDArray[np.int8]
    scores: npt.NDArray[np.float32]
    probability: npt.NDArray[np.float64]


def pair_probability(model: Model, levels: npt.NDArray[np.int8], thresholds: Thresholds) -> npt.NDArray[np.float64]:
    """The match probability of each pair, with the resolver's rules over the model's:
    a weak or missing name never reaches ``auto``; a shared valid identifier is 1."""
    probability = model.probability(levels)
    name_level = levels[:, NAME_COL]
    weak = (name_level == 0) | (name_level > thresholds.max_name_level)
    probability[weak] = np.minimum(probability[weak], np.nextafter(thresholds.auto, 0))
    probability[levels[:, IDENT_COL] == 1] = 1.0  # same valid identifier -> same entity
    # Different valid numbers of one register (two LEIs, two company numbers): two entities
    # (a cannot-link, also in the clustering), not a pair to review, whatever the names say.
    probability[levels[:, IDENT_COL] == 2] = 0.0
    return probability


def settle(
    prep: Prepared, pairs: ScoredPairs, model: Model, decided: dict[tuple[str, str], Judgement],
    thresholds: Thresholds, previous: dict[str, str] | None = None,
) -> Resolution:
    """Scored pairs -> clusters, review queue and canonical ids (no statistics).

    Records linked by no pair at or above ``auto`` and no judgement are settled
    independently, so a distributed run settles its connected parts apart with this
    function and gets what settling them together gives."""
    left, right, levels, scores, probability = _per_record_pair(
        prep, pairs.left, pairs.right, pairs.levels, pairs.scores, pairs.probability, model.log_odds(pairs.levels)
    )
    other = model.evidence(levels) - model.weights()[NAME_COL][levels[:, NAME_COL]]
    evidence = _Evidence(levels, other, model.log_odds(levels))
    merged, review, refused, judged, roots = _cluster(prep, left, right, probability, decided, thresholds, evidence)
    canonical = canonical_ids([r.id for r in prep.records], roots, previous)
    return Resolution(
        prep=prep, model=model, canonical=canonical, left=left, right=right, levels=levels,
        scores=scores, probability=probability, merged=merged, review=review,
        refused=refused, judged_merges=judged,
    )


@dataclass(frozen=True)
class _Evidence:
    levels: npt.NDArray[np.int8]  # per record pair and feature
    other: npt.NDArray[np.float64]  # bits from everything but the name
    bits: npt.NDArray[np.float64]  # log-odds of the pair


def _latest(judgements: Sequence[Judgement], known: set[str]) -> dict[tuple[str, str], Judgement]:
    """The newest judgement per unordered pair of known ids."""
    out: dict[tuple[str, str], Judgement] = {}
    for j in sorted(judgements, key=lambda j: j.at):
        if j.left in known and j.right in known and j.left != j.right:
            out[(min(j.left, j.right), max(j.left, j.right))] = j
    return out


def _train(
    prep: Prepared, levels: npt.NDArray[np.int8], decided: dict[tuple[str, str], Judgement],
    config: ResolveConfig,
) -> Model:
    draws = training_draws(prep.n_names, levels.shape[0], config)
    keep = prep.name_rec[draws.left] != prep.name_rec[draws.right]
    random_levels, _ = compute_levels(prep, draws.left[keep], draws.right[keep])
    apart = levels[levels[:, IDENT_COL] == 2]
    same, different = _judged_levels(prep, decided) if decided else (_NO_LEVELS, _NO_LEVELS)
    return fit_model(TrainingData(
        random_levels=random_levels, apart_counts=level_counts(Model.from_priors(), apart),
        n_apart=apart.shape[0], sample=levels if draws.sample is None else levels[draws.sample],
        n_pairs=levels.shape[0], judged_same=same, judged_different=different,
    ), config)


_NO_LEVELS = np.zeros((0, len(FEATURES)), dtype=np.int8)


@dataclass(frozen=True)
class TrainingDraws:
    """The random draws of a training run: random name-row pairs (u) and, when there are
    more candidate pairs than ``em_sample``, the positions of those EM is fitted on."""

    left: npt.NDArray[np.int32]
    right: npt.NDArray[np.int32]
    sample: npt.NDArray[np.int64] | None


def training_draws(n_names: int, n_pairs: int, config: ResolveConfig) -> TrainingDraws:
    """Drawn from ``config.seed`` alone, so any engine that numbers name rows and sorts the
    candidate pairs the same way trains on the same pairs."""
    rng = np.random.default_rng(config.seed)
    a = b = np.zeros(0, dtype=np.int32)
    if n_names > 1:
        a = rng.integers(0, n_names, size=config.random_pairs, dtype=np.int64).astype(np.int32)
        b = rng.integers(0, n_names, size=config.random_pairs, dtype=np.int64).astype(np.int32)
    sample = rng.choice(n_pairs, size=config.em_sample, replace=False) if n_pairs > config.em_sample else None
    return TrainingDraws(a, b, sample)


@dataclass(frozen=True)
class TrainingData:
    """What the model is fitted on (levels: pairs x features)."""

    random_levels: npt.NDArray[np.int8]  # random pairs of different records
    apart_counts: list[npt.NDArray[np.int64]]  # level counts of candidates known apart
    n_apart: int
    sample: npt.NDArray[np.int8]  # the candidate pairs EM is fitted on, in draw order
    n_pairs: int  # candidate pairs in all
    judged_same: npt.NDArray[np.int8]
    judged_different: npt.NDArray[np.int8]


def fit_model(data: TrainingData, config: ResolveConfig) -> Model:
    model = Model.from_priors()
    estimate_u(model, data.random_levels)
    # Blocking picked the candidates by their names, so among them different companies have
    # alike names far more often than random pairs do: the name's u comes from candidates
    # that are known apart (different valid numbers in one scheme), when there are enough.
    if data.n_apart >= MIN_APART_PAIRS:
        estimate_u_counts(model, data.apart_counts, data.n_apart, only=frozenset({"name"}))
    train_em(model, data.sample, iterations=config.em_iterations, fixed=frozenset({"name"}))
    if data.n_pairs < MIN_TRAIN_PAIRS or not MIN_PRIOR <= model.prior <= MAX_PRIOR:
        # Too little data, or a fit that calls (almost) every candidate a match or none: EM
        # could not tell m from u (two records of one small CSV came out at probability 1.0).
        # The declared m / u of each level (matching.features) and a modest prior decide.
        why = f"fallback to declared priors: {data.n_pairs} candidate pairs, fitted prior {model.prior:.4f}"
        model = Model.from_priors(prior=FALLBACK_PRIOR)
        model.history.append(why)
    if data.judged_same.shape[0] or data.judged_different.shape[0]:
        train_labelled(model, data.judged_same, data.judged_different)
    return model


def _judged_levels(
    prep: Prepared, decided: dict[tuple[str, str], Judgement]
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int8]]:
    first = _first_rows(prep)
    pairs = {Decision.SAME: ([], []), Decision.NOT_SAME: ([], [])}  # type: ignore[var-annotated]
    for (a, b), j in decided.items():
        if j.decision in pairs:
            pairs[j.decision][0].append(first[a])
            pairs[j.decision][1].append(first[b])
    out = []
    for decision in (Decision.SAME, Decision.NOT_SAME):
        lv, _ = compute_levels(
            prep, np.asarray(pairs[decision][0], dtype=np.int32), np.asarray(pairs[decision][1], dtype=np.int32)
        )
        out.append(lv)
    return out[0], out[1]


def _first_rows(prep: Prepared) -> dict[str, int]:
    first: dict[str, int] = {}
    for row, rec in enumerate(prep.name_rec):
        first.setdefault(prep.records[rec].id, row)
    return first


def _per_record_pair(
    prep: Prepared, left: npt.NDArray[np.int32], right: npt.NDArray[np.int32],
    levels: npt.NDArray[np.int8], scores: npt.NDArray[np.float32], probability: npt.NDArray[np.float64],
    log_odds: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32], npt.NDArray[np.int8], npt.NDArray[np.float32], npt.NDArray[np.float64]]:
    """Keep, per record pair, the best-scoring name pair; order by probability (desc), stably.

    Probabilities saturate at 1.0 for many pairs; among those, more evidence goes first, so
    that clusters form from their best links before a weaker one can bridge two of them."""
    ra = prep.name_rec[left].astype(np.int64)
    rb = prep.name_rec[right].astype(np.int64)
    code = np.minimum(ra, rb) * prep.n_records + np.maximum(ra, rb)
    order = np.lexsort((code, -log_odds, -probability))
    code_sorted = code[order]
    _, first = np.unique(code_sorted, return_index=True)
    keep = order[np.sort(first)]
    return left[keep], right[keep], levels[keep], scores[keep], probability[keep]


def _cluster(
    prep: Prepared, left: npt.NDArray[np.int32], right: npt.NDArray[np.int32],
    probability: npt.NDArray[np.float64], decided: dict[tuple[str, str], Judgement],
    thresholds: Thresholds, evidence: _Evidence,
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_], dict[int, str], list[tuple[str, str, str]], list[int]]:
    index = {r.id: i for i, r in enumerate(prep.records)}
    descriptors: list[set[str]] = [set() for _ in range(prep.n_records)]
    for row, rec in enumerate(prep.name_rec):
        descriptors[rec].update(prep.forms[row].symbols)
    places = plausible_countries(prep)
    apart = RecordsApart(prep, places)
    uf = ConstrainedUnionFind(prep.n_records, prep.idents, [frozenset(d) for d in descriptors], places,
                              apart_fn=apart, signatures=apart.signatures)
    for (a, b), j in decided.items():
        if j.decision == Decision.NOT_SAME:
            uf.add_apart(index[a], index[b])
    judged: list[tuple[str, str, str]] = []
    for (a, b), j in decided.items():
        if j.decision == Decision.SAME and uf.conflict(index[a], index[b]) != "judged not-same":
            uf.union(index[a], index[b], force=True)  # a person's decision beats identifiers
            judged.append((a, b, j.user))
    ra, rb = prep.name_rec[left], prep.name_rec[right]
    merged = np.zeros(left.size, dtype=bool)
    refused: dict[int, str] = {}
    levels, other_evidence = evidence.levels, evidence.other
    _merge_auto(uf, ra, rb, probability >= thresholds.auto, levels[:, IDENT_COL] == 1, places, evidence.bits,
                merged, refused)
    roots = uf.labels()
    root_arr = np.asarray(roots, dtype=np.int64)
    apart = root_arr[ra] != root_arr[rb]
    # The queue holds pairs a person can decide: names at least partly alike, or other
    # evidence for them. Pairs whose only tie is a weak name stay out (there are many).
    name_ok = (levels[:, NAME_COL] >= 1) & (levels[:, NAME_COL] <= thresholds.max_name_level)
    review = (probability >= thresholds.review) & apart & (name_ok | (other_evidence > REVIEW_OTHER_BITS))
    for pos, (x, y) in enumerate(zip(ra, rb, strict=True)) if decided else ():
        ids = (prep.records[x].id, prep.records[y].id)
        found = decided.get((min(ids), max(ids)))
        if found is not None and found.decision != Decision.UNSURE:
            review[pos] = False  # decided by a person: not in the queue
    return merged, review, refused, judged, roots


def _merge_auto(
    uf: ConstrainedUnionFind, ra: npt.NDArray[np.int32], rb: npt.NDArray[np.int32],
    auto: npt.NDArray[np.bool_], shared_id: npt.NDArray[np.bool_], places: list[frozenset[int]],
    log_odds: npt.NDArray[np.float64], merged: npt.NDArray[np.bool_], refused: dict[int, str],
) -> None:
    """Join the auto pairs (already ordered, most probable first) in two passes.

    First the pairs whose records say as much as each other - both where they are, and both
    or neither what they do - or share an identifier, so that clusters know their country
    and line of business. Then the rest. A record that says less and fits two clusters that
    are two companies joins neither: "MIKHAIL GLEICH" (no country, no legal form) next to a
    US and a Luxembourg company of that name, "X Y Ltd" next to "X Y Energy" and "X Y
    Capital") - unless its links to one of them carry clearly more evidence (the same
    address, say) than to any other. Such a record is a bridge, not evidence."""
    known = np.fromiter((bool(p) for p in places), dtype=bool, count=len(places))
    lines = np.zeros(len(places), dtype=bool)
    lines[list(uf.lines)] = True
    anchored = auto & ((known[ra] & known[rb] & (lines[ra] == lines[rb])) | shared_id)
    for k in np.flatnonzero(anchored):
        _join(uf, int(k), int(ra[k]), int(rb[k]), bool(shared_id[k]), merged, refused)
    rest = np.flatnonzero(auto & ~anchored)
    ambiguous = _ambiguous(uf, ra[rest], rb[rest], log_odds[rest])
    for k in rest:
        if int(ra[k]) in ambiguous or int(rb[k]) in ambiguous:
            refused[int(k)] = "fits two companies (another country or line of business)"
            continue
        _join(uf, int(k), int(ra[k]), int(rb[k]), False, merged, refused)


def _join(
    uf: ConstrainedUnionFind, k: int, a: int, b: int, shared_id: bool,
    merged: npt.NDArray[np.bool_], refused: dict[int, str],
) -> None:
    if uf.find(a) == uf.find(b):
        return
    reason = uf.union(a, b, anywhere=shared_id)
    if reason:
        refused[k] = reason
    else:
        merged[k] = True


def _ambiguous(
    uf: ConstrainedUnionFind, ra: npt.NDArray[np.int32], rb: npt.NDArray[np.int32], log_odds: npt.NDArray[np.float64],
) -> set[int]:
    """Records with auto links into two clusters that may not be joined (country, line,
    identifiers, strong evidence apart) and that the record itself could join, neither of
    which the links favour by ``AMBIGUITY_MARGIN`` bits."""
    targets: dict[int, dict[int, float]] = {}
    for a, b, bits in zip(ra.tolist(), rb.tolist(), log_odds.tolist(), strict=True):
        for rec, other in ((a, b), (b, a)):
            best = targets.setdefault(rec, {})
            root = uf.find(other)
            best[root] = max(best.get(root, -np.inf), bits)
    out: set[int] = set()
    for rec, roots in targets.items():
        roots.pop(uf.find(rec), None)
        if len(roots) < 2:
            continue
        ranked = [kv for kv in sorted(roots.items(), key=lambda kv: (-kv[1], kv[0])) if uf.conflict(rec, kv[0]) is None]
        if len(ranked) < 2:
            continue
        top, top_bits = ranked[0]
        # rivals: clusters the record could join (``ranked``) that may not join the best one
        rivals = [bits for root, bits in ranked[1:] if uf.conflict(top, root) is not None]
        if rivals and max(rivals) > top_bits - AMBIGUITY_MARGIN:
            out.add(rec)
    return out


def _apart(uf: ConstrainedUnionFind, roots: list[int]) -> bool:
    for i, x in enumerate(roots):
        for y in roots[i + 1 :]:
            wx, wy = uf.where.get(x), uf.where.get(y)
            lx, ly = uf.lines.get(x), uf.lines.get(y)
            if (wx and wy and not wx & wy) or (lx and ly and not lx & ly):
                return True
    return False


class _Clock:
    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[f"seconds_{name}"] = round(now - self.start, 3)
        self.start = now
