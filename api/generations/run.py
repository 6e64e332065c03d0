"""One run: ingest -> resolve -> compute (evaluate every policy, build the artifact) ->
guards -> publish. The CLI (``generations run``; ``ingest``, ``resolve``, ``compute`` and
``generations freeze`` as single steps), the API's ingest route, the scheduler and ``demo``
all run these functions, so each step happens one way.

This is the edge where the pure parts meet I/O: the store is read and written here, the
artifact written and published here.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from api.generations.artifact import Artifact, generations_root, read_artifact, read_manifest
from api.generations.build import (
    BuildContext,
    RunInfo,
    SourceRun,
    build_artifact,
    derived_results,
    evaluate_policies,
    evidence_targets,
)
from api.generations.lock import run_lock
from api.generations.publish import PublishResult, current_id, publish
from api.settings import Settings
from api.views import fill_member_countries, merge_views
from graph.control.policies import policies_in_force
from graph.errors import BadInput, NotReady
from graph.store import GraphStore

if TYPE_CHECKING:
    from ingest.runs import RunSummary
    from matching.resolve import ResolveConfig
    from matching.spark.engine import SparkRequest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceSpec:
    name: str
    format: str
    paths: tuple[Path, ...]
    mode: str | None = None  # "full": the files are the whole source (missing edges end)
    limit: int | None = None  # a trial: stop after this many records (never end-dates)


@dataclass(frozen=True)
class RunRequest:
    sources: tuple[SourceSpec, ...] = ()
    resolve: bool = True
    publish: bool = True  # compute, build the artifact, apply the guards, publish
    force: bool = False  # publish even when a guard refuses
    trigger: str = "manual"  # manual | schedule | api


@dataclass(frozen=True)
class ResolveSummary:
    entities: int
    clusters: int
    merged: int
    review: int
    judgements: int
    changed: int  # entities whose canonical id is not what it was
    seconds: float


# ---------------------------------------------------------------- steps


def ingest_source(settings: Settings, store: GraphStore, spec: SourceSpec,
                  progress: Callable[..., None] | None = None) -> tuple[RunSummary, SourceRun]:
    """One ingestion run (its summary and quarantine are kept under ``<home>/runs``)."""
    from ingest.run import RunOptions, run_ingest

    summary = run_ingest(store, RunOptions(
        fmt=spec.format, paths=list(spec.paths), home=settings.home, limit=spec.limit,
        mode=spec.mode, batch_size=settings.batch_size), progress)
    source = SourceRun(spec.name, spec.format, tuple(str(p) for p in spec.paths),
                       summary.read, (summary.run_id,), summary.quarantined)
    return summary, source


def resolve_entities(store: GraphStore, config: ResolveConfig | None = None,
                     spark: SparkRequest | None = None) -> ResolveSummary:
    """Resolve every stored entity; write canonical ids and the candidates; judgements win.
    With ``spark`` the resolver runs on Spark (``matching.spark``), with the same result."""
    from matching.records import record_from_entity

    start = time.perf_counter()
    entities = [e for batch in store.iter_entities() for e in batch]
    previous = {e.id: e.canonical_id for e in entities if e.canonical_id}
    judgements = store.judgements()
    records = [record_from_entity(e) for e in entities]
    if spark is None:
        from matching.resolve import resolve

        result = resolve(records, judgements=judgements, previous=previous or None, config=config)
        canonical, candidates = result.canonical, result.candidates()
    else:
        from dataclasses import replace

        from matching.resolve import ResolveConfig
        from matching.spark.engine import resolve_records_on_spark

        request = replace(spark, config=config or ResolveConfig(), judgements=judgements, want_candidates=True)
        done = resolve_records_on_spark(records, request, previous)
        canonical, candidates = done.canonical, done.candidates
    store.set_canonical(canonical)
    store.write_candidates(candidates)
    summary = ResolveSummary(
        entities=len(entities), clusters=len(set(canonical.values())),
        merged=sum(1 for c in candidates if c.status == "merged"),
        review=sum(1 for c in candidates if c.status == "review"),
        judgements=len(judgements),
        changed=sum(1 for e in entities if (e.canonical_id or e.id) != canonical[e.id]),
        seconds=round(time.perf_counter() - start, 3))
    log.info("resolve finished", extra=asdict(summary))
    return summary


def compute_artifact(settings: Settings, store: GraphStore, run: RunInfo | None = None,
                     as_of: dt.date | str | None = None) -> Artifact:
    """The store's graph as a generation: every policy in force evaluated once, with the
    provenance of the edges its evidence rests on."""
    arrays = store.load_arrays()
    if arrays.n_entities == 0:
        raise NotReady("the graph is empty; ingest data first")
    views = merge_views(e for batch in store.iter_entities(settings.batch_size) for e in batch)
    fill_member_countries(arrays, views)
    policies = policies_in_force(settings.policies, settings.policy_file)
    evaluated = evaluate_policies(arrays, policies, as_of)
    provenance = store.edge_provenance(evidence_targets(arrays, evaluated.answers))
    context = BuildContext(settings.graph_name, policies, run or RunInfo(),
                           previous_manifest(settings))
    artifact = build_artifact(arrays, views, evaluated, provenance, context)
    log.info("generation computed", extra={"generation": artifact.id,
                                           "entities": arrays.n_entities,
                                           "edges": arrays.n_edges,
                                           "verdicts": artifact.manifest["policies"]})
    return artifact


def publish_artifact(settings: Settings, store: GraphStore, artifact: Artifact, *,
                     force: bool = False) -> PublishResult:
    """Guards, then publish; the published answers become the store's Result nodes."""
    result = publish(settings, artifact, force=force)
    store.write_results(artifact.id, derived_results(artifact))
    return result


def publish_kept(settings: Settings, store: GraphStore, generation: str, *,
                 force: bool = False) -> PublishResult:
    """Publish a generation kept on disk (one a guard refused, or a rollback)."""
    with run_lock(generations_root(settings)):
        artifact = read_artifact(generations_root(settings), generation)
        return publish_artifact(settings, store, artifact, force=force)


def previous_manifest(settings: Settings) -> dict[str, Any] | None:
    root = generations_root(settings)
    gid = current_id(root)
    return read_manifest(root, gid) if gid else None


# ---------------------------------------------------------------- whole runs


def compute_and_publish(settings: Settings, store: GraphStore, *, force: bool = False,
                        run: RunInfo | None = None, as_of: dt.date | str | None = None
                        ) -> PublishResult:
    """Compute the store's graph as a generation and publish it (one run at a time)."""
    with run_lock(generations_root(settings)):
        artifact = compute_artifact(settings, store, run, as_of)
        return publish_artifact(settings, store, artifact, force=force)


def run_generation(settings: Settings, store: GraphStore, req: RunRequest,
                   report: dict[str, Any] | None = None) -> PublishResult | None:
    """Ingest every source, resolve, compute and publish, holding the run lock throughout
    when it publishes; the publication (None when the request does not publish).
    ``report`` (what each step did: ``ingest``, ``resolve``, ``publish``) is filled in as
    the steps finish, so a caller can show it meanwhile."""
    report = report if report is not None else {}
    if req.publish:
        with run_lock(generations_root(settings)):
            return _steps(settings, store, req, report)
    return _steps(settings, store, req, report)


def _steps(settings: Settings, store: GraphStore, req: RunRequest, report: dict[str, Any]
           ) -> PublishResult | None:
    store.ensure_schema()
    ran = []
    for spec in req.sources:
        summary, source = ingest_source(settings, store, spec)
        report.setdefault("ingest", []).append(
            {k: v for k, v in asdict(summary).items() if k != "per_file"})
        if summary.status != "ok":
            raise BadInput(f"source {spec.name!r}: ingestion run {summary.run_id} ended "
                           f"{summary.status}: {summary.error}", field="source")
        ran.append(source)
    if req.resolve:
        report["resolve"] = asdict(resolve_entities(store))
    if not req.publish:
        return None
    artifact = compute_artifact(settings, store, RunInfo(tuple(ran), req.trigger))
    result = publish_artifact(settings, store, artifact, force=req.force)
    report["publish"] = result.summary()
    log.info("generation run finished", extra=report["publish"])
    return result
