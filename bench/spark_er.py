"""The Spark engine's part of ``bench/er.py --engine spark``: N generated records written as a
Parquet record set and resolved on Spark (``local[2]`` unless ``OWNERGRAPH_SPARK_MASTER``),
timed from the record set to the results Parquet (the session's start timed apart), with peak memory of the driver JVM (in
local mode it is also the executor), of the Python workers (their summed resident memory at
its highest) and of this process, sampled every 0.2 s with psutil.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil


class Peaks:
    """Peak resident memory of this process, the JVM it started and the JVM's Python workers."""

    def __init__(self) -> None:
        self.own = self.jvm = self.workers = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Peaks:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            self.sample(me)
            time.sleep(0.2)

    def sample(self, me: psutil.Process) -> None:
        try:
            self.own = max(self.own, me.memory_info().rss)
            jvm = workers = 0
            for child in me.children(recursive=True):
                rss = child.memory_info().rss
                if "java" in child.name():
                    jvm += rss
                else:
                    workers += rss
            self.jvm, self.workers = max(self.jvm, jvm), max(self.workers, workers)
        except psutil.Error:
            pass

    def figures(self) -> dict[str, float]:
        mb = 1024.0 * 1024.0
        return {"driver_jvm_peak_mb": round(self.jvm / mb, 1), "python_workers_peak_mb": round(self.workers / mb, 1),
                "bench_process_peak_mb": round(self.own / mb, 1)}


def shuffle_figures(log_dir: Path) -> dict[str, float]:
    """Totals over every task of the run, from Spark's event log: bytes shuffled (written),
    spilled to disk, and the largest peak execution memory of one task."""
    written = spilled = peak = tasks = 0
    # Spark 4 writes a folder per application (eventlog_v2_*: events_1_*, events_2_* when it
    # rolls over, status markers); the run asks for it uncompressed (see part_spark)
    for path in sorted(p for p in log_dir.rglob("events_*") if p.is_file()):
        with path.open(encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if '"SparkListenerTaskEnd"' not in line:
                    continue
                metrics = json.loads(line).get("Task Metrics") or {}
                tasks += 1
                written += int((metrics.get("Shuffle Write Metrics") or {}).get("Shuffle Bytes Written", 0))
                spilled += int(metrics.get("Disk Bytes Spilled", 0))
                peak = max(peak, int(metrics.get("Peak Execution Memory", 0)))
    mb = 1024.0 * 1024.0
    return {"shuffle_written_mb": round(written / mb, 1), "disk_spilled_mb": round(spilled / mb, 1),
            "task_peak_execution_mb": round(peak / mb, 1), "tasks": tasks}


def part_spark(n: int, seed: int, driver_memory: str = "6g", partitions: int = 0) -> dict[str, Any]:
    from matching.evaluate import scores
    from matching.generate import generate
    from matching.parquet import write_record_set
    from matching.spark.engine import SparkRequest, resolve_on_spark
    from matching.spark.session import SparkOptions, start

    records, truth = generate(n, seed=seed)
    parts = partitions or max(8, n // 25_000)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "records.parquet"
        write_record_set(path, records)
        del records
        events = Path(tmp) / "events"
        events.mkdir()
        options = SparkOptions(driver_memory=driver_memory, shuffle_partitions=parts, conf={
            "spark.eventLog.enabled": "true", "spark.eventLog.dir": events.as_uri(),
            "spark.eventLog.compress": "false"})
        with Peaks() as peaks:
            clock = time.perf_counter()
            session = start(options)  # the JVM's start is not a per-record cost: timed apart
            started = time.perf_counter() - clock
            try:
                clock = time.perf_counter()
                done = resolve_on_spark(path, SparkRequest(options=options, partitions=parts), session)
                seconds = time.perf_counter() - clock
            finally:
                session.stop()
        shuffled = shuffle_figures(events)
    s = scores(done.canonical, truth)
    return {"records": n, "seconds": round(seconds, 1), "records_per_second": round(n / seconds, 1),
            "seconds_session_start": round(started, 1),
            "f1": s["f1"], "precision": s["precision"], "recall": s["recall"], "bcubed_f1": s["bcubed_f1"],
            "partitions": parts, "driver_memory": driver_memory, **peaks.figures(),
            "stages": {k: v for k, v in done.stats.items() if k.startswith("seconds_")},
            "pairs": done.stats.get("pairs"), "name_pairs": done.stats.get("name_pairs"),
            "component_rounds": done.stats.get("component_rounds"), **shuffled,
            "shuffle_written_bytes_per_record": round(shuffled["shuffle_written_mb"] * 1024 * 1024 / n, 1)}
