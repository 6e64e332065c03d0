"""Serving the published generation: load it into a snapshot, and notice newer ones."""

from __future__ import annotations

import logging
import threading
import time

from api.generations.artifact import generations_root, read_artifact
from api.generations.publish import current_id
from api.settings import Settings
from api.snapshot import Snapshot, SnapshotHolder, snapshot_of
from graph.errors import NotFound

log = logging.getLogger(__name__)


def published_snapshot(settings: Settings, generation: str | None = None) -> Snapshot | None:
    """The snapshot of the published (or a named) generation; None when nothing is published."""
    root = generations_root(settings)
    gid = generation or current_id(root)
    if gid is None:
        return None
    try:
        artifact = read_artifact(root, gid)
    except (NotFound, OSError):  # the same id being rewritten (a swap of a few ms): once more
        time.sleep(0.2)
        artifact = read_artifact(root, gid)
    snap = snapshot_of(artifact)
    log.info("published generation loaded", extra={"generation": gid, "entities": len(snap.entities)})
    return snap


def refresh(settings: Settings, snapshots: SnapshotHolder) -> bool:
    """Swap in the published generation when it is not the one served; True when swapped."""
    gid = current_id(generations_root(settings))
    if gid is None or (snapshots.ready and snapshots.current.generation == gid):
        return False
    snap = published_snapshot(settings, gid)
    if snap is None:
        return False
    snapshots.publish(snap)
    return True


class Poller:
    """Looks for a newer published generation every few seconds (a scheduler in another
    process publishes; this server swaps its snapshot in one assignment)."""

    def __init__(self, settings: Settings, snapshots: SnapshotHolder, every: float) -> None:
        self.settings = settings
        self.snapshots = snapshots
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="generation-poller", daemon=True)

    def start(self) -> Poller:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                refresh(self.settings, self.snapshots)
            except Exception:  # a bad artifact must not kill the poller; the old one serves
                log.exception("published generation could not be loaded")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
