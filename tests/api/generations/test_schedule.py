"""``ownergraph schedule``: config checks, templates, retries with back-off, one run at a time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from generations_data import write_registry

from api.generations.artifact import generations_root
from api.generations.lock import RunInProgress, run_lock
from api.generations.publish import current_id
from api.schedule import ScheduledSource, expand, load_schedule, next_times, run_due
from api.settings import Settings
from graph.errors import BadInput

GOOD = 'name = "psc"\nformat = "psc"\nschedule = "0 6 * * *"\npath = "/d/psc-{date}.jsonl"\n'


@pytest.mark.parametrize(("case", "body", "message"), [
    ("cron with six fields of nonsense", GOOD.replace("0 6 * * *", "every day"), "not a cron expression"),
    ("both a path and a URL", GOOD + 'url = "https://example.org/x.zip"\n', "exactly one of 'path' or 'url'"),
    ("neither a path nor a URL", GOOD.replace('path = "/d/psc-{date}.jsonl"\n', ""), "exactly one of"),
    ("a format nobody parses", GOOD.replace('format = "psc"', 'format = "xlsx"'), "unknown format 'xlsx'"),
    ("a typo in a key", GOOD + 'shedule = "x"\n', "unknown keys ['shedule']"),
    ("mode not full or delta", GOOD + 'mode = "partial"\n', "mode must be"),
])
def test_bad_schedule_files_name_file_source_and_key(tmp_path: Path, case: str, body: str,
                                                     message: str) -> None:
    path = tmp_path / "schedule.toml"
    path.write_text("[[source]]\n" + body)
    with pytest.raises(BadInput) as bad:
        load_schedule(path)
    assert message in bad.value.message and "source 1" in bad.value.message, case
    assert str(path) in bad.value.message


def test_templates_and_cron_times() -> None:
    when = dt.datetime(2026, 3, 7, 6, 0, tzinfo=dt.UTC)
    assert expand("/d/psc-{date}-{yyyymmdd}.jsonl", when) == "/d/psc-2026-03-07-20260307.jsonl"
    with pytest.raises(BadInput, match="unknown placeholder"):
        expand("/d/{when}.csv", when)
    source = ScheduledSource("psc", "psc", "0 6 * * *", ("/d/x",))
    assert next_times([source], when)["psc"] == dt.datetime(2026, 3, 8, 6, 0, tzinfo=dt.UTC)


def test_a_failed_run_is_retried_with_doubling_back_off(gen_settings: Settings, gen_store: Any,
                                                        tmp_path: Path) -> None:
    """The day's file is not there yet on the first try; it lands during the back-off."""
    settings = gen_settings.model_copy(update={"schedule_backoff_seconds": 1.5, "schedule_attempts": 3})
    when = dt.datetime(2026, 3, 7, 6, 0, tzinfo=dt.UTC)
    source = ScheduledSource("registry", "csv", "0 6 * * *",
                             (str(tmp_path / "{date}" / "entities.csv"),
                              str(tmp_path / "{date}" / "relationships.csv")))
    pauses: list[float] = []

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 2:  # the file arrives before the third attempt
            write_registry(tmp_path / "2026-03-07", fillers=5, edges=5, cn_share=40)

    result = run_due(settings, gen_store, [source], when, sleep=sleep)
    assert pauses == [1.5, 3.0]
    assert result.published and current_id(generations_root(settings)) == result.generation


def test_retries_give_up_after_the_configured_attempts(gen_settings: Settings, gen_store: Any,
                                                       tmp_path: Path) -> None:
    settings = gen_settings.model_copy(update={"schedule_attempts": 2})
    source = ScheduledSource("registry", "csv", "0 6 * * *", (str(tmp_path / "missing.csv"),))
    pauses: list[float] = []
    with pytest.raises(BadInput, match="no such file"):
        run_due(settings, gen_store, [source], dt.datetime.now(dt.UTC), sleep=pauses.append)
    assert len(pauses) == 1 and current_id(generations_root(settings)) is None


def test_one_run_at_a_time(gen_settings: Settings) -> None:
    root = generations_root(gen_settings)
    with run_lock(root):
        with pytest.raises(RunInProgress, match="another run holds"):
            with run_lock(root):
                pass
    with run_lock(root):  # released when the holder is done
        pass


def test_the_loop_runs_a_source_when_its_cron_time_comes(gen_settings: Settings, gen_store: Any,
                                                         tmp_path: Path) -> None:
    import threading

    from api.schedule import loop

    write_registry(tmp_path / "2026-03-07", fillers=5, edges=5, cn_share=40)
    source = ScheduledSource("registry", "csv", "*/5 * * * *",
                             (str(tmp_path / "{date}" / "entities.csv"),
                              str(tmp_path / "{date}" / "relationships.csv")))
    start = dt.datetime(2026, 3, 7, 5, 59, tzinfo=dt.UTC)
    ticks = iter([start])  # first reading plans the 06:00 run; later readings are past it

    def clock() -> dt.datetime:
        return next(ticks, start + dt.timedelta(minutes=1, seconds=1))

    stop = threading.Event()
    root = generations_root(gen_settings)

    def stop_once_published() -> None:  # or after a minute, so a failure cannot hang the suite
        for _ in range(1200):
            if current_id(root) is not None or stop.wait(0.05):
                break
        stop.set()

    watcher = threading.Thread(target=stop_once_published)
    watcher.start()
    loop(gen_settings, gen_store, [source], stop=stop, clock=clock)
    watcher.join(timeout=5)
    assert current_id(root) is not None
    from api.generations.history import generations

    assert generations(gen_settings)[0]["sources"]["registry"]["files"][0].endswith(
        "2026-03-07/entities.csv")  # the template expanded with the due time's date
