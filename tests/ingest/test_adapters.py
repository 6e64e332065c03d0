"""Mapping decisions of the GLEIF, PSC, FtM and CSV adapters, named after real data quirks."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from ingest_helpers import real, records, tally

from graph.model import Entity, EntityKind, Identifier, InterestKind, OwnershipEdge
from ingest import csv_format, ftm, gleif, psc
from ingest.psc import nature_interval
from ingest.records import EntityStub, ExceptionFact, Quarantined

GOLDEN = "gleif/golden-copy-json-intraday/20240505-0000-gleif-goldencopy-lei2-intra-day.json"


def _entity(out: list, eid: str) -> Entity:  # type: ignore[type-arg]
    return next(r for r in out if isinstance(r, Entity) and r.id == eid)


def test_golden_copy_badgerfish_names_keep_language_and_transliteration() -> None:
    alfa = _entity(records(gleif.parse, real(GOLDEN)), "lei:097900BID10000147476")
    assert alfa.name == "ALFA REY s.r.o." and alfa.names[0].lang == "sk"
    assert any(n.kind == "transliterated" and n.value == "ALFA REY SRO" and n.lang == "en" for n in alfa.names)
    assert {a.kind for a in alfa.addresses} == {"legal", "headquarters"}
    assert alfa.jurisdiction == "SK" and alfa.hq_country == "SK"


def test_lei_xml_keeps_legal_and_headquarters_addresses_and_previous_names() -> None:
    fund = _entity(records(gleif.parse, real("gleif/bodspipelines-fixtures/lei-data.xml")), "lei:001GPB6A9XPE8XJICC14")
    assert fund.kind is EntityKind.FUND and fund.jurisdiction == "US"  # LegalJurisdiction US-MA
    legal, hq = fund.addresses[0], fund.addresses[1]
    assert (legal.kind, hq.kind) == ("legal", "headquarters") and "C/O Fidelity" in hq.text
    assert any(n.kind == "previous" for n in fund.names)
    assert fund.provenance.published == "2023-06-05T08:20:51Z" and fund.provenance.location.startswith("line ")


@pytest.mark.parametrize(("rtype", "kind"), [
    ("IS_FUND-MANAGED_BY", InterestKind.FUND_MANAGEMENT),
    ("IS_SUBFUND_OF", InterestKind.UMBRELLA_FUND),
    ("IS_DIRECTLY_CONSOLIDATED_BY", InterestKind.CONSOLIDATION_PARENT),
    ("IS_ULTIMATELY_CONSOLIDATED_BY", InterestKind.ULTIMATE_CONSOLIDATION_PARENT),
])
def test_relationship_direction_is_parent_owns_child(rtype: str, kind: InterestKind) -> None:
    out = records(gleif.parse, real("gleif/bodspipelines-fixtures/rr-data.xml"))
    edges = [e for e in out if isinstance(e, OwnershipEdge) and e.attrs["relationship_type"] == rtype]
    assert edges and all(e.kind is kind for e in edges)
    for e in edges:  # record id is child|TYPE|parent, and the owner is the parent
        child, _, parent = e.provenance.record_id.split("|")
        assert (e.owner, e.owned) == (f"lei:{parent}", f"lei:{child}")
        assert (e.share_lo, e.share_hi) == (0.0, 1.0)


def test_api_and_xml_shapes_map_the_same_way() -> None:
    page = records(gleif.parse, real("gleif/gleif-rs-api-v1/lei_records/single_lei_record_254900LNRYNOQ9YPU758.json"))
    amazon = _entity(page, "lei:254900LNRYNOQ9YPU758")
    assert amazon.name == "Amazon Digital UK Limited" and amazon.hq_country == "GB"
    assert any(i.scheme == "gb_crn" and i.value == "06528297" for i in amazon.identifiers)
    assert sum(n.kind == "previous" for n in amazon.names) == 4
    assert amazon.provenance.published == "2025-05-15T00:00:00Z"


def test_empty_api_children_page_is_not_an_error() -> None:
    out = records(gleif.parse, real("gleif/gleif-rs-api-v1/lei_records/direct-children_254900LNRYNOQ9YPU758.json"))
    assert tally(out) == {}


def test_repex_reasons_become_facts() -> None:
    out = [r for name in ("repex-data.xml", "repex-updates-data2.xml")
           for r in records(gleif.parse, real(f"gleif/bodspipelines-fixtures/{name}"))]
    reasons = {f.exception.reason for f in out if isinstance(f, ExceptionFact)}
    assert {"NATURAL_PERSONS", "NON_PUBLIC", "NO_LEI"} <= reasons


BANDS = [
    ("ownership-of-shares-25-to-50-percent", InterestKind.SHAREHOLDING, 0.25, 0.50, True),
    ("ownership-of-shares-50-to-75-percent", InterestKind.SHAREHOLDING, 0.50, 0.75, True),
    ("ownership-of-shares-75-to-100-percent", InterestKind.SHAREHOLDING, 0.75, 1.00, True),
    ("voting-rights-25-to-50-percent-as-trust", InterestKind.VOTING_RIGHTS, 0.25, 0.50, True),
    ("ownership-of-shares-more-than-25-percent-registered-overseas-entity", InterestKind.SHAREHOLDING, 0.25, 1.0, True),
    ("right-to-appoint-and-remove-directors", InterestKind.BOARD_APPOINTMENT, 0.5, 1.0, True),
    ("significant-influence-or-control", InterestKind.SIGNIFICANT_INFLUENCE, 0.0, 1.0, False),
    ("some-future-nature-of-control", InterestKind.OTHER, 0.0, 1.0, False),
]


@pytest.mark.parametrize(("nature", "kind", "lo", "hi", "open_lo"), BANDS, ids=[b[0] for b in BANDS])
def test_psc_nature_bands(nature: str, kind: InterestKind, lo: float, hi: float, open_lo: bool) -> None:
    got_kind, got_lo, got_hi = nature_interval(nature)
    assert got_kind is kind and got_hi == hi
    assert (got_lo > lo) is open_lo and math.isclose(got_lo, lo, abs_tol=1e-12)


def test_psc_corporate_rle_chain_links_by_company_number() -> None:
    out = records(psc.parse, real("uk-psc/bods-uk-psc-pipeline-fixtures/psc-data-2.json"))
    # both companies are described second-hand: the owner in its subsidiary's filing, the
    # subsidiary by its number only (each has a record of its own at Companies House)
    stubs = {r.entity.id: r.entity for r in out if isinstance(r, EntityStub)}
    owner, company = stubs["gb-coh:00686734"], stubs["gb-coh:07434180"]
    assert owner.id == "gb-coh:00686734" and owner.name == "Robert Hitchins Limited"  # Companies House number
    assert (company.id, company.jurisdiction, company.identifiers) == (
        "gb-coh:07434180", "GB", (Identifier("gb_crn", "07434180"),))
    assert not any(isinstance(r, Entity) for r in out)
    assert all(e.owned == "gb-coh:07434180" for e in out if isinstance(e, OwnershipEdge))


def test_psc_overlap_rule_zeroes_the_lower_bound_of_a_possible_double_count(tmp_path: Path) -> None:
    lines = [
        {"company_number": "01234567", "data": {"kind": "corporate-entity-person-with-significant-control",
         "name": "Holdco Ltd", "links": {"self": "/company/01234567/persons-with-significant-control/corporate-entity/AAA"},
         "identification": {"country_registered": "England", "registration_number": "7654321"},
         "natures_of_control": ["ownership-of-shares-75-to-100-percent"], "notified_on": "2016-04-06"}},
        {"company_number": "01234567", "data": {"kind": "individual-person-with-significant-control",
         "name": "Ms Jane Doe", "links": {"self": "/company/01234567/persons-with-significant-control/individual/BBB"},
         "nationality": "Chinese", "natures_of_control": ["ownership-of-shares-75-to-100-percent"]}},
    ]
    path = tmp_path / "psc.jsonl"
    path.write_text("\n".join(__import__("json").dumps(x) for x in lines) + "\n")
    out = records(psc.parse, path)
    corp, person = (e for e in out if isinstance(e, OwnershipEdge))
    assert corp.owner == "gb-coh:07654321" and corp.share_lo > 0.75
    assert person.share_lo == 0.0 and person.share_hi == 1.0 and person.attrs["overlaps_rle"] == "true"
    assert _entity(out, person.owner).nationality == "CN"


def test_psc_statement_and_super_secure() -> None:
    secure = records(psc.parse, real("uk-psc/bods-uk-psc-pipeline-fixtures/psc-data-7.json"))
    [fact] = [r for r in secure if isinstance(r, ExceptionFact)]
    assert fact.entity_id == "gb-coh:02443921" and fact.exception.reason == "SUPER_SECURE_PERSON"
    ceased = records(psc.parse, real("uk-psc/bods-uk-psc-pipeline-fixtures/psc-data-1.json"))
    assert not any(isinstance(r, ExceptionFact) for r in ceased)  # the statement ceased in 2021


def test_hard_wrapped_basic_company_data_is_rejoined() -> None:
    [company] = [r for r in records(psc.parse, real("uk-psc/bods-uk-psc-pipeline-fixtures/basic-company-data-1.csv"))
                 if isinstance(r, Entity)]
    assert (company.id, company.name, company.jurisdiction) == ("gb-coh:08209948", "! LTD", "GB")
    # a registered office is no headquarters: merged with a GLEIF record saying HQ CN, the
    # register must not outvote it
    assert company.hq_country is None
    assert "HARROGATE" in company.addresses[0].text


def test_ftm_time_sliced_stakes_stay_separate_edges() -> None:
    out = records(ftm.parse, real("ftm/yente-zala/entities.ftm.json"))
    stakes = sorted((e.share_lo, e.start or "", e.end or "") for e in out if isinstance(e, OwnershipEdge)
                    and e.owned == "ftm:NK-abdzbEBkqyT29GyREbiURZ" and e.kind is InterestKind.SHAREHOLDING)
    assert {s[0] for s in stakes} >= {0.48, 0.5, 0.51}
    sanctioned = [r for r in out if isinstance(r, Entity) and "sanctioned" in r.flags]
    assert sanctioned and all("topic:sanction" in r.flags for r in sanctioned)


def test_ftm_directorship_is_a_seat_not_a_holding() -> None:
    out = records(ftm.parse, real("ftm/yente-zala/entities.ftm.json"))
    seats = [e for e in out if isinstance(e, OwnershipEdge) and e.attrs.get("relation") == "directorship"]
    assert len(seats) == 3 and all((e.kind, e.share_lo, e.share_hi) == (InterestKind.OTHER, 0.0, 0.0) for e in seats)


def test_csv_columns_and_bad_rows(tmp_path: Path) -> None:
    ents = tmp_path / "e.csv"
    ents.write_text("id,name,kind,jurisdiction,identifiers,aliases,flags\n"
                    "lei:5493001KJTIIGC8Y1R12,Bloomberg Finance L.P.,company,US,lei:5493001KJTIIGC8Y1R12,Bloomberg,listed\n"
                    "x1,Bad Kind,robot,US,,,\n"
                    "x2,Bad Country,company,USA,,,\n")
    out = records(csv_format.parse, ents)
    good = _entity(out, "lei:5493001KJTIIGC8Y1R12")
    assert good.flags == frozenset({"listed"}) and good.names[1].value == "Bloomberg"
    reasons = [q.reason for q in out if isinstance(q, Quarantined)]
    assert len(reasons) == 2 and "robot" in reasons[0] and "jurisdiction" in reasons[1]
    rels = tmp_path / "r.csv"
    rels.write_text("owner,owned,kind,share,share_min,share_max,start\n"
                    "a,b,shareholding,60,,,2020-01-01\nb,c,voting_rights,,25,50,\na,c,shareholding,150,,,\n")
    out = records(csv_format.parse, rels)
    edges = [e for e in out if isinstance(e, OwnershipEdge)]
    assert [(e.owner, e.share_lo, e.share_hi) for e in edges] == [("csv:a", 0.6, 0.6), ("csv:b", 0.25, 0.5)]
    assert tally(out)["quarantined"] == 1


def test_gleif_branch_is_owned_by_its_head_office(tmp_path: Path) -> None:
    # rr-data.json's first record with the relationship type of a branch
    record = __import__("json").loads(real("gleif/bodspipelines-fixtures/rr-data.json").read_text())[0]
    record["Relationship"]["RelationshipType"] = "IS_INTERNATIONAL_BRANCH_OF"
    path = tmp_path / "rr.json"
    path.write_text(__import__("json").dumps([record]))
    [edge] = [r for r in records(gleif.parse, path) if isinstance(r, OwnershipEdge)]
    assert (edge.owner, edge.owned, edge.kind) == (
        "lei:5493001Z012YSB2A0K51", "lei:001GPB6A9XPE8XJICC14", InterestKind.BRANCH)
