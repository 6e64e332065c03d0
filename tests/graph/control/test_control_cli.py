"""``ownergraph control eval`` over plain files, bad rows included; ``control policies``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli.main import app
from graph.control.policies import resolve_policy
from graph.errors import BadInput, UnknownName

ENTITIES = """id,kind,jurisdiction,hq_country,nationality,flags,exceptions,name
R,company,CN,,,,,Red Dragon Holdings
A,company,GB,,,,
B,company,GB,,,listed,
P,person,,,GB,,
V,company,KY,,,,
X,company,GB,,,,NATURAL_PERSONS
BAD,spaceship,GB,,,,
"""

EDGES = """owner,owned,kind,share_lo,share_hi,start,end,confidence
R,A,shareholding,0.6,0.6,,,1
P,A,shareholding,0.4,0.4,,,1
A,B,shareholding,0.5,0.75,2020-01-01,,0.95
P,B,shareholding,0.25,0.25,,,1
R,V,contractual_control,0,1,,,1
P,V,shareholding,1.5,1.5,,,1
P,V,shareholding,0.7,0.2,,,1
NOPE,V,shareholding,0.1,0.1,,,1
V,V,shareholding,0.1,0.1,,,1
P,X,shareholding,0.1,0.1,2021-13-01,,1
R,A,shareholding,0.9,0.9,,2010-01-01,1
"""


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    entities, edges = tmp_path / "E.csv", tmp_path / "W.csv"
    entities.write_text(ENTITIES)
    edges.write_text(EDGES)
    return entities, edges


def test_eval_answers_for_every_good_entity_and_names_bad_lines(
        files: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "R.jsonl"
    result = CliRunner().invoke(app, [
        "control", "eval", "--entities", str(files[0]), "--edges", str(files[1]),
        "--policy", "cn-majority", "--as-of", "2025-01-01", "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    by_id = {r["id"]: r for r in lines}
    assert set(by_id) == {"R", "A", "B", "P", "V", "X"}
    assert {k: by_id[k]["verdict"] for k in by_id} == {
        "R": "BLOCK", "A": "BLOCK", "B": "REVIEW", "P": "ALLOW", "V": "BLOCK", "X": "ALLOW"}
    assert set(lines[0]) >= {"id", "verdict", "restricted_lo", "restricted_hi", "exposure_lo",
                             "exposure_hi", "ultimate_controllers", "evidence", "coverage",
                             "reasons", "notes", "summary"}
    # NATURAL_PERSONS (no legal-entity parent) is reported, not counted
    assert by_id["X"]["coverage"] == {"lo": 0.0, "hi": 0.0}
    assert [(n["code"], n.get("reason")) for n in by_id["X"]["notes"]] == [
        ("no_owners_on_record", None), ("reporting_exception", "NATURAL_PERSONS")]
    assert by_id["A"]["summary"] == "Red Dragon Holdings (CN) holds 60 % of this company"
    assert [(r["code"], r["basis"], r["value"]) for r in by_id["A"]["reasons"]] == [
        ("root", "jurisdiction", "CN")]
    assert by_id["B"]["summary"] == ("Red Dragon Holdings (CN) holds 60 % of A, which holds "
                                     "50 % to 75 % of this company")
    assert {r["code"] for r in by_id["B"]["reasons"]} == {"root", "share_range"}
    stake = by_id["A"]["evidence"]["stakes"][0]
    assert (stake["owner"], stake["edges"]) == ("R", [0])
    assert by_id["A"]["evidence"]["paths"] == [["R", "A"]]
    messages = result.output
    for needle in ("E.csv:8", "spaceship", "W.csv:7", "W.csv:8", "share_lo 0.7 > share_hi 0.2",
                   "W.csv:9", "dangling", "W.csv:10", "self-loop", "W.csv:11"):
        assert needle in messages, needle


def test_strict_unknowns_from_a_user_file(files: tuple[Path, Path], tmp_path: Path) -> None:
    policy = tmp_path / "strict.toml"
    policy.write_text('[strict-cn]\nroots.jurisdiction = ["CN"]\nunknowns = "strict"\n')
    out = tmp_path / "R.jsonl"
    result = CliRunner().invoke(app, [
        "control", "eval", "--entities", str(files[0]), "--edges", str(files[1]),
        "--policy", str(policy), "--as-of", "2025-01-01", "--out", str(out)])
    assert result.exit_code == 0, result.output
    x = {json.loads(v)["id"]: json.loads(v) for v in out.read_text().splitlines()}["X"]
    assert x["verdict"] == "INSUFFICIENT_DATA"
    assert [(r["code"], r.get("reason"), r.get("share")) for r in x["reasons"]] == [
        ("reporting_exception", "NATURAL_PERSONS", None), ("unaccounted_share", None, 1.0)]


def test_policy_from_a_user_file(files: tuple[Path, Path], tmp_path: Path) -> None:
    policy = tmp_path / "mine.toml"
    policy.write_text('[mine]\ndescription = "GB owners, 40 % or more"\nroots.jurisdiction = '
                      '["GB"]\nthreshold = 0.4\ncomparison = ">="\n')
    out = tmp_path / "R.jsonl"
    result = CliRunner().invoke(app, [
        "control", "eval", "--entities", str(files[0]), "--edges", str(files[1]),
        "--policy", str(policy), "--out", str(out)])
    assert result.exit_code == 0, result.output
    by_id = {json.loads(x)["id"]: json.loads(x) for x in out.read_text().splitlines()}
    assert by_id["B"]["verdict"] == "BLOCK"  # A (GB) holds at least 50 % of B


def test_unknown_policy_lists_the_known_ones() -> None:
    with pytest.raises(UnknownName) as exc:
        resolve_policy("cn-minority")
    assert "cn-majority" in exc.value.message and "uk-50" in exc.value.message


@pytest.mark.parametrize("text,needle", [
    ('[p]\nthreshold = 1.5\n', "threshold"),
    ('[p]\ncomparison = "=>"\n', "comparison"),
    ('[p]\nshare_kinds = ["stocks"]\n', "unknown interest kind"),
    ('[p]\nroots.planet = ["Mars"]\n', "unknown keys"),
    ('[p]\nthreshhold = 0.5\n', "unknown keys"),
    ('[p]\nunknowns = "lenient"\n', "is not one of explicit, strict"),
])
def test_bad_policy_files_name_the_key(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text(text)
    with pytest.raises(BadInput) as exc:
        resolve_policy(str(path))
    assert needle in exc.value.message and "p.toml" in exc.value.message


def test_policies_lists_every_builtin() -> None:
    result = CliRunner(env={"COLUMNS": "250"}).invoke(app, ["control", "policies"])
    assert result.exit_code == 0, result.output
    for name in ("cn-majority", "us-treasury-50", "us-affiliates-50", "eu-50", "uk-50",
                 "ultimate-parent"):
        assert name in result.output


def test_missing_file_or_column_is_a_clear_error(files: tuple[Path, Path], tmp_path: Path
                                                 ) -> None:
    out = tmp_path / "R.jsonl"
    missing = CliRunner().invoke(app, [
        "control", "eval", "--entities", str(tmp_path / "nope.csv"), "--edges", str(files[1]),
        "--policy", "cn-majority", "--out", str(out)])
    assert isinstance(missing.exception, BadInput) and "nope.csv" in missing.exception.message
    bad = tmp_path / "W2.csv"
    bad.write_text("owner,owned,share\nR,A,0.5\n")
    no_column = CliRunner().invoke(app, [
        "control", "eval", "--entities", str(files[0]), "--edges", str(bad),
        "--policy", "cn-majority", "--out", str(out)])
    assert isinstance(no_column.exception, BadInput)
    assert "W2.csv:1: missing columns: share_lo, share_hi" in no_column.exception.message
