"""The bulk-load copy of an edge: a page of copies decodes to exactly what was packed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph.falkordb.bulk import (
    BULK_KEY_SEP,
    END_CODE_WIDTH,
    RECORD_WIDTH,
    bulk_copy,
    end_code,
    read_page,
)

INT32 = st.integers(-(2**31), 2**31 - 1)
KEYS = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=40)
EDGE = st.tuples(INT32, st.integers(0, 10), st.floats(allow_nan=False, width=64),
                 st.floats(allow_nan=False, width=64), INT32, st.floats(0, 1, width=32), KEYS)


@given(st.lists(EDGE, max_size=30))
def test_a_page_of_copies_reads_back_what_was_packed(edges: list[tuple]) -> None:
    page = read_page(BULK_KEY_SEP.join(bulk_copy(*e) for e in edges), len(edges))
    assert page is not None
    records, keys = page
    assert keys == [e[6] for e in edges]
    assert [tuple(r.item()) for r in records] == [e[:6] for e in edges]


@given(EDGE, INT32)
def test_end_code_replaces_the_leading_end_day_alone(edge: tuple, new_end: int) -> None:
    """What SET_BULK_END does on the server: new end code + the copy after the old one."""
    copy = bulk_copy(*edge)
    assert end_code(new_end) + copy[END_CODE_WIDTH:] == bulk_copy(new_end, *edge[1:])


@pytest.mark.parametrize(("text", "n"), [
    ("1,0.5,0.5,-2147483648,1.0", 1),  # the decimal copy written before this layout
    ("A" * RECORD_WIDTH, 1),  # no key
    ("A" * (RECORD_WIDTH - 4) + BULK_KEY_SEP + "k", 1),  # short number block
    ("!" * RECORD_WIDTH + BULK_KEY_SEP + "k", 1),  # not base64
    ("A" * RECORD_WIDTH + BULK_KEY_SEP + "k", 2),  # fewer copies than the page count
])
def test_pages_in_another_layout_are_refused(text: str, n: int) -> None:
    assert read_page(text, n) is None


def test_out_of_range_values_raise() -> None:
    with pytest.raises(Exception, match="format requires|out of range|argument"):
        bulk_copy(2**31, 0, 0.5, 0.5, 0, 1.0, "k")
