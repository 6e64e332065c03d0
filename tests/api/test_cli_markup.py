"""Names, reasons and messages that look like Rich markup are printed as they are: the CLI
never crashes on (or styles from) what the data says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli.main import app
from api.generations.run import RunRequest, SourceSpec, run_generation
from api.settings import Settings
from graph.stores import open_store

MARKUP_NAME = "[/bold] Evil [link=http://x]Corp[/link] Ltd [red]"


@pytest.fixture(scope="module")
def markup_home(tmp_path_factory: pytest.TempPathFactory,
                store_home: Path) -> Iterator[tuple[Settings, str]]:
    """A published generation whose entity names look like markup, and the ingestion run
    that read them (one record quarantined with a reason quoting the data)."""
    folder = tmp_path_factory.mktemp("markup")
    entities = folder / "entities.csv"
    entities.write_text("id,name,jurisdiction,identifiers\n"
                        f"evil,\"{MARKUP_NAME}\",GB,gb_crn:01234567\n"
                        "[/x],\"[/x] bracket id\",GB,\n"
                        "bad,\"Broken Ltd\",GB,[/i]nope\n", encoding="utf-8")
    settings = Settings(home=store_home, graph_name=f"t_markup_{uuid.uuid4().hex[:8]}",
                        policies=["cn-majority"], generation_poll_seconds=0, log_level="ERROR")
    store = open_store(settings.store_config())
    report: dict[str, Any] = {}
    try:
        store.ensure_schema()
        run_generation(settings, store, RunRequest((SourceSpec("csv", "csv", (entities,)),)),
                       report)
    finally:
        store.drop()
        store.close()
    yield settings, report["ingest"][0]["run_id"]


def _env(settings: Settings) -> dict[str, str]:
    return {"OWNERGRAPH_HOME": str(settings.home), "OWNERGRAPH_GRAPH_NAME": settings.graph_name,
            "OWNERGRAPH_POLICIES": json.dumps(settings.policies), "OWNERGRAPH_LOG_LEVEL": "ERROR"}


def test_screen_prints_a_name_that_looks_like_markup(markup_home: tuple[Settings, str]) -> None:
    result = CliRunner().invoke(app, ["screen", "--id-scheme", "gb_crn", "--id-value", "01234567"],
                                env=_env(markup_home[0]))
    assert result.exit_code == 0, result.output
    assert MARKUP_NAME in result.output


def test_runs_show_prints_reasons_as_they_are(markup_home: tuple[Settings, str]) -> None:
    settings, run_id = markup_home
    shown = CliRunner().invoke(app, ["runs", "show", run_id], env=_env(settings))
    assert shown.exit_code == 0, shown.output
    assert "column identifiers: '[/i]nope' is not scheme:value" in shown.output


def test_an_error_message_that_looks_like_markup_is_one_clean_line(tmp_path: Path) -> None:
    env = {**os.environ, "OWNERGRAPH_HOME": str(tmp_path), "OWNERGRAPH_LOG_LEVEL": "ERROR"}
    done = subprocess.run([sys.executable, "-c", "from api.cli.main import main; main()", "keys",
                           "revoke", "[/bold]nope"], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == "error: no key '[/bold]nope'"


def test_key_names_that_look_like_markup(tmp_path: Path) -> None:
    env = {"OWNERGRAPH_HOME": str(tmp_path), "OWNERGRAPH_LOG_LEVEL": "ERROR"}
    made = CliRunner().invoke(app, ["keys", "create", "--role", "gateway", "--name", "[/x] ops"],
                              env=env)
    assert made.exit_code == 0, made.output
    listed = CliRunner().invoke(app, ["keys", "list"], env=env)
    assert listed.exit_code == 0 and "[/x] ops" in listed.output
