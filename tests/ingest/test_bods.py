"""BODS: the validator's own fixtures, share intervals, interest kinds, updates, unspecified owners."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ingest_helpers import REAL, real, records, tally

from graph.model import Entity, InterestKind, OwnershipEdge
from ingest import bods
from ingest.bods import share_interval
from ingest.records import ExceptionFact, Quarantined, Removed

FIXTURES = REAL / "bods/lib-cove-bods-fixtures/0.4"
EXPECTED = list(csv.reader((FIXTURES / "invalid-schema/expected_errors.csv").open()))
# The package-level rule "statements must be an array": we accept a single statement object
# on purpose (real publications do that), so this one file is ingested, not quarantined.
ACCEPTED_SINGLE_OBJECT = "statements_not_array.json"


@pytest.mark.parametrize(("name", "keyword", "path"), [(r[0], r[1], r[2]) for r in EXPECTED],
                         ids=[r[0] for r in EXPECTED])
def test_invalid_schema_fixtures_are_quarantined_with_the_validators_reason(name: str, keyword: str, path: str) -> None:
    out = records(bods.parse, FIXTURES / "invalid-schema" / name)
    quarantined = [r for r in out if isinstance(r, Quarantined)]
    if name == ACCEPTED_SINGLE_OBJECT:
        assert not quarantined and tally(out)["entities"] == 1
        return
    assert quarantined, f"{name} was not quarantined"
    assert any(f"{keyword} at {path}" in q.reason for q in quarantined), [q.reason for q in quarantined]
    assert all(q.excerpt and q.location for q in quarantined)


def test_every_invalid_fixture_is_listed_in_expected_errors() -> None:
    files = {p.name for p in (FIXTURES / "invalid-schema").glob("*.json")}
    assert files == {r[0] for r in EXPECTED} and len(files) == 192


@pytest.mark.parametrize("path", sorted((FIXTURES / "valid-schema").glob("*.json")), ids=lambda p: p.name)
def test_valid_schema_fixtures_are_not_quarantined(path: Path) -> None:
    counts = tally(records(bods.parse, path))
    assert counts["quarantined"] == 0 and counts["entities"] + counts["edges"] > 0


SHARES = [
    # (share object, version, lo, hi) — named after what publishers write
    ({"exact": 100}, "0.2", 1.0, 1.0),
    ({"exact": 26.150000000000002, "minimum": 26.15, "maximum": 26.15}, "0.2", 0.2615, 0.2615),  # DK register
    ({"minimum": 25, "maximum": 50, "exclusiveMinimum": True, "exclusiveMaximum": False}, "0.2", 0.25, 0.5),  # PSC band
    ({"minimum": 25, "maximum": 50}, "0.3", 0.25, 0.5),  # 0.2/0.3 default: maximum exclusive
    ({"exclusiveMinimum": 50, "maximum": 75}, "0.4", 0.5, 0.75),
    ({"minimum": 75, "exclusiveMaximum": 100}, "0.4", 0.75, 1.0),
    ({}, "0.4", 0.0, 1.0),  # unknown
]


@pytest.mark.parametrize(("share", "version", "lo", "hi"), SHARES)
def test_share_interval(share: dict, version: str, lo: float, hi: float) -> None:  # type: ignore[type-arg]
    got_lo, got_hi, exclusive = share_interval(share, version)
    assert math.isclose(got_lo, lo, abs_tol=1e-12) and math.isclose(got_hi, hi, abs_tol=1e-12)
    if share.get("exclusiveMinimum") is True or (version == "0.4" and "exclusiveMinimum" in share):
        assert got_lo > lo and "lo" in exclusive  # an open end lies just inside
    else:
        assert "lo" not in exclusive


@given(st.floats(0, 100), st.floats(0, 100), st.booleans(), st.booleans(), st.sampled_from(["0.2", "0.4"]))
def test_share_interval_is_a_sub_interval_of_the_unit(a: float, b: float, open_lo: bool, open_hi: bool,
                                                      version: str) -> None:
    lo_pct, hi_pct = min(a, b), max(a, b)
    if version == "0.4":
        share = {("exclusiveMinimum" if open_lo else "minimum"): lo_pct,
                 ("exclusiveMaximum" if open_hi else "maximum"): hi_pct}
    else:
        share = {"minimum": lo_pct, "maximum": hi_pct, "exclusiveMinimum": open_lo, "exclusiveMaximum": open_hi}
    try:
        lo, hi, _ = share_interval(share, version)
    except ValueError:  # an open interval with no room inside, e.g. (30, 30)
        assert lo_pct == hi_pct or math.nextafter(lo_pct / 100, 2) > hi_pct / 100
        return
    assert 0.0 <= lo <= hi <= 1.0
    assert lo_pct / 100 - 1e-12 <= lo and hi <= hi_pct / 100 + 1e-12


def test_interest_types_map_to_interest_kinds() -> None:
    out = records(bods.parse, real("bods/data-standard-v0.4/fermcat.json"))
    kinds = {e.attrs["interest_type"]: e.kind for e in out if isinstance(e, OwnershipEdge)}
    assert kinds["shareholding"] is InterestKind.SHAREHOLDING
    assert kinds.get("votingRights", InterestKind.VOTING_RIGHTS) is InterestKind.VOTING_RIGHTS
    assert all(isinstance(k, InterestKind) for k in kinds.values())


def test_unspecified_owner_is_an_unknown_party_and_a_reporting_exception() -> None:
    out = records(bods.parse, real("bods/data-standard-v0.4/listed-company-exempt-from-disclosure.json"))
    stub = next(r for r in out if isinstance(r, Entity) and "unspecified" in r.flags)
    fact = next(r for r in out if isinstance(r, ExceptionFact))
    edge = next(r for r in out if isinstance(r, OwnershipEdge))
    assert edge.owner == stub.id and fact.entity_id == edge.owned
    assert fact.exception.category == "BODS_UNSPECIFIED_INTERESTED_PARTY"


def test_replaced_statement_of_an_earlier_file_is_named_for_the_run() -> None:
    path = real("bods/data-standard-v0.2/2-single-update.json")
    out = records(bods.parse, path)
    removed = [r for r in out if isinstance(r, Removed)]
    # both new statements replace fbfd0547…, the single direct holding of 1-single-direct.json
    assert {(r.entity_id, r.on, r.near) for r in removed} == {
        ("bods:fbfd0547-d0c6-4a00-b559-5c5e91c34f5c", "2018-01-05", "bods:1dc0e987-5c57-4a1c-b3ad-61353b66a9b7")}


def test_closed_0_4_relationship_is_end_dated() -> None:
    path = Path(__file__).parent / "closed.json"
    stmts = json.loads(real("bods/data-standard-v0.4/joint-ownership.json").read_text())
    rel = next(s for s in stmts if s["recordType"] == "relationship")
    closed = {**rel, "statementId": "c" * 36, "statementDate": "2020-02-02", "recordStatus": "closed"}
    try:
        path.write_text(json.dumps([rel, closed]))
        edges = [r for r in records(bods.parse, path) if isinstance(r, OwnershipEdge)]
    finally:
        path.unlink()
    assert [e.end for e in edges] == [None, "2020-02-02"] and edges[0].key == edges[1].key
