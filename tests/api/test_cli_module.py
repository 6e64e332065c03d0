"""``python -m api.cli`` is the same command as the ``ownergraph`` console script."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_running_the_module_lists_every_sub_command() -> None:
    out = subprocess.run([sys.executable, "-m", "api.cli", "--help"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    for command in ("store", "ingest", "resolve", "compute", "serve", "generations"):
        assert command in out.stdout
