"""The screen audit log names customers: its folder is private, its files 0600, each file
and the whole log capped, the oldest files going first; a fresh data directory is 0700."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.audit import AuditLog
from api.auth import KeyStore, Role
from api.cli.main import app as cli


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_server_on_a_fresh_data_directory_keeps_it_private(demo_env: Any, tmp_path: Path) -> None:
    settings, store, _ = demo_env
    home = tmp_path / "fresh" / "home"
    fresh = settings.model_copy(update={"home": home})
    with TestClient(create_app(fresh, store=store, snapshot=_demo_snapshot(settings))) as client:
        token = KeyStore(home / "keys.json").create(Role.GATEWAY, "audit")[0]
        answer = client.post("/v1/screen", json={"name": "Dragon Peak"},
                             headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200
        client.app.state.service.audit.flush()  # type: ignore[attr-defined]
    assert _mode(home) == 0o700 and _mode(home / "audit") == 0o700
    files = list((home / "audit").glob("screen-*.jsonl"))
    assert files and all(_mode(f) == 0o600 for f in files)
    assert _mode(home / "keys.json") == 0o600


def _demo_snapshot(settings: Any) -> Any:
    from api.generations.serve import published_snapshot

    return published_snapshot(settings)


def test_a_command_on_a_fresh_data_directory_creates_it_private(tmp_path: Path) -> None:
    home = tmp_path / "new-home"
    result = CliRunner().invoke(cli, ["keys", "list"], env={"OWNERGRAPH_HOME": str(home),
                                                            "OWNERGRAPH_LOG_LEVEL": "ERROR"})
    assert result.exit_code == 0, result.output
    assert _mode(home) == 0o700


def test_files_roll_over_at_the_cap_and_the_oldest_go(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit", retention_days=90, file_max_bytes=2_000,
                   total_max_bytes=10_000)
    for i in range(400):  # ~130 bytes a line: ~52 KB in all
        log.record(key_id="k", query={"name": f"customer {i:04d}"}, verdict="ALLOW",
                   entity_id=None, policy="p", generation="g")
        if i % 50 == 49:
            log.flush()
    log.close()
    files = sorted((tmp_path / "audit").glob("screen-*.jsonl"), key=lambda p: p.stat().st_mtime)
    sizes = [f.stat().st_size for f in files]
    assert len(files) > 1 and max(sizes) < 2_000 + 200
    assert sum(sizes) <= 10_000 + 2_000 + 200
    assert all(_mode(f) == 0o600 for f in files)
    today = dt.datetime.now(dt.UTC).date().isoformat()
    kept = AuditLog(tmp_path / "audit", retention_days=90, file_max_bytes=2_000,
                    total_max_bytes=10_000)
    lines = kept.read_day(today)
    kept.close()
    names = [line["query"]["name"] for line in lines]
    assert names[-1] == "customer 0399" and names == sorted(names)  # newest kept, in order
    assert "customer 0000" not in names  # the oldest went to keep the cap
