"""``kill -9`` in the middle of a scheduled run: the server keeps answering from the previous
generation, byte for byte; the next run completes and publishes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
from fastapi.testclient import TestClient
from generations_data import write_registry

from api.app import create_app
from api.generations.artifact import generations_root
from api.generations.publish import current_id
from api.generations.run import RunRequest, SourceSpec, run_generation
from api.settings import Settings

REPO = Path(__file__).resolve().parents[3]
LION = {"identifiers": {"gb_crn": "99887766"}, "policy": "cn-majority"}


def _schedule_file(folder: Path, paths: list[Path]) -> Path:
    config = folder / "schedule.toml"
    config.write_text(f"""
[[source]]
name = "registry"
format = "csv"
mode = "full"
path = {json.dumps([str(p) for p in paths])}
schedule = "0 6 * * *"
""")
    return config


def _scheduler(settings: Settings, config: Path) -> list[str]:
    return [sys.executable, "-c", "from api.cli.main import main; main()", "schedule", "--once",
            "--config", str(config)]


def _env(settings: Settings) -> dict[str, str]:
    return {**os.environ, "OWNERGRAPH_HOME": str(settings.home),
            "OWNERGRAPH_GRAPH_NAME": settings.graph_name,
            "OWNERGRAPH_POLICIES": json.dumps(settings.policies), "OWNERGRAPH_LOG_LEVEL": "ERROR",
            "OWNERGRAPH_SCHEDULE_BACKOFF_SECONDS": "0"}


def _running_run(home: Path, marker: str, timeout: float = 120.0) -> Path:
    """The summary file of the ingestion run reading ``marker``, once it is under way."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in (home / "runs").glob("*/summary.json"):
            try:
                summary = json.loads(path.read_text())
            except ValueError:
                continue
            if marker in summary["files"] and summary["status"] == "running":
                return path
        time.sleep(0.05)
    raise AssertionError("the scheduled run never started ingesting")


def _answers(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    ready = client.get("/readyz").json()
    ready.pop("loaded_at")
    return {"ready": ready,
            "screen": client.post("/v1/screen", json=LION, headers=headers).json(),
            "entity": client.get("/v1/entities/csv:lion", headers=headers).json()}


def test_kill_9_mid_run_keeps_serving_the_previous_generation(
        gen_settings: Settings, gen_store: Any, admin_headers: dict[str, str],
        tmp_path: Path) -> None:
    small = write_registry(tmp_path / "v1", fillers=20, edges=20, cn_share=40)
    first = run_generation(gen_settings, gen_store,
                           RunRequest((SourceSpec("registry", "csv", tuple(small), "full"),)))
    assert first is not None
    root = generations_root(gen_settings)
    big = write_registry(tmp_path / "v2", fillers=1000, edges=15_000, cn_share=60)
    config = _schedule_file(tmp_path, big)
    owns_before = gen_store.count("OWNS")

    with TestClient(create_app(gen_settings, store=gen_store)) as client:
        before = _answers(client, admin_headers)
        assert before["screen"]["verdict"] == "ALLOW"
        assert before["ready"]["generation"] == first.generation

        proc = subprocess.Popen(_scheduler(gen_settings, config), env=_env(gen_settings), cwd=REPO,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        summary_path = _running_run(gen_settings.home, str(big[1]))
        while gen_store.count("OWNS") <= owns_before + 100 and proc.poll() is None:
            time.sleep(0.02)  # let it write part of the new snapshot into the live store
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        assert json.loads(summary_path.read_text())["status"] == "running"  # died mid-ingest
        assert gen_store.count("OWNS") > owns_before  # the live store is half-updated

        assert current_id(root) == first.generation
        assert orjson.dumps(_answers(client, admin_headers)) == orjson.dumps(before)
        reload = client.post("/v1/generations/reload", headers=admin_headers).json()
        assert reload == {"generation": first.generation, "swapped": False}
        assert orjson.dumps(_answers(client, admin_headers)) == orjson.dumps(before)
    with TestClient(create_app(gen_settings, store=gen_store)) as restarted:
        assert orjson.dumps(_answers(restarted, admin_headers)) == orjson.dumps(before)

        done = subprocess.run(_scheduler(gen_settings, config), env=_env(gen_settings), cwd=REPO,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        published = json.loads(done.stdout)
        assert published["published"] and published["previous"] == first.generation
        assert current_id(root) == published["generation"] != first.generation
        assert restarted.post("/v1/generations/reload", headers=admin_headers).json()["swapped"]
        after = _answers(restarted, admin_headers)
        assert after["screen"]["verdict"] == "BLOCK"
        assert after["ready"]["generation"] == published["generation"]
