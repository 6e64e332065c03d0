"""What one app instance holds: settings, its store, the current snapshot, keys, audit, jobs.

Created in the app's lifespan (one store per app) and reached from handlers through
``request.app.state.service``; nothing here is a module global.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from api.audit import AuditLog
from api.auth import KeyStore
from api.settings import Settings, prepare_home
from api.snapshot import AtDate, Snapshot, SnapshotHolder
from graph.errors import NotFound, NotReady, OwnergraphError
from graph.store import GraphStore

log = logging.getLogger(__name__)

AS_OF_CACHE = 4  # (policy, as_of) answers kept, newest first


@dataclass
class Job:
    """A pipeline run started over the API (ingest, then resolve and compute, then publish)."""

    id: str
    state: str
    started: str
    finished: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def info(self) -> dict[str, Any]:
        return {"id": self.id, "state": self.state, "started": self.started,
                "finished": self.finished, "detail": self.detail}


class Service:
    def __init__(self, settings: Settings, store: GraphStore | None, *,
                 owns_store: bool = True) -> None:
        self.settings = settings
        self.store = store
        self.owns_store = owns_store  # an injected store (tests, benchmarks) stays open
        self.snapshots = SnapshotHolder()
        prepare_home(settings.home)
        self.keys = KeyStore(settings.home / "keys.json")
        self.audit = AuditLog(settings.home / "audit", settings.audit_retention_days,
                              file_max_bytes=settings.audit_file_max_mb * 2**20,
                              total_max_bytes=settings.audit_max_mb * 2**20)
        self.jobs: dict[str, Job] = {}
        self._jobs_lock = threading.Lock()
        self._as_of: OrderedDict[tuple[str, str, str], Any] = OrderedDict()
        self._as_of_lock = threading.Lock()

    @property
    def snapshot(self) -> Snapshot:
        return self.snapshots.current

    def require_store(self) -> GraphStore:
        if self.store is None:
            from graph.errors import StoreUnavailable

            raise StoreUnavailable("this instance serves a snapshot without a graph store")
        return self.store

    def reload(self) -> Snapshot:
        """Load the published generation and swap it in atomically (NotReady before one was
        published: a server never evaluates policies itself)."""
        from api.generations.serve import published_snapshot

        snap = published_snapshot(self.settings)
        if snap is None:
            raise NotReady("no generation has been published yet; run `ownergraph compute` "
                           "(or `ownergraph generations run`) to publish one")
        self.snapshots.publish(snap)
        return snap

    def answers_as_of(self, snapshot: Snapshot, policy: str,
                      as_of: dt.date | None) -> AtDate | None:
        """The policy's answers on another date: the generation's graph and the policy as it
        was computed, evaluated at ``as_of`` by the same function (cached per generation).
        None when ``as_of`` is the generation's own date."""
        table = snapshot.table(policy)
        if as_of is None or as_of.isoformat() == table.as_of:
            return None
        key = (snapshot.generation, policy, as_of.isoformat())
        with self._as_of_lock:
            cached = self._as_of.get(key)
        if cached is None:
            from graph.control.answers import answers_of
            from graph.control.engine import evaluate
            from graph.control.explain import Explainer
            from graph.control.policies import policy_from_table

            definition = policy_from_table(policy, snapshot.policy_tables[policy], "generation")
            result = evaluate(snapshot.arrays, definition, as_of)
            cached = AtDate(answers_of(snapshot.arrays, result),
                            Explainer.build(snapshot.arrays, result, snapshot.labels()))
            with self._as_of_lock:
                self._as_of[key] = cached
                while len(self._as_of) > AS_OF_CACHE:
                    self._as_of.popitem(last=False)
        return cached

    # ------------------------------------------------------------------ jobs

    def start_job(self, name: str, work: Callable[[Job], dict[str, Any]]) -> Job:
        job = Job(id=f"{name}-{uuid.uuid4().hex[:10]}", state="running",
                  started=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
        with self._jobs_lock:
            self.jobs[job.id] = job
        thread = threading.Thread(target=self._run_job, args=(job, work), name=job.id, daemon=True)
        thread.start()
        return job

    def _run_job(self, job: Job, work: Callable[[Job], dict[str, Any]]) -> None:
        try:
            job.detail.update(work(job))
            job.state = "succeeded"
        except OwnergraphError as exc:
            job.state = "failed"
            job.detail["error"] = exc.message
        except Exception as exc:  # a failed run must be visible in /v1/runs, not lost in a thread
            log.exception("run failed", extra={"run_id": job.id})
            job.state = "failed"
            job.detail["error"] = f"{type(exc).__name__}: {exc}"
        job.finished = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")

    def job(self, job_id: str) -> Job:
        found = self.jobs.get(job_id)
        if found is None:
            raise NotFound(f"no run {job_id!r}", field="id")
        return found

    def close(self) -> None:
        self.keys.close()
        self.audit.close()
        if self.store is not None and self.owns_store:
            self.store.close()
