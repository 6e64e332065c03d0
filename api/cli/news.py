"""``ownergraph news extract|eval``: the news pipeline without storing anything.

Storing claims is ``ownergraph ingest --format news PATH…`` (the shared ingestion run).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape

from api.cli.context import settings_from
from graph.errors import BadInput

if TYPE_CHECKING:  # spaCy loads in about two seconds: only the news commands pay for it
    from ingest.records import Quarantined
    from matching.news.article import Article
    from matching.news.pipeline import GazetteerEntry

app = typer.Typer(no_args_is_help=True)
out = Console()
err = Console(stderr=True)
log = logging.getLogger(__name__)

MODEL_HELP = "installed spaCy pipeline to use for NER (default: setting news_model, else rules only)"


def load_gazetteer(path: Path) -> list[GazetteerEntry]:
    """JSON Lines ``{"id": ..., "names": [...]}`` (or ``"name"``): known entities to link."""
    from ingest.jsonio import check_depth
    from matching.news.pipeline import GazetteerEntry

    entries = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                check_depth(line)
                row = json.loads(line)
                names = tuple(row.get("names") or [row["name"]])
                entries.append(GazetteerEntry(str(row["id"]), tuple(str(n) for n in names)))
            except (ValueError, KeyError, TypeError) as exc:
                raise BadInput(f"{path} line {lineno}: not a gazetteer row ({exc})", file=str(path), line=lineno) from exc
    return entries


def _store_gazetteer(ctx: typer.Context) -> list[GazetteerEntry]:
    from graph.stores import open_store
    from matching.news.pipeline import gazetteer_from_entities

    store = open_store(settings_from(ctx).store_config())
    try:
        return [e for batch in store.iter_entities() for e in gazetteer_from_entities(batch)]
    finally:
        store.close()


def _model(ctx: typer.Context, model: str | None) -> str | None:
    # The setting is read when the lead adds it (OWNERGRAPH_NEWS_MODEL); --model wins.
    return model or getattr(settings_from(ctx), "news_model", None)


def _articles(paths: list[Path], quarantined: list[Quarantined]) -> Iterator[Article]:
    from ingest.news import read_articles
    from ingest.records import Quarantined

    for path in paths:
        if not path.is_file():
            raise BadInput(f"no such file: {path}", file=str(path))
        for result in read_articles(path):
            if isinstance(result, Quarantined):
                quarantined.append(result)
            else:
                yield result


@app.command("extract")
def extract(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(..., help="JSON Lines articles (.jsonl) or Reuters SGML (.sgm)"),
    output: Path = typer.Option(..., "--out", help="claims JSON Lines file to write"),
    gazetteer: Path | None = typer.Option(None, "--gazetteer", help="known entities: JSON Lines {id, names}"),
    from_store: bool = typer.Option(False, "--from-store", help="link to the entities in the graph store"),
    model: str | None = typer.Option(None, "--model", help=MODEL_HELP),
) -> None:
    """Run the claim pipeline over articles and write one JSON line per claim (nothing stored)."""
    from matching.news.pipeline import NewsPipeline

    entries = load_gazetteer(gazetteer) if gazetteer else []
    if from_store:
        entries += _store_gazetteer(ctx)
    pipeline = NewsPipeline(entries, _model(ctx, model))
    quarantined: list[Quarantined] = []
    articles = claims = 0
    with output.open("w", encoding="utf-8") as fh:
        for _article, found in pipeline.extract_many(_articles(paths, quarantined)):
            articles += 1
            for claim in found:
                claims += 1
                fh.write(json.dumps(claim.to_json(), ensure_ascii=False) + "\n")
    for q in quarantined[:20]:
        err.print(escape(f"quarantined {q.file} {q.location}: {q.reason}"), highlight=False,
                  soft_wrap=True)
    out.print(f"{articles:,} articles ({quarantined.__len__():,} quarantined) -> {claims:,} claims "
              f"in {output} [pipeline {pipeline.model_name}]", highlight=False)


@app.command("eval")
def evaluate_cmd(
    ctx: typer.Context,
    labelled: Path = typer.Argument(..., help="labelled sentences JSON Lines {id, text, claims[]}"),
    errors: bool = typer.Option(False, "--errors", help="also print every missed and wrong claim"),
    model: str | None = typer.Option(None, "--model", help=MODEL_HELP),
) -> None:
    """Precision and recall of (owner, owned, percent) claims on a labelled sentence set."""
    from matching.news.evaluate import evaluate, load_labelled
    from matching.news.pipeline import NewsPipeline

    scores = evaluate(NewsPipeline(model=_model(ctx, model)), load_labelled(labelled))
    out.print_json(json.dumps(scores.summary()))
    if errors:
        for e in scores.errors:
            out.print(json.dumps(e), highlight=False, soft_wrap=True)
