"""CSV rows one at a time, a bad row a value rather than the end of the file.

The csv module stops at a field longer than its limit (and at a few other faults) by
raising; the reader then carries on at the next line. Here that becomes one ``BadRow`` for
the caller to quarantine, and the run goes on. The limit is the module's own default,
stated: a field this long is not a registry value, and the bound keeps one row's memory
small. (``csv.field_size_limit`` is process-wide; every reader here sets the same value.)
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ingest.records import WrongFormat

FIELD_LIMIT = 131_072  # characters in one field


@dataclass(frozen=True)
class BadRow:
    line: int  # the line the reader stopped on
    reason: str


def header(reader: Any, path: Any) -> list[str]:
    """The header of a ``csv.reader`` (its first row) or a ``csv.DictReader`` (its field
    names); WrongFormat when the csv module refuses it (a file whose header cannot be read
    is not a CSV of this kind)."""
    csv.field_size_limit(FIELD_LIMIT)
    try:
        if isinstance(reader, csv.DictReader):
            return list(reader.fieldnames or [])
        return list(next(reader, []))
    except csv.Error as exc:
        raise WrongFormat(f"{path}: CSV header unreadable: {_reason(exc)}") from exc


def rows(reader: Any) -> Iterator[Any]:
    """The rows of a ``csv.reader`` or ``csv.DictReader``, a ``BadRow`` for each one the
    csv module refused (``csv.Error``)."""
    csv.field_size_limit(FIELD_LIMIT)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # a DictReader's own line_num lags its reader's
            yield BadRow(getattr(reader, "reader", reader).line_num, _reason(exc))
            continue
        yield row


def _reason(exc: csv.Error) -> str:
    text = str(exc)
    if "field limit" in text:
        return f"a field is longer than {FIELD_LIMIT:,} characters (CSV field limit)"
    return f"CSV error: {text}"
