"""The resolver's steps as Spark jobs: normalise, number, whole-set statistics, block, compare.

Every step calls the single-machine resolver's own functions on a batch or a part
(``matching.prepare.prepare``, ``matching.blocking.keys_of_name`` / ``pairs_of_groups`` /
``identifier_chains``, ``matching.features.compute_levels``); Spark only moves the rows.
Records keep the global order of the record set (its ``position`` column), and name rows
are numbered as the single-machine run numbers them, so the same pairs come out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from graph.errors import BadInput
from matching.blocking import BlockingConfig, identifier_chains, keys_of_name, pairs_of_groups
from matching.features import FEATURES, compute_levels
from matching.identifiers import valid_keys
from matching.jurisdiction import implied_countries, place_keys
from matching.normalize import Normalizer
from matching.parquet import record_from_row
from matching.prepare import prepare, token_facts
from matching.spark.frames import list_column, running_totals, split_kinds
from matching.spark.part import Shared, build_part, pack, part_records, unpack

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

N_FEATURES = len(FEATURES)
COMPARE_CHUNK = 200_000  # pairs compared at once in a part (bounds the working arrays)
PAYLOAD = ("rec", "row0", "n_rows", "blob", "tokens", "tdf", "tgeneric")

NORMALISED = (
    "pos long, id string, previous string, problem string, blob binary, n_rows int, country string, "
    "idents array<string>, row_keys array<string>, row_tokens array<array<string>>, "
    "row_generic array<array<string>>, row_phrase array<array<string>>, row_compact array<string>"
)


@dataclass
class RecordSet:
    """The numbered records (``rec``, ``row0``, payload), their name rows and the facts of
    the whole set."""

    records: DataFrame  # rec, id, previous, row0, n_rows, blob, country, cc, idents, tokens, tdf, tgeneric
    rows: DataFrame  # row, rec, k, key, cc, compact
    shared: Shared
    n_records: int
    problems: list[str]  # quarantined rows, first ones: "where: reason"
    n_problems: int


# ---------------------------------------------------------------- normalise and number


def arrow_schema(ddl: str) -> pa.Schema:
    """The Arrow schema of a Spark DDL schema string (the types these jobs use)."""
    import pyarrow as pa

    simple = {"long": pa.int64(), "int": pa.int32(), "string": pa.string(), "binary": pa.binary(),
              "double": pa.float64(), "float": pa.float32(), "tinyint": pa.int8(), "boolean": pa.bool_()}

    def parse(kind: str) -> pa.DataType:
        if kind.startswith("array<"):
            return pa.list_(parse(kind[6:-1]))
        return simple[kind]

    return pa.schema([(name, parse(kind)) for name, kind in (f.strip().split(" ", 1) for f in _fields(ddl))])


def _fields(ddl: str) -> list[str]:
    out, depth, start = [], 0, 0
    for i, ch in enumerate(ddl):
        depth += ch == "<"
        depth -= ch == ">"
        if ch == "," and depth == 0:
            out.append(ddl[start:i])
            start = i + 1
    out.append(ddl[start:])
    return out


def _normalise(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    import pyarrow as pa

    schema = arrow_schema(NORMALISED)
    normalizer = Normalizer()  # one per task: its memo lives as long as the task
    for batch in batches:
        out: dict[str, list[Any]] = {name: [] for name in schema.names}
        good = []
        for row in batch.to_pylist():
            where = f"record set row {row.get('pos')}"
            try:
                good.append((row, record_from_row(row, where)))
            except BadInput as exc:
                _emit(out, row, problem=exc.message)
        prep = prepare([r for _, r in good], normalizer)
        rows_of: list[list[int]] = [[] for _ in good]
        for row_index, rec in enumerate(prep.name_rec.tolist()):
            rows_of[rec].append(row_index)
        for (row, record), rows in zip(good, rows_of, strict=True):
            forms = [prep.forms[i] for i in rows]
            facts = [token_facts(f) for f in forms]
            names = {normalizer.name(n).original: normalizer.name(n) for n in record.names}
            names.update((f.original, f) for f in forms)
            _emit(out, row, blob=pack(record, names.values()), n_rows=len(rows),
                  country=normalizer.country(record.country), idents=list(valid_keys(record.identifiers)),
                  row_keys=[f.original for f in forms], row_tokens=[sorted(t) for t, _ in facts],
                  row_generic=[sorted(g) for _, g in facts], row_phrase=[list(place_keys(f)) for f in forms],
                  row_compact=[f.compact for f in forms])
        yield pa.RecordBatch.from_pydict(out, schema=schema)


def _emit(out: dict[str, list[Any]], row: dict[str, Any], **values: Any) -> None:
    out["pos"].append(row.get("pos"))
    out["id"].append(None if row.get("id") is None else str(row.get("id")))
    out["previous"].append(row.get("previous"))
    for name in list(out)[3:]:
        out[name].append(values.get(name))


def load(spark: SparkSession, path: str, partitions: int) -> RecordSet:
    """Read, normalise and number a Parquet record set; bad and duplicate rows quarantined."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    raw = spark.read.parquet(path)
    if "id" not in raw.columns:
        raise BadInput(f"{path}: a record set needs an 'id' column", file=path, field="id")
    for name, kind in (("names", "array<string>"), ("country", "string"), ("address", "string"),
                       ("related", "array<string>"), ("previous", "string")):
        if name not in raw.columns:
            raw = raw.withColumn(name, F.lit(None).cast(kind))
    if "identifiers" not in raw.columns:
        raw = raw.withColumn("identifiers", F.lit(None).cast("array<struct<scheme:string,value:string,valid:boolean>>"))
    pos = F.col("position") if "position" in raw.columns else F.monotonically_increasing_id()
    raw = raw.withColumn("pos", pos.cast("long"))
    # a record set is often one file, read as one partition: spread it over the workers
    normalised = raw.select("pos", "id", "names", "country", "identifiers", "address", "related", "previous") \
        .repartition(partitions).mapInArrow(_normalise, NORMALISED)
    # the first good row of an id is kept (a bad row before it does not count), as on one machine
    first = Window.partitionBy("id", F.col("problem").isNull()).orderBy("pos")
    checked = normalised.withColumn("_nth", F.when(F.col("id").isNull(), 1).otherwise(F.row_number().over(first)))
    checked = checked.withColumn("problem", F.when(
        F.col("problem").isNull() & (F.col("_nth") > 1), F.concat(F.lit("duplicate id "), F.col("id"))
    ).otherwise(F.col("problem"))).drop("_nth").persist()
    bad = checked.where(F.col("problem").isNotNull())
    n_problems = bad.count()
    problems = [f"record set row {r['pos']}: {r['problem']}" for r in bad.orderBy("pos").limit(20).collect()]
    good = checked.where(F.col("problem").isNull())
    numbered = running_totals(good.select("pos", "n_rows"), ["pos"], {"1": "rec", "n_rows": "row0"}, partitions)
    records = good.join(numbered.select("pos", "rec", "row0"), "pos").localCheckpoint()
    checked.unpersist()
    return _with_facts(records, n_problems, problems, partitions)


def _with_facts(records: DataFrame, n_problems: int, problems: list[str], partitions: int) -> RecordSet:
    from pyspark.sql import functions as F

    totals = records.agg(F.count("*").alias("n"), F.sum("n_rows").alias("names")).collect()[0]
    countries = tuple(sorted(r[0] for r in records.select("country").where(F.col("country").isNotNull())
                             .distinct().collect()))
    code = F.array_position(F.array(*[F.lit(c) for c in countries] or [F.lit("")]), F.col("country")) - 1
    records = records.withColumn("cc", F.when(F.col("country").isNull(), -1).otherwise(code).cast("int"))
    rows = records.select(
        "rec", "row0", "cc", F.posexplode(F.arrays_zip("row_keys", "row_tokens", "row_generic", "row_phrase",
                                                        "row_compact")).alias("k", "r"))
    rows = rows.select("rec", "cc", "k", (F.col("row0") + F.col("k")).alias("row"), F.col("r.row_keys").alias("key"),
                       F.col("r.row_tokens").alias("tokens"), F.col("r.row_generic").alias("generic"),
                       F.col("r.row_phrase").alias("phrase"), F.col("r.row_compact").alias("compact")).localCheckpoint()
    df = rows.select(F.explode("tokens").alias("token")).groupBy("token").agg(F.count("*").alias("df"))
    generic = rows.select(F.explode("generic").alias("token")).distinct().withColumn("g", F.lit(True))
    table = df.join(generic, "token", "left").select("token", "df", F.coalesce("g", F.lit(False)).alias("g"))
    per_record = (rows.select("rec", F.explode("tokens").alias("token")).distinct().join(table, "token")
                  .groupBy("rec").agg(F.collect_list(F.struct("token", "df", "g")).alias("ts")))
    records = (records.join(per_record, "rec", "left")
               .withColumn("tokens", F.coalesce(F.col("ts.token"), F.array().cast("array<string>")))
               .withColumn("tdf", F.coalesce(F.col("ts.df"), F.array().cast("array<long>")))
               .withColumn("tgeneric", F.coalesce(F.col("ts.g"), F.array().cast("array<boolean>")))
               .drop("ts", "row_tokens", "row_generic", "row_phrase", "row_compact").repartition(partitions, "rec")
               .localCheckpoint())
    counts = (rows.where(F.col("cc") >= 0).select("cc", F.explode("phrase").alias("phrase"))
              .groupBy("phrase", "cc").count().collect())
    seen: dict[str, Counter[int]] = {}
    for r in counts:
        seen.setdefault(r["phrase"], Counter())[int(r["cc"])] = int(r["count"])
    shared = Shared(n_names=int(totals["names"] or 0), countries=countries,
                    form_countries=implied_countries(seen))
    return RecordSet(records=records, rows=rows.select("row", "rec", "k", "key", "cc", "compact"), shared=shared,
                     n_records=int(totals["n"]), problems=problems, n_problems=n_problems)


# ---------------------------------------------------------------- block


PAIRS = "lo long, hi long, lo_rec long, hi_rec long, block string"
KEYS = "key string, row long, rec long, cc int, compact string"


def _keys(config: BlockingConfig):  # type: ignore[no-untyped-def]
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa

        schema = arrow_schema(KEYS)
        for batch in batches:
            out: dict[str, list[Any]] = {name: [] for name in schema.names}
            for r in batch.to_pylist():
                _, forms = unpack(r["blob"])
                by_key = {f.original: f for f in forms}
                df = dict(zip(r["tokens"] or (), r["tdf"] or (), strict=True))
                for k, key in enumerate(r["row_keys"]):
                    form = by_key[key]
                    for block_key in keys_of_name(form, df, config.rare_tokens, config.min_token_len):
                        out["key"].append(block_key)
                        out["row"].append(r["row0"] + k)
                        out["rec"].append(r["rec"])
                        out["cc"].append(r["cc"])
                        out["compact"].append(form.compact)
            yield pa.RecordBatch.from_pydict(out, schema=schema)
    return run


def _name_blocks(config: BlockingConfig):  # type: ignore[no-untyped-def]
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            groups = batch.to_pylist()
            members = {m["row"]: m for g in groups for m in g["m"]}
            rows = np.asarray(sorted(members), dtype=np.int64)  # local index order = global order
            local = {row: k for k, row in enumerate(rows.tolist())}
            country = [members[r]["cc"] for r in rows.tolist()]
            compact = [members[r]["compact"] for r in rows.tolist()]
            by_key = {g["key"]: sorted(local[m["row"]] for m in g["m"]) for g in groups}
            made = pairs_of_groups(by_key, country.__getitem__, compact.__getitem__, config)
            recs = np.asarray([members[r]["rec"] for r in rows.tolist()], dtype=np.int64)
            yield _pairs_batch(rows[made.left], rows[made.right], recs[made.left], recs[made.right],
                               [g["key"] for g in groups], made.group)
    return run


def _identifier_blocks(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        groups = batch.to_pylist()
        rec_of = {m["row0"]: m["rec"] for g in groups for m in g["m"]}
        rows = np.asarray(sorted(rec_of), dtype=np.int64)  # first rows; their order is record order
        local = {row: k for k, row in enumerate(rows.tolist())}
        by_ident = {g["ident"]: sorted(local[m["row0"]] for m in g["m"]) for g in groups}
        left, right, group = identifier_chains(by_ident)
        recs = np.asarray([rec_of[r] for r in rows.tolist()], dtype=np.int64)
        yield _pairs_batch(rows[left], rows[right], recs[left], recs[right], [f"i:{g['ident']}" for g in groups],
                           group)


def _pairs_batch(left: Any, right: Any, lrec: Any, rrec: Any, labels: list[str], group: Any) -> pa.RecordBatch:
    import pyarrow as pa

    lo, hi = np.minimum(left, right), np.maximum(left, right)
    swap = left > right
    lo_rec, hi_rec = np.where(swap, rrec, lrec), np.where(swap, lrec, rrec)
    names = np.asarray(labels, dtype=object)[group] if len(labels) else np.asarray([], dtype=object)
    return pa.RecordBatch.from_pydict({"lo": lo, "hi": hi, "lo_rec": lo_rec, "hi_rec": hi_rec,
                                       "block": names.tolist()}, schema=arrow_schema(PAIRS))


def candidate_pairs(data: RecordSet, config: BlockingConfig, partitions: int) -> DataFrame:
    """Unique name-row pairs of different records, each with the block that made it (the
    smallest key, so that a part compares the pairs of whole blocks)."""
    from pyspark.sql import functions as F

    keyed = data.records.select("rec", "row0", "cc", "blob", "tokens", "tdf", "row_keys") \
        .mapInArrow(_keys(config), KEYS)
    groups = (keyed.groupBy("key").agg(F.collect_list(F.struct("row", "rec", "cc", "compact")).alias("m"))
              .where(F.size("m") >= 2))
    names = groups.mapInArrow(_name_blocks(config), PAIRS)
    held = data.records.select("rec", "row0", F.explode("idents").alias("ident"))
    idents = (held.groupBy("ident").agg(F.collect_list(F.struct("rec", "row0")).alias("m"))
              .where(F.size("m") >= 2).mapInArrow(_identifier_blocks, PAIRS))
    return (names.unionByName(idents).where(F.col("lo_rec") != F.col("hi_rec"))
            .groupBy("lo", "hi").agg(F.min("block").alias("block"), F.first("lo_rec").alias("lo_rec"),
                                     F.first("hi_rec").alias("hi_rec"))
            .withColumn("pid", F.pmod(F.hash("block"), F.lit(partitions))))


# ---------------------------------------------------------------- compare


LEVELS = "lo long, hi long, lo_rec long, hi_rec long, idx long, levels array<tinyint>, scores array<float>"


def _compare(shared: Shared):  # type: ignore[no-untyped-def]
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa

        members, pairs = split_kinds(batches, PAYLOAD, ["lo", "hi", "lo_rec", "hi_rec", "idx"])
        if not pairs:
            return
        part = build_part(part_records(members), shared)
        table = pa.Table.from_batches(pairs).combine_chunks()
        for start in range(0, table.num_rows, COMPARE_CHUNK):
            chunk = table.slice(start, COMPARE_CHUNK)
            lo = chunk.column("lo").to_numpy().astype(np.int64)
            hi = chunk.column("hi").to_numpy().astype(np.int64)
            levels, scores = compute_levels(part.prep, part.local_rows(lo), part.local_rows(hi))
            yield pa.RecordBatch.from_pydict({
                "lo": lo, "hi": hi, "lo_rec": chunk.column("lo_rec").combine_chunks(),
                "hi_rec": chunk.column("hi_rec").combine_chunks(), "idx": chunk.column("idx").combine_chunks(),
                "levels": list_column(levels), "scores": list_column(scores),
            }, schema=arrow_schema(LEVELS))
    return run


def compare(data: RecordSet, pairs: DataFrame, partitions: int) -> DataFrame:
    """Feature levels and scores of ``pairs`` (lo, hi, lo_rec, hi_rec, pid[, idx]): each
    part gathers its pairs and, once, every record they touch, and compares them there."""
    from pyspark.sql import functions as F

    if "idx" not in pairs.columns:
        pairs = pairs.withColumn("idx", F.lit(-1).cast("long"))
    pairs = pairs.select("pid", "lo", "hi", "lo_rec", "hi_rec", "idx")
    need = pairs.select("pid", F.col("lo_rec").alias("rec")).union(pairs.select("pid", F.col("hi_rec"))).distinct()
    payload = need.join(data.records.select(*PAYLOAD), "rec")
    both = (pairs.withColumn("kind", F.lit(0)).unionByName(payload.withColumn("kind", F.lit(1)),
                                                            allowMissingColumns=True)
            .repartition(partitions, "pid"))
    return both.mapInArrow(_compare(data.shared), LEVELS)
