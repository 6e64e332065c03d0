"""Derived tables kept on disk: the same answer as deriving them, and derived again when
the code that derives them changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from matching import legal_forms
from matching.derived import derived


def test_a_cached_table_equals_a_fresh_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    fresh = legal_forms._build_table()
    first = derived("legal-forms", ("rigour",), (Path(legal_forms.__file__),),
                    legal_forms._build_table)
    again = derived("legal-forms", ("rigour",), (Path(legal_forms.__file__),),
                    lambda: pytest.fail("derived again although nothing changed"))
    assert first == fresh and again == fresh
    assert len(list((tmp_path / "ownergraph").glob("legal-forms-*.pickle"))) == 1


def test_changed_source_derives_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    source = tmp_path / "rules.py"
    source.write_text("A = 1\n")
    assert derived("t", (), (source,), lambda: 1) == 1
    assert derived("t", (), (source,), lambda: 2) == 1  # kept
    source.write_text("A = 2\n")
    assert derived("t", (), (source,), lambda: 2) == 2  # the code changed: derived anew


def test_an_unwritable_cache_still_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    assert derived("t", (), (), lambda: {"x": 1}) == {"x": 1}
