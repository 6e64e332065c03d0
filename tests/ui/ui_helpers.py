"""Helpers of the browser tests (imported by conftest and the test modules)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Browsing:
    page: Any
    errors: list[str]  # uncaught script errors; a test that sees one fails


def login(browser: Any, base_url: str, key: str,
          viewport: dict[str, int] | None = None) -> tuple[Any, Any]:
    """A fresh browser context signed in with ``key`` through the login form."""
    context = browser.new_context(base_url=base_url,
                                  viewport=viewport or {"width": 1280, "height": 800})
    page = context.new_page()
    page.goto("/ui/")
    page.fill("#api_key", key)
    page.press("#api_key", "Enter")
    page.wait_for_url("**/ui/")
    return context, page


def wait_loaded(page: Any, root: str = "#entity") -> None:
    page.wait_for_selector(f"{root}[data-loaded=true]", timeout=20_000)


def diagram_nodes(page: Any) -> dict[str, dict[str, Any]]:
    """Diagram nodes by entity name: their classes (focal, restricted, root)."""
    rows = page.eval_on_selector_all(
        "svg.ownership a.node",
        "els => els.map(e => ({id: e.dataset.id, name: e.dataset.name,"
        " cls: e.getAttribute('class')}))")
    return {r["name"]: {"id": r["id"], "classes": set(r["cls"].split())} for r in rows}


def diagram_edges(page: Any) -> dict[tuple[str, str], dict[str, Any]]:
    """Drawn edges by (owner id, owned id): label text and path classes."""
    labels = page.eval_on_selector_all(
        "svg.ownership g.edge-label",
        "els => els.map(e => [e.dataset.owner, e.dataset.owned, e.textContent])")
    paths = page.eval_on_selector_all(
        "svg.ownership path.edge",
        "els => els.map(e => [e.dataset.owner, e.dataset.owned, e.getAttribute('class')])")
    classes = {(o, d): set(c.split()) for o, d, c in paths}
    return {(o, d): {"label": text, "classes": classes[(o, d)]} for o, d, text in labels}


def axe_violations(page: Any, axe_source: str) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations of the current page. The script is evaluated
    through the DevTools protocol, so the page's CSP stays on."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]
