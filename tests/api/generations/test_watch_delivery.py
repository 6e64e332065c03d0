"""Webhook deliveries run off the publish path: a publish records its events and returns
while receivers still hang; at most OWNERGRAPH_WEBHOOK_WORKERS deliveries run at once; one
not done by the delivery deadline stays pending for ``watch redeliver``."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from generations_data import write_registry

from api.generations.run import RunRequest, SourceSpec, run_generation
from api.settings import Settings
from api.watches import add_watch, list_events, wait_for_deliveries

HOLD_S = 20.0  # a hanging receiver answers after this, or when released


@dataclass
class Hanging:
    url: str
    release: threading.Event
    open_now: int = 0
    most_at_once: int = 0
    answered: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def hanging() -> Iterator[Hanging]:
    """A receiver on loopback that holds every request until released (or HOLD_S)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    server.settimeout(0.2)
    state = Hanging(f"http://127.0.0.1:{server.getsockname()[1]}/hook", threading.Event())
    stop = threading.Event()

    def answer(conn: socket.socket) -> None:
        with state.lock:
            state.open_now += 1
            state.most_at_once = max(state.most_at_once, state.open_now)
        try:
            conn.recv(65536)
            state.release.wait(HOLD_S)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        except OSError:
            pass
        finally:
            with state.lock:
                state.open_now -= 1
                state.answered += 1
            conn.close()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            threading.Thread(target=answer, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield state
    state.release.set()
    stop.set()
    thread.join()
    server.close()


def _publish(settings: Settings, store: Any, folder: Path, cn_share: float) -> Any:
    paths = write_registry(folder, fillers=20, edges=20, cn_share=cn_share)
    return run_generation(settings, store,
                          RunRequest((SourceSpec("registry", "csv", tuple(paths), "full"),)))


def test_a_publish_does_not_wait_for_hanging_receivers(
        gen_settings: Settings, gen_store: Any, hanging: Hanging, tmp_path: Path) -> None:
    settings = gen_settings.model_copy(update={"webhook_workers": 3, "webhook_timeout_seconds": 30})
    _publish(settings, gen_store, tmp_path / "v1", cn_share=40)
    watches = [add_watch(settings, "csv:lion", hanging.url) for _ in range(10)]
    result = _publish(settings, gen_store, tmp_path / "v2", cn_share=60)
    assert result.published
    assert hanging.answered == 0  # every receiver is still holding its request
    assert sorted(e["watch_id"] for e in result.events) == sorted(w.id for w in watches)
    assert {e["delivery"]["status"] for e in list_events(settings)} == {"pending"}
    hanging.release.set()
    assert wait_for_deliveries(60)
    assert {e["delivery"]["status"] for e in list_events(settings)} == {"delivered"}
    assert hanging.most_at_once <= 3  # OWNERGRAPH_WEBHOOK_WORKERS


def test_deliveries_past_the_deadline_stay_pending(
        gen_settings: Settings, gen_store: Any, hanging: Hanging, tmp_path: Path) -> None:
    settings = gen_settings.model_copy(update={
        "webhook_timeout_seconds": 0.5, "webhook_attempts": 5, "webhook_backoff_seconds": 0.1,
        "webhook_deadline_seconds": 1.0})
    _publish(settings, gen_store, tmp_path / "v1", cn_share=40)
    add_watch(settings, "csv:lion", hanging.url)
    _publish(settings, gen_store, tmp_path / "v2", cn_share=60)
    assert wait_for_deliveries(60)
    event = list_events(settings)[0]
    assert event["delivery"]["status"] == "pending" and "redeliver" in event["delivery"]["note"]
    assert 1 <= len(event["delivery"]["attempts"]) < settings.webhook_attempts
    assert all("error" in a for a in event["delivery"]["attempts"])  # each one timed out
