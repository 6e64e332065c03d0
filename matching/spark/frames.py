"""DataFrame helpers: running totals in a global order, Arrow columns of per-pair arrays."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame


def running_totals(df: DataFrame, order: Sequence[str], values: dict[str, str], partitions: int) -> DataFrame:
    """``df`` with, per row, the sum of each ``values`` column (name -> output name) over
    the rows before it in ``order`` (an exclusive prefix sum; a column ``"1"`` counts rows).

    Range-partitioned and sorted, then each partition adds its own rows to the totals of
    the partitions before it (one small collect): no single-partition window."""
    from pyspark.sql import functions as F

    cols = {out: (F.lit(1) if src == "1" else F.col(src)).cast("long") for src, out in values.items()}
    ranged = (df.select("*", *(c.alias(f"_v_{o}") for o, c in cols.items()))
              .repartitionByRange(partitions, *order).sortWithinPartitions(*order)
              .withColumn("_pid", F.spark_partition_id()).localCheckpoint())
    sums = ranged.groupBy("_pid").agg(*(F.sum(f"_v_{o}").alias(o) for o in cols)).collect()
    by_pid = {int(r["_pid"]): [int(r[o] or 0) for o in cols] for r in sums}
    offsets: dict[int, list[int]] = {}
    running = [0] * len(cols)
    for pid in sorted(by_pid):
        offsets[pid] = list(running)
        running = [a + b for a, b in zip(running, by_pid[pid], strict=True)]
    names = list(cols)
    from pyspark.sql.types import LongType, StructField, StructType

    out_schema = StructType([*ranged.schema.fields, *(StructField(name, LongType()) for name in names)])

    def add(batches: Iterator[Any]) -> Iterator[Any]:
        state: list[int] | None = None
        for frame in batches:
            if frame.empty:
                continue
            if state is None:
                state = list(offsets.get(int(frame["_pid"].iloc[0]), [0] * len(names)))
            for k, name in enumerate(names):
                values_k = frame[f"_v_{name}"].to_numpy(dtype=np.int64)
                frame[name] = state[k] + np.cumsum(values_k) - values_k
                state[k] += int(values_k.sum())
            yield frame

    result = ranged.mapInPandas(add, out_schema)
    return result.drop("_pid", *(f"_v_{o}" for o in names))


def list_column(matrix: npt.NDArray[Any]) -> pa.Array:
    """A (rows x width) array as an Arrow list column (one list per row)."""
    import pyarrow as pa

    rows, width = matrix.shape
    offsets = np.arange(0, rows * width + 1, width, dtype=np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(np.ascontiguousarray(matrix).ravel()))


def matrix_of(column: pa.Array | pa.ChunkedArray, width: int, dtype: npt.DTypeLike) -> npt.NDArray[Any]:
    """An Arrow list column of equal-length lists -> (rows x width) array."""
    import pyarrow as pa

    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    values = column.flatten().to_numpy(zero_copy_only=False)
    return np.asarray(values, dtype=dtype).reshape(-1, width)


def split_kinds(batches: Iterator[pa.RecordBatch], record_columns: Sequence[str], pair_columns: Sequence[str]
                ) -> tuple[list[dict[str, Any]], list[pa.RecordBatch]]:
    """A part's input, records (``kind`` 1) and pairs (``kind`` 0) sent in one repartitioned
    frame: the records as rows, the pairs as Arrow batches."""
    import pyarrow as pa

    records: list[dict[str, Any]] = []
    pairs: list[pa.RecordBatch] = []
    for batch in batches:
        kind = batch.column("kind").to_numpy(zero_copy_only=False)
        if (kind == 1).any():
            records.extend(batch.filter(pa.array(kind == 1)).select(list(record_columns)).to_pylist())
        if (kind == 0).any():
            pairs.append(batch.filter(pa.array(kind == 0)).select(list(pair_columns)))
    return records, pairs
