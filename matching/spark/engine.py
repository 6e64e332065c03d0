"""The Spark engine as the CLI and the resolve step call it: a record set in, canonical ids,
candidates and statistics out; the session is started and stopped here unless given."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from graph.model import Judgement, MatchCandidate
from matching.parquet import write_record_set
from matching.records import Record
from matching.resolve import ResolveConfig
from matching.spark.resolve import SparkJob, resolve_record_set
from matching.spark.session import SparkOptions, start

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@dataclass(frozen=True)
class SparkRequest:
    options: SparkOptions = SparkOptions()
    config: ResolveConfig = ResolveConfig()
    judgements: Sequence[Judgement] = ()
    results: Path | None = None  # where to keep the results Parquet (else a temporary folder)
    want_candidates: bool = False
    partitions: int | None = None  # parts of compare / settle (default: the shuffle partitions)
    # Where temporary record sets and results go: on a cluster, storage every executor reads.
    work_dir: Path | None = None


@dataclass
class SparkResolution:
    canonical: dict[str, str]
    candidates: list[MatchCandidate] = field(default_factory=list)
    stats: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    history: list[str] = field(default_factory=list)


def resolve_on_spark(records_path: Path, request: SparkRequest, spark: SparkSession | None = None) -> SparkResolution:
    """Resolve a Parquet record set on Spark: in ``spark``, else the active session, else a
    session of ``request.options`` started and stopped here."""
    import pyarrow.parquet as pq

    if spark is None:
        from pyspark.sql import SparkSession

        spark = SparkSession.getActiveSession()  # a notebook's or a test session's: used, not stopped
    own = spark is None
    session = spark or start(request.options)
    try:
        with tempfile.TemporaryDirectory(prefix="ownergraph-spark-", dir=request.work_dir) as tmp:
            out = request.results or Path(tmp) / "results.parquet"
            job = SparkJob(str(records_path), str(out), request.config, request.judgements,
                           request.partitions or request.options.shuffle_partitions, request.want_candidates)
            outcome = resolve_record_set(session, job)
            table = pq.read_table(str(out), columns=["record_id", "canonical_id"])
            canonical = dict(zip(table.column("record_id").to_pylist(), table.column("canonical_id").to_pylist(),
                                 strict=True))
    finally:
        if own:
            session.stop()
    return SparkResolution(canonical, outcome.candidates, outcome.stats, outcome.problems,
                           list(outcome.model.history) if outcome.model else [])


def resolve_records_on_spark(
    records: Sequence[Record], request: SparkRequest, previous: Mapping[str, str] | None = None,
    spark: SparkSession | None = None,
) -> SparkResolution:
    """Records held in memory (the store's entities): written as a record set, then resolved."""
    with tempfile.TemporaryDirectory(prefix="ownergraph-records-", dir=request.work_dir) as tmp:
        path = Path(tmp) / "records.parquet"
        write_record_set(path, records, previous)
        return resolve_on_spark(path, request, spark)
