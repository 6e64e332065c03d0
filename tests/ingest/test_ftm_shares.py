"""FtM Ownership ``percentage`` strings as publishers write them -> share intervals."""

from __future__ import annotations

import math

import pytest

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
