"""A generation on disk: the engine's input columns, the served entity views and the verdicts.

Written into a temporary directory, every file fsynced, then renamed into place, so a
directory named after a generation is always complete. Nothing here decides what is served;
``publish`` moves the ``CURRENT`` pointer.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from api.settings import Settings
from api.snapshot import VERDICTS, EntityView
from graph.arrays import GraphArrays
from graph.errors import NotFound

ARRAY_COLUMNS = ("ids", "kind", "jurisdiction", "hq_country", "nationality", "residence", "owner",
                 "owned", "edge_kind", "share_lo", "share_hi", "start", "end", "confidence",
                 "edge_key", "share_lo_open")
SEP = "::"  # npz member names: "<table>::<name>"


def generations_root(settings: Settings) -> Path:
    """One directory per graph, so several graphs in one data directory never mix."""
    return settings.home / "generations" / settings.graph_name


@dataclass(frozen=True)
class PolicyResults:
    """One policy's answers for every entity of a generation (columns by entity position)."""

    verdict: npt.NDArray[np.int8]  # index into api.snapshot.VERDICTS
    exposure_lo: npt.NDArray[np.float64]
    exposure_hi: npt.NDArray[np.float64]
    controllers: npt.NDArray[np.str_]  # ultimate controller ids joined by ";" ("" when none)

    def counts(self) -> dict[str, int]:
        tally = np.bincount(self.verdict, minlength=len(VERDICTS))
        return {v: int(c) for v, c in zip(VERDICTS, tally, strict=True)}


@dataclass
class Artifact:
    manifest: dict[str, Any]
    arrays: GraphArrays
    views: dict[str, EntityView]
    results: dict[str, PolicyResults] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.manifest["id"])


# ---------------------------------------------------------------- writing


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Make a rename inside ``path`` durable (POSIX: the directory entry needs its own fsync)."""
    _fsync_file(path)


def _array_members(arrays: GraphArrays) -> dict[str, np.ndarray[Any, Any]]:
    members: dict[str, np.ndarray[Any, Any]] = {f"col{SEP}{c}": getattr(arrays, c) for c in ARRAY_COLUMNS}
    members.update({f"flag{SEP}{k}": v for k, v in arrays.flags.items()})
    members.update({f"exception{SEP}{k}": v for k, v in arrays.exceptions.items()})
    return members


def _result_members(results: dict[str, PolicyResults]) -> dict[str, np.ndarray[Any, Any]]:
    out: dict[str, np.ndarray[Any, Any]] = {}
    for policy, r in results.items():
        for name in ("verdict", "exposure_lo", "exposure_hi", "controllers"):
            out[f"{policy}{SEP}{name}"] = getattr(r, name)
    return out


def write_artifact(root: Path, artifact: Artifact) -> Path:
    """Write atomically: a complete ``<root>/<id>`` directory or nothing."""
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".tmp-{artifact.id}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        np.savez(tmp / "arrays.npz", allow_pickle=False, **_array_members(artifact.arrays))
        np.savez(tmp / "results.npz", allow_pickle=False, **_result_members(artifact.results))
        with (tmp / "views.jsonl").open("wb") as fh:
            for view in artifact.views.values():
                fh.write(orjson.dumps(asdict(view), default=str) + b"\n")
        (tmp / "manifest.json").write_bytes(orjson.dumps(artifact.manifest, option=orjson.OPT_INDENT_2))
        for name in ("arrays.npz", "results.npz", "views.jsonl", "manifest.json"):
            _fsync_file(tmp / name)
        fsync_dir(tmp)
        final = root / artifact.id
        if final.exists():  # same data again (e.g. only names changed): swap the directory
            old = root / f".old-{artifact.id}-{uuid.uuid4().hex[:8]}"
            final.rename(old)
            tmp.rename(final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(final)
        fsync_dir(root)
        return final
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def sweep_temporaries(root: Path) -> int:
    """Remove what a killed run left half-written (never read: names start with a dot)."""
    gone = 0
    for path in root.glob(".tmp-*") if root.is_dir() else ():
        shutil.rmtree(path, ignore_errors=True)
        gone += 1
    for path in root.glob(".old-*") if root.is_dir() else ():
        shutil.rmtree(path, ignore_errors=True)
    return gone


# ---------------------------------------------------------------- reading


def _view(raw: dict[str, Any]) -> EntityView:
    return EntityView(
        id=raw["id"], name=raw["name"], kind=raw["kind"], jurisdiction=raw["jurisdiction"],
        hq_country=raw["hq_country"], names=tuple(raw["names"]),
        identifiers=tuple((s, v) for s, v in raw["identifiers"]), members=tuple(raw["members"]),
        addresses=tuple(raw.get("addresses") or ()),
        provenance=tuple(raw.get("provenance") or ()), flags=tuple(raw.get("flags") or ()))


def read_manifest(root: Path, generation: str) -> dict[str, Any]:
    path = root / generation / "manifest.json"
    if not path.is_file():
        raise NotFound(f"no generation {generation!r} under {root}", field="generation")
    manifest: dict[str, Any] = orjson.loads(path.read_bytes())
    return manifest


def read_artifact(root: Path, generation: str, *, views: bool = True) -> Artifact:
    manifest = read_manifest(root, generation)
    base = root / generation
    with np.load(base / "arrays.npz", allow_pickle=False) as z:
        cols = {k.split(SEP, 1)[1]: z[k] for k in z.files if k.startswith(f"col{SEP}")}
        flags = {k.split(SEP, 1)[1]: z[k] for k in z.files if k.startswith(f"flag{SEP}")}
        exceptions = {k.split(SEP, 1)[1]: z[k] for k in z.files if k.startswith(f"exception{SEP}")}
    arrays = GraphArrays(flags=flags, exceptions=exceptions, **cols)
    results: dict[str, dict[str, Any]] = {}
    with np.load(base / "results.npz", allow_pickle=False) as z:
        for key in z.files:
            policy, name = key.rsplit(SEP, 1)
            results.setdefault(policy, {})[name] = z[key]
    loaded: dict[str, EntityView] = {}
    if views:
        with (base / "views.jsonl").open("rb") as fh:
            for line in fh:
                view = _view(orjson.loads(line))
                loaded[view.id] = view
    return Artifact(manifest, arrays, loaded, {p: PolicyResults(**r) for p, r in results.items()})


def list_manifests(root: Path) -> list[dict[str, Any]]:
    """Every complete generation on disk, oldest first."""
    out = []
    for path in root.glob("*/manifest.json") if root.is_dir() else ():
        if path.parent.name.startswith("."):
            continue
        try:
            out.append(orjson.loads(path.read_bytes()))
        except orjson.JSONDecodeError:
            continue
    return sorted(out, key=lambda m: (m.get("created", ""), m.get("id", "")))


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
