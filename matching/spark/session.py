"""The Spark session a resolution runs in: ``local[2]`` by default, any cluster by its master.

The master comes from ``--master``, else ``OWNERGRAPH_SPARK_MASTER``, else ``local[2]``;
further settings from ``OWNERGRAPH_SPARK_CONF`` (``key=value,key=value``) and Spark's own
``spark-defaults.conf`` / ``SPARK_*`` variables. Python workers run the interpreter of
this process unless ``PYSPARK_PYTHON`` says otherwise (on a cluster, an interpreter with
ownergraph installed).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from graph.errors import BadInput

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DEFAULT_MASTER = "local[2]"


@dataclass(frozen=True)
class SparkOptions:
    master: str | None = None
    driver_memory: str = "2g"
    shuffle_partitions: int = 8
    conf: Mapping[str, str] = field(default_factory=dict)


def parse_conf(text: str) -> dict[str, str]:
    """``key=value,key=value`` -> settings; a malformed item is named in the error."""
    out: dict[str, str] = {}
    for item in (t.strip() for t in text.split(",")):
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise BadInput(f"Spark setting {item!r} is not key=value", field="spark_conf")
        out[key.strip()] = value.strip()
    return out


def start(options: SparkOptions | None = None) -> SparkSession:
    options = options or SparkOptions()
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise BadInput("the Spark engine needs PySpark: pip install 'ownergraph[spark]'",
                       field="engine") from exc
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    master = options.master or os.environ.get("OWNERGRAPH_SPARK_MASTER") or DEFAULT_MASTER
    builder = (
        SparkSession.builder.master(master).appName("ownergraph-resolve")
        .config("spark.driver.memory", options.driver_memory)
        .config("spark.sql.shuffle.partitions", str(options.shuffle_partitions))
        .config("spark.ui.enabled", "false")
        .config("spark.sql.adaptive.enabled", "true")
        .config("spark.python.worker.reuse", "true")
        .config("spark.sql.maxPlanStringLength", "100000")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    )
    for key, value in {**parse_conf(os.environ.get("OWNERGRAPH_SPARK_CONF", "")), **options.conf}.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    # py4j logs every closed gateway connection at INFO, also while the interpreter exits
    # (after the CLI's or a test run's log stream is closed: "Logging error" tracebacks).
    logging.getLogger("py4j").setLevel(logging.WARNING)
    return session
