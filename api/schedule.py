"""``ownergraph schedule``: run configured sources on cron expressions, one run at a time.

Config (TOML), one table per source::

    [[source]]
    name = "uk-psc"                         # guards compare a source with its own past
    format = "psc"
    path = "/data/psc/snapshot-{date}.jsonl"  # a list of paths, or: url = "https://…/{yyyymmdd}.zip"
    schedule = "0 6 * * *"                  # cron, UTC
    mode = "full"                           # optional: the file is the whole source

Templates know {date} (YYYY-MM-DD), {yyyymmdd}, {year}, {month}, {day} of the run (UTC).
Sources due at the same minute make one generation. A failed run is retried with back-off
(doubling); a guard refusal is not retried (the data, not the run, is the problem).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import httpx
from croniter import croniter

from api.generations.publish import PublishRefused, PublishResult
from api.generations.run import RunRequest, SourceSpec, run_generation
from api.settings import Settings
from graph.errors import BadInput, OwnergraphError
from graph.store import GraphStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScheduledSource:
    name: str
    format: str
    schedule: str
    paths: tuple[str, ...] = ()  # path templates (one source may be several files)
    url: str | None = None
    mode: str | None = None  # "full" | "delta" | None (what the files say)


def _source(raw: dict[str, object], where: str) -> ScheduledSource:
    unknown = set(raw) - {"name", "format", "schedule", "path", "url", "mode"}
    if unknown:
        raise BadInput(f"{where}: unknown keys {sorted(unknown)}", field="source")
    for key in ("name", "format", "schedule"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise BadInput(f"{where}: {key!r} is required (a string)", field=key)
    if (raw.get("path") is None) == (raw.get("url") is None):
        raise BadInput(f"{where}: give exactly one of 'path' or 'url'", field="path")
    path = raw.get("path")
    paths = [path] if isinstance(path, str) else path if isinstance(path, list) else []
    if path is not None and (not paths or not all(isinstance(p, str) and p for p in paths)):
        raise BadInput(f"{where}: 'path' is a path template or a list of them", field="path")
    if not croniter.is_valid(str(raw["schedule"])):
        raise BadInput(f"{where}: schedule {raw['schedule']!r} is not a cron expression",
                       field="schedule")
    if raw.get("mode") not in (None, "full", "delta"):
        raise BadInput(f"{where}: mode must be 'full' or 'delta'", field="mode")
    from ingest.run import FORMATS

    if raw["format"] not in FORMATS:
        raise BadInput(f"{where}: unknown format {raw['format']!r}; use one of {', '.join(FORMATS)}",
                       field="format")
    return ScheduledSource(str(raw["name"]), str(raw["format"]), str(raw["schedule"]),
                           tuple(str(p) for p in paths),
                           str(raw["url"]) if raw.get("url") else None,
                           str(raw["mode"]) if raw.get("mode") else None)


def load_schedule(path: Path) -> list[ScheduledSource]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadInput(f"{path}: cannot read the schedule: {exc}", file=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"{path}: not TOML: {exc}", file=str(path)) from None
    raw = data.get("source")
    if not isinstance(raw, list) or not raw:
        raise BadInput(f"{path}: no [[source]] tables", file=str(path))
    sources = [_source(s, f"{path}: source {i + 1}") for i, s in enumerate(raw)]
    names = [s.name for s in sources]
    if len(set(names)) != len(names):
        raise BadInput(f"{path}: source names must be unique ({names})", file=str(path))
    return sources


def expand(template: str, when: dt.datetime) -> str:
    fields = {"date": when.strftime("%Y-%m-%d"), "yyyymmdd": when.strftime("%Y%m%d"),
              "year": f"{when.year:04d}", "month": f"{when.month:02d}", "day": f"{when.day:02d}"}
    try:
        return template.format(**fields)
    except (KeyError, IndexError, ValueError) as exc:
        raise BadInput(f"template {template!r}: unknown placeholder {exc}; use "
                       f"{', '.join('{' + k + '}' for k in fields)}", field="path") from None


def fetch(settings: Settings, source: ScheduledSource, when: dt.datetime) -> tuple[Path, ...]:
    """The files to ingest: the expanded paths, or the URL downloaded (complete, or nothing)."""
    if source.paths:
        return tuple(Path(expand(p, when)) for p in source.paths)
    url = expand(source.url or "", when)
    name = Path(urlparse(url).path).name or "download"
    target = settings.home / "downloads" / source.name / f"{when:%Y%m%dT%H%M}-{name}"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".part")
    with httpx.stream("GET", url, timeout=60, follow_redirects=True) as response:
        response.raise_for_status()
        with tmp.open("wb") as fh:
            for chunk in response.iter_bytes():
                fh.write(chunk)
    tmp.replace(target)
    return (target,)


def run_due(settings: Settings, store: GraphStore, sources: list[ScheduledSource],
            when: dt.datetime, *, force: bool = False,
            sleep: Callable[[float], object] | None = None) -> PublishResult:
    """One generation from these sources; retried with back-off on failure."""
    delay = settings.schedule_backoff_seconds
    pause = sleep or threading.Event().wait
    for attempt in range(1, settings.schedule_attempts + 1):
        try:
            specs = tuple(SourceSpec(s.name, s.format, fetch(settings, s, when), s.mode)
                          for s in sources)
            result = run_generation(settings, store, RunRequest(specs, force=force,
                                                                trigger="schedule"))
            assert result is not None  # the request publishes
            return result
        except PublishRefused:
            raise
        except (OwnergraphError, OSError, httpx.HTTPError) as exc:
            log.warning("scheduled run failed", extra={"attempt": attempt, "error": str(exc),
                                                       "sources": [s.name for s in sources]})
            if attempt == settings.schedule_attempts:
                raise
            pause(delay)
            delay *= 2
    raise AssertionError("unreachable")


def next_times(sources: list[ScheduledSource], after: dt.datetime) -> dict[str, dt.datetime]:
    return {s.name: croniter(s.schedule, after).get_next(dt.datetime) for s in sources}


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def loop(settings: Settings, store: GraphStore, sources: list[ScheduledSource], *,
         stop: threading.Event, force: bool = False,
         clock: Callable[[], dt.datetime] = _utc_now) -> None:
    """Sleep until the next due time, run what is due, repeat until ``stop`` is set."""
    due_at = next_times(sources, clock())
    while not stop.is_set():
        soonest = min(due_at.values())
        wait = (soonest - clock()).total_seconds()
        if wait > 0 and stop.wait(min(wait, 60.0)):
            return
        now = clock()
        due = [s for s in sources if due_at[s.name] <= now]
        if not due:
            continue
        try:
            result = run_due(settings, store, due, soonest, force=force)
            log.info("scheduled generation", extra=result.summary())
        except OwnergraphError as exc:  # the previous generation keeps serving
            log.error("scheduled run not published", extra={"error": exc.message})
        due_at.update(next_times(due, now))
