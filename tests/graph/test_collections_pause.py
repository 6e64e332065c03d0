"""The GC pause is process-wide and counted: overlapping runs restore the settings once."""

from __future__ import annotations

import gc
import threading

from graph.collections_pause import RUN_THRESHOLDS, rare_collections


def test_runs_finishing_out_of_order_leave_the_collector_as_it_was() -> None:
    before = gc.get_threshold()
    first, second = rare_collections(), rare_collections()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # the first run ends while the second still runs
    assert gc.get_threshold() == RUN_THRESHOLDS
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_threads_overlapping_many_times_restore_the_settings() -> None:
    before = gc.get_threshold()
    start = threading.Barrier(8)

    def run() -> None:
        start.wait()
        for _ in range(200):
            with rare_collections():
                assert gc.get_threshold() == RUN_THRESHOLDS

    threads = [threading.Thread(target=run) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert gc.get_threshold() == before


def test_an_error_inside_still_restores() -> None:
    before = gc.get_threshold()
    try:
        with rare_collections():
            raise ValueError("run failed")
    except ValueError:
        pass
    assert gc.get_threshold() == before
