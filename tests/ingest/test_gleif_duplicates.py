"""A DUPLICATE LEI registration names the LEI GLEIF kept for the same legal entity (its
``SuccessorEntity``); the record carries that LEI too, so resolution joins the two instead of
holding two LEIs apart. A RETIRED or merged LEI's successor is another legal person: not
carried. Every GLEIF shape (LEI-CDF XML on both mappers, golden-copy CSV, API JSON) maps it
alike."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from ingest_helpers import REAL
from test_gleif_csv import flatten, write_csv

from graph.model import Entity
from ingest import gleif
from ingest.gleif_readers import element_dict
from ingest.records import SourceFile
from matching.records import record_from_entity
from matching.resolve import resolve

NS = "http://www.gleif.org/data/schema/leidata/2016"
KEPT = "5493001KJTIIGC8Y1R12"  # real LEIs (their checksums hold)
OTHER = "21380068P1DRHMJ8KU70"
API_RECORD = REAL / "gleif/gleif-rs-api-v1/lei_records/single_lei_record_529900GRZ2BQY5ZM9N49.json"
API_LEI = "529900GRZ2BQY5ZM9N49"


def lei_xml(lei: str, name: str, status: str, successor: str | None) -> str:
    succ = (f"<lei:SuccessorEntity><lei:SuccessorLEI>{successor}</lei:SuccessorLEI></lei:SuccessorEntity>"
            if successor is not None else "")
    return (f"<lei:LEIRecord><lei:LEI>{lei}</lei:LEI><lei:Entity>"
            f'<lei:LegalName xml:lang="en">{name}</lei:LegalName>'
            "<lei:LegalAddress><lei:FirstAddressLine>1 Quay Street</lei:FirstAddressLine>"
            "<lei:City>London</lei:City><lei:Country>GB</lei:Country></lei:LegalAddress>"
            "<lei:LegalJurisdiction>GB</lei:LegalJurisdiction><lei:EntityStatus>ACTIVE</lei:EntityStatus>"
            f"{succ}</lei:Entity><lei:Registration><lei:LastUpdateDate>2024-05-01T00:00:00Z</lei:LastUpdateDate>"
            f"<lei:RegistrationStatus>{status}</lei:RegistrationStatus></lei:Registration></lei:LEIRecord>")


def lei_file(path: Path, records: list[str]) -> Path:
    path.write_text(f'<lei:LEIData xmlns:lei="{NS}"><lei:LEIRecords>{"".join(records)}</lei:LEIRecords>'
                    "</lei:LEIData>", encoding="utf-8")
    return path


def entities(path: Path) -> dict[str, Entity]:
    return {r.id: r for r in gleif.parse(path, SourceFile(str(path), "run-1")) if isinstance(r, Entity)}


def leis(entity: Entity) -> list[str]:
    return sorted(i.value for i in entity.identifiers if i.scheme == "lei")


# (what the registration says, its successor, the LEIs its record carries)
CASES = [
    ("DUPLICATE", KEPT, sorted([OTHER, KEPT])),
    ("DUPLICATE", OTHER, [OTHER]),  # names itself: nothing to add
    ("DUPLICATE", "5493001KJTIIGC8Y1R1", [OTHER]),  # malformed successor: stays on its own
    ("DUPLICATE", None, [OTHER]),
    ("RETIRED", KEPT, [OTHER]),  # merged into another legal person: not the same company
    ("ISSUED", KEPT, [OTHER]),
]


@pytest.mark.parametrize(("status", "successor", "expected"), CASES)
def test_lei_xml_carries_the_kept_lei_of_a_duplicate_only(tmp_path: Path, status: str, successor: str | None,
                                                          expected: list[str]) -> None:
    found = entities(lei_file(tmp_path / "lei.xml", [lei_xml(OTHER, "Acme Trading Limited", status, successor)]))
    assert leis(found[f"lei:{OTHER}"]) == expected


@pytest.mark.parametrize(("status", "successor", "expected"), CASES)
def test_golden_copy_csv_maps_a_duplicate_as_the_xml_does(tmp_path: Path, status: str, successor: str | None,
                                                          expected: list[str]) -> None:
    from lxml import etree

    xml = lei_xml(OTHER, "Acme Trading Limited", status, successor).replace("<lei:LEIRecord>",
                                                                           f'<lei:LEIRecord xmlns:lei="{NS}">')
    row: dict[str, str] = {}
    flatten(element_dict(etree.fromstring(xml.encode())), "", row)
    write_csv(tmp_path / "golden-copy-lei2.csv", [row])
    assert leis(entities(tmp_path / "golden-copy-lei2.csv")[f"lei:{OTHER}"]) == expected


def api_file(path: Path, status: str, successors: list[str]) -> Path:
    doc: dict[str, Any] = json.loads(API_RECORD.read_text(encoding="utf-8"))
    body = copy.deepcopy(doc)
    attributes = body["data"]["attributes"] if isinstance(body["data"], dict) else body["data"][0]["attributes"]
    attributes["registration"]["status"] = status
    attributes["entity"]["successorEntity"] = {"lei": successors[0] if successors else None, "name": None}
    attributes["entity"]["successorEntities"] = [{"lei": s, "name": None} for s in successors[1:]]
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


@pytest.mark.parametrize(("status", "successors", "expected"), [
    ("DUPLICATE", [KEPT], sorted([API_LEI, KEPT])),
    ("DUPLICATE", [KEPT, OTHER], sorted([API_LEI, KEPT, OTHER])),  # successorEntities as well
    ("RETIRED", [KEPT], [API_LEI]),
    ("ISSUED", [], [API_LEI]),  # the real record as published
])
def test_api_json_maps_a_duplicate_as_the_xml_does(tmp_path: Path, status: str, successors: list[str],
                                                   expected: list[str]) -> None:
    found = entities(api_file(tmp_path / "single_lei_record.json", status, successors))
    assert leis(found[f"lei:{API_LEI}"]) == expected


def clusters(found: dict[str, Entity]) -> set[frozenset[str]]:
    canonical = resolve([record_from_entity(e) for e in found.values()]).canonical
    groups: dict[str, set[str]] = {}
    for record, root in canonical.items():
        groups.setdefault(root, set()).add(record)
    return {frozenset(g) for g in groups.values()}


def test_a_duplicate_registration_resolves_into_the_kept_one(tmp_path: Path) -> None:
    """Two LEIs of one scheme keep records apart, whatever the names; GLEIF's DUPLICATE
    status joins them (the spelling differs, as duplicate registrations' often do)."""
    kept = lei_xml(KEPT, "Acme Trading Limited", "ISSUED", None)
    duplicate = lei_file(tmp_path / "dup.xml", [kept, lei_xml(OTHER, "ACME TRADING LTD.", "DUPLICATE", KEPT)])
    retired = lei_file(tmp_path / "ret.xml", [kept, lei_xml(OTHER, "ACME TRADING LTD.", "RETIRED", KEPT)])
    both = frozenset({f"lei:{KEPT}", f"lei:{OTHER}"})
    assert clusters(entities(duplicate)) == {both}
    assert clusters(entities(retired)) == {frozenset({f"lei:{KEPT}"}), frozenset({f"lei:{OTHER}"})}

