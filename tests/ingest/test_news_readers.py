"""News readers on the real Reuters-21578 file and on JSON Lines with every kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ingest_helpers import real

from ingest.news import (
    Article,
    chunk_text,
    detect_format,
    iso_date,
    read_articles,
    read_jsonl,
    read_sgml,
)
from ingest.records import Quarantined, WrongFormat
from matching.news.pipeline import NewsPipeline

REUTERS = real("news/reuters21578/reut2-000.sgm")


@pytest.fixture(scope="module")
def reuters() -> list[Article | Quarantined]:
    return list(read_sgml(REUTERS))


def test_reuters_documents_are_read_and_briefs_quarantined(reuters: list[Article | Quarantined]) -> None:
    articles = [r for r in reuters if isinstance(r, Article)]
    quarantined = [r for r in reuters if isinstance(r, Quarantined)]
    assert len(articles) + len(quarantined) == 1000  # every <REUTERS> document accounted for
    assert len(quarantined) == 75  # 60 BRIEF ("Blah blah blah.") + 15 UNPROC tables
    assert all("no BODY text" in q.reason and "NEWID=" in q.location for q in quarantined)
    assert sum("acq" in a.attrs["topics"].split(",") for a in articles) == 100


def test_reuters_sgml_noise_is_cleaned(reuters: list[Article | Quarantined]) -> None:
    articles = {r.id: r for r in reuters if isinstance(r, Article)}
    for a in articles.values():
        assert "&#" not in a.text and "&lt;" not in a.text
        assert not any(ord(c) < 32 and c != "\n" for c in a.text)
        assert not a.text.endswith("Reuter")
    first = articles["reuters-1"]
    assert (first.published, first.title, first.url) == ("1987-02-26", "BAHIA COCOA REVIEW", "reuters21578:1")
    # hard-wrapped lines are joined; indented lines start paragraphs
    assert first.text.startswith("Showers continued throughout the week in the Bahia cocoa zone, alleviating")
    assert "\nThe dry period means the temporao will be late this year." in first.text
    # &lt; around names becomes Reuters markup the pipeline reads
    assert "<Sedio N.V.>" in articles["reuters-10"].text


def test_reuters_pct_and_markup_reach_the_claims(reuters: list[Article | Quarantined]) -> None:
    article = next(r for r in reuters if isinstance(r, Article) and r.id == "reuters-186")
    claims = NewsPipeline().extract(article)
    assert {(c.owner.text, c.owned.text, c.percent, c.evidence.date) for c in claims} == {
        ("Groupe Videotron Ltd", "Groupe Promexpo Inc", 50.0, "1987-02-26")
    }


def _write(tmp_path: Path, lines: list[bytes]) -> Path:
    path = tmp_path / "articles.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_jsonl_bad_records_are_quarantined_with_line_and_reason(tmp_path: Path) -> None:
    good = {"id": "a1", "url": "https://example.org/a1", "published": "2024-05-01T10:00:00Z",
            "title": "Deal", "text": "Acme Corp bought a 51% stake in Beta Ltd."}
    lines = [
        json.dumps(good).encode(),
        json.dumps({"id": "a2", "text": ""}).encode(),  # empty article
        json.dumps({"id": "a3", "text": 42}).encode(),  # non-text article
        json.dumps({"id": "a4", "text": ["a", "list"]}).encode(),
        json.dumps({"text": "no id"}).encode(),
        b'{"id": "a5", "text": "truncated',  # invalid JSON
        b"[1, 2, 3]",  # not an object
        b"",  # blank lines are skipped, not quarantined
        json.dumps({"id": "a6", "text": "\x00\x07 \x1f"}).encode(),  # control characters only
    ]
    results = list(read_jsonl(_write(tmp_path, lines)))
    articles = [r for r in results if isinstance(r, Article)]
    quarantined = {q.location: q.reason for q in results if isinstance(q, Quarantined)}
    assert [a.id for a in articles] == ["a1"]
    assert (articles[0].published, articles[0].url, articles[0].location) == ("2024-05-01", good["url"], "line 1")
    assert quarantined == {
        "line 2": "field 'text' is empty",
        "line 3": "field 'text' is int, not text",
        "line 4": "field 'text' is list, not text",
        "line 5": "field 'id' is missing or not a string/number",
        "line 6": quarantined["line 6"],
        "line 7": "expected a JSON object, got list",
        "line 9": "field 'text' is empty",
    }
    assert quarantined["line 6"].startswith("invalid JSON")


def test_jsonl_in_a_legacy_encoding_is_decoded(tmp_path: Path) -> None:
    text = "Société Générale SA a acquis 20 % de Crédit du Nord SA, déclare-t-elle à Genève."
    line = json.dumps({"id": "fr1", "text": text}, ensure_ascii=False).encode("cp1252")
    [article] = list(read_jsonl(_write(tmp_path, [line])))
    assert isinstance(article, Article) and "Société Générale" in article.text


def test_undecodable_bytes_never_crash(tmp_path: Path) -> None:
    lines = [bytes(range(128, 256)) * 4, b"\xff\xfe\x00\x00garbage", json.dumps({"id": "ok", "text": "fine"}).encode()]
    results = list(read_jsonl(_write(tmp_path, lines)))
    assert [r.id for r in results if isinstance(r, Article)] == ["ok"]
    assert sum(isinstance(r, Quarantined) for r in results) == 2


def test_huge_article_is_chunked_and_every_chunk_is_processed(tmp_path: Path) -> None:
    paragraph = "Acme Corp bought a 51% stake in Beta Ltd. " + "Nothing else happened today. " * 40
    text = "\n".join([paragraph] * 200)  # ~250 kB
    path = _write(tmp_path, [json.dumps({"id": "big", "text": text}).encode()])
    chunks = [r for r in read_articles(path, chunk_chars=20_000) if isinstance(r, Article)]
    assert len(chunks) > 10 and all(len(c.text) <= 20_000 for c in chunks)
    assert {c.id for c in chunks} == {"big"} and chunks[-1].location.endswith(f"chunk {len(chunks)}/{len(chunks)}")
    claims = [c for _, found in NewsPipeline().extract_many(chunks) for c in found]
    assert len(claims) == 200  # one per paragraph, none lost at chunk borders


def test_sgml_noise_and_an_unterminated_document_do_not_crash(tmp_path: Path) -> None:
    path = tmp_path / "noise.sgm"
    path.write_bytes(
        b'<!DOCTYPE lewis SYSTEM "lewis.dtd">\n'
        b'<REUTERS NEWID="7"><DATE>02-MAR-1987 10:00:00.00</DATE><TEXT>&#2;<TITLE>X</TITLE>'
        b"<BODY>&#5;&#127;&lt;Acme Corp> said it acquired\n&lt;Beta Inc>.\n Reuter\n&#3;</BODY></TEXT></REUTERS>\n"
        b'<REUTERS NEWID="8"><BODY>never closed'
    )
    [article] = list(read_sgml(path))
    assert isinstance(article, Article)
    assert article.text == "<Acme Corp> said it acquired <Beta Inc>." and article.published == "1987-03-02"


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("just some notes")
    with pytest.raises(WrongFormat):
        detect_format(path)


@pytest.mark.parametrize(("value", "iso"), [("2024-05-01T10:00:00Z", "2024-05-01"), ("26-FEB-1987 15:01:01.79", "1987-02-26"),
                                            ("yesterday", None), (20240501, None), ("", None)])
def test_published_dates(value: object, iso: str | None) -> None:
    assert iso_date(value) == iso


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab .\n")), max_size=400), st.integers(min_value=4, max_value=60))
def test_chunks_respect_the_limit_and_keep_every_word(text: str, limit: int) -> None:
    chunks = chunk_text(text, limit)
    assert all(len(c) <= limit for c in chunks)
    assert "".join(chunks).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")
