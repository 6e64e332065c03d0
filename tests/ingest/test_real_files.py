"""Every real sample under data/real/{gleif,bods,uk-psc,ftm,china} ingests, and the record
counts match what an independent reading of each file says it holds."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from ingest_helpers import REAL, records, tally

from graph.model import Entity, OwnershipEdge
from ingest import bods, csv_format, ftm, gleif, psc
from ingest.records import EntityStub, WrongFormat

PARSERS = {"gleif": gleif.parse, "bods": bods.parse, "psc": psc.parse, "ftm": ftm.parse, "csv": csv_format.parse}


def _fmt(path: Path) -> str:
    rel = path.relative_to(REAL).as_posix()
    if rel.startswith("china/") and path.name.startswith("bods_"):
        return "bods"
    if rel.startswith("gleif/") and path.name.endswith("-out.json"):
        return "bods"  # the pipeline's GLEIF->BODS 0.2 output
    return {"gleif": "gleif", "china": "gleif", "bods": "bods", "uk-psc": "psc", "ftm": "ftm"}[rel.split("/")[0]]


ALL_FILES = sorted(
    p for d in ("gleif", "bods", "uk-psc", "ftm", "china") for p in (REAL / d).rglob("*")
    if p.is_file() and p.suffix in (".json", ".xml", ".csv", ".ijson")
)
NOT_THEIR_FORMAT = {
    # The raw donations CSV from which donations.ijson was mapped: not FtM, stops with one line.
    "ftm/nomenklatura-donations/donations.csv",
    # The validator's expected-error table, not data.
    "bods/lib-cove-bods-fixtures/0.4/invalid-schema/expected_errors.csv",
}


def test_the_sample_set_is_all_there() -> None:
    assert len(ALL_FILES) >= 600  # SOURCES.md: 691 files in all, incl. news/ and matching/


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.relative_to(REAL).as_posix())
def test_every_real_file_ingests_or_is_refused_in_one_line(path: Path) -> None:
    rel = path.relative_to(REAL).as_posix()
    parse = PARSERS[_fmt(path)]
    if rel in NOT_THEIR_FORMAT:
        with pytest.raises(WrongFormat) as info:
            records(parse, path)
        assert "\n" not in info.value.message and str(path) in info.value.message
        return
    out = records(parse, path)
    counts = tally(out)
    if "invalid" not in rel and "-out.json" not in rel and not rel.startswith("bods/lib-cove"):
        assert counts["quarantined"] == 0, [r for r in out if type(r).__name__ == "Quarantined"][:3]
    for r in out:  # provenance on every fact
        if isinstance(r, (Entity, OwnershipEdge)):
            assert r.provenance.file == str(path) and r.provenance.record_id and r.provenance.run_id


# --- counts against an independent reading of the file --------------------------------------

def _xml_count(path: Path, tag: str) -> int:
    return len(re.findall(rf"<(?:\w+:)?{tag}[\s>]", path.read_text(encoding="utf-8")))


GLEIF_XML = [
    ("gleif/bodspipelines-fixtures/lei-data.xml", "LEIRecord", "entities", 13),
    ("gleif/bodspipelines-fixtures/lei-updates-data2.xml", "LEIRecord", "entities", 12),
    ("gleif/bodspipelines-fixtures/rr-data.xml", "RelationshipRecord", "edges", 10),
    ("gleif/bodspipelines-fixtures/rr-updates-data2.xml", "RelationshipRecord", "edges", 11),
    ("gleif/bodspipelines-fixtures/repex-data.xml", "Exception", "exceptions", 10),
    ("gleif/bodspipelines-fixtures/repex-updates-data2.xml", "Exception", "exceptions", 7),
    # 2018 concatenated file: header carries per-LOU gleif:Sources, 10 records, Lagos firms
    ("gleif/concatenated-2018-top10/20180901-gleif-concatenated-file-lei2-Top10.xml", "LEIRecord", "entities", 10),
]


@pytest.mark.parametrize(("rel", "tag", "kind", "documented"), GLEIF_XML, ids=[r[0] for r in GLEIF_XML])
def test_gleif_xml_counts(rel: str, tag: str, kind: str, documented: int) -> None:
    path = REAL / rel
    assert _xml_count(path, tag) == documented  # SOURCES.md's number, read independently
    assert tally(records(gleif.parse, path))[kind] == documented


def test_golden_copy_json_intraday_has_577_records() -> None:
    path = REAL / "gleif/golden-copy-json-intraday/20240505-0000-gleif-goldencopy-lei2-intra-day.json"
    assert len(json.loads(path.read_text())["records"]) == 577
    assert tally(records(gleif.parse, path)) == {"entities": 577}


def test_gleif_api_pages_hold_145_lei_records_and_121_relationships() -> None:
    base = REAL / "gleif/gleif-rs-api-v1"
    lei = sum(tally(records(gleif.parse, p))["entities"] for p in (base / "lei_records").glob("*.json"))
    rel = sum(tally(records(gleif.parse, p))["edges"] for p in (base / "relationships").glob("*.json"))
    exc = sum(tally(records(gleif.parse, p))["exceptions"] for p in (base / "reporting_exceptions").glob("*.json"))
    assert (lei, rel, exc) == (145, 121, 17)


def _statements(path: Path) -> list[dict]:  # type: ignore[type-arg]
    text = path.read_text()
    try:
        data = json.loads(text)
    except ValueError:  # JSON Lines
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return data if isinstance(data, list) else [data]


@pytest.mark.parametrize("version", ["0.2", "0.3", "0.4"])
def test_bods_examples_counts_match_statements(version: str) -> None:
    """SOURCES.md: 0.2/0.3 hold 99 statements (34 entity, 21 person, 44 ownership); 0.4 holds
    119 records (35 entity, 28 person, 56 relationship)."""
    files = sorted((REAL / f"bods/data-standard-v{version}").rglob("*.json"))
    stmts = [s for p in files for s in _statements(p)]
    kinds = [s.get("statementType") or s.get("recordType") for s in stmts]
    parties = sum(k in ("entityStatement", "personStatement", "entity", "person") for k in kinds)
    out = [r for p in files for r in records(bods.parse, p)]
    counts = tally(out)
    real_entities = [r for r in out if isinstance(r, Entity) and "unspecified" not in r.flags]
    edge_statements = {r.provenance.record_id.split("#")[0] for r in out if isinstance(r, OwnershipEdge)}
    relationships = sum(k in ("ownershipOrControlStatement", "relationship") for k in kinds)
    assert len(stmts) == (99 if version != "0.4" else 119)
    assert counts["quarantined"] == 0
    assert len(real_entities) == parties == (55 if version != "0.4" else 63)
    # 0.1-0.3 statement ids are unique; 0.4 repeats a recordId when a record is updated.
    assert len(edge_statements) <= relationships == (44 if version != "0.4" else 56)
    assert counts["edges"] >= len(edge_statements)


def test_bods_register_jsonl_keeps_every_statement() -> None:
    """The OpenOwnership Register's DK lines: 16 ownership + 4 person statements, JSON Lines;
    the two files share three statements, so 13 distinct ownership statements."""
    files = sorted((REAL / "bods/bodsdata-register-dk-v0.2").glob("*.json"))
    lines = [s for p in files for s in _statements(p)]
    ownership = {s["statementID"] for s in lines if s["statementType"] == "ownershipOrControlStatement"}
    assert len(lines) == 20 and len(ownership) == 13
    out = [r for p in files for r in records(bods.parse, p)]
    stmts = {r.provenance.record_id.split("#")[0] for r in out if isinstance(r, OwnershipEdge)}
    assert stmts == ownership
    assert tally(out)["entities"] == 4 and tally(out)["quarantined"] == 0


def test_psc_fixtures_counts_by_kind() -> None:
    files = sorted((REAL / "uk-psc/bods-uk-psc-pipeline-fixtures").glob("psc-data-*.json"))
    lines = [x for p in files for x in json.loads(p.read_text())]
    kinds = [x["data"]["kind"] for x in lines]
    owners = [k for k in kinds if "statement" not in k and not k.startswith(("super-secure", "totals"))]
    natures = sum(len(x["data"].get("natures_of_control") or []) for x in lines if x["data"]["kind"] in owners)
    out = [r for p in files for r in records(psc.parse, p)]
    counts = tally(out)
    assert (len(owners), kinds.count("totals#persons-of-significant-control-snapshot")) == (17, 16)  # SOURCES.md: 5 + 9 + 1 + 1 + 1
    # every owner is an entity, a UK corporate PSC a second-hand description (a stub), and
    # each company the snapshot says something about is a stub with its number
    uk_corporate = {r.entity.id for r in out if isinstance(r, EntityStub)} & {
        e.owner for e in out if isinstance(e, OwnershipEdge)}
    companies = {x["company_number"] for x in lines if x["data"]["kind"] in owners or (
        x["data"]["kind"].startswith(("persons-with", "super-secure"))
        and not x["data"].get("ceased_on") and not x["data"].get("ceased"))}
    assert counts["entities"] + len(uk_corporate) == len(owners)
    assert counts["stubs"] == len(uk_corporate) + len(companies) == 2 + 18
    assert counts["edges"] == natures
    # one active super-secure PSC; the one statement has ceased (skipped with the 16 totals)
    assert counts["exceptions"] == 1 and counts["skipped"] == 17


def test_ftm_zala_counts_by_schema() -> None:
    path = REAL / "ftm/yente-zala/entities.ftm.json"
    schemata = [json.loads(line)["schema"] for line in path.read_text().splitlines() if line.strip()]
    assert len(schemata) == 91
    counts = tally(records(ftm.parse, path))
    assert counts["entities"] == schemata.count("Company") + schemata.count("Person") == 17
    assert counts["edges"] == schemata.count("Ownership") + schemata.count("Directorship") == 17
    assert counts["skipped"] == 91 - 34


def test_china_gleif_records_keep_uscc_and_chinese_names() -> None:
    out = records(gleif.parse, REAL / "china/bods-gleif-pipeline-cn-hk/relationship_issued.json")
    hengdian = next(r for r in out if isinstance(r, Entity) and r.id == "lei:30030096HNNZNN7BZK36")
    assert hengdian.name == "横店集团控股有限公司" and hengdian.jurisdiction == "CN"
    assert any(i.scheme == "cn_uscc" and i.value == "91330783717672584H" and i.valid for i in hengdian.identifiers)
    edge = next(r for r in out if isinstance(r, OwnershipEdge))
    # +08:00 timestamps keep their local calendar date
    assert edge.start == "2016-02-23" and edge.owner == "lei:30030096HNNZNN7BZK36"


@pytest.mark.parametrize("lei", ["001GPB6A9XPE8XJICC14", "30030096HNNZNN7BZK36", "5493001KJTIIGC8Y1R12",
                                 "001GPB6A9XPE8XJICC15", "001GPB6A9XPE8XJICC41", "INR2EJN1ERAN0W5ZP974"])
def test_fast_lei_checksum_agrees_with_python_stdnum(lei: str) -> None:
    from stdnum import lei as stdnum_lei

    assert gleif.lei_checksum_ok(lei) == stdnum_lei.is_valid(lei)
