"""``ownergraph news extract`` and ``news eval`` through the real command (nothing stored)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli.main import app
from matching.datasets import real_data_root

REUTERS = real_data_root() / "news" / "reuters21578" / "reut2-000.sgm"
DATA = Path(__file__).parent / "data"


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("OWNERGRAPH_HOME", str(tmp_path / "home"))
    return CliRunner()


def test_extract_writes_one_json_line_per_claim(runner: CliRunner, tmp_path: Path) -> None:
    articles = tmp_path / "a.jsonl"
    articles.write_text(json.dumps({"id": "x1", "url": "u", "published": "2020-01-02",
                                    "text": "Acme Corp bought a 51% stake in Beta Ltd."}) + "\n" + "not json\n")
    gazetteer = tmp_path / "g.jsonl"
    gazetteer.write_text(json.dumps({"id": "gb:0001", "names": ["Beta Ltd", "Beta Limited"]}) + "\n")
    out = tmp_path / "claims.jsonl"
    result = runner.invoke(app, ["news", "extract", str(articles), "--out", str(out), "--gazetteer", str(gazetteer)])
    assert result.exit_code == 0, result.output
    [row] = [json.loads(line) for line in out.read_text().splitlines()]
    assert {k: row[k] for k in ("article_id", "owner", "owned", "share_lo", "share_hi", "polarity", "date")} == {
        "article_id": "x1", "owner": "Acme Corp", "owned": "Beta Ltd.", "share_lo": 0.51, "share_hi": 0.51,
        "polarity": "acquire", "date": "2020-01-02"}
    assert row["owned_id"] == "gb:0001" and "owner_id" not in row
    assert row["sentence"] == "Acme Corp bought a 51% stake in Beta Ltd."
    assert "1 quarantined" in result.output


def test_extract_over_the_reuters_sample(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "claims.jsonl"
    result = runner.invoke(app, ["news", "extract", str(REUTERS), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert "925 articles (75 quarantined)" in result.output
    assert len(rows) > 100 and {r["polarity"] for r in rows} == {"acquire", "divest", "subsidiary"}
    assert all(0.0 <= r["share_lo"] <= r["share_hi"] <= 1.0 for r in rows)
    assert any(r["owner"] == "Newmont Mining Corp" and r["owned"] == "Magma Copper Co" for r in rows)


def test_eval_reports_precision_and_recall(runner: CliRunner) -> None:
    result = runner.invoke(app, ["news", "eval", str(DATA / "labelled.jsonl")])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["sentences"] == 198 and figures["precision"] >= 0.9


def test_bad_gazetteer_row_names_file_and_line(runner: CliRunner, tmp_path: Path) -> None:
    gazetteer = tmp_path / "g.jsonl"
    gazetteer.write_text('{"id": "a", "names": ["A Corp"]}\n{"names": ["no id"]}\n')
    articles = tmp_path / "a.jsonl"
    articles.write_text('{"id": "1", "text": "x"}\n')
    result = runner.invoke(app, ["news", "extract", str(articles), "--out", str(tmp_path / "o"), "--gazetteer", str(gazetteer)])
    assert result.exit_code != 0
    assert "line 2" in str(result.exception)
