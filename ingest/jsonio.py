"""Streaming JSON readers: arrays, single objects and JSON Lines, each item with a location.

Memory stays flat: arrays are walked with ijson, JSON Lines line by line; only one item is
ever held. A syntax error ends the file with one ``Broken`` item (the caller quarantines it),
and so does nesting deeper than ``MAX_DEPTH``: ijson's C parser keeps the path of every open
level as a string, so memory grows with the square of the depth (100,000 levels, a 200 KB
file, asked for 23 GB). The depth is counted on the bytes before the parser sees them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ijson
import ijson.backends.python as _PURE
import numpy as np
import numpy.typing as npt

from ingest.records import WrongFormat

# Deepest nesting read. Registry records nest a handful of levels (a BODS interest inside
# a statement inside an array: 5); anything near this limit is not a registry record.
MAX_DEPTH = 64
# bytes.translate table: which bytes change the nesting depth or the string state
_OPEN, _CLOSE, _QUOTE, _BACKSLASH = 1, 2, 3, 4
_MARKS = bytes(_OPEN if b in b"[{" else _CLOSE if b in b"]}" else _QUOTE if b == 0x22
               else _BACKSLASH if b == 0x5C else 0 for b in range(256))


class TooDeep(ValueError):
    """JSON nested deeper than the readers accept; ``offset``: the bracket too many, in the
    piece that held it."""

    def __init__(self, limit: int, offset: int = 0) -> None:
        super().__init__(f"JSON nested deeper than {limit} levels")
        self.offset = offset


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


class Nesting:
    """The nesting depth of JSON text fed in pieces; TooDeep past ``limit``.

    Exact for valid JSON (brackets inside strings do not count, escaped quotes do not end
    a string); on invalid text the parser stops at the first bad byte anyway. Vectorised:
    only the bytes that matter (brackets, quotes, backslashes) are looked at one by one."""

    def __init__(self, limit: int = MAX_DEPTH) -> None:
        self.limit = limit
        self.depth = 0
        self.in_string = False
        self.backslashes = 0  # backslashes ending the previous piece

    def feed(self, piece: bytes) -> None:
        if not piece:
            return
        codes = np.frombuffer(piece.translate(_MARKS), dtype=np.uint8)
        at = np.flatnonzero(codes)
        kind = codes[at]
        quote = kind == _QUOTE
        if self.backslashes or b"\\" in piece:
            quote &= ~self._escaped(piece, at, quote)
        inside = (np.cumsum(quote) + self.in_string) & 1  # quotes before a bracket: odd = in a string
        counted = ((kind == _OPEN) | (kind == _CLOSE)) & (inside == 0)
        steps = kind[counted]
        if steps.size:
            depths = np.cumsum(np.where(steps == _OPEN, 1, -1)) + self.depth
            over = np.flatnonzero(depths > self.limit)
            if over.size:
                raise TooDeep(self.limit, int(at[counted][over[0]]))
            self.depth = int(depths[-1])
        self.in_string = bool((int(np.count_nonzero(quote)) + self.in_string) & 1)
        kept = piece.rstrip(b"\\")
        tail = len(piece) - len(kept)
        self.backslashes = tail + (self.backslashes if not kept else 0)

    def _escaped(self, piece: bytes, at: npt.NDArray[np.intp],
                 quote: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
        """Quotes preceded by an odd run of backslashes; only quotes right after a
        backslash (rare) are walked one by one."""
        escaped = np.zeros(quote.shape, dtype=bool)
        which = np.flatnonzero(quote)
        where = at[which]
        raw = np.frombuffer(piece, dtype=np.uint8)
        after = np.where(where > 0, raw[np.maximum(where - 1, 0)] == 0x5C, self.backslashes > 0)
        for i, pos in zip(which[after].tolist(), where[after].tolist(), strict=True):
            start = pos
            while start > 0 and piece[start - 1] == 0x5C:
                start -= 1
            run = pos - start + (self.backslashes if start == 0 else 0)
            escaped[i] = run % 2 == 1
        return escaped


class _DepthLimited:
    """A binary file whose reads count the nesting of what they return (ijson reads it).
    The piece holding the bracket too many is cut just before it, so every item that ends
    before it is still read; the next read raises TooDeep."""

    def __init__(self, fh: Any) -> None:
        self.fh = fh
        self.nesting = Nesting()
        self.refused: TooDeep | None = None

    def read(self, size: int = -1) -> bytes:
        if self.refused is not None:
            raise self.refused
        piece: bytes = self.fh.read(size)
        try:
            self.nesting.feed(piece)
        except TooDeep as exc:
            if exc.offset == 0:
                raise
            self.refused = exc
            return piece[:exc.offset]
        return piece


def check_depth(text: bytes | str) -> None:
    """TooDeep when a whole JSON text nests deeper than the readers accept."""
    Nesting().feed(text.encode() if isinstance(text, str) else text)


def shape(path: Path) -> str:
    """'array', 'object' or 'lines' (JSON Lines); WrongFormat for anything else."""
    with path.open("rb") as fh:
        head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
        if head.startswith(b"["):
            return "array"
        if not head.startswith(b"{"):
            # what the file holds is not repeated: errors travel to API callers
            raise WrongFormat(f"{path}: not JSON (it starts with neither '[' nor '{{')")
        fh.seek(0)
        first = fh.readline().lstrip(b"\xef\xbb\xbf")
    try:
        check_depth(first)
        json.loads(first)
    except TooDeep:
        return "lines"  # one line: read (and refused) as a line
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
        with path.open("rb") as raw:
            fh = _DepthLimited(raw)
            try:
                for n, value in enumerate(backend.items(fh, prefix, use_float=True), start=1):
                    if n > done:
                        done = n
                        yield Item(f"[{n - 1}]" if kind == "array" else "$", value)
                return
            except TooDeep as exc:
                yield Broken(f"after item {done}", str(exc))
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
                check_depth(line)
                yield Item(f"line {lineno}", json.loads(text), text)
            except TooDeep as exc:
                yield Broken(f"line {lineno}", str(exc), text[:300])
            except ValueError as exc:
                yield Broken(f"line {lineno}", f"JSON syntax error: {exc}", text)
