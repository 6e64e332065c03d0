"""One generation run: ingest the sources, resolve, compute, build the artifact, publish."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api.generations.artifact import generations_root, read_manifest
from api.generations.build import RunInfo, SourceRun, artifact_from_store
from api.generations.lock import run_lock
from api.generations.publish import PublishResult, current_id, publish
from api.settings import Settings
from graph.store import GraphStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceSpec:
    name: str
    format: str
    paths: tuple[Path, ...]
    mode: str | None = None  # "full": the files are the whole source (missing edges end)


def previous_manifest(settings: Settings) -> dict[str, Any] | None:
    root = generations_root(settings)
    gid = current_id(root)
    return read_manifest(root, gid) if gid else None


def publish_from_store(settings: Settings, store: GraphStore, sources: list[SourceRun], *,
                       force: bool = False, trigger: str = "manual") -> PublishResult:
    """Freeze what the store holds now (after compute) as a generation and publish it."""
    artifact = artifact_from_store(store, settings, RunInfo(tuple(sources), trigger),
                                   previous_manifest(settings))
    return publish(settings, artifact, force=force)


def _ingest(settings: Settings, store: GraphStore, spec: SourceSpec) -> SourceRun:
    from dataclasses import asdict

    from ingest.run import RunOptions, run_ingest

    summary = asdict(run_ingest(store, RunOptions(fmt=spec.format, paths=list(spec.paths),
                                                  home=settings.home, mode=spec.mode,
                                                  batch_size=settings.batch_size)))
    if summary.get("status") not in ("ok",):
        from graph.errors import BadInput

        raise BadInput(f"source {spec.name!r}: ingestion run {summary.get('run_id')} ended "
                       f"{summary.get('status')}: {summary.get('error')}", field="source")
    return SourceRun(spec.name, spec.format, tuple(str(p) for p in spec.paths),
                     int(summary.get("read", 0)), (str(summary.get("run_id")),),
                     int(summary.get("quarantined", 0)))


def run_generation(settings: Settings, store: GraphStore, sources: list[SourceSpec], *,
                   force: bool = False, trigger: str = "manual") -> PublishResult:
    """Holds the run lock throughout: ingest, resolve, compute, publish."""
    from api.pipeline import compute_store, resolve_store

    with run_lock(generations_root(settings)):
        store.ensure_schema()
        ran = [_ingest(settings, store, spec) for spec in sources]
        resolve_store(store, settings)
        compute_store(store, settings)
        result = publish_from_store(settings, store, ran, force=force, trigger=trigger)
    log.info("generation run finished", extra=result.summary())
    return result
