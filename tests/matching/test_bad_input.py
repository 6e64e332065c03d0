"""Bad input never crashes a run: it is quarantined with file:line and reason, or flagged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graph.errors import BadInput
from matching.identifiers import clean_identifiers
from matching.records import Record, read_records, read_truth
from matching.resolve import resolve


def test_records_file_quarantines_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    lines = [
        json.dumps({"id": "1", "name": "Acme Ltd"}),
        "{not json",
        json.dumps({"name": "no id"}),
        json.dumps({"id": "3", "name": 42}),
        json.dumps({"id": "1", "name": "duplicate id"}),
        json.dumps({"id": "4", "name": "Beta GmbH", "aliases": "not a list"}),
        json.dumps(["a list"]),
        "",
        json.dumps({"id": "5", "name": "Gamma BV", "identifiers": {"lei": "bad"}}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    records, bad = read_records(path)
    assert [r.id for r in records] == ["1", "5"]
    assert [b.where for b in bad] == [f"{path}:{n}" for n in (2, 3, 4, 5, 6, 7)]
    assert "field 'id'" in bad[1].reason and "'name'" in bad[2].reason
    assert records[1].identifiers[0].valid is False  # kept as text, flagged


def test_truth_header_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("id,cluster\n1,a\n", encoding="utf-8")
    with pytest.raises(BadInput, match="record_id,cluster_id"):
        read_truth(path)


def test_missing_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="cannot read records"):
        read_records(tmp_path / "nope.jsonl")


def test_degenerate_records_resolve_without_error() -> None:
    records = [
        Record("e1", ("",)),
        Record("e2", ("",)),
        Record("l1", ("Limited",)),
        Record("l2", ("LTD.",)),
        Record("m1", ("腾讯 Tencent 有限公司 ООО",)),
        Record("m2", ("Ωmega Λtd", "", "   ")),
        Record("n1", ()),
        Record("i1", ("Acme Ltd",), identifiers=clean_identifiers({"lei": "529900T8BM49AURSDO56"})),
        Record("i2", ("Zenith Ltd",), identifiers=clean_identifiers({"lei": "529900T8BM49AURSDO56"})),
    ]
    result = resolve(records)
    canon = result.canonical
    assert set(canon) == {r.id for r in records}
    assert canon["e1"] != canon["e2"]  # nothing to compare: never merged
    assert canon["l1"] != canon["l2"]  # only legal-form words: never merged
    assert canon["i1"] != canon["i2"]  # invalid identifiers are never used to merge
