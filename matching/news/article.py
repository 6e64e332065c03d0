"""A news article as the claim pipeline reads it (ingest/news.py makes them from files)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Article:
    id: str
    text: str
    file: str
    location: str  # "line 12" or "doc NEWID=5"; chunks add "chunk 2/3"
    url: str = ""
    published: str | None = None  # ISO date
    title: str = ""
    chunk: int = 0
    attrs: dict[str, str] = field(default_factory=dict)
