"""Watches and verdict-change events, delivered as signed webhooks.

A watch names an entity (canonical id, or a screened customer's identifier resolved to one),
optionally one policy, a URL and a secret; it belongs to the role of the key that made it
(a key sees and removes its own role's watches; admins all). When a publish changes the
verdict of a watched entity, one event per watch is recorded in ``events.jsonl`` and POSTed
to the URL with ``X-Ownergraph-Signature: sha256=<hex HMAC-SHA256 of the raw body with the
watch's secret>``. Where a URL may point is ``api/webhook_targets.py``'s business.

Deliveries run off the publish path, on a few background threads: a publish records its
events and returns. Each delivery is retried with exponential back-off and every attempt is
recorded; one still undelivered when the delivery deadline passes stays ``pending`` for
``ownergraph watch redeliver``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import orjson

from api import webhook_targets
from api.generations.artifact import Artifact, generations_root, utc_now
from api.generations.diff import entity_changes
from api.settings import Settings
from graph.errors import BadInput, NotFound

if TYPE_CHECKING:
    from api.auth import Principal

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Ownergraph-Signature"
EVENT_HEADER = "X-Ownergraph-Event"
_file_lock = threading.Lock()  # watches.json read-modify-write within one process
ADMIN = "admin"


@dataclass(frozen=True)
class Watch:
    id: str
    entity_id: str
    url: str
    secret: str
    policy: str | None = None
    label: str = ""
    created: str = ""
    owner_role: str = ADMIN  # the role of the key that made it (watches made before: admin)
    owner_key: str = ""

    def public(self) -> dict[str, Any]:
        """What listings show: no secret, no credentials in the URL."""
        shown = {k: v for k, v in asdict(self).items() if k != "secret"}
        return {**shown, "url": webhook_targets.redacted(self.url)}

    def visible_to(self, principal: Principal | None) -> bool:
        return principal is None or principal.role.value in (ADMIN, self.owner_role)


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does: recompute and compare in constant time."""
    return hmac.compare_digest(sign(secret, body), header)


# ---------------------------------------------------------------- watches file


def _watches_path(settings: Settings) -> Path:
    return generations_root(settings) / "watches.json"


def list_watches(settings: Settings) -> list[Watch]:
    path = _watches_path(settings)
    if not path.is_file():
        return []
    return [Watch(**w) for w in orjson.loads(path.read_bytes())]


def _save(settings: Settings, watches: list[Watch]) -> None:
    path = _watches_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # secrets inside
    with os.fdopen(fd, "wb") as fh:
        fh.write(orjson.dumps([asdict(w) for w in watches], option=orjson.OPT_INDENT_2))
    os.replace(tmp, path)


def check_url(settings: Settings, url: str) -> str:
    return webhook_targets.check_url(url, settings.webhook_schemes, settings.webhook_allowed_hosts)


def add_watch(settings: Settings, entity_id: str, url: str, *, policy: str | None = None,
              secret: str | None = None, label: str = "",
              owner: Principal | None = None) -> Watch:
    """A new watch, owned by ``owner``'s role (None: an operator's command, admin)."""
    if not entity_id:
        raise BadInput("entity_id: required", field="entity_id")
    watch = Watch(id="w-" + uuid.uuid4().hex[:12], entity_id=entity_id,
                  url=check_url(settings, url), secret=secret or secrets.token_urlsafe(32),
                  policy=policy, label=label, created=utc_now(),
                  owner_role=owner.role.value if owner is not None else ADMIN,
                  owner_key=owner.key_id if owner is not None else "")
    with _file_lock:
        watches = list_watches(settings)
        mine = sum(1 for w in watches if w.owner_key == watch.owner_key)
        if watch.owner_key and mine >= settings.webhook_max_watches_per_key:
            raise BadInput(f"this key already has {mine} watches "
                           "(OWNERGRAPH_WEBHOOK_MAX_WATCHES_PER_KEY)", field="url")
        _save(settings, [*watches, watch])
    return watch


def visible_watches(settings: Settings, principal: Principal | None) -> list[Watch]:
    return [w for w in list_watches(settings) if w.visible_to(principal)]


def remove_watch(settings: Settings, watch_id: str, principal: Principal | None = None) -> None:
    """Remove a watch the caller may see (another role's watch is 'not found' to it)."""
    with _file_lock:
        watches = list_watches(settings)
        kept = [w for w in watches if w.id != watch_id or not w.visible_to(principal)]
        if len(kept) == len(watches):
            raise NotFound(f"no watch {watch_id!r}", field="id")
        _save(settings, kept)


# ---------------------------------------------------------------- events


def _events_path(settings: Settings) -> Path:
    return generations_root(settings) / "events.jsonl"


def _record(settings: Settings, event: dict[str, Any]) -> None:
    path = _events_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock, path.open("ab") as fh:
        fh.write(orjson.dumps(event) + b"\n")
        fh.flush()
        os.fsync(fh.fileno())


def list_events(settings: Settings, limit: int = 100, entity_id: str | None = None) -> list[dict[str, Any]]:
    """Newest first; an event's last record (after its deliveries) wins."""
    path = _events_path(settings)
    if not path.is_file():
        return []
    latest: dict[str, dict[str, Any]] = {}
    for line in path.read_bytes().splitlines():
        if line.strip():
            event = orjson.loads(line)
            latest[event["id"]] = event
    events = [e for e in latest.values() if entity_id is None or e["entity_id"] == entity_id]
    events.sort(key=lambda e: e["created"], reverse=True)
    return events[:limit]


def deliver(settings: Settings, watch: Watch, payload: dict[str, Any],
            deadline: float | None = None) -> dict[str, Any]:
    """POST with retries (back-off doubles); the delivery record lists every attempt. Past
    ``deadline`` (time.monotonic) no attempt starts: the event stays pending."""
    body = orjson.dumps(payload)
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(watch.secret, body),
               EVENT_HEADER: payload["id"]}
    attempts: list[dict[str, Any]] = []
    delay = settings.webhook_backoff_seconds
    with webhook_targets.client(settings.webhook_timeout_seconds,
                                settings.webhook_allowed_hosts) as client:
        for n in range(settings.webhook_attempts):
            if deadline is not None and time.monotonic() >= deadline:
                return {"status": "pending", "attempts": attempts,
                        "note": "delivery deadline passed; `ownergraph watch redeliver` sends it"}
            at = utc_now()
            try:  # the answer's body is never read: a receiver cannot hold us with it
                with client.stream("POST", watch.url, content=body, headers=headers) as response:
                    attempts.append({"at": at, "status": response.status_code})
                if 200 <= response.status_code < 300:
                    return {"status": "delivered", "attempts": attempts}
            except httpx.HTTPError as exc:
                attempts.append({"at": at, "error": f"{type(exc).__name__}: {exc}"})
            if n + 1 < settings.webhook_attempts:
                time.sleep(delay)
                delay *= 2
    log.warning("webhook delivery failed", extra={"watch": watch.id, "event": payload["id"],
                                                  "attempts": len(attempts)})
    return {"status": "failed", "attempts": attempts}


def _canonical_ids(artifact: Artifact, watched: list[str]) -> dict[str, str]:
    """Watched id -> canonical id in this generation (a watched record may have been merged)."""
    missing = {w for w in watched if w not in artifact.views}
    found = {w: w for w in watched if w not in missing}
    if missing:
        for view in artifact.views.values():
            for member in missing.intersection(view.members):
                found[member] = view.id
    return {w: found.get(w, w) for w in watched}


def notify_watchers(settings: Settings, old: Artifact, new: Artifact) -> list[dict[str, Any]]:
    """One event per watch whose entity changed verdict (under its policy, or any)."""
    watches = list_watches(settings)
    if not watches:
        return []
    canonical = _canonical_ids(new, [w.entity_id for w in watches])
    targets = {w.id: canonical[w.entity_id] for w in watches}
    changes = entity_changes(old, new, only=set(targets.values()))
    pending: list[tuple[Watch, dict[str, Any]]] = []
    for watch in watches:
        per_policy = changes.get(targets[watch.id], {})
        moved = {p: c for p, c in per_policy.items() if "verdict" in c["changed"]
                 and (watch.policy is None or p == watch.policy)}
        if not moved:
            continue
        payload = {"id": "ev-" + uuid.uuid4().hex[:16], "type": "verdict.changed",
                   "created": utc_now(), "watch_id": watch.id, "entity_id": targets[watch.id],
                   "generation": new.id, "previous_generation": old.id,
                   "changes": [{"policy": p, "before": c["before"], "after": c["after"]}
                               for p, c in sorted(moved.items())]}
        _record(settings, {**payload, "delivery": {"status": "pending", "attempts": []}})
        pending.append((watch, payload))
    return _deliver_all(settings, pending)


def _deliver_all(settings: Settings,
                 pending: list[tuple[Watch, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Hand the deliveries to the background senders; the recorded (pending) events now."""
    deadline = time.monotonic() + settings.webhook_deadline_seconds
    senders = _senders(settings)
    for watch, payload in pending:
        senders.submit(_send_one, settings, watch, payload, deadline)
    return [{**payload, "delivery": {"status": "pending", "attempts": []}}
            for _, payload in pending]


def _send_one(settings: Settings, watch: Watch, payload: dict[str, Any], deadline: float) -> None:
    try:
        delivery = deliver(settings, watch, payload, deadline)
    except Exception as exc:  # recorded, never lost in a thread: redeliver sends it again
        log.exception("webhook delivery broke", extra={"watch": watch.id})
        delivery = {"status": "failed", "attempts": [{"at": utc_now(), "error": str(exc)}]}
    _record(settings, {**payload, "delivery": delivery})


class _Senders:
    """The process's webhook senders: at most ``workers`` deliveries at once."""

    def __init__(self, workers: int) -> None:
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="webhook")
        self._futures: set[Future[None]] = set()
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., None], *args: Any) -> None:
        future = self.pool.submit(fn, *args)
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: Future[None]) -> None:
        with self._lock:
            self._futures.discard(future)

    def wait(self, timeout_s: float) -> bool:
        """True when every delivery handed over so far has ended."""
        with self._lock:
            futures = set(self._futures)
        done, not_done = wait_futures(futures, timeout=timeout_s)
        return not not_done


_senders_lock = threading.Lock()
_senders_by_size: dict[int, _Senders] = {}


def _senders(settings: Settings) -> _Senders:
    with _senders_lock:
        workers = settings.webhook_workers
        if workers not in _senders_by_size:
            _senders_by_size[workers] = _Senders(workers)
        return _senders_by_size[workers]


def wait_for_deliveries(timeout_s: float = 60.0) -> bool:
    """Wait for the background deliveries of this process (commands that end, tests)."""
    with _senders_lock:
        senders = list(_senders_by_size.values())
    return all(s.wait(timeout_s) for s in senders)


def redeliver(settings: Settings) -> list[dict[str, Any]]:
    """Send again every event whose last record is not ``delivered`` (a publisher killed
    mid-delivery leaves ``pending``; a receiver that was down leaves ``failed``)."""
    watches = {w.id: w for w in list_watches(settings)}
    sent = []
    for event in list_events(settings, limit=10_000):
        watch = watches.get(event["watch_id"])
        if event["delivery"]["status"] == "delivered" or watch is None:
            continue
        payload = {k: v for k, v in event.items() if k != "delivery"}
        delivery = deliver(settings, watch, payload)
        delivery["attempts"] = [*event["delivery"]["attempts"], *delivery["attempts"]]
        done = {**payload, "delivery": delivery}
        _record(settings, done)
        sent.append(done)
    return sent
