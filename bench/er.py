"""Entity-resolution benchmark: prints ONE JSON object of named figures.

Parts (each in its own process, so that peak RSS is per part):
- ``scale``: N generated records (1M; ``--quick`` 15k) written as JSON lines, then read and
  resolved end to end (what ``ownergraph resolve eval`` does), scored against the truth.
- ``ours`` / ``splink``: the same M generated records (200k; ``--quick`` 20k) resolved by
  ownergraph and by Splink 5 (DuckDB backend), each timed from raw records to clusters.
- ``accuracy``: F1 on a generated set of ``--accuracy-records`` (100k; ``--quick`` 10k).
- ``real``: PATSTAT and Chicago childcare pairwise / B-cubed F1.
- ``sets``: the held-out-style set and the real-derived set in ``matching/data`` (pairwise
  scores and, per error class, precision and recall), ours beside Splink on the same records.

``--records N`` sets the ``scale`` size (e.g. ``--records 100000 --skip-splink``).

``--engine spark`` runs only the ``scale`` part, on Spark (bench/spark_er.py: ``local[2]``,
records/s, driver and worker peak memory, shuffle volume) and then single-machine on the same
records; ``python bench/er.py --engine spark --records 1000000`` is the 1M run of docs/scale.md.

The Splink model (documented in docs/matching.md): SQL-cleaned name (lower case, punctuation
and common legal-form words removed), its first token and a 6-character prefix for blocking;
comparisons: name with its words sorted (exact / Jaro-Winkler 0.95 / 0.88 / 0.7, term-frequency
adjusted on exact), shared name words (3 / 2 / 1),
country, address (exact / Jaro-Winkler 0.9 / 0.7), LEI, USCC, GB company number (exact);
prior from deterministic rules (same LEI, same cleaned name; recall 0.8), u by random sampling,
m by EM in two sessions (blocked on name first token, then on address); predictions blocked
on first token, 6-character prefix and each identifier; connected components at 0.9.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

LEGAL_WORDS = ("ltd|limited|gmbh|ag|bv|nv|sa|sas|sarl|inc|incorporated|llc|l l c|corp|corporation|plc|"
               "co|company|jsc|ooo|aktiengesellschaft|gesellschaft mit beschrankter haftung|"
               "besloten vennootschap|societe anonyme|public limited company")


def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, kids) / 1024.0, 1)


class MemoryPeak:
    """Peak proportional set size of this process and its workers together (the resolver
    forks processes that share pages copy-on-write: their RSS added up counts the shared
    pages twice, the PSS sum does not). Sampled every ``every`` seconds."""

    def __init__(self, every: float = 0.5) -> None:
        import threading

        self.every, self.peak = every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemoryPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.wait(self.every):
            total = 0
            for proc in (me, *me.children(recursive=True)):
                try:
                    total += proc.memory_full_info().pss
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
            self.peak = max(self.peak, total)

    @property
    def mb(self) -> float:
        return round(self.peak / 2**20, 1)


def part_scale(n: int, seed: int) -> dict[str, Any]:
    from matching.evaluate import scores
    from matching.generate import generate
    from matching.records import read_records, write_records
    from matching.resolve import resolve

    start = time.perf_counter()
    records, truth = generate(n, seed=seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "records.jsonl"
        write_records(path, records)
        generated = time.perf_counter() - start
        del records
        start = time.perf_counter()
        with MemoryPeak() as memory:
            loaded, _ = read_records(path)
            read_seconds = time.perf_counter() - start
            result = resolve(loaded)
            seconds = time.perf_counter() - start
    s = scores(result.canonical, truth)
    return {"records": n, "seconds_generate": round(generated, 1), "seconds_read": round(read_seconds, 1),
            "seconds": round(seconds, 1), "f1": s["f1"], "precision": s["precision"], "recall": s["recall"],
            "bcubed_f1": s["bcubed_f1"], "rss_mb": peak_rss_mb(), "memory_mb": memory.mb,  # process and workers, PSS
            "workers": result.stats.get("workers"),
            "stages": {k: v for k, v in result.stats.items() if k.startswith("seconds_")},
            "pairs": result.stats["pairs"]}


def part_ours(n: int, seed: int) -> dict[str, Any]:
    from matching.evaluate import scores
    from matching.generate import generate
    from matching.resolve import resolve

    records, truth = generate(n, seed=seed)
    start = time.perf_counter()
    result = resolve(records)
    seconds = time.perf_counter() - start
    s = scores(result.canonical, truth)
    return {"records": n, "seconds": round(seconds, 1), "f1": s["f1"], "precision": s["precision"],
            "recall": s["recall"], "bcubed_f1": s["bcubed_f1"], "rss_mb": peak_rss_mb()}


def _splink_columns(records: list[Any]) -> dict[str, list[Any]]:
    cols: dict[str, list[Any]] = {k: [] for k in ("unique_id", "name", "country", "address", "lei", "cn_uscc", "gb_crn")}
    for r in records:
        ids = {i.scheme: i.value for i in r.identifiers}
        cols["unique_id"].append(r.id)
        cols["name"].append(r.name)
        cols["country"].append(r.country)
        cols["address"].append(r.address or None)
        for scheme in ("lei", "cn_uscc", "gb_crn"):
            cols[scheme].append(ids.get(scheme))
    return cols


def _splink_settings() -> Any:
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("name_sorted", [0.95, 0.88, 0.7]).configure(
                term_frequency_adjustments=True),
            cl.ArrayIntersectAtSizes("name_tokens", [3, 2, 1]),
            cl.ExactMatch("country"),
            cl.JaroWinklerAtThresholds("address", [0.9, 0.7]),
            cl.ExactMatch("lei"),
            cl.ExactMatch("cn_uscc"),
            cl.ExactMatch("gb_crn"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("name_first"), block_on("name_prefix"), block_on("lei"),
            block_on("cn_uscc"), block_on("gb_crn"),
        ],
        retain_intermediate_calculation_columns=False,
    )


def part_splink(n: int, seed: int) -> dict[str, Any]:
    from matching.evaluate import scores
    from matching.generate import generate

    records, truth = generate(n, seed=seed)
    start = time.perf_counter()
    predicted = splink_clusters(records)
    seconds = time.perf_counter() - start
    s = scores(predicted, truth)
    return {"records": n, "seconds": round(seconds, 1), "f1": s["f1"], "precision": s["precision"],
            "recall": s["recall"], "bcubed_f1": s["bcubed_f1"], "rss_mb": peak_rss_mb()}


def splink_clusters(records: list[Any]) -> dict[str, str]:
    """The Splink comparison model (module doc) on ``records``: record id -> cluster id."""
    import duckdb
    from splink import DuckDBAPI, Linker, block_on

    columns = _splink_columns(records)
    con = duckdb.connect()
    con.register("raw_input", _arrow(columns))
    con.execute(f"""
        CREATE TABLE recs AS
        WITH c AS (
          SELECT *, trim(regexp_replace(regexp_replace(lower(strip_accents(name)), '[^\\p{{L}}\\p{{N}} ]', ' ', 'g'),
                 '\\b({LEGAL_WORDS})\\b', ' ', 'g')) AS n0 FROM raw_input)
        SELECT unique_id, country, address, lei, cn_uscc, gb_crn,
               nullif(regexp_replace(n0, '\\s+', ' ', 'g'), '') AS name_clean,
               nullif(split_part(regexp_replace(n0, '\\s+', ' ', 'g'), ' ', 1), '') AS name_first,
               nullif(substr(replace(n0, ' ', ''), 1, 6), '') AS name_prefix,
               nullif(array_to_string(list_sort(string_split(regexp_replace(n0, '\\s+', ' ', 'g'), ' ')), ' '), '')
                 AS name_sorted,
               list_filter(string_split(n0, ' '), lambda x: x <> '') AS name_tokens
        FROM c""")  # noqa: S608 - a constant word list, no input
    db_api = DuckDBAPI(con)
    linker = Linker(db_api.register("recs"), _splink_settings(), log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("lei"), "l.name_clean = r.name_clean"], recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("name_first"))
    try:  # a set without shared addresses has nothing to train this session on
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("address"))
    except Exception:  # noqa: BLE001, S110 - Splink's EMTrainingException; the first session stands
        pass
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.9)
    rows = clusters.as_duckdbpyrelation().select("unique_id, cluster_id").fetchall()
    return {str(u): str(c) for u, c in rows}


EVAL_SETS = ("heldout_style", "real_eval")  # matching/data/<name>: records, truth, labelled pairs


def part_sets() -> dict[str, Any]:
    """The held-out-style and the real-derived sets: pairwise scores and, per error class,
    precision and recall, for ours and for Splink on the same records."""
    from matching.evaluate import by_class, read_pairs, scores
    from matching.records import read_records, read_truth
    from matching.resolve import resolve

    out: dict[str, Any] = {}
    for name in EVAL_SETS:
        folder = ROOT / "matching" / "data" / name
        records, _ = read_records(folder / "records.jsonl")
        truth = read_truth(folder / "truth.csv")
        pairs = read_pairs(str(folder / "pairs.csv"))
        row: dict[str, Any] = {"records": len(records), "clusters": len(set(truth.values()))}
        for who, run in (("ours", lambda r: resolve(r).canonical), ("splink", splink_clusters)):
            try:
                predicted = run(records)
            except Exception as exc:  # noqa: BLE001 - Splink's EM can fail on small sets: report it
                row[who] = {"error": f"{type(exc).__name__}: {exc}"[:200]}
                continue
            s = scores(predicted, truth)
            row[who] = {"precision": s["precision"], "recall": s["recall"], "f1": s["f1"],
                        "bcubed_f1": s["bcubed_f1"],
                        "by_class": {c: {k: v for k, v in m.items() if k in ("precision", "recall", "false_merges",
                                                                              "pairs_same", "pairs_apart")}
                                     for c, m in by_class(predicted, pairs).items()}}
        out[name] = row
    return out


def _arrow(columns: dict[str, list[Any]]) -> Any:
    import pyarrow as pa

    return pa.table({k: pa.array(v, type=pa.string()) for k, v in columns.items()})


def part_real() -> dict[str, Any]:
    from matching import datasets
    from matching.evaluate import scores
    from matching.resolve import resolve

    out: dict[str, Any] = {}
    for name in ("patstat", "chicago"):
        records, truth = getattr(datasets, name)()
        start = time.perf_counter()
        s = scores(resolve(records).canonical, truth)
        out[name] = {"records": len(records), "f1": s["f1"], "precision": s["precision"],
                     "recall": s["recall"], "bcubed_f1": s["bcubed_f1"],
                     "seconds": round(time.perf_counter() - start, 1)}
    return out


def part_spark(n: int, seed: int) -> dict[str, Any]:
    from bench.spark_er import part_spark as run

    return run(n, seed)


PARTS = {"scale": part_scale, "ours": part_ours, "splink": part_splink, "accuracy": part_ours, "spark": part_spark}


def run_part(name: str, n: int, seed: int) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--part", name, "--n", str(n), "--seed", str(seed)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="reduced scale, < 60 s")
    parser.add_argument("--part", choices=[*PARTS, "real", "sets"])
    parser.add_argument("--n", type=int, default=0)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--skip-splink", action="store_true")
    parser.add_argument("--records", type=int, default=0, help="records in the scale part (default 1M)")
    parser.add_argument("--accuracy-records", type=int, default=0, help="records in the accuracy part (100k)")
    parser.add_argument("--engine", choices=["single", "spark"], default="single",
                        help="spark: the scale part on Spark beside the single-machine run of the same records")
    args = parser.parse_args()
    if args.part == "real":
        print(json.dumps(part_real()))
        return
    if args.part == "sets":
        print(json.dumps(part_sets()))
        return
    if args.part:
        print(json.dumps(PARTS[args.part](args.n, args.seed)))
        return
    scale_n, side_n, accuracy_n = (15_000, 5_000, 10_000) if args.quick else (1_000_000, 200_000, 100_000)
    scale_n = args.records or scale_n
    if args.engine == "spark":
        spark = run_part("spark", scale_n, args.seed)
        single = run_part("scale", scale_n, args.seed)
        if "seconds" in single:
            single["records_per_second"] = round(scale_n / max(single["seconds"], 1e-9), 1)
        print(json.dumps({"quick": args.quick, "engine": "spark", "records": scale_n, "spark": spark,
                          "single": single}))
        return
    accuracy_n = args.accuracy_records or accuracy_n
    out: dict[str, Any] = {"quick": args.quick}
    out["scale"] = run_part("scale", scale_n, args.seed)
    out["accuracy"] = run_part("accuracy", accuracy_n, args.seed + 2)
    ours = run_part("ours", side_n, args.seed + 1)
    out["side_by_side"] = {"records": side_n, "ours": ours}
    if not args.skip_splink:
        splink = run_part("splink", side_n, args.seed + 1)
        out["side_by_side"]["splink"] = splink
        if "seconds" in ours and "seconds" in splink and ours["seconds"]:
            out["side_by_side"]["splink_seconds_over_ours"] = round(splink["seconds"] / ours["seconds"], 2)
    out["real"] = part_real() if args.quick else json.loads(
        subprocess.run([sys.executable, __file__, "--part", "real"], capture_output=True, text=True,
                       check=False).stdout.strip().splitlines()[-1])
    if not args.skip_splink:
        out["sets"] = json.loads(subprocess.run(
            [sys.executable, __file__, "--part", "sets"], capture_output=True, text=True,
            check=False).stdout.strip().splitlines()[-1])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
