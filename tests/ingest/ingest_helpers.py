"""Shared helpers for the ingest tests: real-data paths and record tallies."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from graph.model import Entity, OwnershipEdge
from ingest.records import (
    EntityStub,
    ExceptionFact,
    Quarantined,
    Record,
    Removed,
    Skipped,
    SourceFile,
)
from matching.datasets import real_data_root

REAL = real_data_root()


def real(rel: str) -> Path:
    return REAL / rel


def tally(records: Iterable[Record]) -> Counter[str]:
    out: Counter[str] = Counter()
    for r in records:
        if isinstance(r, Entity):
            out["entities"] += 1
        elif isinstance(r, OwnershipEdge):
            out["edges"] += 1
        elif isinstance(r, ExceptionFact):
            out["exceptions"] += 1
        elif isinstance(r, EntityStub):
            out["stubs"] += 1
        elif isinstance(r, Quarantined):
            out["quarantined"] += 1
        elif isinstance(r, Skipped):
            out["skipped"] += 1
        elif isinstance(r, Removed):
            out["removed"] += 1
    return out


def records(parse, path: Path) -> list[Record]:  # type: ignore[no-untyped-def]
    return list(parse(path, SourceFile(str(path), "test-run", "2026-01-01T00:00:00Z")))
