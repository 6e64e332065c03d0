"""One small local Spark session for the Spark tests (local[2], 1 GB driver, 4 shuffle
partitions), stopped when the test session ends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    from matching.spark.session import SparkOptions, start

    session = start(SparkOptions(master="local[2]", driver_memory="1g", shuffle_partitions=4))
    yield session
    session.stop()
