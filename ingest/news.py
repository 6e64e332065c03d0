"""News article readers: JSON Lines ``{id, url, published, title, text}`` and Reuters-21578 SGML.

Both stream (one line / one ``<REUTERS>`` document at a time) and yield either an
:class:`Article` or a :class:`Quarantined` record naming file, location and reason; bad input
never raises. Huge articles are cut into chunks at paragraph or sentence boundaries so the
spaCy pipeline never sees a multi-megabyte document.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from charset_normalizer import from_bytes

from ingest.jsonio import TooDeep, check_depth
from ingest.records import FileHeader, Quarantined, Record, SourceFile, WrongFormat
from matching.news.article import Article

if TYPE_CHECKING:
    from matching.news.pipeline import NewsPipeline

DEFAULT_CHUNK_CHARS = 20_000
PIPE_BATCH = 64
# A single JSON line (or SGML document) past this is refused, not parsed: it is not an article.
MAX_RECORD_BYTES = 50_000_000

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SGML_DOC = re.compile(rb"<REUTERS\b(?P<attrs>[^>]*)>(?P<body>.*?)</REUTERS>", re.S)
_SGML_FIELD = {
    name: re.compile(rf"<{name}>(.*?)</{name}>", re.S)
    for name in ("DATE", "TITLE", "BODY", "TOPICS", "COMPANIES")
}
_SGML_D = re.compile(r"<D>(.*?)</D>", re.S)
_SGML_ATTR = re.compile(r'(\w+)="([^"]*)"')
_SGML_TEXT_TYPE = re.compile(r'<TEXT TYPE="(\w+)"')
_SGML_ENTITY = re.compile(r"&#(\d+);")


ReadResult = Article | Quarantined


def detect_format(path: Path) -> str:
    """``jsonl`` or ``sgml`` from the suffix, else from the first bytes."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".sgm", ".sgml"):
        return "sgml"
    with path.open("rb") as fh:
        head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{"):
        return "jsonl"
    if b"<REUTERS" in head or head.startswith(b"<!DOCTYPE lewis"):
        return "sgml"
    raise WrongFormat(f"{path}: neither JSON Lines articles nor Reuters SGML (use .jsonl or .sgm)")


def read_articles(path: Path, chunk_chars: int = DEFAULT_CHUNK_CHARS) -> Iterator[ReadResult]:
    fmt = detect_format(path)
    reader = read_jsonl if fmt == "jsonl" else read_sgml
    yield from reader(path, chunk_chars)


# ---------------------------------------------------------------- text helpers


def decode(raw: bytes) -> str | None:
    """UTF-8 first (the common case, fast); otherwise the best guess of charset_normalizer."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    best = from_bytes(raw).best()
    return None if best is None else str(best)


def clean_text(text: str) -> str:
    """Drop control characters (SGML ``&#5;`` noise, NULs) and trim."""
    return _CONTROL.sub(" ", text).strip()


def chunk_text(text: str, limit: int) -> list[str]:
    """Cut at the last paragraph break, else sentence end, else space before ``limit``."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n"), window.rfind(". ") + 1)
        if cut < limit // 2:
            cut = window.rfind(" ")
        if cut < limit // 2:
            cut = limit
        chunks.append(rest[:cut].strip())
        rest = rest[cut:]
    if rest.strip():
        chunks.append(rest.strip())
    return [c for c in chunks if c]


def iso_date(value: object) -> str | None:
    """ISO date from ISO strings or Reuters ``26-FEB-1987 15:01:01.79``; None when unreadable."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if re.match(r"\d{4}-\d{2}-\d{2}", text):
        return text[:10]
    try:
        return datetime.strptime(text.split()[0], "%d-%b-%Y").date().isoformat()
    except ValueError:
        return None


def _split(article: Article, limit: int) -> Iterator[Article]:
    parts = chunk_text(article.text, limit) if len(article.text) > limit else [article.text]
    if len(parts) == 1:
        yield article
        return
    for n, part in enumerate(parts, start=1):
        yield Article(
            id=article.id, text=part, file=article.file,
            location=f"{article.location} chunk {n}/{len(parts)}", url=article.url,
            published=article.published, title=article.title if n == 1 else "", chunk=n,
            attrs=article.attrs,
        )


# ---------------------------------------------------------------- JSON Lines


def read_jsonl(path: Path, chunk_chars: int = DEFAULT_CHUNK_CHARS) -> Iterator[ReadResult]:
    name = str(path)
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            where = f"line {lineno}"
            if len(raw) > MAX_RECORD_BYTES:
                yield Quarantined.of(name, where, f"record of {len(raw)} bytes exceeds {MAX_RECORD_BYTES}")
                continue
            result = _jsonl_record(raw, name, where)
            if isinstance(result, Quarantined):
                yield result
            else:
                yield from _split(result, chunk_chars)


def _jsonl_record(raw: bytes, name: str, where: str) -> ReadResult:
    line = decode(raw)
    if line is None:
        return Quarantined.of(name, where, "unknown text encoding", raw[:300].hex())
    try:
        check_depth(line)
        record = json.loads(line)
    except TooDeep as exc:
        return Quarantined.of(name, where, str(exc))
    except json.JSONDecodeError as exc:
        return Quarantined.of(name, where, f"invalid JSON: {exc.msg} at column {exc.colno}", line)
    if not isinstance(record, dict):
        return Quarantined.of(name, where, f"expected a JSON object, got {type(record).__name__}")
    return _article_from(record, name, where)


def _article_from(record: dict[str, object], name: str, where: str) -> ReadResult:
    rid = record.get("id")
    if not isinstance(rid, (str, int)) or isinstance(rid, bool) or str(rid).strip() == "":
        return Quarantined.of(name, where, "field 'id' is missing or not a string/number")
    text = record.get("text")
    if not isinstance(text, str):
        return Quarantined.of(name, where, f"field 'text' is {type(text).__name__}, not text", str(rid))
    title = record.get("title")
    body = clean_text(text)
    if not body:
        return Quarantined.of(name, where, "field 'text' is empty", str(rid))
    url = record.get("url")
    return Article(
        id=str(rid), text=body, file=name, location=where,
        url=url if isinstance(url, str) else "",
        published=iso_date(record.get("published")),
        title=clean_text(title) if isinstance(title, str) else "",
    )


# ---------------------------------------------------------------- Reuters-21578 SGML


def read_sgml(path: Path, chunk_chars: int = DEFAULT_CHUNK_CHARS) -> Iterator[ReadResult]:
    name = str(path)
    for offset, doc in _sgml_documents(path):
        result = _sgml_article(doc, name, offset)
        if isinstance(result, Quarantined):
            yield result
        else:
            yield from _split(result, chunk_chars)


def _sgml_documents(path: Path, block: int = 1 << 20) -> Iterator[tuple[int, bytes]]:
    """Yield (byte offset, document bytes) reading ``block`` bytes at a time."""
    buf = b""
    consumed = 0
    with path.open("rb") as fh:
        while True:
            data = fh.read(block)
            buf += data
            last = 0
            for m in _SGML_DOC.finditer(buf):
                yield consumed + m.start(), m.group(0)
                last = m.end()
            consumed += last
            buf = buf[last:]
            if not data:
                break
            if len(buf) > MAX_RECORD_BYTES:  # an unterminated document: skip what we have
                consumed += len(buf)
                buf = b""


def _sgml_field(doc: str, name: str) -> str:
    m = _SGML_FIELD[name].search(doc)
    return m.group(1) if m else ""


def sgml_unescape(text: str) -> str:
    """``&#5;`` and friends are transmission control codes: drop them; decode ``&lt;`` etc."""
    text = _SGML_ENTITY.sub(lambda m: " " if int(m.group(1)) < 32 or int(m.group(1)) == 127 else m.group(0), text)
    return clean_text(html.unescape(text))


def unwrap(body: str) -> str:
    """Join hard-wrapped lines; a line indented by spaces starts a new paragraph."""
    paragraphs: list[str] = []
    for line in body.splitlines():
        if not line.strip():
            continue
        if line[:1] in (" ", "\t") or not paragraphs:
            paragraphs.append(line.strip())
        else:
            paragraphs[-1] += " " + line.strip()
    text = "\n".join(paragraphs)
    return re.sub(r"\s*\bReuter\s*$", "", text)


def _sgml_article(raw: bytes, name: str, offset: int) -> ReadResult:
    doc = decode(raw)
    if doc is None:
        return Quarantined.of(name, f"byte {offset}", "unknown text encoding")
    attrs = dict(_SGML_ATTR.findall(doc[: doc.find(">")]))
    newid = attrs.get("NEWID", "")
    where = f"doc NEWID={newid} (byte {offset})"
    if not newid:
        return Quarantined.of(name, where, "document has no NEWID")
    body = unwrap(sgml_unescape(_sgml_field(doc, "BODY")))
    if not body:
        kind = _SGML_TEXT_TYPE.search(doc)
        return Quarantined.of(name, where, f"no BODY text (TEXT TYPE={kind.group(1) if kind else 'NORM'})", newid)
    topics = ",".join(_SGML_D.findall(_sgml_field(doc, "TOPICS")))
    companies = ",".join(_SGML_D.findall(_sgml_field(doc, "COMPANIES")))
    return Article(
        id=f"reuters-{newid}", text=body, file=name, location=where,
        url=f"reuters21578:{newid}", published=iso_date(sgml_unescape(_sgml_field(doc, "DATE"))),
        title=sgml_unescape(_sgml_field(doc, "TITLE")),
        attrs={"topics": topics, "companies": companies},
    )


# ---------------------------------------------------------------- ingest adapter


SOURCE = "news"


def parse(path: Path, source_file: SourceFile) -> Iterator[Record]:
    """``ownergraph ingest --format news``: claims as news_claim edges plus entity records for
    organisations the text names (ids ``news:<normalised name>``; resolution links them later).
    News never lists "everything", so the header says it is not a full snapshot."""
    from matching.news.pipeline import NewsPipeline

    fmt = detect_format(path)
    yield FileHeader(source_file.path, full_snapshot=False, kind=f"news-{fmt}")
    pipeline = NewsPipeline()
    seen: set[str] = set()
    batch: list[Article] = []
    for result in read_articles(path):
        if isinstance(result, Quarantined):
            yield result
            continue
        batch.append(result)
        if len(batch) >= PIPE_BATCH:
            yield from _claim_records(pipeline, batch, source_file.run_id, seen)
            batch = []
    yield from _claim_records(pipeline, batch, source_file.run_id, seen)


def _claim_records(pipeline: NewsPipeline, batch: list[Article], run_id: str, seen: set[str]) -> Iterator[Record]:
    """Entities first (each once per file), then the edge that needs them."""
    for _article, claims in pipeline.extract_many(batch):
        for claim in claims:
            for entity in claim.new_entities(run_id):
                if entity.id not in seen:
                    seen.add(entity.id)
                    yield entity
            yield claim.to_edge(run_id)
