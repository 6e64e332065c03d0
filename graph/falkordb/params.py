"""FalkorDB parameter header (``CYPHER name=value ... <query>``), encoded fast.

FalkorDB receives parameters as Cypher literals prefixed to the query text. The client
library encodes them with a general recursive function that dominated upsert time; this
encoder produces the same literals (strings quoted with backslash and double quote escaped,
map keys in backticks) with a type dispatch instead of isinstance chains. Values are only
ever literals here: the statement text itself is never built from data.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import orjson

from graph.errors import BadInput


def _string(v: str) -> str:
    if "\\" in v or '"' in v:
        v = v.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{v}"'


def _float(v: float) -> str:
    if not math.isfinite(v):
        raise BadInput(f"parameter value {v!r} is not a finite number")
    return repr(v)


@functools.lru_cache(maxsize=4096)  # the same few map keys repeat in every row
def _key(k: Any) -> str:
    key = str(k)
    if not key or "`" in key:
        raise BadInput(f"parameter map key {key!r} must be non-empty and without backticks")
    return f"`{key}`"


def encode(v: Any) -> str:
    """One value as a Cypher literal."""
    t = type(v)
    if t is str:
        return _string(v)
    if v is None:
        return "null"
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return str(v)
    if t is float:
        return _float(v)
    if t is dict:
        return _map(v)
    if t is list or t is tuple:
        return "[" + ",".join([encode(x) for x in v]) + "]"
    if isinstance(v, str):  # str subclasses such as StrEnum members
        return _string(str(v))
    if isinstance(v, bool | int):
        return encode(bool(v) if isinstance(v, bool) else int(v))
    if isinstance(v, float):
        return _float(float(v))
    raise BadInput(f"parameter value of type {t.__name__} cannot be sent to the store")


def _map(v: dict[Any, Any]) -> str:
    """A map literal; strings and floats (nearly every upsert value) are encoded inline
    because this loop runs once per property of every row sent."""
    parts = []
    for k, x in v.items():
        t = type(x)
        if t is str:
            text = _string(x) if "\\" in x or '"' in x else '"' + x + '"'
        elif t is float and math.isfinite(x):
            text = repr(x)
        else:
            text = encode(x)
        parts.append(_key(k) + ":" + text)
    return "{" + ",".join(parts) + "}"


def with_params(query: str, params: dict[str, Any] | None) -> str:
    """The query text with its parameter header."""
    if not params:
        return query
    return "CYPHER " + " ".join(f"{_key(k)}={encode(v)}" for k, v in params.items()) + " " + query


# FalkorDB reads \n, \t, \r, \b and \f in a string literal but keeps \uXXXX as six
# characters, so JSON is a valid parameter literal unless it escaped a control character.
_UNREADABLE_ESCAPE = b"\\u00"


def with_rows(query: str, rows: list[list[Any]]) -> str:
    """``with_params(query, {"rows": rows})`` for positional rows of plain values, encoded
    by orjson (JSON arrays of strings, numbers, booleans and null are Cypher literals too).
    Falls back to the general encoder for what JSON would spell differently: escaped
    control characters and integers beyond 64 bits. Floats must be finite (orjson would
    write NaN as null): the row builders in graph/cypher/rows.py check every float."""
    try:
        raw = orjson.dumps(rows)
    except TypeError:
        return with_params(query, {"rows": rows})
    if _UNREADABLE_ESCAPE in raw:
        return with_params(query, {"rows": rows})
    return "CYPHER rows=" + raw.decode() + " " + query

