"""Run records on disk: ``<home>/runs/<run_id>/summary.json`` and ``quarantine.jsonl``."""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from graph.errors import NotFound
from ingest.dates import utc_now
from ingest.owner import owner_of
from ingest.records import Quarantined


@dataclass
class RunSummary:
    run_id: str
    format: str
    files: list[str]
    mode: str  # "full" | "delta"
    started: str
    finished: str | None = None
    status: str = "running"  # running | ok | limited | failed | crashed
    error: str | None = None
    pid: int | None = None  # the process running it, and when that process started:
    pid_started: float | None = None  # a "running" run whose process is gone crashed
    limit: int | None = None
    read: int = 0  # every record read from the files (incl. quarantined and skipped)
    entities: int = 0  # entities written
    edges: int = 0  # ownership edges written
    exception_facts: int = 0
    quarantined: int = 0
    skipped: int = 0
    removed: int = 0  # delta removals applied
    unresolved_removals: int = 0  # removals naming something not in the store
    ended_edges: int = 0  # open edges end-dated because a full snapshot no longer has them
    # why a full snapshot left open edges it does not list ("stated_after_snapshot",
    # "other_record_type"): it could not have stated them
    kept_edges: dict[str, int] = field(default_factory=dict)
    ending: str | None = None  # what the snapshot ended: source, record type, content date
    changed_edges: int = 0  # edges whose values changed (earlier values kept in attrs.previous)
    per_file: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def stored(self) -> int:
        return self.entities + self.edges


def new_run_id() -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{uuid.uuid4().hex[:6]}"


def runs_dir(home: Path) -> Path:
    return home / "runs"


def run_dir(home: Path, run_id: str) -> Path:
    return runs_dir(home) / run_id


def open_quarantine(home: Path, run_id: str) -> IO[str]:
    path = run_dir(home, run_id)
    path.mkdir(parents=True, exist_ok=True)
    return (path / "quarantine.jsonl").open("w", encoding="utf-8")


def write_quarantine(fh: IO[str], q: Quarantined) -> None:
    fh.write(json.dumps(asdict(q), ensure_ascii=False) + "\n")


def save_summary(home: Path, summary: RunSummary) -> Path:
    path = run_dir(home, summary.run_id)
    path.mkdir(parents=True, exist_ok=True)
    target = path / "summary.json"
    tmp = path / "summary.json.tmp"
    tmp.write_text(json.dumps({**asdict(summary), "stored": summary.stored}, indent=2, ensure_ascii=False))
    tmp.replace(target)  # readers never see half a summary
    return target


def list_runs(home: Path) -> list[dict[str, Any]]:
    base = runs_dir(home)
    if not base.is_dir():
        return []
    out = []
    for path in sorted(base.glob("*/summary.json")):
        try:
            out.append(_recovered(path, json.loads(path.read_text())))
        except ValueError:
            continue
    return out


def load_run(home: Path, run_id: str) -> dict[str, Any]:
    path = run_dir(home, run_id) / "summary.json"
    if not path.is_file():
        raise NotFound(f"no ingestion run {run_id!r} under {runs_dir(home)}", run_id=run_id)
    return _recovered(path, json.loads(path.read_text()))


def _recovered(path: Path, summary: dict[str, Any]) -> dict[str, Any]:
    """A run recorded as running whose process is gone is marked crashed (and kept so):
    what it wrote before it stopped stays in the store; a new run starts afresh."""
    owner = owner_of(summary)
    if summary.get("status") != "running" or owner is None or owner.alive():
        return summary
    summary = {**summary, "status": "crashed", "finished": summary.get("finished") or utc_now(),
               "error": f"the run's process ({owner.describe()}) stopped before the end "
                        "(killed or crashed); records it stored before are kept"}
    tmp = path.with_name(f"summary.json.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    tmp.replace(path)
    return summary


def save_ended(home: Path, run_id: str, keys: list[str], why: str) -> None:
    """``ended.jsonl``: one line per edge a full snapshot end-dated, with why."""
    path = run_dir(home, run_id)
    path.mkdir(parents=True, exist_ok=True)
    with (path / "ended.jsonl").open("w", encoding="utf-8") as fh:
        for key in keys:
            fh.write(json.dumps({"key": key, "reason": why}, ensure_ascii=False) + "\n")


def load_ended(home: Path, run_id: str, limit: int | None = None) -> list[dict[str, Any]]:
    """The edges a run end-dated (``save_ended``), first ``limit`` of them."""
    return _lines(run_dir(home, run_id) / "ended.jsonl", limit)


def load_quarantine(home: Path, run_id: str, limit: int | None = None) -> list[dict[str, Any]]:
    return _lines(run_dir(home, run_id) / "quarantine.jsonl", limit)


def _lines(path: Path, limit: int | None) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            out.append(json.loads(line))
            if limit is not None and len(out) >= limit:
                break
    return out
