"""Soak test of a running server: prints ONE JSON object.

``ownergraph serve`` runs in its own process on a fresh data directory (embedded FalkorDB,
API ingest allowed from one import folder). For the whole duration this process keeps
screens, batches and investigator queries (plain and abusive) going, and at every interval
posts an ingest of a new registry snapshot and waits for its run to publish. Once, between
two runs, the store is killed with ``kill -9``; the harness then starts it again, as a
supervisor would, and the kill window lasts until an investigator query succeeds again.

Figures: requests and errors per kind, outside and inside the kill window; the server's and
the store's RSS at the start (after the first run) and at the end, and the server's after
every run (a leak grows with the runs, caches level off); every generation
published and whether it is complete (its artifact reads back, its counts agree, every
policy answers every entity; the last one's Result nodes are all in the store).

    .venv/bin/python bench/soak.py            # 10 minutes, a run every minute
    .venv/bin/python bench/soak.py --quick    # 36 s, a run every 9 s (< 60 s)
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

POLICY = "cn-majority"
SCREENS = [{"identifiers": {"gb_crn": "99887766"}}, {"name": "Lion City Target"},
           {"name": "Harbourline Investments"}, {"identifiers": {"gb_crn": "10000003"}}]
QUERIES = [{"query": "MATCH (n:Entity) RETURN n.id LIMIT 5"},
           {"query": "MATCH (o:Entity)-[r:OWNS]->(e:Entity) RETURN o.id, r.share_lo, e.id",
            "row_cap": 50},
           {"query": "UNWIND range(1, 4000000) AS x RETURN x", "row_cap": 10}]


def write_registry(folder: Path, run: int) -> list[Path]:
    """A small registry, different at every run (one more company; the Chinese holding's
    stake in the target alternates between 40 % and 60 %: its verdict flips)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(run)
    fillers = 200 + run
    entities, rels = folder / "entities.csv", folder / "relationships.csv"
    with entities.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "name", "kind", "jurisdiction", "hq_country", "identifiers"])
        w.writerow(["dragon", "Dragon Peak Holdings Co Ltd", "company", "CN", "CN", ""])
        w.writerow(["harbour", "Harbourline Investments Ltd", "company", "HK", "HK", ""])
        w.writerow(["lion", "Lion City Target Pte Ltd", "company", "SG", "SG", "gb_crn:99887766"])
        w.writerows([f"f{i}", f"Filler {i} Trading Ltd", "company", "GB", "GB",
                     f"gb_crn:{10000000 + i}"] for i in range(fillers))
    share = 60 if run % 2 else 40
    with rels.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["owner", "owned", "share", "record_id"])
        w.writerow(["dragon", "lion", share, "dragon-lion"])
        w.writerow(["harbour", "lion", 100 - share, "harbour-lion"])
        w.writerows([f"f{rng.randrange(fillers)}", f"f{k}", 30, f"r{k}"] for k in range(fillers))
    return [entities, rels]


class Tally:
    """Requests and errors per kind, split by whether they fell in the kill window."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.in_window: Counter[str] = Counter()
        self.examples: list[str] = []
        self.window: list[float] = []  # [start] or [start, end]

    def inside(self, at: float) -> bool:
        return bool(self.window) and at >= self.window[0] and (
            len(self.window) == 1 or at <= self.window[1])

    def record(self, kind: str, ok: bool, at: float, what: str = "") -> None:
        with self.lock:
            self.requests[kind] += 1
            if ok:
                return
            if self.inside(at):
                self.in_window[kind] += 1
            else:
                self.errors[kind] += 1
                if len(self.examples) < 10:
                    self.examples.append(f"{kind}: {what[:200]}")


def _call(tally: Tally, kind: str, fn: Any) -> Any:
    at = time.monotonic()
    try:
        answer = fn()
    except httpx.HTTPError as exc:
        tally.record(kind, False, at, f"{type(exc).__name__}: {exc}")
        return None
    ok = answer.status_code < 400 and not (kind == "batch" and b'"error"' in answer.content)
    tally.record(kind, ok, at, f"{answer.status_code} {answer.text}")
    return answer if ok else None


def _loop(stop: threading.Event, pause: float, step: Any) -> None:
    i = 0
    while not stop.is_set():
        step(i)
        i += 1
        stop.wait(pause)


def _ingest(client: httpx.Client, tally: Tally, inbox: Path, run: int) -> dict[str, Any]:
    paths = write_registry(inbox / f"run-{run:03d}", run)
    started = _call(tally, "ingest", lambda: client.post(
        "/v1/ingest", json={"format": "csv", "paths": [str(p) for p in paths]}))
    if started is None:
        return {"run": run, "state": "not started"}
    job_id = started.json()["id"]
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        job = client.get(f"/v1/runs/{job_id}").json()
        if job["state"] != "running":
            ok = job["state"] == "succeeded"
            tally.record("publish", ok, time.monotonic(), json.dumps(job["detail"])[:300])
            return {"run": run, "state": job["state"], "generation": job["detail"].get("generation")}
        time.sleep(0.25)
    tally.record("publish", False, time.monotonic(), "run did not finish in 600 s")
    return {"run": run, "state": "timeout"}


def _complete(home: Path, graph: str, generation: str) -> dict[str, Any]:
    from api.generations.artifact import read_artifact

    try:
        artifact = read_artifact(home / "generations" / graph, generation)
    except Exception as exc:
        return {"id": generation, "complete": False, "why": f"{type(exc).__name__}: {exc}"}
    n = artifact.arrays.n_entities
    problems = []
    if artifact.manifest.get("entities") != n or len(artifact.views) != n:
        problems.append(f"entities: manifest {artifact.manifest.get('entities')}, arrays {n}, "
                        f"views {len(artifact.views)}")
    for policy, answers in artifact.answers.items():
        if len(answers.verdict) != n:
            problems.append(f"{policy}: {len(answers.verdict)} answers for {n} entities")
    return {"id": generation, "entities": n, "complete": not problems, "why": "; ".join(problems)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss(pid: int | None) -> float | None:
    try:
        return round(psutil.Process(pid).memory_info().rss / 2**20, 1) if pid else None
    except psutil.NoSuchProcess:
        return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    duration, interval = (36.0, 9.0) if args.quick else (600.0, 60.0)

    from api.auth import KeyStore, Role
    from graph.falkordb.server import EmbeddedServer

    home = Path(tempfile.mkdtemp(prefix="og-soak-"))
    inbox = home.parent / (home.name + "-inbox")
    inbox.mkdir()
    keys = KeyStore(home / "keys.json")
    tokens = {role: keys.create(role, f"soak-{role.value}")[0] for role in Role}
    port = _free_port()
    env = {**os.environ, "OWNERGRAPH_HOME": str(home), "OWNERGRAPH_GRAPH_NAME": "soak",
           "OWNERGRAPH_POLICIES": json.dumps([POLICY]), "OWNERGRAPH_LOG_LEVEL": "ERROR",
           "OWNERGRAPH_IMPORT_DIRS": json.dumps([str(inbox)]),
           "OWNERGRAPH_GENERATIONS_KEEP": "1000", "OWNERGRAPH_GENERATION_POLL_SECONDS": "1",
           "OWNERGRAPH_GUARD_MAX_VERDICT_CHANGE_PCT": "100"}
    server = subprocess.Popen([sys.executable, "-c", "from api.cli.main import main; main()",
                               "serve", "--port", str(port)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    store = EmbeddedServer(home)
    tally = Tally()
    runs: list[dict[str, Any]] = []
    report: dict[str, Any] = {}
    base = f"http://127.0.0.1:{port}"
    admin = httpx.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {tokens[Role.ADMIN]}"})
    gateway = httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {tokens[Role.GATEWAY]}"})
    investigator = httpx.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {tokens[Role.INVESTIGATOR]}"})
    try:
        _wait_up(base, server)
        runs.append(_ingest(admin, tally, inbox, 0))  # the first generation, before the load
        _wait_ready(gateway)
        report["rss_start_mb"] = {"server": _rss(server.pid), "store": _rss(store.pid())}
        stop = threading.Event()
        loops = [
            (0.05, lambda i: _call(tally, "screen", lambda: gateway.post(
                "/v1/screen", json={**SCREENS[i % len(SCREENS)], "policy": POLICY}))),
            (2.0, lambda i: _call(tally, "batch", lambda: gateway.post(
                "/v1/screen/batch", json={"items": [{**s, "ref": f"b{i}-{k}"}
                                                    for k, s in enumerate(SCREENS * 5)]}))),
            (1.0, lambda i: _call(tally, "cypher", lambda: investigator.post(
                "/v1/cypher", json=QUERIES[i % len(QUERIES)]))),
        ]
        threads = [threading.Thread(target=_loop, args=(stop, pause, step), daemon=True)
                   for pause, step in loops]
        for t in threads:
            t.start()
        started = time.monotonic()
        run, killed = 1, False
        while time.monotonic() - started < duration:
            next_run = started + run * interval
            if not killed and time.monotonic() - started >= duration * 0.4:
                report["kill"] = _kill_and_restart(store, tally, investigator)
                killed = True
            time.sleep(max(0.0, min(next_run, started + duration) - time.monotonic()))
            if time.monotonic() - started < duration:
                runs.append(_ingest(admin, tally, inbox, run))
                report.setdefault("rss_after_each_run_mb", []).append(_rss(server.pid))
                run += 1
        stop.set()
        for t in threads:
            t.join()
        report["rss_end_mb"] = {"server": _rss(server.pid), "store": _rss(store.pid())}
        results = _call(tally, "cypher", lambda: investigator.post(
            "/v1/cypher", json={"query": "MATCH (r:Result) RETURN count(r) AS n"}))
        report["store_results_of_last"] = results.json()["rows"][0][0] if results else None
    except Exception as exc:  # reported in the JSON, the server still stopped below
        report["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        for client in (admin, gateway, investigator):
            client.close()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
        store.stop()
    published = [r["generation"] for r in runs if r.get("generation")]
    checked = [_complete(home, "soak", g) for g in dict.fromkeys(published)]
    shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(inbox, ignore_errors=True)
    last = checked[-1] if checked else None
    print(json.dumps({
        "duration_s": duration, "run_interval_s": interval, "cpu_count": os.cpu_count(),
        "requests": dict(tally.requests), "errors_outside_kill_window": sum(tally.errors.values()),
        "errors_outside_by_kind": dict(tally.errors), "error_examples": tally.examples,
        "errors_inside_kill_window": dict(tally.in_window),
        **report,
        "runs": len(runs), "runs_failed": [r for r in runs if r["state"] != "succeeded"],
        "generations_published": len(checked),
        "generations_complete": sum(1 for c in checked if c["complete"]),
        "incomplete": [c for c in checked if not c["complete"]],
        "last_generation_results_complete": (
            last is not None and report.get("store_results_of_last") == last["entities"]),
    }))


def _wait_up(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("server ended: " + (server.stderr.read() if server.stderr else b"")
                               .decode(errors="replace")[-500:])
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not come up in 120 s")


def _wait_ready(gateway: httpx.Client) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if gateway.get("/readyz").status_code == 200:
            return
        time.sleep(0.2)
    raise RuntimeError("no generation served 60 s after the first run")


def _kill_and_restart(store: Any, tally: Tally, investigator: httpx.Client) -> dict[str, Any]:
    """kill -9 the store; start it again (the supervisor's part); the window ends at the
    first investigator query that succeeds."""
    pid = store.pid()
    tally.window.append(time.monotonic())
    os.kill(pid, signal.SIGKILL)
    time.sleep(1.0)
    store.start()
    while True:
        try:
            if investigator.post("/v1/cypher", json=QUERIES[0]).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    tally.window.append(time.monotonic())
    return {"store_pid": pid, "window_s": round(tally.window[1] - tally.window[0], 2)}


if __name__ == "__main__":
    main()
