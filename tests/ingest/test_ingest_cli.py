"""``ownergraph ingest``, ``runs list|show`` and ``export bods`` through the CLI."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ingest_helpers import real
from typer.testing import CliRunner

from api.cli.main import app
from graph.store_config import StoreConfig
from graph.stores import open_store
from ingest.records import WrongFormat


@pytest.fixture
def cli_env(store_config: StoreConfig, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The session's embedded server (same home), a fresh graph, runs under tmp_path."""
    env = {"OWNERGRAPH_HOME": str(store_config.home), "OWNERGRAPH_GRAPH_NAME": store_config.graph_name,
           "OWNERGRAPH_LOG_LEVEL": "WARNING"}
    yield env
    store = open_store(store_config)
    store.drop()  # type: ignore[attr-defined]
    store.close()


def _invoke(env: dict[str, str], *args: str, **kw: Any) -> Any:
    return CliRunner().invoke(app, list(args), env=env, **kw)


def test_ingest_then_runs_list_and_show(cli_env: dict[str, str], store_config: StoreConfig) -> None:
    base = "gleif/bodspipelines-fixtures"
    files = [str(real(f"{base}/{n}")) for n in ("lei-data.xml", "rr-data.xml", "repex-data.xml")]
    result = _invoke(cli_env, "ingest", "--format", "gleif", *files)
    assert result.exit_code == 0, result.output
    assert " ok: read 33" in result.output and "10 edges" in result.output
    listing = _invoke(cli_env, "runs", "list")
    assert listing.exit_code == 0 and "gleif" in listing.output
    run_id = re.search(r"run (\S+) ok:", result.output).group(1)  # type: ignore[union-attr]
    assert run_id in listing.output.replace("\n", "") or (store_config.home / "runs" / run_id).is_dir()
    shown = _invoke(cli_env, "runs", "show", run_id)
    assert shown.exit_code == 0 and json.loads(shown.output)["edges"] == 10


def test_limit_and_export_bods(cli_env: dict[str, str], tmp_path: Path) -> None:
    path = str(real("bods/data-standard-v0.4/fermcat.json"))
    result = _invoke(cli_env, "ingest", "--format", "bods", "--limit", "5", path)
    assert result.exit_code == 0 and "limited: read 5" in result.output
    out = tmp_path / "out.json"
    exported = _invoke(cli_env, "export", "bods", "--out", str(out))
    assert exported.exit_code == 0
    statements = json.loads(out.read_text())
    assert statements and all(s["publicationDetails"]["bodsVersion"] == "0.4" for s in statements)


def test_wrong_format_stops_with_one_line(cli_env: dict[str, str]) -> None:
    path = str(real("gleif/bodspipelines-fixtures/lei-data.xml"))
    result = _invoke(cli_env, "ingest", "--format", "ftm", path, standalone_mode=False)
    assert isinstance(result.exception, WrongFormat)
    assert "\n" not in result.exception.message and "lei-data.xml" in result.exception.message
