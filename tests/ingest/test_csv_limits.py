"""A CSV field longer than the csv module's limit (131,072 characters) is one quarantined
row, never the end of the run: the rows around it are read, the run ends ``ok``."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from graph.model import Entity, OwnershipEdge
from ingest import csv_format, gleif
from ingest.csvio import FIELD_LIMIT
from ingest.records import Quarantined, SourceFile, WrongFormat
from ingest.run import RunOptions, run_ingest

LONG = "x" * (FIELD_LIMIT + 1)


@pytest.fixture(autouse=True)
def fresh_process_limit() -> None:
    """The csv limit is process-wide: start from the module's default, as a new process does."""
    csv.field_size_limit(131_072)


def _entities_file(path: Path, middle: str) -> Path:
    path.write_text(f"id,name,jurisdiction\nA1,Alpha Ltd,GB\nA2,{middle},GB\nA3,Gamma Ltd,GB\n",
                    encoding="utf-8")
    return path


@pytest.mark.parametrize("middle", [LONG, f'"{LONG}\nstill the same field"'],
                         ids=["plain-field", "quoted-field-over-two-lines"])
def test_users_csv_quarantines_the_long_row(tmp_path: Path, middle: str) -> None:
    path = _entities_file(tmp_path / "entities.csv", middle)
    records = list(csv_format.parse(path, SourceFile(str(path), "run-1")))
    names = [r.name for r in records if isinstance(r, Entity)]
    bad = [r for r in records if isinstance(r, Quarantined)]
    assert "Alpha Ltd" in names and "Gamma Ltd" in names
    assert bad and f"longer than {FIELD_LIMIT:,} characters" in bad[0].reason
    assert bad[0].location == "line 3"


def test_ingest_run_with_a_long_field_ends_ok(tmp_path: Path, graph_store: Any) -> None:
    path = _entities_file(tmp_path / "entities.csv", LONG)
    summary = run_ingest(graph_store, RunOptions(fmt="csv", paths=[path], home=tmp_path))
    assert summary.status == "ok", summary.error
    assert summary.entities == 2 and summary.quarantined == 1


def test_gleif_csv_quarantines_the_long_row(tmp_path: Path) -> None:
    header = ["Relationship.StartNode.NodeID", "Relationship.StartNode.NodeIDType",
              "Relationship.EndNode.NodeID", "Relationship.EndNode.NodeIDType",
              "Relationship.RelationshipType", "Relationship.RelationshipStatus"]
    good = ('"001GPB6A9XPE8XJICC14","LEI","5493001Z012YSB2A0K51","LEI",'
            '"IS_DIRECTLY_CONSOLIDATED_BY","ACTIVE"')
    path = tmp_path / "20240505-0000-gleif-goldencopy-rr-golden-copy.csv"
    path.write_text(",".join(f'"{c}"' for c in header) + "\n" + f'"{LONG}",' + good[23:] + "\n"
                    + good + "\n", encoding="utf-8")
    records = list(gleif.parse(path, SourceFile(str(path), "run-1")))
    bad = [r for r in records if isinstance(r, Quarantined)]
    assert [r for r in records if isinstance(r, OwnershipEdge)]
    assert bad and f"longer than {FIELD_LIMIT:,} characters" in bad[0].reason


def test_long_header_is_a_wrong_format(tmp_path: Path) -> None:
    path = tmp_path / "entities.csv"
    path.write_text(f"id,{LONG}\nA1,Alpha\n", encoding="utf-8")
    with pytest.raises(WrongFormat, match="header unreadable"):
        list(csv_format.parse(path, SourceFile(str(path), "run-1")))
