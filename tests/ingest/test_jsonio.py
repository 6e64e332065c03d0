"""Streaming JSON readers: nesting is counted on the bytes before the parser sees them.

A 200 KB file of 100,000 nested brackets once asked ijson's C parser for 23 GB (it keeps the
path of every open level as a string). Here such files end with one quarantined record, and a
reader run under a memory limit in a child process stays small.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.jsonio import MAX_DEPTH, Nesting, TooDeep

BOMB_DEPTH = 100_000
# Address space the reading child may use: imports (numpy, lxml, spaCy are not loaded) fit
# well inside; the unguarded parser asked for 23 GB.
CHILD_ADDRESS_SPACE = 1536 * 2**20
CHILD_RSS_BOUND_MB = 400


def depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    return 0


TRICKY_TEXT = st.text(alphabet=st.sampled_from(list('[]{}"\\ab\n/') + ["\u00e9", "\u4e2d"]),
                      max_size=12)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | TRICKY_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TRICKY_TEXT, inner, max_size=3),
    max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES, st.lists(st.integers(1, 40), max_size=8), st.booleans())
def test_nesting_counts_what_the_parser_counts(value: Any, cuts: list[int], ascii_only: bool) -> None:
    """Brackets inside strings, escaped quotes and backslash runs split across pieces are
    counted exactly: the limit equal to the real depth passes, one less refuses."""
    text = json.dumps(value, ensure_ascii=ascii_only).encode()
    pieces, at = [], 0
    for cut in cuts:
        pieces.append(text[at:at + cut])
        at += cut
    pieces.append(text[at:])
    real = depth(value)
    passing = Nesting(limit=real)
    for piece in pieces:
        passing.feed(piece)
    assert passing.depth == 0 and not passing.in_string
    if real:
        refusing = Nesting(limit=real - 1)
        with pytest.raises(TooDeep):
            for piece in pieces:
                refusing.feed(piece)


@pytest.mark.parametrize("doc", [
    pytest.param('["[[[[", "\\\\", "\\"{{{{"]', id="brackets-in-strings-after-escapes"),
    pytest.param('{"a": "\\\\\\"[[[["}', id="escaped-backslash-then-escaped-quote"),
])
def test_brackets_inside_strings_do_not_count(doc: str) -> None:
    nesting = Nesting(limit=1)
    nesting.feed(doc.encode())
    assert nesting.depth == 0


def _bomb(path: Path, opening: str = "[", closing: str = "]") -> Path:
    path.write_text(opening * BOMB_DEPTH + closing * BOMB_DEPTH)
    return path


def _run_limited(script: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``script`` in a child whose address space is capped; its last stdout line is JSON."""
    prelude = textwrap.dedent(f"""
        import resource, json, sys
        resource.setrlimit(resource.RLIMIT_AS, ({CHILD_ADDRESS_SPACE}, {CHILD_ADDRESS_SPACE}))
        def report(**kw):
            # the peak RSS of this process's own memory (VmHWM); ru_maxrss would carry the
            # parent's peak across the exec that started this child
            with open("/proc/self/status") as status:
                peak = next(line for line in status if line.startswith("VmHWM:"))
            kw["maxrss_mb"] = int(peak.split()[1]) / 1024
            print(json.dumps(kw))
    """)
    done = subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(script)],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                               **(env or {})})
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("shape", ["array", "object", "lines"])
def test_deep_file_ends_with_one_broken_item(tmp_path: Path, shape: str) -> None:
    """Items before the bomb are read; the bomb is one Broken item; in JSON Lines the
    lines after it are read too. Read in a memory-limited child (a regression must not
    take the machine down with it)."""
    path = tmp_path / f"{shape}.json"
    if shape == "array":
        path.write_text('[{"a": 1}, ' + "[" * BOMB_DEPTH + "]" * BOMB_DEPTH + "]")
    elif shape == "object":  # pretty-printed: read by the streaming parser, not line by line
        path.write_text('{\n"a": ' + '{"a": ' * BOMB_DEPTH + "1" + "}" * BOMB_DEPTH + "}")
    else:
        path.write_text('{"a": 1}\n' + '{"a": ' * BOMB_DEPTH + "1" + "}" * BOMB_DEPTH + '\n{"b": 2}\n')
    out = _run_limited(f"""
        from pathlib import Path
        from ingest.jsonio import Broken, read_items
        items = [[type(i).__name__, i.location, getattr(i, "value", None), getattr(i, "reason", "")]
                 for i in read_items(Path({str(path)!r}))]
        report(items=items)
    """)
    broken = [i for i in out["items"] if i[0] == "Broken"]
    assert len(broken) == 1 and f"nested deeper than {MAX_DEPTH} levels" in broken[0][3]
    if shape == "array":
        assert out["items"][0][2] == {"a": 1} and broken[0][1] == "after item 1"
    if shape == "lines":
        assert broken[0][1] == "line 2" and out["items"][-1][2] == {"b": 2}
    assert out["maxrss_mb"] < CHILD_RSS_BOUND_MB, out


@pytest.mark.parametrize("fmt", ["bods", "ftm", "psc"])
def test_nested_bomb_is_quarantined_in_bounded_memory(tmp_path: Path, fmt: str) -> None:
    """The issue's file (100,000 nested arrays, 200 KB) through each JSON format's reader,
    in a child limited to 1.5 GB of address space: one quarantined record, RSS small."""
    path = _bomb(tmp_path / "deep.json")
    out = _run_limited(f"""
        from pathlib import Path
        from ingest import {fmt} as reader
        from ingest.records import Quarantined, SourceFile
        records = list(reader.parse(Path({str(path)!r}), SourceFile({str(path)!r}, "t", "2026-01-01T00:00:00Z")))
        quarantined = [r.reason for r in records if isinstance(r, Quarantined)]
        report(records=len(records), quarantined=quarantined)
    """)
    assert out["quarantined"] and any("nested deeper than" in r for r in out["quarantined"])
    assert out["maxrss_mb"] < CHILD_RSS_BOUND_MB, out


def test_ingest_command_quarantines_the_bomb_in_bounded_memory(tmp_path: Path, store_config: Any) -> None:
    """``ownergraph ingest --format bods deep.json`` (the issue's reproduction) with the
    embedded store, the process and its forked reader under the memory limit."""
    path = _bomb(tmp_path / "deep.json")
    env = {"OWNERGRAPH_HOME": str(store_config.home), "OWNERGRAPH_GRAPH_NAME": store_config.graph_name,
           "OWNERGRAPH_LOG_LEVEL": "WARNING"}
    try:
        out = _run_limited(f"""
            from typer.testing import CliRunner
            from api.cli.main import app
            result = CliRunner().invoke(app, ["ingest", "--format", "bods", {str(path)!r}])
            report(exit_code=result.exit_code, output=result.output)
        """, env)
    finally:
        from graph.stores import open_store

        store = open_store(store_config)
        store.drop()  # type: ignore[attr-defined]
        store.close()
    assert out["exit_code"] == 0, out["output"]
    assert "quarantined 1" in out["output"]
    assert out["maxrss_mb"] < CHILD_RSS_BOUND_MB, out  # a file this small is read in-process


def test_news_line_and_gleif_api_document_refuse_deep_nesting(tmp_path: Path) -> None:
    """The two readers that parse a whole line or document with the standard library (which
    raised RecursionError, a traceback): a quarantined line, a one-line WrongFormat."""
    from ingest import gleif_api, news
    from ingest.records import Quarantined, WrongFormat

    lines = tmp_path / "news.jsonl"
    lines.write_text('{"id": 1, "text": ' + "[" * BOMB_DEPTH + "]" * BOMB_DEPTH + "}\n"
                     + '{"id": 2, "text": "Acme bought 60% of Beta."}\n')
    read = list(news.read_jsonl(lines))
    assert isinstance(read[0], Quarantined) and "nested deeper than" in read[0].reason
    assert not isinstance(read[-1], Quarantined)
    doc = tmp_path / "api.json"
    doc.write_text('{"data": ' + "[" * BOMB_DEPTH + "]" * BOMB_DEPTH + "}")
    with pytest.raises(WrongFormat, match="nested deeper than"):
        list(gleif_api.read_api(doc))
