"""Every statement the Neo4j adapter can send passes Neo4j's own Cypher front end.

The npm package ``@neo4j-cypher/language-support`` (pinned in tests/cypher_lint) parses
and semantically checks each statement (undefined variables, deprecated forms, type errors)
with its parameters declared. Zero diagnostics allowed; a planted bad statement proves the
check can fail.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from graph.cypher import statements as cypher
from graph.cypher.statements import Statement
from graph.neo4j import statements as cypher_neo4j
from graph.neo4j.statements import neo4j_registry

LINT_DIR = Path(__file__).resolve().parents[1] / "cypher_lint"

# Example values that declare each parameter's type to the linter.
PARAM_EXAMPLES: dict[str, Any] = {
    "rows": [], "keys": [], "props": {}, "end": "2024-01-01", "run_id": "run", "id": "e",
    "after": "", "limit": 1, "hops": 1, "max_hops": 1, "source": "s", "target": "t",
    "status": "review", "generation": "g", "ids": [],
}


@pytest.fixture(scope="module")
def lint_dir() -> Path:
    """tests/cypher_lint with its node_modules installed (npm install on first use)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("node and npm are required for the Neo4j dialect check")
    if not (LINT_DIR / "node_modules" / "@neo4j-cypher" / "language-support").exists():
        subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=LINT_DIR,
                       check=True, capture_output=True, timeout=300)
    return LINT_DIR


def lint(lint_dir: Path, statements: list[Statement]) -> dict[str, list[dict[str, Any]]]:
    payload = [{"name": s.name, "query": s.text,
                "params": {p: PARAM_EXAMPLES[p] for p in s.params}} for s in statements]
    proc = subprocess.run(["node", "lint.mjs"], cwd=lint_dir, input=json.dumps(payload),
                          capture_output=True, text=True, check=True, timeout=120)
    return {r["name"]: r["diagnostics"] for r in json.loads(proc.stdout)}


def test_every_parameter_has_an_example() -> None:
    missing = {(s.name, p) for s in neo4j_registry() for p in s.params
               if p not in PARAM_EXAMPLES}
    assert not missing


def test_registry_holds_every_statement_defined_for_neo4j() -> None:
    defined = {v for mod in (cypher, cypher_neo4j) for v in vars(mod).values()
               if isinstance(v, Statement)}
    defined |= {s for group in (cypher_neo4j.SCHEMA,) for s in group}
    assert defined <= set(neo4j_registry())


@pytest.mark.parametrize("module", ["neo4j/store.py", "cypher/store.py"])
def test_the_adapter_sends_no_inline_cypher(module: str) -> None:
    """The Neo4j adapter and its shared base only send registry statements."""
    source = (Path(cypher_neo4j.__file__).parents[1] / module).read_text()
    for keyword in ("MATCH ", "MERGE ", "CREATE ", "UNWIND ", "RETURN "):
        assert keyword not in source, f"inline Cypher ({keyword.strip()}) in {module}"


def test_adapter_statements_have_zero_diagnostics_and_a_planted_one_fails(
        lint_dir: Path) -> None:
    planted = [Statement("planted_undefined_variable", "MATCH (n:Entity) RETURN m"),
               Statement("planted_deprecated_id", "MATCH (n:Entity) RETURN id(n) AS i"),
               Statement("planted_undeclared_param", "MATCH (n:Entity {id: $nope}) RETURN n")]
    report = lint(lint_dir, [*neo4j_registry(), *planted])
    for bad in planted:
        assert report[bad.name], f"{bad.name} should have been reported"
    problems = {name: diags for name, diags in report.items()
                if diags and not name.startswith("planted_")}
    assert problems == {}
    assert len(report) == len(neo4j_registry()) + len(planted)
