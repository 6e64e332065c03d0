"""rigour's reading of a word is the same in every process.

rigour gives some words two symbols ("Association": ASSOC and ASSOCIATION) in an order
that follows Python's string hashing, which differs per process unless PYTHONHASHSEED is
set. Spark workers are separate processes: if they read a word differently, two names
normalised on different workers compare unlike they would on one machine. Seeds 0 and 1
gave ASSOC and ASSOCIATION for "Association" before the choice was made deterministic.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORDS = ["Association", "Telecom", "Telecommunications", "Telephone", "International", "Intl", "Holdings",
         "Trading", "Energy", "Bank", "Insurance", "Investment"]
PROBE = "import json, sys; from matching.words import analyse; print(json.dumps([analyse(w) for w in sys.argv[1:]]))"


def _read_with_seed(seed: int) -> list[list[object]]:
    env = {**os.environ, "PYTHONHASHSEED": str(seed)}
    done = subprocess.run([sys.executable, "-c", PROBE, *WORDS], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_a_word_reads_alike_whatever_the_hash_seed() -> None:
    first, *others = [_read_with_seed(seed) for seed in (0, 1, 5, 7)]
    assert all(other == first for other in others)
    assert dict(zip(WORDS, (symbol for *_, symbol in first), strict=True))["Association"] == "ASSOC"
