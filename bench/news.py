"""News pipeline throughput over the real Reuters-21578 sample (rules only, no trained model).

Prints one JSON object. ``--quick`` reads the file once; the full run reads it ``--passes``
times (default 5) through the same pipeline to steady the figure.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

# Run as a script from the repository: the packages, not bench/ingest.py, must win.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.news import read_sgml  # noqa: E402
from matching.datasets import real_data_root
from matching.news.article import Article  # noqa: E402
from matching.news.pipeline import NewsPipeline  # noqa: E402

REUTERS = real_data_root() / "news" / "reuters21578" / "reut2-000.sgm"
TARGET_ARTICLES_PER_S = 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one pass (< 60 s)")
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--file", type=Path, default=REUTERS)
    args = parser.parse_args()
    passes = 1 if args.quick else args.passes

    t0 = time.perf_counter()
    pipeline = NewsPipeline()
    build_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    articles = [r for r in read_sgml(args.file) if isinstance(r, Article)]
    read_s = time.perf_counter() - t0

    claims = 0
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(passes):
        for _article, found in pipeline.extract_many(articles):
            claims += len(found)
    extract_s = time.perf_counter() - t0
    # The box is shared: CPU seconds of this process are the steadier figure under load.
    extract_cpu_s = time.process_time() - c0
    n = len(articles) * passes
    chars = sum(len(a.text) for a in articles) * passes
    print(json.dumps({
        "benchmark": "news", "quick": args.quick, "file": str(args.file), "pipeline": pipeline.model_name,
        "passes": passes, "articles": n, "claims": claims,
        "pipeline_build_s": round(build_s, 3), "read_s": round(read_s, 3), "extract_s": round(extract_s, 3),
        "extract_cpu_s": round(extract_cpu_s, 3), "articles_per_s": round(n / extract_s, 1),
        "articles_per_cpu_s": round(n / extract_cpu_s, 1), "chars_per_s": round(chars / extract_s),
        "load_avg_1m": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
        "read_articles_per_s": round(len(articles) / read_s, 1),
        "target_articles_per_s": TARGET_ARTICLES_PER_S, "meets_target": n / extract_s >= TARGET_ARTICLES_PER_S,
        "meets_target_per_cpu_s": n / extract_cpu_s >= TARGET_ARTICLES_PER_S,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))


if __name__ == "__main__":
    main()
