"""Verdicts on the real published samples; prints ONE JSON object.

Ingests every file of the real sample folders (``gleif``, ``bods``, ``uk-psc``, ``ftm``,
``china`` under ``../shared/data/real``, or ``OWNERGRAPH_REAL_DATA``) that parses, one run
per folder and format (a folder is one publication), into a fresh embedded store; resolves;
loads the graph as arrays and evaluates every built-in policy. Reports, per policy, how many
entities get each verdict and how often each reason appears (a reason is counted once per
entity that gives it), plus the share of INSUFFICIENT_DATA.

    .venv/bin/python bench/verdicts.py            # every sample file
    .venv/bin/python bench/verdicts.py --quick    # without the validator's synthetic cases
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graph.control.engine import evaluate  # noqa: E402
from graph.control.explain import note_codes, reason_codes  # noqa: E402
from graph.control.policies import builtin_policies  # noqa: E402
from graph.control.report import records  # noqa: E402
from graph.control.served import VERDICTS  # noqa: E402
from graph.falkordb.server import EmbeddedServer  # noqa: E402
from graph.store_config import StoreConfig  # noqa: E402
from graph.stores import open_store  # noqa: E402
from ingest.records import WrongFormat  # noqa: E402
from ingest.run import RunOptions, run_ingest  # noqa: E402
from matching.datasets import real_data_root  # noqa: E402

FOLDERS = ("gleif", "china", "bods", "uk-psc", "ftm")  # registries first, filings after
SUFFIXES = (".json", ".xml", ".csv", ".ijson", ".jsonl")
# The validator's synthetic cases: hundreds of tiny files, left out of --quick.
SYNTHETIC = ("bods/lib-cove-bods-fixtures/0.4/invalid-schema",
             "bods/lib-cove-bods-fixtures/0.4/additional-checks")


def file_format(rel: str) -> str:
    """The format of a sample file from where SOURCES.md says it comes from."""
    name = rel.rsplit("/", 1)[-1]
    if rel.startswith("china/") and name.startswith("bods_"):
        return "bods"
    if rel.startswith("gleif/") and name.endswith("-out.json"):
        return "bods"  # the pipeline's GLEIF -> BODS 0.2 output
    return {"gleif": "gleif", "china": "gleif", "bods": "bods", "uk-psc": "psc",
            "ftm": "ftm"}[rel.split("/")[0]]


def sample_groups(root: Path, quick: bool) -> list[tuple[str, list[Path]]]:
    """(format, files) per folder and format, in a fixed order."""
    groups: dict[tuple[int, str, str], list[Path]] = {}
    for rank, folder in enumerate(FOLDERS):
        for path in sorted((root / folder).rglob("*")):
            rel = path.relative_to(root).as_posix()
            if not path.is_file() or path.suffix not in SUFFIXES or rel.endswith("expected_errors.csv"):
                continue
            if quick and rel.startswith(SYNTHETIC):
                continue
            fmt = file_format(rel)
            groups.setdefault((rank, path.parent.relative_to(root).as_posix(), fmt), []).append(path)
    return [(fmt, files) for (_, _, fmt), files in sorted(groups.items())]


def ingest_all(store: Any, home: Path, groups: list[tuple[str, list[Path]]]) -> dict[str, Any]:
    """One run per group; a group with a file that is not its format is re-run without it."""
    totals: Counter[str] = Counter()
    refused: list[str] = []
    for fmt, files in groups:
        todo = list(files)
        while todo:
            try:
                summary = run_ingest(store, RunOptions(fmt, todo, home, fork_readers=False))
            except WrongFormat as exc:
                bad = next((p for p in todo if str(p) in exc.message), None)
                if bad is None:
                    raise
                refused.append(str(bad))
                todo.remove(bad)
                continue
            totals["runs"] += 1
            totals["files"] += len(todo)
            for key in ("read", "entities", "edges", "quarantined", "ended_edges"):
                totals[key] += int(getattr(summary, key))
            break
    return {**totals, "refused_files": len(refused)}


def resolve_all(store: Any) -> dict[str, Any]:
    from matching.records import record_from_entity
    from matching.resolve import resolve

    entities = [e for batch in store.iter_entities(2000) for e in batch]
    result = resolve([record_from_entity(e) for e in entities], judgements=store.judgements())
    store.set_canonical(result.canonical)
    return {"records": len(entities), "clusters": len(set(result.canonical.values()))}


def histogram(arrays: Any, as_of: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, policy in builtin_policies().items():
        result = evaluate(arrays, policy, as_of)
        verdicts: Counter[str] = Counter()
        reasons: dict[str, Counter[str]] = {v: Counter() for v in VERDICTS}
        notes: Counter[str] = Counter()
        unexplained = 0
        for record in records(arrays, result):
            verdict = record["verdict"]
            verdicts[verdict] += 1
            codes = reason_codes(record)
            reasons[verdict].update(codes)
            notes.update(note_codes(record))
            unexplained += verdict != "ALLOW" and not codes
        n = max(arrays.n_entities, 1)
        out[name] = {
            "verdicts": {v: verdicts[v] for v in VERDICTS},
            "insufficient_share": round(verdicts["INSUFFICIENT_DATA"] / n, 4),
            "reasons": {v: dict(sorted(c.items())) for v, c in reasons.items() if c},
            "not_allow_without_reason": unexplained,
            "notes": dict(sorted(notes.items())),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the validator's synthetic cases")
    parser.add_argument("--as-of", default="2026-12-01", help="evaluation date (fixed: results comparable)")
    args = parser.parse_args()
    root = real_data_root()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="og-verdicts-") as tmp:
        home = Path(tmp)
        config = StoreConfig(home=home, graph_name="verdicts", batch_size=2000)
        store = open_store(config)
        try:
            store.ensure_schema()
            ingested = ingest_all(store, home, sample_groups(root, args.quick))
            t_ingest = time.perf_counter() - started
            resolved = resolve_all(store)
            arrays = store.load_arrays()
            t0 = time.perf_counter()
            policies = histogram(arrays, args.as_of)
            t_eval = time.perf_counter() - t0
        finally:
            store.close()
            EmbeddedServer(home).stop()
    print(json.dumps({
        "bench": "verdicts", "quick": args.quick, "as_of": args.as_of, "data": str(root),
        "ingest": ingested, "resolve": resolved,
        "graph": {"entities": arrays.n_entities, "edges": arrays.n_edges},
        "policies": policies,
        "seconds": {"ingest": round(t_ingest, 2), "evaluate": round(t_eval, 2),
                    "total": round(time.perf_counter() - started, 2)},
    }, indent=1))


if __name__ == "__main__":
    main()
