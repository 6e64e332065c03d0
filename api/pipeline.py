"""One run as the API and the demo start it: ingest files, resolve, compute.

Each step uses the owning package's entry point; this module only sequences them and
collects a summary for ``/v1/runs``.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from api.settings import Settings
from graph.errors import BadInput
from graph.model import Entity, OwnershipEdge, ReportingException
from graph.store import GraphStore

log = logging.getLogger(__name__)

PARSERS = {"gleif": "ingest.gleif", "bods": "ingest.bods", "psc": "ingest.psc"}


@dataclass(frozen=True)
class PipelineRequest:
    format: str
    paths: list[Path]
    resolve: bool = True
    compute: bool = True


def run_pipeline(settings: Settings, store: GraphStore, req: PipelineRequest,
                 progress: dict[str, Any] | None = None) -> dict[str, Any]:
    progress = progress if progress is not None else {}
    store.ensure_schema()
    progress["ingest"] = ingest_files(store, req.format, req.paths, settings.batch_size)
    if req.resolve:
        progress["resolve"] = resolve_store(store, settings)
    if req.compute:
        progress["compute"] = compute_store(store, settings)
    return progress


def ingest_files(store: GraphStore, fmt: str, paths: list[Path], batch_size: int) -> dict[str, Any]:
    module = PARSERS.get(fmt)
    if module is None:
        raise BadInput(f"format: {fmt!r} cannot be ingested here; use one of {sorted(PARSERS)}",
                       field="format")
    parse = importlib.import_module(module).parse
    run_id = f"run-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    totals = {"entities": 0, "edges": 0, "quarantined": 0, "files": 0}
    from ingest.records import ExceptionFact, Quarantined, SourceFile

    for path in paths:
        src = SourceFile(path=str(path), run_id=run_id,
                         retrieved=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
        entities: dict[str, Entity] = {}
        edges: list[OwnershipEdge] = []
        exceptions: dict[str, list[ReportingException]] = {}
        for record in parse(path, src):
            if isinstance(record, Entity):
                entities[record.id] = record
            elif isinstance(record, OwnershipEdge):
                edges.append(record)
            elif isinstance(record, ExceptionFact):
                exceptions.setdefault(record.entity_id, []).append(record.exception)
            elif isinstance(record, Quarantined):
                totals["quarantined"] += 1
                log.warning("record quarantined", extra={"file": record.file,
                                                         "location": record.location,
                                                         "reason": record.reason})
        for entity_id, found in exceptions.items():
            if entity_id in entities:
                e = entities[entity_id]
                entities[entity_id] = replace(e, reporting_exceptions=(*e.reporting_exceptions, *found))
        totals["entities"] += store.upsert_entities(_chunked(entities.values(), batch_size))
        totals["edges"] += store.upsert_edges(_chunked(edges, batch_size))
        totals["files"] += 1
    log.info("files ingested", extra={"run_id": run_id, **totals})
    return {"run_id": run_id, **totals}


def _chunked(items: Iterable[Any], size: int) -> Iterator[Any]:
    yield from items  # adapters batch internally; kept as a generator so memory stays flat


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
