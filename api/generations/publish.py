"""Publish a generation: guards, then one atomic replacement of the ``CURRENT`` pointer.

A run that fails or is killed before ``set_current`` leaves the pointer as it was, so the
previous generation keeps serving; a half-written artifact sits in a dot-directory nobody
reads and the next run sweeps it away.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from api.generations.artifact import (
    Artifact,
    fsync_dir,
    generations_root,
    list_manifests,
    read_artifact,
    sweep_temporaries,
    utc_now,
    write_artifact,
)
from api.generations.guards import GuardLimits, check
from api.settings import Settings
from graph.errors import Conflict

log = logging.getLogger(__name__)

CURRENT = "CURRENT"
PUBLISH_LOG = "published.jsonl"


class PublishRefused(Conflict):
    """A guard refused the generation; ``--force`` publishes it anyway."""

    code = "publish_refused"


@dataclass
class PublishResult:
    generation: str
    previous: str | None
    published: bool
    forced: bool
    reasons: list[str]
    events: list[dict[str, Any]] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)  # entities, edges, verdicts per policy

    def summary(self) -> dict[str, Any]:
        return {"generation": self.generation, "previous": self.previous,
                "published": self.published, "forced": self.forced, "reasons": self.reasons,
                "events": len(self.events), "pruned": self.pruned, **self.counts}


def current_id(root: Path) -> str | None:
    try:
        text = (root / CURRENT).read_text().strip()
    except FileNotFoundError:
        return None
    return text or None


def set_current(root: Path, generation: str) -> None:
    """Write the pointer to a temporary file, fsync it, rename it over ``CURRENT``."""
    tmp = root / f".{CURRENT}.{os.getpid()}.tmp"
    with tmp.open("w") as fh:
        fh.write(generation + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, root / CURRENT)
    fsync_dir(root)


def _log_publish(root: Path, entry: dict[str, Any]) -> None:
    with (root / PUBLISH_LOG).open("ab") as fh:
        fh.write(orjson.dumps(entry) + b"\n")
        fh.flush()
        os.fsync(fh.fileno())


def publish_log(root: Path) -> list[dict[str, Any]]:
    path = root / PUBLISH_LOG
    if not path.is_file():
        return []
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def limits_of(settings: Settings) -> GuardLimits:
    return GuardLimits(settings.guard_max_verdict_change_pct, settings.guard_max_source_shrink_pct)


def publish(settings: Settings, artifact: Artifact, *, force: bool = False,
            notify: bool = True) -> PublishResult:
    """Write the artifact, check the guards against the current generation, move the pointer,
    notify watchers, apply retention. Raises PublishRefused (the artifact stays on disk)."""
    root = generations_root(settings)
    root.mkdir(parents=True, exist_ok=True)
    sweep_temporaries(root)
    previous_id = current_id(root)
    previous = read_artifact(root, previous_id) if previous_id else None
    reasons = check(previous, artifact, limits_of(settings))
    artifact.manifest.update({"previous": previous_id, "guards": reasons, "forced": bool(force and reasons)})
    write_artifact(root, artifact)
    entry = {"generation": artifact.id, "previous": previous_id, "at": utc_now(),
             "forced": bool(force and reasons), "reasons": reasons}
    if reasons and not force:
        _log_publish(root, {**entry, "published": False})
        log.warning("publication refused", extra={"generation": artifact.id, "reasons": reasons})
        raise PublishRefused("generation " + artifact.id + " not published: " + "; ".join(reasons)
                             + " (use --force to publish anyway)",
                             generation=artifact.id, reasons=reasons)
    set_current(root, artifact.id)
    _log_publish(root, {**entry, "published": True})
    log.info("generation published", extra={"generation": artifact.id, "previous": previous_id,
                                            "forced": entry["forced"]})
    result = PublishResult(artifact.id, previous_id, True, bool(entry["forced"]), reasons,
                           counts={k: artifact.manifest.get(k) for k in ("entities", "edges")}
                           | {"verdicts": artifact.manifest.get("policies"),
                              "reasons": artifact.manifest.get("reasons")})
    if notify and previous is not None and previous.id != artifact.id:
        from api.watches import notify_watchers

        result.events = notify_watchers(settings, previous, artifact)
    result.pruned = prune(root, settings.generations_keep)
    return result


def prune(root: Path, keep: int) -> list[str]:
    """Keep the ``keep`` most recently published generations (CURRENT always) and refused
    ones newer than CURRENT (they can still be forced); delete the rest."""
    current = current_id(root)
    order: list[str] = []
    for entry in reversed(publish_log(root)):
        if entry.get("published") and entry["generation"] not in order:
            order.append(entry["generation"])
    kept = set(order[:keep]) | ({current} if current else set())
    current_created = next((m["created"] for m in list_manifests(root) if m["id"] == current), "")
    gone = []
    for manifest in list_manifests(root):
        gid = manifest["id"]
        refused_since = gid not in order and manifest.get("created", "") > current_created
        if gid in kept or refused_since:
            continue
        shutil.rmtree(root / gid, ignore_errors=True)
        gone.append(gid)
    if gone:
        log.info("generations pruned", extra={"pruned": gone, "keep": keep})
    return gone
