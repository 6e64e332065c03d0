"""Screening index and audit/auth units, table-driven on real name quirks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from api.audit import AuditLog
from api.auth import KeyStore, Role
from api.index import NameIndex, blocking_keys, build_identifier_index, normal_identifier

REGISTERED = [
    "AKZO NOBEL N.V.",
    "Dragon Peak Technology (Singapore) Pte. Ltd.",
    "Dragon Peak Holdings Limited",
    "騰訊控股有限公司",
    "Fraport AG Frankfurt Airport Services Worldwide",
    "Northbridge Analytics PLC",
    "Lion City Cloud Pte. Ltd.",
    "Holding Investment Group Limited",
]


@pytest.fixture(scope="module")
def index() -> NameIndex:
    return NameIndex.build(enumerate(REGISTERED))


@pytest.mark.parametrize(("query", "expected"), [
    ("AKZO NOBEL NV", 0),  # legal form punctuation
    ("Akzo Nobel", 0),  # legal form dropped
    ("DRAGON PEAK TECHNOLOGY SINGAPORE PTE LTD", 1),  # case, brackets, punctuation
    ("Dragon Peak Technlogy (Singapore) Private Limited", 1),  # typo + long legal form
    ("Peak Dragon Holdings Ltd", 2),  # word order
    ("腾讯控股有限公司", 3),  # simplified query, traditional registered name
    ("Fraport Frankfurt Airport Services", 4),  # dropped token
    ("Lion City Cloud", 6),
])
def test_name_variants_rank_the_registered_entity_first(index: NameIndex, query: str,
                                                        expected: int) -> None:
    hits = index.search(query, 3)
    assert hits and hits[0].entity == expected, [(h.entity, h.score) for h in hits]


@pytest.mark.parametrize(("query", "below"), [
    ("Quantum Walrus Bakery", 0.5),  # nothing shared: no candidate at all, or a poor one
    ("Holding", 0.9),  # a generic word alone is not a match
])
def test_unrelated_names_score_low(index: NameIndex, query: str, below: float) -> None:
    hits = index.search(query, 1)
    assert not hits or hits[0].score < below


def test_blocking_keys_survive_one_typo_per_long_token() -> None:
    assert blocking_keys("technology") & blocking_keys("technlogy")


def test_identifier_index_normalises_and_reports_conflicts() -> None:
    conflicts: list[tuple[str, str]] = []
    idx = build_identifier_index([(0, "LEI", "5493 004D PSGTEC000354"), (1, "gb_crn", "12345678"),
                                  (2, "gb_crn", "12345678")], conflicts=conflicts)
    assert idx[normal_identifier("lei", "5493004dpsgtec000354")] == 0
    assert conflicts == [("gb_crn", "12345678")]


@pytest.mark.parametrize(("scheme", "value"), [
    ("gb_crn", "01234567"), ("GB-COH", "01234567"), ("gb-coh", "1234567"),  # BODS/org-id name
    ("companies_house", "0123 4567"),
])
def test_a_company_number_is_found_under_any_name_of_its_register(scheme: str, value: str) -> None:
    idx = build_identifier_index([(7, "gb_crn", "01234567")])
    assert idx[normal_identifier(scheme, value)] == 7


def test_audit_retention_prunes_only_old_day_files(tmp_path: Path) -> None:
    log = AuditLog(tmp_path, retention_days=30)
    today = dt.date(2026, 3, 31)
    for day in ("2026-01-01", "2026-03-01", "2026-03-30"):
        (tmp_path / f"screen-{day}.jsonl").write_text("{}\n")
    (tmp_path / "notes.txt").write_text("keep")
    assert log.prune(today) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "notes.txt", "screen-2026-03-01.jsonl", "screen-2026-03-30.jsonl"]
    log.record(key_id="k", query={"name": "x"}, verdict="ALLOW", entity_id="e", policy="p",
               generation="g")
    log.flush()
    assert log.read_day(dt.datetime.now(dt.UTC).date().isoformat())[-1]["verdict"] == "ALLOW"
    log.close()


def test_key_store_rejects_tampered_and_revoked_keys(tmp_path: Path) -> None:
    from graph.errors import BadInput, Unauthorized

    keys = KeyStore(tmp_path / "keys.json")
    token, record = keys.create(Role.INVESTIGATOR, "alice")
    assert keys.authenticate(token).role is Role.INVESTIGATOR
    with pytest.raises(Unauthorized):
        keys.authenticate(token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert KeyStore(tmp_path / "keys.json").authenticate(token).name == "alice"  # from disk
    assert keys.revoke(record.key_id)
    with pytest.raises(Unauthorized):
        keys.authenticate(token)
    with pytest.raises(BadInput):
        keys.create("root")


def test_a_screen_request_may_name_the_register_as_registers_do() -> None:
    from api.schemas import ScreenRequest

    assert ScreenRequest.model_validate({"identifiers": {"GB-COH": "01234567"}}).identifiers
    with pytest.raises(ValueError, match="scheme must match"):
        ScreenRequest.model_validate({"identifiers": {"no scheme!": "1"}})


_READ_BACK = """
import sys
import numpy as np
from api.index import NameIndex

with np.load(sys.argv[1], allow_pickle=False) as z:
    index = NameIndex.from_columns({k: z[k] for k in z.files})
hits = [(h.entity, round(h.score, 6)) for q in sys.argv[2:] for h in index.search(q, 3)]
print(hits, "pypinyin" in sys.modules)
"""


def test_a_stored_index_scores_han_names_as_built_without_loading_pypinyin(
        index: NameIndex, tmp_path: Path) -> None:
    """A generation keeps the pinyin it gave its Han names: screening a Latin name against a
    Han candidate in a fresh process reads it back instead of loading pypinyin (~0.5 s), and
    scores exactly as the index that was built."""
    import subprocess
    import sys

    import numpy as np

    path = tmp_path / "names.npz"
    np.savez(path, allow_pickle=False, **index.columns())
    queries = ["Tencent Holdings", "Teng Xun Kong Gu", "Dragon Peak Technology"]
    done = subprocess.run([sys.executable, "-c", _READ_BACK, str(path), *queries],
                          capture_output=True, text=True, check=True, cwd=Path(__file__).parents[2])
    expected = [(h.entity, round(h.score, 6)) for q in queries for h in index.search(q, 3)]
    assert 3 in [entity for entity, _ in expected]  # the Han name is among the candidates
    assert done.stdout.split("] ")[-1].strip() == "False"
    assert done.stdout.strip() == f"{expected} False"
