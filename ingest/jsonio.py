"""Streaming JSON readers: arrays, single objects and JSON Lines, each item with a location.

Memory stays flat: arrays are walked with ijson, JSON Lines line by line; only one item is
ever held. A syntax error ends the file with one ``Broken`` item (the caller quarantines it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ijson
import ijson.backends.python as _PURE

from ingest.records import WrongFormat


@dataclass
class Item:
    location: str
    value: Any
    raw: str = ""  # the source text where cheaply known (JSON Lines)


@dataclass
class Broken:
    location: str
    reason: str
    raw: str = ""


def shape(path: Path) -> str:
    """'array', 'object' or 'lines' (JSON Lines); WrongFormat for anything else."""
    with path.open("rb") as fh:
        head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
        if head.startswith(b"["):
            return "array"
        if not head.startswith(b"{"):
            raise WrongFormat(f"{path}: not JSON (starts with {head[:20]!r})")
        fh.seek(0)
        first = fh.readline().lstrip(b"\xef\xbb\xbf")
    try:
        json.loads(first)
    except ValueError:
        return "object"  # a pretty-printed single object
    return "lines"


def read_items(path: Path) -> Iterator[Item | Broken]:
    kind = shape(path)
    if kind == "lines":
        yield from _lines(path)
        return
    prefix = "item" if kind == "array" else ""
    done = 0
    for backend in (ijson, _PURE):
        with path.open("rb") as fh:
            try:
                for n, value in enumerate(backend.items(fh, prefix, use_float=True), start=1):
                    if n > done:
                        done = n
                        yield Item(f"[{n - 1}]" if kind == "array" else "$", value)
                return
            except (ijson.JSONError, ValueError) as exc:
                # The C parser stops at integers beyond 64 bits; the pure one reads them,
                # resuming after the items already given out.
                if backend is ijson and "integer overflow" in str(exc):
                    continue
                yield Broken(f"after item {done}", f"JSON syntax error: {exc}")
                return


def _lines(path: Path) -> Iterator[Item | Broken]:
    with path.open("rb") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            text = line.decode("utf-8", errors="replace")
            try:
                yield Item(f"line {lineno}", json.loads(text), text)
            except ValueError as exc:
                yield Broken(f"line {lineno}", f"JSON syntax error: {exc}", text)
