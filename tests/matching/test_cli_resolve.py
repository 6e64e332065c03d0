"""The commands end to end: ``resolve eval`` on files; judge, resolve and review on the store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_store_resolve import ENTITIES
from typer.testing import CliRunner

from api.cli.main import app
from graph.store_config import StoreConfig
from graph.stores import open_store
from matching.generate import generate
from matching.records import write_records, write_truth


@pytest.fixture(autouse=True)
def _restore_logging() -> Any:
    """The CLI configures logging onto the runner's stream; put the handlers back after."""
    import logging

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


KEYS = {"precision", "recall", "f1", "bcubed_precision", "bcubed_recall", "bcubed_f1", "seconds", "rss_mb"}


def test_resolve_eval_prints_one_json_object(tmp_path: Path) -> None:
    records, truth = generate(1500, seed=2)
    write_records(tmp_path / "r.jsonl", records)
    with (tmp_path / "r.jsonl").open("a", encoding="utf-8") as handle:
        handle.write("{broken\n")
    write_truth(tmp_path / "t.csv", truth)
    result = CliRunner().invoke(app, ["resolve", "eval", "--records", str(tmp_path / "r.jsonl"),
                                      "--truth", str(tmp_path / "t.csv")])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert KEYS <= out.keys() and out["quarantined"] == 1 and out["f1"] > 0.9


def test_thresholds_are_checked(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["resolve", "eval", "--records", "x", "--truth", "y",
                                      "--auto", "0.3", "--review", "0.6"])
    assert result.exit_code != 0


@pytest.fixture
def cli_env(store_config: StoreConfig, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("OWNERGRAPH_HOME", str(store_config.home))
    monkeypatch.setenv("OWNERGRAPH_GRAPH_NAME", store_config.graph_name)
    store = open_store(store_config)
    store.ensure_schema()
    store.upsert_entities(ENTITIES)
    yield store
    store.drop()  # type: ignore[attr-defined]
    store.close()


def test_judge_resolve_review(cli_env: Any) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["resolve"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout.strip().splitlines()[-1])["clusters"] == 5
    merged = runner.invoke(app, ["review", "--merged", "--limit", "100"])
    rows = [json.loads(line) for line in merged.stdout.strip().splitlines()]
    assert rows and all("features" in r["explanation"] or "rule" in r["explanation"] for r in rows)
    judged = runner.invoke(app, ["judge", "not-same", "p1", "p3", "--reason", "two registrations"])
    assert judged.exit_code == 0, judged.output
    assert runner.invoke(app, ["judge", "same", "p1", "nope"]).exit_code != 0  # unknown id
    runner.invoke(app, ["resolve"])
    ids = {e.id: e.canonical_id for batch in cli_env.iter_entities() for e in batch}
    assert ids["p1"] != ids["p3"]
    judgements = cli_env.judgements()
    assert judgements[-1].reason == "two registrations" and judgements[-1].user


def test_eval_reports_calibration(tmp_path: Path) -> None:
    records, truth = generate(1500, seed=5)
    write_records(tmp_path / "r.jsonl", records)
    write_truth(tmp_path / "t.csv", truth)
    result = CliRunner().invoke(app, ["resolve", "eval", "--records", str(tmp_path / "r.jsonl"),
                                      "--truth", str(tmp_path / "t.csv")])
    bins = json.loads(result.stdout.strip().splitlines()[-1])["calibration"]
    top = [b for b in bins if b["from"] == 0.99]
    assert top and top[0]["observed_match_rate"] >= 0.8  # measured 0.87: over-confident, see docs
    assert sum(b["pairs"] for b in bins) > 0
