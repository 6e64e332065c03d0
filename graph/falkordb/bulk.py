"""The FalkorDB bulk-load copy of an edge: what ``load_arrays`` reads instead of eight
properties.

FalkorDB's cost of a bulk read is mostly per property read (~1 µs per edge each; reading
the numbers, the end and the key as three properties took 2.3 s of server CPU per 1M edges,
one property 1.0 s), and the client's cost was mostly turning decimal text into floats. So
each OWNS edge carries ONE string property ``bulk``: its numbers packed little-endian and
base64-encoded in a fixed width, then ``BULK_KEY_SEP``, then its key. A page of edges is
those strings joined with the same separator; the client splits once, joins the number
blocks and decodes them with one ``a2b_base64`` into a numpy record array.

The end day comes first and fills whole base64 characters (4 bytes + 2 padding = 8
characters), so end-dating replaces it in place on the server (``SET_BULK_END`` in
graph/falkordb/statements.py) without knowing the rest. The separator is a control character,
which no key holds (``checked_id``) and base64 never produces.
"""

from __future__ import annotations

import binascii
import struct
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

BULK_KEY_SEP = "\x1f"
# end day (int32, 2 bytes padding) | kind code (int8) | share_lo, share_hi (float64) |
# start day (int32) | confidence (float32) | 2 bytes padding: 33 bytes, 44 characters.
_RECORD = struct.Struct("<i2xbddif2x")
RECORD_DTYPE = np.dtype({
    "names": ["end", "kind", "lo", "hi", "start", "confidence"],
    "formats": ["<i4", "i1", "<f8", "<f8", "<i4", "<f4"],
    "offsets": [0, 6, 7, 15, 23, 27],
    "itemsize": _RECORD.size,
})
RECORD_WIDTH = _RECORD.size * 4 // 3  # base64 characters per edge
END_CODE_WIDTH = 8  # base64 characters of the end day and its padding
_END = struct.Struct("<i2x")


def end_code(end_day: int) -> str:
    """The leading, end-day part of a copy."""
    return binascii.b2a_base64(_END.pack(end_day), newline=False).decode("ascii")


def bulk_copy(end_day: int, kind: int, lo: float, hi: float, start_day: int,
              confidence: float, key: str) -> str:
    """One edge's copy. Raises struct.error / OverflowError for values out of range."""
    packed = _RECORD.pack(end_day, kind, lo, hi, start_day, confidence)
    return binascii.b2a_base64(packed, newline=False).decode("ascii") + BULK_KEY_SEP + key


def read_page(text: str, n: int) -> tuple[npt.NDArray[np.void], list[str]] | None:
    """A page of n joined copies -> (records, keys); None when the page is not n copies of
    this layout (an edge written by an earlier version: the caller reads it row-wise)."""
    parts = text.split(BULK_KEY_SEP) if n else []
    if len(parts) != 2 * n:
        return None
    blocks = "".join(parts[0::2])
    if len(blocks) != n * RECORD_WIDTH:
        return None
    try:
        raw = binascii.a2b_base64(blocks, strict_mode=True)
    except binascii.Error:
        return None
    return np.frombuffer(raw, dtype=RECORD_DTYPE), parts[1::2]


# -- entities --------------------------------------------------------------------------------
# An Entity node's copy is the JSON array [kind, jurisdiction, hq_country, nationality,
# residence, flags, exceptions] (the array load reads it instead of seven properties: 0.10 s
# of server CPU per 200k entities instead of 0.27 s); a page is the copies joined with ","
# inside "[" "]", decoded by one orjson call. A value JSON would escape (a quote, a backslash,
# a control character) gets no copy: FalkorDB keeps escapes in parameters as written, so
# such an entity's page is read row by row instead.
PLACEHOLDER_ENTITY_COPY = '["unknown","","","","",[],[]]'


def entity_copy(kind: str, countries: Sequence[str | None], flags: Sequence[str] | None,
                exceptions: Sequence[str] | None) -> str | None:
    """The copy of one entity (countries: jurisdiction, hq, nationality, residence), or None."""
    values: list[Any] = [kind, *(c or "" for c in countries), list(flags or ()),
                         list(exceptions or ())]
    text = orjson.dumps(values).decode()
    return None if "\\" in text else text
