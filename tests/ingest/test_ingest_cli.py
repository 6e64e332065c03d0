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


def test_ingest_and_runs_show_say_what_a_full_snapshot_ended_and_kept(
        cli_env: dict[str, str], tmp_path: Path) -> None:
    # a 2024 relationship (china/), then a 2023-07-01 full RR file that drops one of the
    # 2023-06-05 relationships: it ends that one and keeps the 2024 one
    china = str(real("china/bods-gleif-pipeline-cn-hk/relationship_issued.json"))
    original = real("gleif/bodspipelines-fixtures/rr-data.xml")
    text = original.read_text()
    start = text.index("<rr:RelationshipRecord ")
    end = text.index("</rr:RelationshipRecord>") + len("</rr:RelationshipRecord>")
    newer = tmp_path / "rr-newer.xml"
    newer.write_text((text[:start] + text[end:]).replace("2023-06-05T09:24:22Z", "2023-07-01T00:00:00Z"))
    for path in (china, str(original)):
        assert _invoke(cli_env, "ingest", "--format", "gleif", path).exit_code == 0
    result = _invoke(cli_env, "ingest", "--format", "gleif", str(newer))
    assert result.exit_code == 0, result.output
    text_out = " ".join(result.output.split())
    assert "ended 1, mode full" in text_out
    assert "kept open 1 edges the snapshot does not list: stated after the snapshot's content date" in text_out
    assert re.search(r"ended gleif\|001GPB6A9XPE8XJICC14\|IS_FUND-MANAGED_BY\S*: not in the full "
                     r"snapshot of 2023-07-01", text_out)
    run_id = re.search(r"run (\S+) ok:", result.output).group(1)  # type: ignore[union-attr]
    shown = _invoke(cli_env, "runs", "show", run_id)
    assert shown.exit_code == 0
    summary = json.loads(shown.output[: shown.output.rindex("}") + 1])
    assert (summary["ended_edges"], summary["kept_edges"]) == (1, {"stated_after_snapshot": 1})
    assert "ended gleif|001GPB6A9XPE8XJICC14|IS_FUND-MANAGED_BY" in shown.output.replace("\n", "")
