"""Resolution records and results as Parquet files, the form a cluster reads and writes.

Record set (one row per record, input of ``resolve --engine spark`` and of ``resolve eval``):
``id`` (required), ``names`` (primary name first, then aliases), ``country``,
``identifiers`` (``scheme``, ``value``, ``valid``: a null ``valid`` is checked here with
python-stdnum, as a JSON record's would be), ``address``, ``related``, ``position`` (the
record's place in the set: order-dependent tie-breaks follow it, so both engines see one
order) and ``previous`` (its canonical id before this run, for stable ids).

Results (one row per record): ``record_id``, ``canonical_id``, ``probability`` and
``explanation``: the merge that joined the record to its cluster (the most probable one
touching it; judged merges 1.0) with its JSON explanation, both null for a record alone.
Needs pyarrow (the ``spark`` extra).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graph.errors import BadInput
from graph.model import Identifier
from matching.identifiers import clean_identifier
from matching.records import Quarantined, Record, unique_records

if TYPE_CHECKING:
    import pyarrow as pa

    from matching.resolve import Resolution

BATCH = 50_000


def _pa() -> Any:
    try:
        import pyarrow
    except ImportError as exc:  # pragma: no cover - the spark extra installs it
        raise BadInput("Parquet files need pyarrow: pip install 'ownergraph[spark]'") from exc
    return pyarrow


def record_schema() -> pa.Schema:
    pa = _pa()
    ident = pa.struct([("scheme", pa.string()), ("value", pa.string()), ("valid", pa.bool_())])
    return pa.schema([
        ("id", pa.string()), ("names", pa.list_(pa.string())), ("country", pa.string()),
        ("identifiers", pa.list_(ident)), ("address", pa.string()), ("related", pa.list_(pa.string())),
        ("position", pa.int64()), ("previous", pa.string()),
    ])


def result_schema() -> pa.Schema:
    pa = _pa()
    return pa.schema([("record_id", pa.string()), ("canonical_id", pa.string()),
                      ("probability", pa.float64()), ("explanation", pa.string())])


def record_row(r: Record, position: int, previous: str | None = None) -> dict[str, Any]:
    return {
        "id": r.id, "names": list(r.names), "country": r.country,
        "identifiers": [{"scheme": i.scheme, "value": i.value, "valid": i.valid} for i in r.identifiers],
        "address": r.address, "related": list(r.related), "position": position, "previous": previous,
    }


def record_from_row(row: Mapping[str, Any], where: str) -> Record:
    """One Parquet row -> Record; BadInput names ``where`` and the field at fault."""
    rid = row.get("id")
    if rid is None or str(rid).strip() == "":
        raise BadInput(f"{where}: field 'id' is missing or empty", where=where, field="id")
    idents: list[Identifier] = []
    for item in row.get("identifiers") or ():
        scheme, value = item.get("scheme"), item.get("value")
        if not scheme or value is None or str(value).strip() == "":
            raise BadInput(f"{where}: an identifier needs a scheme and a value", where=where, field="identifiers")
        valid = item.get("valid")
        idents.append(clean_identifier(scheme, value) if valid is None else Identifier(scheme, str(value), bool(valid)))
    return Record(
        id=str(rid), names=tuple(str(n) for n in row.get("names") or () if n is not None),
        country=row.get("country") or None, identifiers=tuple(idents),
        address=row.get("address") or "", related=tuple(row.get("related") or ()),
    )


def write_record_set(path: Path, records: Iterable[Record], previous: Mapping[str, str] | None = None) -> int:
    """Write records in their order (``position`` 0, 1, ...); returns how many."""
    pa = _pa()
    import pyarrow.parquet as pq

    previous = previous or {}
    schema = record_schema()
    count = 0
    with pq.ParquetWriter(str(path), schema) as writer:
        batch: list[dict[str, Any]] = []
        for r in records:
            batch.append(record_row(r, count, previous.get(r.id)))
            count += 1
            if len(batch) >= BATCH:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                batch = []
        if batch or count == 0:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
    return count


def iter_record_rows(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, row) of a Parquet record set, in ``position`` order when it has one."""
    import pyarrow.parquet as pq

    _pa()
    try:
        table = pq.read_table(str(path))
    except (OSError, ValueError) as exc:
        raise BadInput(f"{path}: cannot read a Parquet record set ({exc})", file=str(path)) from exc
    if "id" not in table.column_names:
        raise BadInput(f"{path}: a record set needs an 'id' column", file=str(path), field="id")
    if "position" in table.column_names:
        table = table.sort_by("position")
    for number, row in enumerate(table.to_pylist(), start=1):
        yield f"{path}:row {number}", row


def read_record_set(path: Path) -> tuple[list[Record], list[Quarantined]]:
    """Records of a Parquet record set; bad rows quarantined with their reason."""
    return unique_records(_parsed_rows(path))


def _parsed_rows(path: Path) -> Iterator[tuple[str, Record | str]]:
    for where, row in iter_record_rows(path):
        try:
            yield where, record_from_row(row, where)
        except BadInput as exc:
            yield where, exc.message


def record_links(res: Resolution) -> dict[str, tuple[float, str]]:
    """Record id -> (probability, explanation) of the merge that joined it to its cluster:
    the most probable merged pair touching it (the first such in the merge order)."""
    out: dict[str, tuple[float, str]] = {}
    if res.judged_merges:
        judged = {(c.left, c.right): c.explanation for c in res.candidates()[: len(res.judged_merges)]}
        for a, b, _ in res.judged_merges:
            for rid in (a, b):
                out.setdefault(rid, (1.0, judged[(a, b)]))
    for k in res.merged.nonzero()[0].tolist():
        p = float(res.probability[k])
        for row in (res.left[k], res.right[k]):
            rid = res.rec_id(int(row))
            if rid not in out or out[rid][0] < p:
                out[rid] = (p, res.explanation(k))
    return out


def result_rows(res: Resolution, members: Iterable[int] | None = None) -> list[dict[str, Any]]:
    """Results rows of a resolution (of ``members`` only: record indices)."""
    links = record_links(res)
    records = res.prep.records
    out = []
    for index in members if members is not None else range(len(records)):
        rid = records[index].id
        p, why = links.get(rid, (None, None))
        out.append({"record_id": rid, "canonical_id": res.canonical[rid], "probability": p, "explanation": why})
    return out


def write_results(path: Path, rows: list[dict[str, Any]]) -> None:
    pa = _pa()
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows, schema=result_schema()), str(path))
