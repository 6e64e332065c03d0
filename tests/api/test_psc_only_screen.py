"""Screening by company number finds a company the register knows only from its PSC
statements (no BasicCompanyData row): the company entity the PSC records create carries its
Companies House number."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from api.auth import Principal, Role
from api.generations.run import RunRequest, SourceSpec, run_generation
from api.screen import screen_one
from api.service import Service
from api.settings import Settings
from graph.stores import open_store

PSC = {"company_number": "09876543", "data": {
    "address": {"address_line_1": "1 Harbour Road", "country": "Hong Kong", "locality": "Hong Kong"},
    "etag": "psc-only-1", "identification": {
        "legal_authority": "Companies Ordinance", "legal_form": "Private Company Limited By Shares",
        "registration_number": "2734561", "country_registered": "Hong Kong"},
    "kind": "corporate-entity-person-with-significant-control",
    "links": {"self": "/company/09876543/persons-with-significant-control/corporate-entity/x1"},
    "name": "HARBOUR PEAK HOLDINGS LIMITED",
    "natures_of_control": ["ownership-of-shares-75-to-100-percent"], "notified_on": "2022-03-01"}}


def test_a_psc_only_company_is_found_by_its_number(store_home: Path, tmp_path: Path) -> None:
    snapshot = tmp_path / "psc.jsonl"
    snapshot.write_text(json.dumps(PSC) + "\n", encoding="utf-8")
    settings = Settings(home=store_home, graph_name=f"t_psc_{uuid.uuid4().hex[:8]}",
                        policies=["cn-majority"], generation_poll_seconds=0, log_level="ERROR")
    store = open_store(settings.store_config())
    try:
        store.ensure_schema()
        run_generation(settings, store, RunRequest((SourceSpec("psc", "psc", (snapshot,)),)))
    finally:
        store.drop()
        store.close()
    svc = Service(settings, None)
    try:
        svc.reload()
        answer: dict[str, Any] = screen_one(
            svc, _request({"identifiers": {"gb_crn": "09876543"}}), Principal("t", Role.ADMIN, "t"))
    finally:
        svc.close()
    assert answer["verdict"] != "NO_MATCH", answer
    assert answer["entity"]["id"].endswith("09876543")


def _request(body: dict[str, Any]) -> Any:
    from api.schemas import ScreenRequest

    return ScreenRequest.model_validate(body)
