"""FtM values as publishers write them: ``percentage`` strings -> share intervals, parties
named as unknown -> explicit unknowns."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from ingest_helpers import records

from graph.model import UNKNOWN_PARTY_FLAG, Entity
from ingest import ftm
from ingest.ftm import share_of

CASES = [
    ("51", (0.51, 0.51, False)),  # yente-zala fixture: a plain number
    ("100", (1.0, 1.0, False)),
    ("51.0 %", (0.51, 0.51, False)),
    ("25,5", (0.255, 0.255, False)),  # decimal comma
    ("25-50", (0.25, 0.5, False)),
    ("25 – 50 %", (0.25, 0.5, False)),
    ("more than 50", (math.nextafter(0.5, 2.0), 1.0, True)),  # exclusive: passes "> 50 %"
    (">25", (math.nextafter(0.25, 2.0), 1.0, True)),
    ("at least 50", (0.5, 1.0, False)),
    ("< 10", (0.0, math.nextafter(0.1, -1.0), False)),
    ("up to 25", (0.0, 0.25, False)),
    ("150", None),  # outside 0-100: unreadable, the stake becomes unknown [0, 1]
    ("majority", None),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_percentage_strings(text: str, expected: tuple[float, float, bool] | None) -> None:
    assert share_of(text) == expected


@pytest.mark.parametrize(("name", "unknown"), [
    ("Unknown shareholders", True), ("UNDISCLOSED BENEFICIARY", True), ("Anonymous", True),
    ("(unknown)", True), (None, True),  # no name at all
    ("Unknown beneficial owner(s)", True), ("unknown natural person", True),
    ("Unknown Worlds Entertainment Inc", False),  # a company's name, not a marker
    ("Known Holdings Ltd", False), ("Alpha LLC", False),
])
def test_parties_named_unknown_are_explicit_unknowns(tmp_path: Path, name: str | None,
                                                     unknown: bool) -> None:
    props = {"name": [name]} if name else {}
    path = tmp_path / "e.ftm.json"
    path.write_text(json.dumps({"id": "le1", "schema": "LegalEntity", "properties": props}))
    [party] = [r for r in records(ftm.parse, path) if isinstance(r, Entity)]
    assert (UNKNOWN_PARTY_FLAG in party.flags) is unknown
