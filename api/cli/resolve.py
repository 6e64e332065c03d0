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
from typing import TYPE_CHECKING

import typer

from api.cli.context import settings_from
from graph.errors import BadInput
from graph.model import Decision, Judgement

if TYPE_CHECKING:
    from matching.resolve import ResolveConfig

log = logging.getLogger(__name__)
app = typer.Typer(no_args_is_help=True)
resolve_app = typer.Typer(invoke_without_command=True)
judge_app = typer.Typer(no_args_is_help=True)
app.add_typer(resolve_app, name="resolve", help="Entity resolution over the store, or over files (eval).")
app.add_typer(judge_app, name="judge", help="Record a decision about two entity ids (it persists and wins).")


def evaluate_files(records_path: Path, truth_path: Path, config: ResolveConfig | None = None) -> dict[str, object]:
    """The resolver over a records file, scored against a truth file (one JSON object)."""
    from matching.evaluate import calibration, scores
    from matching.records import read_records, read_truth
    from matching.resolve import resolve

    start = time.perf_counter()
    records, quarantined = read_records(records_path)
    truth = read_truth(truth_path)
    result = resolve(records, config=config)
    out: dict[str, object] = dict(scores(result.canonical, truth))
    out["seconds"] = round(time.perf_counter() - start, 3)
    out["rss_mb"] = round(peak_rss_mb(), 1)
    out["records"] = len(records)
    out["quarantined"] = len(quarantined)
    out["quarantine"] = [f"{q.where}: {q.reason}" for q in quarantined[:20]]
    out["stats"] = result.stats
    out["calibration"] = calibration(
        [result.rec_id(i) for i in result.left], [result.rec_id(i) for i in result.right],
        result.probability.tolist(), truth,
    )
    return out


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


@resolve_app.callback()
def run(
    ctx: typer.Context,
    auto: float = typer.Option(0.9, "--auto", help="merge at or above this probability"),
    review: float = typer.Option(0.5, "--review", help="queue for review at or above this"),
) -> None:
    """Resolve the stored entities: canonical ids, merges with explanations, review queue."""
    if ctx.invoked_subcommand is not None:
        return
    from api.generations.run import resolve_entities
    from graph.stores import open_store

    store = open_store(settings_from(ctx).store_config())
    try:
        summary = resolve_entities(store, _config(auto, review))
    finally:
        store.close()
    typer.echo(json.dumps(asdict(summary)))


@resolve_app.command("eval")
def eval_command(
    records: Path = typer.Option(..., "--records", help="R.jsonl: {id, name, aliases, country, identifiers, address}"),
    truth: Path = typer.Option(..., "--truth", help="T.csv: record_id,cluster_id"),
    auto: float = typer.Option(0.9, "--auto"),
    review: float = typer.Option(0.5, "--review"),
) -> None:
    """Run the resolver over a records file and print one JSON object of scores."""
    typer.echo(json.dumps(evaluate_files(records, truth, _config(auto, review))))


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
