"""BODS: which parties are explicit unknowns, where an entity is run from, register
identifiers by registration authority, and indirect interests summing up component chains
(real maintainer examples)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ingest_helpers import real, records

from graph.model import UNKNOWN_PARTY_FLAG, Entity, Identifier, OwnershipEdge
from ingest import bods


def _out(rel: str) -> list[Any]:
    return records(bods.parse, real(rel))


def _entities(out: list[Any]) -> dict[str, Entity]:
    return {r.id: r for r in out if isinstance(r, Entity)}


PARTIES = [
    # (file, entity id, explicit unknown?)
    ("bods/data-standard-v0.4/listed-company-exempt-from-disclosure.json",
     "bods:unspecified:fa402c4818f9", True),  # subjectExemptFromDisclosure
    ("china/bods-gleif-pipeline-cn-hk/bods_repex_issued.json",
     "bods:unspecified:repex-u-8368002JYF3BWYY2BW50-94dd8f", True),  # GLEIF NO_LEI as BODS
    ("bods/data-standard-v0.3/indirect-ownership/os-07-dr-04-company-d.json",
     "bods:unspecified:43bbbc24-5b3b-408a-9da8-220be3f6d54b", False),  # noBeneficialOwners
    ("bods/data-standard-v0.3/missing-data/os-01-dr-02-dc-05.json",
     "bods:4f683208-f571-40a5-8a5a-ec78c2930387", True),  # anonymousPerson
    ("bods/lib-cove-bods-fixtures/0.4/valid-schema/person_unspecified_person_details.json",
     "bods:per-5faa4103dee78621", True),  # unknownPerson
    ("bods/data-standard-v0.4/joint-ownership.json", "bods:91b4236a7d89", False),  # arrangement
]


@pytest.mark.parametrize(("rel", "entity_id", "explicit"), PARTIES, ids=[p[1] for p in PARTIES])
def test_unknown_parties(rel: str, entity_id: str, explicit: bool) -> None:
    party = _entities(_out(rel))[entity_id]
    assert (UNKNOWN_PARTY_FLAG in party.flags) is explicit


def test_business_address_is_the_headquarters_and_the_ra_code_the_register() -> None:
    out = _out("china/bods-gleif-pipeline-cn-hk/bods_repex_issued.json")
    company = _entities(out)["bods:8368002JYF3BWYY2BW50"]
    assert (company.jurisdiction, company.hq_country) == ("CN", "CN")
    # schemeName "RA000092" (China's SAMR in GLEIF) is read like GLEIF's own record
    assert Identifier("cn_uscc", "91620421MA74MNAU5L", True) in company.identifiers
    assert Identifier("lei", "8368002JYF3BWYY2BW50") in company.identifiers


@pytest.mark.parametrize(("rel", "record", "lo", "hi"), [
    ("bods/data-standard-v0.4/indirect-ownership.json", "d8d75ccf40e4#0", 0.0, 0.3),
    ("bods/data-standard-v0.4/bods-package-fi-soe.json", "e8ddaee2a7a4#0", 0.0, 1.0),
    # the same statement's direct interest is a stake of its own: kept whole
    ("bods/data-standard-v0.4/mixed-direct-and-indirect-ownership.json", "f5a45a6daf31#1", 0.5, 0.5),
    ("bods/data-standard-v0.4/mixed-direct-and-indirect-ownership.json", "f5a45a6daf31#0", 0.0, 0.5),
])
def test_indirect_interest_over_published_components_is_not_counted_twice(
        rel: str, record: str, lo: float, hi: float) -> None:
    [edge] = [e for e in _out(rel) if isinstance(e, OwnershipEdge) and e.provenance.record_id == record]
    assert (edge.share_lo, edge.share_hi) == (lo, hi)
    assert (edge.attrs.get("overlaps_components") == "true") is (lo == 0.0)


def test_a_state_without_a_jurisdiction_is_its_own_country(tmp_path: Path) -> None:
    # bods-package-fi-soe.json's state record, its jurisdiction left out
    records_ = json.loads(real("bods/data-standard-v0.4/bods-package-fi-soe.json").read_text())
    state = next(r for r in records_ if r["recordId"] == "05ce06ec97b1")
    del state["recordDetails"]["jurisdiction"]
    state["recordDetails"]["name"] = "People's Republic of China"
    path = tmp_path / "state.json"
    path.write_text(json.dumps([state]))
    [entity] = [r for r in records(bods.parse, path) if isinstance(r, Entity)]
    assert (entity.kind.value, entity.jurisdiction) == ("state_body", "CN")
