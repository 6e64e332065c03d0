"""Benchmark of screening under abuse: prints ONE JSON object.

A real server (uvicorn on 127.0.0.1, the embedded FalkorDB holding the demo generation)
answers screens from a separate load process while

1. four clients send abusive investigator queries over /v1/cypher, in a loop: a 4,000,000-row
   UNWIND (row cap 10), a 100,000,000-element list (the store's per-query memory limit), a
   four-way cartesian product (the query timeout), and LOAD CSV from a URL (refused);
2. twenty clients send keys that fail: a known key id with a wrong secret, and unknown ids.

Figures: screen p50/p99 and throughput alone, during (1) and during (2); how each abusive
query ended and how long it took; the server's and the store's RSS before and after; the
cost of one failed key check for an unknown id and for a wrong secret.

    .venv/bin/python bench/abuse.py            # 30 s per phase
    .venv/bin/python bench/abuse.py --quick    # 6 s per phase (< 60 s)
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import logging
import multiprocessing as mp
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ABUSIVE = {
    "unwind_4m_rows": {"query": "UNWIND range(1, 4000000) AS x RETURN x", "row_cap": 10},
    "collect_100m": {"query": "UNWIND range(1, 100000000) AS x RETURN count(x)"},
    "cartesian": {"query": "MATCH (a), (b), (c), (d) RETURN count(*)", "timeout_ms": 5000},
    "load_csv_url": {"query": "LOAD CSV FROM 'https://10.255.255.1/x.csv' AS r RETURN r"},
}
SCREENS = [{"identifiers": {"gb_crn": "12345678"}}, {"name": "Lion City Cloud"},
           {"identifiers": {"gb_crn": "11223344"}}, {"name": "Dragon Peak Technology"}]
BAD_CLIENTS = 20


def _bench_api() -> Any:
    """bench/api.py's load generator (keep-alive screens from another process)."""
    spec = importlib.util.spec_from_file_location("bench_api", ROOT / "bench" / "api.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _screen_process(conn: Any, port: int, plan: dict[str, Any]) -> None:
    _bench_api().load_process(conn, port, plan)


def _screen_phase(port: int, token: str, seconds: float) -> dict[str, Any]:
    """Screens from a separate process (as bench/api.py drives them)."""
    parent, child = mp.Pipe()
    plan = {"screen": {"bodies": SCREENS * 50, "token": token, "seconds": seconds,
                       "concurrency": 2}}
    proc = mp.get_context("spawn").Process(target=_screen_process, args=(child, port, plan))
    proc.start()
    result: dict[str, Any] = parent.recv()
    proc.join()
    if "error" in result:
        raise RuntimeError(result["error"])
    return dict(result["screen"])


def _abusive_loop(port: int, token: str, name: str, stop: threading.Event,
                  out: dict[str, list[tuple[int, float, str]]]) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120,
                      headers={"Authorization": f"Bearer {token}"}) as client:
        while not stop.is_set():
            started = time.perf_counter()
            answer = client.post("/v1/cypher", json=ABUSIVE[name])
            code = answer.json().get("code", "ok") if answer.status_code != 200 else "ok"
            out[name].append((answer.status_code, time.perf_counter() - started, code))


async def _bad_key_client(port: int, token: str, stop: threading.Event, seen: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    body = json.dumps(SCREENS[0]).encode()
    while not stop.is_set():
        writer.write((f"POST /v1/screen HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                      f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                      ).encode() + body)
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        await reader.readexactly(length)
        seen.append(int(head.split(b" ")[1]))
    writer.close()


def _bad_keys(port: int, tokens: list[str], stop: threading.Event, seen: list[int]) -> None:
    async def main() -> None:
        await asyncio.gather(*(_bad_key_client(port, t, stop, seen) for t in tokens))

    asyncio.run(main())


def _key_check_costs(home: Path, rounds: int) -> dict[str, float]:
    """ms per failed check: a known key id with a wrong secret, an unknown id."""
    from api.auth import KeyStore, Role
    from graph.errors import Unauthorized

    keys = KeyStore(home / "bench-keys.json")
    _, record = keys.create(Role.GATEWAY, "cost")
    costs = {}
    for label, token in (("wrong_secret_ms", f"og_{record.key_id}_{'x' * 32}"),
                         ("unknown_id_ms", f"og_{'0' * 12}_{'x' * 32}")):
        samples = []
        for _ in range(rounds):
            started = time.perf_counter()
            try:
                keys.authenticate(token)
            except Unauthorized:
                pass
            samples.append((time.perf_counter() - started) * 1000)
        costs[label] = round(statistics.median(samples), 2)
    return costs


def _rss_mb(pid: int) -> float:
    return round(psutil.Process(pid).memory_info().rss / 2**20, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    seconds = 6.0 if args.quick else 30.0

    import uvicorn

    from api.app import create_app
    from api.auth import KeyStore, Role
    from api.demo import demo_settings, load_demo_into
    from api.settings import Settings
    from graph.falkordb.server import EmbeddedServer
    from graph.stores import open_store

    logging.disable(logging.WARNING)
    home = Path(tempfile.mkdtemp(prefix="og-abuse-"))
    settings = demo_settings(Settings(home=home, log_level="ERROR"))
    store = open_store(settings.store_config())
    load_demo_into(store, settings)
    keys = KeyStore(home / "keys.json")
    gateway = keys.create(Role.GATEWAY, "screens")[0]
    investigator = keys.create(Role.INVESTIGATOR, "abuse")[0]
    _, known = keys.create(Role.GATEWAY, "victim")
    bad = [f"og_{known.key_id}_{'x' * 32}" if i % 2 else f"og_{i:012d}_{'y' * 32}"
           for i in range(BAD_CLIENTS)]
    port = _bench_api().free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, store=store), host="127.0.0.1",
                                           port=port, loop="uvloop", http="httptools",
                                           log_config=None, access_log=False))
    store_pid = EmbeddedServer(home).pid() or 0
    report: dict[str, Any] = {}

    def drive() -> None:
        try:
            while not server.started:
                time.sleep(0.05)
            _screen_phase(port, gateway, 1.0)  # warm-up
            report["rss_before_mb"] = {"server": _rss_mb(os.getpid()), "store": _rss_mb(store_pid)}
            report["alone"] = _screen_phase(port, gateway, seconds)
            stop = threading.Event()
            runs: dict[str, list[tuple[int, float, str]]] = {name: [] for name in ABUSIVE}
            threads = [threading.Thread(target=_abusive_loop, args=(port, investigator, n, stop, runs))
                       for n in ABUSIVE]
            for t in threads:
                t.start()
            time.sleep(1.0)
            report["during_abusive_queries"] = _screen_phase(port, gateway, seconds)
            stop.set()
            for t in threads:
                t.join()
            report["abusive_queries"] = {
                name: {"runs": len(r), "answers": sorted({f"{s} {c}" for s, _, c in r}),
                       "max_s": round(max((d for _, d, _ in r), default=0.0), 2)}
                for name, r in runs.items()}
            report["rss_after_abuse_mb"] = {"server": _rss_mb(os.getpid()),
                                            "store": _rss_mb(store_pid)}
            seen: list[int] = []
            stop_bad = threading.Event()
            bad_thread = threading.Thread(target=_bad_keys, args=(port, bad, stop_bad, seen))
            bad_thread.start()
            time.sleep(1.0)
            report["during_bad_keys"] = _screen_phase(port, gateway, seconds)
            stop_bad.set()
            bad_thread.join()
            report["bad_key_answers"] = {"requests": len(seen),
                                         "statuses": sorted(set(seen))}
        except Exception as exc:  # reported in the JSON rather than hanging the server
            report["error"] = f"{type(exc).__name__}: {exc}"
        finally:
            server.should_exit = True

    threading.Thread(target=drive, daemon=True).start()
    server.run()
    report["key_check_cost"] = _key_check_costs(home, 5 if args.quick else 20)
    store.close()
    EmbeddedServer(home).stop()
    shutil.rmtree(home, ignore_errors=True)
    print(json.dumps({
        "phase_seconds": seconds, "cpu_count": os.cpu_count(),
        "screen": {k: report.get(k) for k in ("alone", "during_abusive_queries", "during_bad_keys")},
        **{k: v for k, v in report.items() if k not in ("alone", "during_abusive_queries",
                                                        "during_bad_keys")},
        "load": "screens from a separate process (HTTP/1.1 keep-alive, 2 connections); "
                "abusive queries and bad keys from this process",
    }))


if __name__ == "__main__":
    main()
