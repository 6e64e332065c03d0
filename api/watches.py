"""Watches and verdict-change events, delivered as signed webhooks.

A watch names an entity (canonical id, or a screened customer's identifier resolved to one),
optionally one policy, a URL and a secret. When a publish changes the verdict of a watched
entity, one event per watch is recorded in ``events.jsonl`` and POSTed to the URL with
``X-Ownergraph-Signature: sha256=<hex HMAC-SHA256 of the raw body with the watch's secret>``.
Failed deliveries are retried with exponential back-off; every attempt is recorded.
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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import orjson

from api.generations.artifact import Artifact, generations_root, utc_now
from api.generations.diff import entity_changes
from api.settings import Settings
from graph.errors import BadInput, NotFound

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Ownergraph-Signature"
EVENT_HEADER = "X-Ownergraph-Event"
DELIVERY_WORKERS = 8
_file_lock = threading.Lock()  # watches.json read-modify-write within one process


@dataclass(frozen=True)
class Watch:
    id: str
    entity_id: str
    url: str
    secret: str
    policy: str | None = None
    label: str = ""
    created: str = ""

    def public(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "secret"}


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


def check_url(url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise BadInput(f"url: {url!r} is not an http(s) URL", field="url")
    return url


def add_watch(settings: Settings, entity_id: str, url: str, *, policy: str | None = None,
              secret: str | None = None, label: str = "") -> Watch:
    if not entity_id:
        raise BadInput("entity_id: required", field="entity_id")
    watch = Watch(id="w-" + uuid.uuid4().hex[:12], entity_id=entity_id, url=check_url(url),
                  secret=secret or secrets.token_urlsafe(32), policy=policy, label=label,
                  created=utc_now())
    with _file_lock:
        _save(settings, [*list_watches(settings), watch])
    return watch


def remove_watch(settings: Settings, watch_id: str) -> None:
    with _file_lock:
        watches = list_watches(settings)
        kept = [w for w in watches if w.id != watch_id]
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


def deliver(settings: Settings, watch: Watch, payload: dict[str, Any]) -> dict[str, Any]:
    """POST with retries (back-off doubles); the delivery record lists every attempt."""
    body = orjson.dumps(payload)
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(watch.secret, body),
               EVENT_HEADER: payload["id"]}
    attempts: list[dict[str, Any]] = []
    delay = settings.webhook_backoff_seconds
    with httpx.Client(timeout=settings.webhook_timeout_seconds, follow_redirects=False) as client:
        for n in range(settings.webhook_attempts):
            at = utc_now()
            try:
                response = client.post(watch.url, content=body, headers=headers)
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
    """Deliveries in parallel, so one receiver's back-off does not hold up the others."""
    def one(item: tuple[Watch, dict[str, Any]]) -> dict[str, Any]:
        watch, payload = item
        event = {**payload, "delivery": deliver(settings, watch, payload)}
        _record(settings, event)
        return event

    if len(pending) <= 1:
        return [one(p) for p in pending]
    with ThreadPoolExecutor(max_workers=min(DELIVERY_WORKERS, len(pending))) as pool:
        return list(pool.map(one, pending))


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
