"""A generation on disk: the engine's input columns, the served entity views, every
policy's answers (verdicts, exposures, controllers, evidence) with the evaluation they came
from, and the provenance of every evidence edge. Servers, ``screen``, diffs and the store's
Result nodes read these; nothing evaluates a policy again (explanations are worded from the
stored evaluation on request).

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
import orjson

from api.index import NameIndex
from api.settings import Settings
from api.views import EntityView
from graph.arrays import GraphArrays
from graph.control.engine import ControlResult
from graph.control.policies import policy_from_table
from graph.control.served import VERDICTS, Controllers, Evidence, PolicyAnswers, Ragged
from graph.control.stored import evaluation_columns, evaluation_from
from graph.errors import Conflict, NotFound

ARRAY_COLUMNS = ("ids", "kind", "jurisdiction", "hq_country", "nationality", "residence", "owner",
                 "owned", "edge_kind", "share_lo", "share_hi", "start", "end", "confidence",
                 "edge_key", "share_lo_open")
SEP = "::"  # npz member names: "<table>::<name>"
FORMAT = 2  # artifact layout; 1 (no format field) held verdicts in another order
FILES = ("arrays.npz", "results.npz", "evaluation.npz", "names.npz", "views.jsonl",
         "provenance.jsonl", "manifest.json")


class EarlierFormat(Conflict):
    """A generation written by an earlier version: it cannot be served as it is."""

    code = "earlier_artifact_format"


def generations_root(settings: Settings) -> Path:
    """One directory per graph, so several graphs in one data directory never mix."""
    return settings.home / "generations" / settings.graph_name


@dataclass
class Artifact:
    manifest: dict[str, Any]
    arrays: GraphArrays
    views: dict[str, EntityView]
    answers: dict[str, PolicyAnswers] = field(default_factory=dict)
    provenance: dict[str, dict[str, Any]] = field(default_factory=dict)  # evidence edge key ->
    evaluations: dict[str, ControlResult] = field(default_factory=dict)  # what answers came from
    names: NameIndex | None = None  # the screening index of the views' names

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


_ANSWER_COLUMNS: dict[str, str] = {
    "verdict": "verdict", "exposure_lo": "exposure_lo", "exposure_hi": "exposure_hi",
    "ctl_ptr": "controllers.ptr", "ctl_entity": "controllers.entity",
    "ctl_basis": "controllers.basis", "ctl_lo": "controllers.share_lo",
    "ctl_hi": "controllers.share_hi", "ctl_direct": "controllers.direct",
    "ev_ptr": "evidence.paths.ptr", "ev_paths": "evidence.paths.values",
    "path_ptr": "evidence.edges.ptr", "path_edges": "evidence.edges.values",
}


def _column(answers: PolicyAnswers, dotted: str) -> Any:
    value: Any = answers
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


def _result_members(answers: dict[str, PolicyAnswers]) -> dict[str, np.ndarray[Any, Any]]:
    return {f"{policy}{SEP}{name}": _column(a, dotted)
            for policy, a in answers.items() for name, dotted in _ANSWER_COLUMNS.items()}


def _answers_from(policy: str, as_of: str, cols: dict[str, Any]) -> PolicyAnswers:
    return PolicyAnswers(
        policy=policy, as_of=as_of, verdict=cols["verdict"], exposure_lo=cols["exposure_lo"],
        exposure_hi=cols["exposure_hi"],
        controllers=Controllers(cols["ctl_ptr"], cols["ctl_entity"], cols["ctl_basis"],
                                cols["ctl_lo"], cols["ctl_hi"], cols["ctl_direct"]),
        evidence=Evidence(Ragged(cols["ev_ptr"], cols["ev_paths"]),
                          Ragged(cols["path_ptr"], cols["path_edges"])))


def _jsonl(path: Path, rows: Any) -> None:
    with path.open("wb") as fh:
        for row in rows:
            fh.write(orjson.dumps(row, default=str) + b"\n")


def write_artifact(root: Path, artifact: Artifact) -> Path:
    """Write atomically: a complete ``<root>/<id>`` directory or nothing."""
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".tmp-{artifact.id}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        np.savez(tmp / "arrays.npz", allow_pickle=False, **_array_members(artifact.arrays))
        np.savez(tmp / "results.npz", allow_pickle=False, **_result_members(artifact.answers))
        np.savez(tmp / "names.npz", allow_pickle=False, **name_index(artifact).columns())
        _jsonl(tmp / "views.jsonl", (asdict(view) for view in artifact.views.values()))
        stored = {p: evaluation_columns(r) for p, r in artifact.evaluations.items()}
        np.savez(tmp / "evaluation.npz", allow_pickle=False,
                 **{f"{p}{SEP}{k}": v for p, (cols, _) in stored.items() for k, v in cols.items()})
        _jsonl(tmp / "provenance.jsonl", ({"key": k, **v} for k, v in artifact.provenance.items()))
        manifest = {**artifact.manifest, "format": FORMAT, "verdicts": list(VERDICTS),
                    "as_of": {p: a.as_of for p, a in artifact.answers.items()},
                    "evaluation": {p: values for p, (_, values) in stored.items()}}
        (tmp / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
        for name in FILES:
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
    if manifest.get("format") != FORMAT or manifest.get("verdicts") != list(VERDICTS):
        raise EarlierFormat(f"generation {generation} was written by an earlier version of "
                            "ownergraph; publish a new one (`ownergraph compute`)",
                            generation=generation)
    base = root / generation
    with np.load(base / "arrays.npz", allow_pickle=False) as z:
        cols = {k.split(SEP, 1)[1]: z[k] for k in z.files if k.startswith(f"col{SEP}")}
        flags = {k.split(SEP, 1)[1]: z[k] for k in z.files if k.startswith(f"flag{SEP}")}
        exceptions = {k.split(SEP, 1)[1]: z[k] for k in z.files if k.startswith(f"exception{SEP}")}
    arrays = GraphArrays(flags=flags, exceptions=exceptions, **cols)
    columns: dict[str, dict[str, Any]] = {}
    with np.load(base / "results.npz", allow_pickle=False) as z:
        for key in z.files:
            policy, name = key.rsplit(SEP, 1)
            columns.setdefault(policy, {})[name] = z[key]
    as_of = manifest.get("as_of") or {}
    answers = {p: _answers_from(p, str(as_of.get(p, "")), c) for p, c in columns.items()}
    provenance = {row.pop("key"): row for row in _read_jsonl(base / "provenance.jsonl")}
    loaded = {view.id: view for view in map(_view, _read_jsonl(base / "views.jsonl"))} \
        if views else {}
    with np.load(base / "names.npz", allow_pickle=False) as z:
        names = NameIndex.from_columns({k: z[k] for k in z.files})
    return Artifact(manifest, arrays, loaded, answers, provenance, _evaluations(base, manifest),
                    names)


def name_index(artifact: Artifact) -> NameIndex:
    """The artifact's screening index, built from its views when it has none yet."""
    if artifact.names is None:
        entities = [artifact.views.get(str(i)) for i in artifact.arrays.ids.tolist()]
        artifact.names = NameIndex.build(
            ((pos, n) for pos, e in enumerate(entities) if e is not None for n in e.names),
            countries=[(e.jurisdiction or e.hq_country) if e is not None else None
                       for e in entities])
    return artifact.names


def _evaluations(base: Path, manifest: dict[str, Any]) -> dict[str, ControlResult]:
    """Each policy's stored evaluation, under the policy as the generation recorded it."""
    columns: dict[str, dict[str, Any]] = {}
    with np.load(base / "evaluation.npz", allow_pickle=False) as z:
        for key in z.files:
            policy, name = key.rsplit(SEP, 1)
            columns.setdefault(policy, {})[name] = z[key]
    tables = manifest.get("policy_tables") or {}
    return {p: evaluation_from(policy_from_table(p, tables[p], "generation"), cols,
                               manifest["evaluation"][p])
            for p, cols in columns.items()}


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open("rb") as fh:
        return [orjson.loads(line) for line in fh if line.strip()]


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
