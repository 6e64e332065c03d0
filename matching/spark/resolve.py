"""``resolve --engine spark``: a Parquet record set resolved on Spark, results as Parquet.

normalise + number (stages.load) -> block (stages.candidate_pairs) -> compare
(stages.compare) -> train on the driver (``matching.resolve.training_draws`` /
``fit_model``: the same random pairs and EM sample as a single-machine run) -> pair
probabilities (``pair_probability``) -> connected components of the merge candidates
(components.py) -> each component settled whole by ``matching.resolve.settle`` (per-record
pairs, cannot-links, coherence, canonical ids) -> results. A component's records and the
pairs that touch it are settled together; what settling decides never depends on records
outside it, so the clusters are those of a single-machine run (tests check equality).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from graph.model import Decision, Judgement, MatchCandidate
from matching.features import FEATURES
from matching.fellegi_sunter import Model
from matching.parquet import result_rows
from matching.resolve import (
    IDENT_COL,
    ResolveConfig,
    ScoredPairs,
    Thresholds,
    TrainingData,
    _latest,
    fit_model,
    pair_probability,
    settle,
    training_draws,
)
from matching.spark.components import connected_components
from matching.spark.frames import matrix_of, running_totals, split_kinds
from matching.spark.part import Shared, build_part, part_records
from matching.spark.stages import (
    LEVELS,
    PAYLOAD,
    RecordSet,
    arrow_schema,
    candidate_pairs,
    compare,
    load,
)

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

N_FEATURES = len(FEATURES)
SCORED = LEVELS + ", p double"
SETTLED = ("kind int, record_id string, canonical_id string, probability double, explanation string, "
           "other_id string, status string")


@dataclass(frozen=True)
class SparkJob:
    records: str  # Parquet record set (file or directory)
    results: str  # Parquet results to write (a directory)
    config: ResolveConfig = ResolveConfig()
    judgements: Sequence[Judgement] = ()
    partitions: int = 8  # parts of the compare and settle stages
    want_candidates: bool = False  # collect merges and the review queue to the driver


@dataclass
class SparkOutcome:
    stats: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    candidates: list[MatchCandidate] = field(default_factory=list)
    model: Model | None = None


def resolve_record_set(spark: SparkSession, job: SparkJob) -> SparkOutcome:
    from pyspark.sql import functions as F

    laps: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        laps[f"seconds_{name}"] = round(now - clock, 3)
        clock = now

    parts = job.partitions
    data = load(spark, job.records, parts)
    lap("prepare")
    pairs = candidate_pairs(data, job.config.blocking, parts).localCheckpoint()
    n_pairs = pairs.count()
    lap("block")
    compared = compare(data, pairs, parts).localCheckpoint()
    # candidate record pairs (a pair of records compared by its best pair of names), as
    # the single-machine run counts them
    record_pairs = compared.select("lo_rec", "hi_rec").distinct().count()
    lap("compare")
    judged = _judged(data, job.judgements)
    model = _train(data, compared, n_pairs, judged, job.config, parts)
    lap("train")
    scored = compared.mapInArrow(_probability(model, job.config.thresholds), SCORED) \
        .where(F.col("p") >= job.config.thresholds.review).localCheckpoint()
    auto = scored.where(F.col("p") >= job.config.thresholds.auto).select(
        F.col("lo_rec").alias("src"), F.col("hi_rec").alias("dst"))
    if judged.same_edges:
        auto = auto.union(spark.createDataFrame(judged.same_edges, "src long, dst long"))
    labels, rounds = connected_components(auto)
    settled = _settle(data, scored, labels, model, judged, job, parts).localCheckpoint()
    results = settled.where(F.col("kind") == 0).select(
        "record_id", "canonical_id", "probability", "explanation")
    results.write.mode("overwrite").parquet(job.results)
    lap("cluster")
    outcome = SparkOutcome(problems=data.problems, model=model)
    if job.want_candidates:
        outcome.candidates = [
            MatchCandidate(r["record_id"], r["other_id"], float(r["probability"]), r["explanation"], r["status"])
            for r in settled.where(F.col("kind") == 1).collect()]
    counts = settled.groupBy("kind", "status").count().collect()
    by = {(r["kind"], r["status"]): int(r["count"]) for r in counts}
    written = spark.read.parquet(job.results)
    outcome.stats = {
        "records": data.n_records, "names": data.shared.n_names, "pairs": record_pairs, "name_pairs": n_pairs,
        "merged_pairs": by.get((1, "merged"), 0), "review_pairs": by.get((1, "review"), 0),
        "clusters": written.select("canonical_id").distinct().count(), "quarantined": data.n_problems,
        "component_rounds": rounds, "partitions": parts, **laps,
    }
    return outcome


# ---------------------------------------------------------------- judgements and training


@dataclass
class Judged:
    decided: dict[tuple[str, str], Judgement]
    first_rows: dict[str, int]  # judged record id -> its first name row
    recs: dict[str, int]
    same_edges: list[tuple[int, int]]


def _judged(data: RecordSet, judgements: Sequence[Judgement]) -> Judged:
    from pyspark.sql import functions as F

    ids = sorted({j.left for j in judgements} | {j.right for j in judgements})
    found = data.records.where(F.col("id").isin(ids)).select("id", "rec", "row0").collect() if ids else []
    recs = {r["id"]: int(r["rec"]) for r in found}
    decided = _latest(judgements, set(recs))
    same = [(recs[a], recs[b]) for (a, b), j in decided.items() if j.decision == Decision.SAME]
    return Judged(decided, {r["id"]: int(r["row0"]) for r in found}, recs, same)


def _train(data: RecordSet, compared: DataFrame, n_pairs: int, judged: Judged, config: ResolveConfig,
           parts: int) -> Model:
    """The single-machine training on the same draws: random pairs compared here, the EM
    sample picked by position in the candidate pairs' (lo, hi) order."""
    from pyspark.sql import functions as F

    spark = data.records.sparkSession
    draws = training_draws(data.shared.n_names, n_pairs, config)
    rows = data.rows.select("row", "rec")
    random = _levels_of(data, spark.createDataFrame(
        [(k, int(a), int(b)) for k, (a, b) in enumerate(zip(draws.left, draws.right, strict=True))],
        "idx long, lo long, hi long"), rows, parts)
    apart = compared.where(F.col("levels")[IDENT_COL] == 2)
    n_apart = apart.count()
    counts = [np.zeros(len(f.levels) + 1, dtype=np.int64) for f in FEATURES]
    for r in apart.select(F.posexplode("levels").alias("col", "level")).groupBy("col", "level").count().collect():
        counts[int(r["col"])][int(r["level"])] = int(r["count"])
    if draws.sample is None:
        sample = _matrix(compared.orderBy("lo", "hi").select("levels"))
    else:
        positioned = running_totals(compared.select("lo", "hi", "levels"), ["lo", "hi"], {"1": "position"}, parts)
        wanted = spark.createDataFrame([(k, int(p)) for k, p in enumerate(draws.sample)], "k long, position long")
        sample = _matrix(positioned.join(F.broadcast(wanted), "position").orderBy("k").select("levels"))
    same, different = _judged_levels(data, judged, rows, parts)
    return fit_model(TrainingData(
        random_levels=random, apart_counts=counts, n_apart=n_apart, sample=sample, n_pairs=n_pairs,
        judged_same=same, judged_different=different), config)


def _levels_of(data: RecordSet, pairs: DataFrame, rows: DataFrame, parts: int) -> np.ndarray[Any, Any]:
    """Levels of (idx, lo, hi) name-row pairs of different records, in idx order."""
    from pyspark.sql import functions as F

    located = (pairs.join(rows.select(F.col("row").alias("lo"), F.col("rec").alias("lo_rec")), "lo")
               .join(rows.select(F.col("row").alias("hi"), F.col("rec").alias("hi_rec")), "hi")
               .where(F.col("lo_rec") != F.col("hi_rec"))
               .withColumn("pid", F.pmod(F.col("idx"), F.lit(parts))))
    return _matrix(compare(data, located, parts).orderBy("idx").select("levels"))


def _judged_levels(data: RecordSet, judged: Judged, rows: DataFrame, parts: int) -> tuple[Any, Any]:
    spark = data.records.sparkSession
    out = []
    for decision in (Decision.SAME, Decision.NOT_SAME):
        pairs = [(judged.first_rows[a], judged.first_rows[b]) for (a, b), j in judged.decided.items()
                 if j.decision == decision]
        if not pairs:
            out.append(np.zeros((0, N_FEATURES), dtype=np.int8))
            continue
        frame = spark.createDataFrame([(k, a, b) for k, (a, b) in enumerate(pairs)], "idx long, lo long, hi long")
        out.append(_levels_of(data, frame, rows, parts))
    return out[0], out[1]


def _matrix(frame: DataFrame) -> np.ndarray[Any, Any]:
    table = frame.toArrow()
    if table.num_rows == 0:
        return np.zeros((0, N_FEATURES), dtype=np.int8)
    return matrix_of(table.column("levels"), N_FEATURES, np.int8)


def _probability(model: Model, thresholds: Thresholds):  # type: ignore[no-untyped-def]
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa

        for batch in batches:
            levels = matrix_of(batch.column("levels"), N_FEATURES, np.int8)
            yield batch.append_column("p", pa.array(pair_probability(model, levels, thresholds)))
    return run


# ---------------------------------------------------------------- settle


def _settle(data: RecordSet, scored: DataFrame, labels: DataFrame, model: Model, judged: Judged, job: SparkJob,
            parts: int) -> DataFrame:
    """Each connected component, with the pairs that touch it, settled in one part; a
    record on no candidate pair at or above ``review`` is a cluster of its own (its
    canonical id is its own id: a canonical id is always a member's)."""
    from pyspark.sql import functions as F

    comp = labels.select(F.col("id").alias("rec"), F.col("label").alias("comp"))
    touched = (scored.select(F.col("lo_rec").alias("rec")).union(scored.select("hi_rec"))
               .union(comp.select("rec")).distinct()
               .join(comp, "rec", "left").withColumn("comp", F.coalesce("comp", "rec")))
    pid = F.pmod(F.hash("comp"), F.lit(parts))
    located = (scored.join(touched.select(F.col("rec").alias("lo_rec"), F.col("comp").alias("lo_comp")), "lo_rec")
               .join(touched.select(F.col("rec").alias("hi_rec"), F.col("comp").alias("hi_comp")), "hi_rec")
               .withColumn("pid", F.pmod(F.hash("lo_comp"), F.lit(parts))))
    members = touched.select(pid.alias("pid"), "rec", F.lit(True).alias("member"))
    guests = located.where(F.col("lo_comp") != F.col("hi_comp")).select(
        "pid", F.col("hi_rec").alias("rec"), F.lit(False).alias("member"))
    need = members.union(guests).groupBy("pid", "rec").agg(F.max("member").alias("member"))
    payload = need.join(data.records.select(*PAYLOAD, "id", "previous"), "rec")
    both = (located.select("pid", "lo", "hi", "levels", "scores", "p").withColumn("kind", F.lit(0))
            .unionByName(payload.withColumn("kind", F.lit(1)), allowMissingColumns=True)
            .repartition(parts, "pid"))
    settled = both.mapInArrow(_settle_part(data.shared, model, judged.decided, job.config.thresholds), SETTLED)
    alone = (data.records.select("rec", "id").join(touched, "rec", "left_anti")
             .select(F.lit(0).alias("kind"), F.col("id").alias("record_id"), F.col("id").alias("canonical_id"),
                     F.lit(None).cast("double").alias("probability"), F.lit(None).cast("string").alias("explanation"),
                     F.lit(None).cast("string").alias("other_id"), F.lit(None).cast("string").alias("status")))
    return settled.unionByName(alone)


def _settle_part(  # type: ignore[no-untyped-def]
    shared: Shared, model: Model, decided: dict[tuple[str, str], Judgement], thresholds: Thresholds,
):
    judgements = list(decided.values())

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa

        rows, pairs = split_kinds(batches, [*PAYLOAD, "id", "previous", "member"], ["lo", "hi", "levels", "scores", "p"])
        if not rows:
            return
        member = {r["id"] for r in rows if r["member"]}
        previous = {r["id"]: r["previous"] for r in rows if r["previous"]}
        part = build_part(part_records(rows), shared)
        ids = {r.id for r in part.prep.records}
        mine = {k: j for k, j in _latest(judgements, ids).items() if k[0] in member or k[1] in member}
        res = settle(part.prep, _scored(part, pairs), model, mine, thresholds, previous)
        local = [k for k, r in enumerate(part.prep.records) if r.id in member]
        out: dict[str, list[Any]] = {name: [] for name in arrow_schema(SETTLED).names}
        for row in result_rows(res, local):
            for name in ("record_id", "canonical_id", "probability", "explanation"):
                out[name].append(row[name])
            out["kind"].append(0)
            out["other_id"].append(None)
            out["status"].append(None)
        for c in res.candidates():
            for name, value in (("kind", 1), ("record_id", c.left), ("canonical_id", None),
                                ("probability", c.probability), ("explanation", c.explanation),
                                ("other_id", c.right), ("status", c.status)):
                out[name].append(value)
        yield pa.RecordBatch.from_pydict(out, schema=arrow_schema(SETTLED))
    return run


def _scored(part: Any, pairs: list[pa.RecordBatch]) -> ScoredPairs:
    """A part's pairs in local rows, in the single-machine order ((lo, hi) ascending)."""
    import pyarrow as pa

    if not pairs:
        empty = np.zeros(0, dtype=np.int32)
        return ScoredPairs(empty, empty, np.zeros((0, N_FEATURES), dtype=np.int8),
                           np.zeros((0, N_FEATURES), dtype=np.float32), np.zeros(0))
    table = pa.Table.from_batches(pairs).combine_chunks()
    lo = table.column("lo").to_numpy().astype(np.int64)
    hi = table.column("hi").to_numpy().astype(np.int64)
    order = np.lexsort((hi, lo))
    return ScoredPairs(
        left=part.local_rows(lo[order]), right=part.local_rows(hi[order]),
        levels=matrix_of(table.column("levels"), N_FEATURES, np.int8)[order],
        scores=matrix_of(table.column("scores"), N_FEATURES, np.float32)[order],
        probability=table.column("p").to_numpy()[order],
    )
