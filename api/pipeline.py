"""One run as the API and the demo start it: ingest files, resolve, compute.

Each step uses the owning package's entry point; this module only sequences them and
collects a summary for ``/v1/runs``.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from api.settings import Settings
from graph.store import GraphStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PipelineRequest:
    format: str
    paths: list[Path]
    resolve: bool = True
    compute: bool = True
    publish: bool = True  # freeze the computed store as a generation and publish it
    force: bool = False  # publish even when a guard refuses


def run_pipeline(settings: Settings, store: GraphStore, req: PipelineRequest,
                 progress: dict[str, Any] | None = None) -> dict[str, Any]:
    progress = progress if progress is not None else {}
    if req.compute and req.publish:  # one run at a time per graph, like the scheduler's
        from api.generations.artifact import generations_root
        from api.generations.lock import run_lock

        with run_lock(generations_root(settings)):
            return _steps(settings, store, req, progress)
    return _steps(settings, store, req, progress)


def _steps(settings: Settings, store: GraphStore, req: PipelineRequest,
           progress: dict[str, Any]) -> dict[str, Any]:
    store.ensure_schema()
    progress["ingest"] = ingest_files(store, req.format, req.paths, settings)
    if req.resolve:
        progress["resolve"] = resolve_store(store, settings)
    if req.compute:
        progress["compute"] = compute_store(store, settings)
    if req.compute and req.publish:
        progress["publish"] = publish_store(settings, store, req, progress["ingest"])
    return progress


def publish_store(settings: Settings, store: GraphStore, req: PipelineRequest,
                  ingested: dict[str, Any]) -> dict[str, Any]:
    """The run ends in a publish (guards apply; a refusal fails the run with its reasons)."""
    from api.generations.build import SourceRun
    from api.generations.runner import publish_from_store

    source = SourceRun(req.format, req.format, tuple(str(p) for p in req.paths),
                       int(ingested.get("read", 0)), (str(ingested.get("run_id")),),
                       int(ingested.get("quarantined", 0)))
    return publish_from_store(settings, store, [source], force=req.force, trigger="api").summary()


def ingest_files(store: GraphStore, fmt: str, paths: list[Path],
                 settings: Settings) -> dict[str, Any]:
    """One ingestion run (its summary and quarantine are kept under ``<home>/runs``)."""
    from ingest.run import RunOptions, run_ingest

    summary = run_ingest(store, RunOptions(fmt=fmt, paths=paths, home=settings.home,
                                           batch_size=settings.batch_size))
    return {k: v for k, v in asdict(summary).items() if k != "per_file"}


def resolve_store(store: GraphStore, settings: Settings) -> dict[str, Any]:
    from matching.records import record_from_entity
    from matching.resolve import resolve

    entities = [e for batch in store.iter_entities(settings.batch_size) for e in batch]
    previous = {e.id: e.canonical_id for e in entities if e.canonical_id}
    result = resolve([record_from_entity(e) for e in entities], judgements=store.judgements(),
                     previous=previous or None)
    store.set_canonical(result.canonical)
    store.write_candidates(result.candidates())
    return {k: v for k, v in result.stats.items() if isinstance(v, int | float)}


def compute_store(store: GraphStore, settings: Settings) -> dict[str, Any]:
    from api.engine import policies_for
    from graph.control.run import compute

    summary = compute(store, policies_for(settings))
    return {"generation": summary.generation, "entities": summary.entities,
            "edges": summary.edges, "verdicts": summary.verdicts, "issues": summary.issues}
