"""``ownergraph resolve [eval]``, ``ownergraph judge same|not-same|unsure A B``, ``ownergraph review``.

The matcher (``matching/``) is pure; the resolve step of a run (``api/generations/run.py``)
reads entities and judgements from the store, runs it, and writes canonical ids and
candidates (merges with explanations, the review queue) back. Judgements live in the store,
so every run re-applies them and re-ingestion cannot undo them.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import logging
import resource
import time
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from api.cli.context import settings_from
from graph.errors import BadInput
from graph.model import Decision, Judgement

if TYPE_CHECKING:
    from matching.resolve import ResolveConfig
    from matching.spark.engine import SparkRequest

log = logging.getLogger(__name__)
app = typer.Typer(no_args_is_help=True)
resolve_app = typer.Typer(invoke_without_command=True)
judge_app = typer.Typer(no_args_is_help=True)
app.add_typer(resolve_app, name="resolve", help="Entity resolution over the store, or over files (eval).")
app.add_typer(judge_app, name="judge", help="Record a decision about two entity ids (it persists and wins).")


def evaluate_files(records_path: Path, truth_path: Path, config: ResolveConfig | None = None,
                   spark: SparkRequest | None = None, out: Path | None = None) -> dict[str, object]:
    """The resolver over a records file (JSON lines or a Parquet record set), scored against a
    truth file (one JSON object); on Spark with ``spark``; results as Parquet to ``out``."""
    from matching.evaluate import scores
    from matching.records import read_truth

    start = time.perf_counter()
    truth = read_truth(truth_path)
    if spark is not None:
        return _evaluate_on_spark(records_path, truth, config, spark, out) | {
            "seconds": round(time.perf_counter() - start, 3), "rss_mb": round(peak_rss_mb(), 1)}
    from matching.evaluate import calibration
    from matching.resolve import resolve

    records, quarantined = _read_any(records_path)
    result = resolve(records, config=config)
    if out is not None:
        from matching.parquet import result_rows, write_results

        write_results(out, result_rows(result))
    found: dict[str, object] = dict(scores(result.canonical, truth))
    found["engine"] = "single"
    found["seconds"] = round(time.perf_counter() - start, 3)
    found["rss_mb"] = round(peak_rss_mb(), 1)
    found["records"] = len(records)
    found["quarantined"] = len(quarantined)
    found["quarantine"] = [f"{q.where}: {q.reason}" for q in quarantined[:20]]
    found["stats"] = result.stats
    found["calibration"] = calibration(
        [result.rec_id(i) for i in result.left], [result.rec_id(i) for i in result.right],
        result.probability.tolist(), truth,
    )
    return found


def _read_any(path: Path) -> tuple[list[Any], list[Any]]:
    if path.suffix == ".parquet" or path.is_dir():
        from matching.parquet import read_record_set

        return read_record_set(path)
    from matching.records import read_records

    return read_records(path)


def _evaluate_on_spark(records_path: Path, truth: dict[str, str], config: ResolveConfig | None,
                       spark: SparkRequest, out: Path | None) -> dict[str, object]:
    """JSON lines are read (and bad lines quarantined) here, then written as a record set."""
    from dataclasses import replace

    from matching.evaluate import scores
    from matching.resolve import ResolveConfig
    from matching.spark.engine import resolve_on_spark, resolve_records_on_spark

    request = replace(spark, config=config or ResolveConfig(), results=out)
    quarantine: list[str] = []
    if records_path.suffix == ".parquet" or records_path.is_dir():
        done = resolve_on_spark(records_path, request)
    else:
        from matching.records import read_records

        records, bad = read_records(records_path)
        quarantine = [f"{q.where}: {q.reason}" for q in bad]
        done = resolve_records_on_spark(records, request)
    quarantine += done.problems
    found: dict[str, object] = dict(scores(done.canonical, truth))
    found.update(engine="spark", records=len(done.canonical), quarantined=len(quarantine),
                 quarantine=quarantine[:20], stats=done.stats)
    return found


def peak_rss_mb() -> float:
    """Peak resident memory of this process and of its (normalisation) workers, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return float(max(own, children)) / 1024.0


def _config(auto: float, review: float) -> ResolveConfig:
    from matching.resolve import ResolveConfig, Thresholds

    if not 0.0 <= review <= auto <= 1.0:
        raise BadInput(f"thresholds must satisfy 0 <= review ({review}) <= auto ({auto}) <= 1",
                       field="auto")
    return ResolveConfig(thresholds=Thresholds(auto=auto, review=review))


_ENGINE = typer.Option("single", "--engine", help="single (this process) | spark (PySpark: the spark extra)")
_MASTER = typer.Option(None, "--master", help="Spark master (default OWNERGRAPH_SPARK_MASTER, else local[2])")
_PARTS = typer.Option(None, "--partitions", min=1, help="Spark parts of the compare and settle stages")
_MEMORY = typer.Option("2g", "--driver-memory", help="Spark driver memory")


def _spark(engine: str, master: str | None, partitions: int | None, memory: str) -> SparkRequest | None:
    if engine not in ("single", "spark"):
        raise BadInput(f"--engine: {engine!r} is not one of single, spark", field="engine")
    if engine == "single":
        return None
    from matching.spark.engine import SparkRequest
    from matching.spark.session import SparkOptions

    options = SparkOptions(master=master, driver_memory=memory, shuffle_partitions=partitions or 8)
    return SparkRequest(options=options, partitions=partitions)


@resolve_app.callback()
def run(
    ctx: typer.Context,
    auto: float = typer.Option(0.9, "--auto", help="merge at or above this probability"),
    review: float = typer.Option(0.5, "--review", help="queue for review at or above this"),
    engine: str = _ENGINE,
    master: str | None = _MASTER,
    partitions: int | None = _PARTS,
    driver_memory: str = _MEMORY,
) -> None:
    """Resolve the stored entities: canonical ids, merges with explanations, review queue."""
    if ctx.invoked_subcommand is not None:
        return
    from api.generations.run import resolve_entities
    from graph.stores import open_store

    spark = _spark(engine, master, partitions, driver_memory)
    store = open_store(settings_from(ctx).store_config())
    try:
        summary = resolve_entities(store, _config(auto, review), spark)
    finally:
        store.close()
    typer.echo(json.dumps(asdict(summary)))


@resolve_app.command("eval")
def eval_command(
    records: Path = typer.Option(..., "--records", help="R.jsonl ({id, name, aliases, country, identifiers, "
                                                        "address}) or a Parquet record set"),
    truth: Path = typer.Option(..., "--truth", help="T.csv: record_id,cluster_id"),
    auto: float = typer.Option(0.9, "--auto"),
    review: float = typer.Option(0.5, "--review"),
    engine: str = _ENGINE,
    master: str | None = _MASTER,
    partitions: int | None = _PARTS,
    driver_memory: str = _MEMORY,
    out: Path | None = typer.Option(None, "--out", help="write record_id,canonical_id,probability,"
                                                        "explanation as Parquet here"),
) -> None:
    """Run the resolver over a records file and print one JSON object of scores."""
    spark = _spark(engine, master, partitions, driver_memory)
    typer.echo(json.dumps(evaluate_files(records, truth, _config(auto, review), spark, out)))


def _judge(ctx: typer.Context, decision: Decision, left: str, right: str, reason: str, user: str | None) -> None:
    if left == right:
        raise BadInput("a judgement needs two different entity ids", field="right")
    from graph.stores import open_store

    store = open_store(settings_from(ctx).store_config())
    try:
        for entity_id, name in ((left, "left"), (right, "right")):
            if store.get_entity(entity_id) is None:
                raise BadInput(f"unknown entity id {entity_id!r}", field=name)
        judgement = Judgement(
            left=left, right=right, decision=decision, user=user or getpass.getuser(),
            at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), reason=reason,
        )
        store.add_judgement(judgement)
    finally:
        store.close()
    typer.echo(json.dumps({"judged": decision.value, "left": left, "right": right,
                           "user": judgement.user, "at": judgement.at,
                           "note": "applied on the next `ownergraph resolve`"}))


_REASON = typer.Option("", "--reason", help="why (kept with the judgement)")
_USER = typer.Option(None, "--user", help="who (default: the login name)")


@judge_app.command("same")
def judge_same(ctx: typer.Context, left: str, right: str, reason: str = _REASON, user: str | None = _USER) -> None:
    """A and B are the same entity (merged on every run, whatever the scores say)."""
    _judge(ctx, Decision.SAME, left, right, reason, user)


@judge_app.command("not-same")
def judge_not_same(ctx: typer.Context, left: str, right: str, reason: str = _REASON, user: str | None = _USER) -> None:
    """A and B are different entities (never merged, not even through others)."""
    _judge(ctx, Decision.NOT_SAME, left, right, reason, user)


@judge_app.command("unsure")
def judge_unsure(ctx: typer.Context, left: str, right: str, reason: str = _REASON, user: str | None = _USER) -> None:
    """Looked at, undecided (kept in the queue)."""
    _judge(ctx, Decision.UNSURE, left, right, reason, user)


@app.command("review")
def review_queue(
    ctx: typer.Context,
    limit: int = typer.Option(50, "--limit", min=1),
    merged: bool = typer.Option(False, "--merged", help="list merges with explanations instead"),
) -> None:
    """List the review queue (most probable first), one JSON object per line."""
    from graph.stores import open_store

    store = open_store(settings_from(ctx).store_config())
    try:
        rows = store.candidates("merged" if merged else "review")
    finally:
        store.close()
    for line in _review_lines(rows, limit):
        typer.echo(line)


def _review_lines(rows: Iterable[object], limit: int) -> list[str]:
    ordered = sorted(rows, key=lambda c: -float(getattr(c, "probability", 0.0)))
    out = []
    for c in ordered[:limit]:
        explanation = json.loads(getattr(c, "explanation", "") or "{}")
        out.append(json.dumps({
            "left": getattr(c, "left", ""), "right": getattr(c, "right", ""),
            "probability": round(float(getattr(c, "probability", 0.0)), 4),
            "status": getattr(c, "status", ""), "explanation": explanation,
        }, ensure_ascii=False))
    return out
