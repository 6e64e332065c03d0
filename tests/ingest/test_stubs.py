"""Second-hand descriptions (UK PSC companies and corporate PSCs) against the real store:
they fill in what is not known and never overwrite an entity's own record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ingest_helpers import real

from graph.model import EntityKind, Identifier, ReportingException
from ingest.run import RunOptions, run_ingest

PSC = "uk-psc/bods-uk-psc-pipeline-fixtures"


def _run(store: Any, home: Path, fmt: str, *paths: Path) -> Any:
    return run_ingest(store, RunOptions(fmt, list(paths), home, batch_size=7))


def _entity(store: Any, entity_id: str) -> Any:
    return next(e for batch in store.iter_entities() for e in batch if e.id == entity_id)


def _psc_lines(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return path


def _statement(number: str, statement: str, psc_id: str) -> dict[str, Any]:
    return {"company_number": number, "data": {
        "kind": "persons-with-significant-control-statement", "statement": statement,
        "links": {"self": f"/company/{number}/persons-with-significant-control-statements/{psc_id}"}}}


def _corporate(number: str, owner_number: str, psc_id: str) -> dict[str, Any]:
    return {"company_number": number, "data": {
        "kind": "corporate-entity-person-with-significant-control", "name": "Holdco Limited",
        "identification": {"country_registered": "England", "registration_number": owner_number},
        "natures_of_control": ["ownership-of-shares-75-to-100-percent"],
        "links": {"self": f"/company/{number}/persons-with-significant-control/corporate-entity/{psc_id}"}}}


def test_a_psc_only_company_is_stored_with_its_number_country_and_statements(
        graph_store: Any, tmp_path: Path) -> None:
    _run(graph_store, tmp_path, "psc", real(f"{PSC}/psc-data-7.json"))  # super-secure PSC
    company = _entity(graph_store, "gb-coh:02443921")
    assert (company.kind, company.jurisdiction, company.hq_country) == (EntityKind.COMPANY, "GB", None)
    assert company.identifiers == (Identifier("gb_crn", "02443921"),)
    assert company.reporting_exceptions == (ReportingException("PSC_STATEMENT", "SUPER_SECURE_PERSON"),)
    assert graph_store.get_entity("gb-coh:02443921").get("placeholder") is None


def test_company_data_before_or_after_the_psc_snapshot_keeps_its_name(
        graph_store: Any, tmp_path: Path) -> None:
    basic, snapshot = real(f"{PSC}/basic-company-data-1.csv"), real(f"{PSC}/psc-data-1.json")
    _run(graph_store, tmp_path, "psc", basic)
    _run(graph_store, tmp_path, "psc", snapshot)
    first = _entity(graph_store, "gb-coh:08209948")
    assert (first.name, first.jurisdiction, first.provenance.record_id) == ("! LTD", "GB", "08209948")
    assert first.provenance.file == str(basic)  # its own record, not the PSC's description
    _run(graph_store, tmp_path, "psc", snapshot)
    _run(graph_store, tmp_path, "psc", basic)
    assert _entity(graph_store, "gb-coh:08209948").name == "! LTD"


def test_a_corporate_psc_never_overwrites_the_statements_of_its_own_filing(
        graph_store: Any, tmp_path: Path) -> None:
    own = _psc_lines(tmp_path / "own.jsonl", [_statement("07654321", "psc-exists-but-not-identified", "S1")])
    sub = _psc_lines(tmp_path / "sub.jsonl", [_corporate("01234567", "7654321", "C1")])
    _run(graph_store, tmp_path, "psc", own)
    _run(graph_store, tmp_path, "psc", sub)
    holdco = _entity(graph_store, "gb-coh:07654321")
    assert holdco.reporting_exceptions == (
        ReportingException("PSC_STATEMENT", "psc-exists-but-not-identified"),)
    # ... and the description filled in what the statement alone could not say
    assert holdco.name == "Holdco Limited" and holdco.jurisdiction == "GB"
    assert _entity(graph_store, "gb-coh:01234567").identifiers == (Identifier("gb_crn", "01234567"),)


def test_overseas_entity_numbers_are_not_given_the_uk_as_jurisdiction(
        graph_store: Any, tmp_path: Path) -> None:
    _run(graph_store, tmp_path, "psc", real(f"{PSC}/psc-data-4.json"))  # OE029880
    overseas = _entity(graph_store, "gb-coh:OE029880")
    assert overseas.jurisdiction is None and overseas.identifiers == (Identifier("gb_crn", "OE029880"),)
