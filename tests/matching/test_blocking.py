"""Blocking keys: which misspelt names still meet their company (the issue's typo class)."""

from __future__ import annotations

import pytest

from matching.blocking import block
from matching.normalize import Normalizer
from matching.prepare import prepare
from matching.records import Record

# A register where the words beside the brand are common, so the rare-token keys of the
# misspelt name are its typo and the legal form, not a word the other name holds.
OTHERS = [Record(f"o{i}", (f"Firm{i} {('Engineering', 'Manufacturing')[i % 2]} SA",), "FR") for i in range(200)]


@pytest.mark.parametrize(
    ("quirk", "name", "misspelt"),
    [
        ("two letters of the brand swapped", "Brightwater Engineering SA", "Brgihtwater Engineering S.A."),
        ("swapped inside the brand, lower case", "Keystone Manufacturing SA", "keytsone manufacturing s.a."),
    ],
)
def test_a_brand_with_two_letters_swapped_meets_its_company(quirk: str, name: str, misspelt: str) -> None:
    records = [*OTHERS, Record("right", (name,), "FR"), Record("typo", (misspelt,), "FR")]
    prep = prepare(records, Normalizer())
    blocks = block(prep)
    pairs = {frozenset((int(prep.name_rec[a]), int(prep.name_rec[b]))) for a, b in zip(blocks.left, blocks.right, strict=True)}
    assert frozenset((len(records) - 2, len(records) - 1)) in pairs, quirk
