"""Investigators' Cypher, read conservatively before any store sees it.

``check_investigator_query`` refuses, naming the clause, whatever could reach past the graph:
``LOAD CSV`` (files and URLs: the store would open outbound connections for anyone with the
query role), procedures other than the schema, index-search and graph-algorithm ones,
namespaced functions outside the built-in namespaces (plug-in libraries read files and URLs),
administration commands, ``USE`` of another database, transactions opened from a query, and
more than one statement. Both store adapters call it.

``limit_rows`` gives each final ``RETURN`` a ``LIMIT`` so a store stops producing rows past
the cap (a store that buffers its whole answer, FalkorDB, never builds a larger one).

The text is split into tokens first (strings, quoted names and comments are never read as
clauses); a query that cannot be split (an unterminated string or comment, unbalanced
brackets) is refused rather than guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graph.errors import QueryRefused

STATEMENT = "investigator_query"  # how errors name the query (as the adapters do)
# Procedures an investigator may call (lower case): schema, index searches, and algorithms
# that compute over the graph. Everything else (plug-ins, administration) is refused.
ALLOWED_PROCEDURES = frozenset({
    "db.labels", "db.relationshiptypes", "db.propertykeys", "db.indexes", "db.constraints",
    "db.meta.stats", "db.idx.fulltext.querynodes", "db.idx.fulltext.queryrelationships",
    "db.idx.vector.querynodes", "db.idx.vector.queryrelationships",
    "db.index.fulltext.querynodes", "db.index.fulltext.queryrelationships",
    "db.schema.visualization", "db.schema.nodetypeproperties", "db.schema.reltypeproperties",
})
ALLOWED_PROCEDURE_PREFIXES = ("algo.",)
# Namespaces of built-in functions (temporal, spatial, vector, string and list helpers).
ALLOWED_FUNCTION_NAMESPACES = frozenset({
    "date", "datetime", "localdatetime", "localtime", "time", "duration", "point", "vector",
    "vec", "string", "list", "math",
})
# Clauses that administer a server or leave the query's own graph.
ADMIN_CLAUSES = frozenset({"show", "terminate", "grant", "deny", "revoke", "alter", "start",
                           "stop", "drop", "enable", "dryrun", "use"})

_TOKEN = re.compile(r"""
      (?P<space>\s+)
    | (?P<line_comment>//[^\n]*)
    | (?P<block_comment>/\*.*?\*/)
    | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    | (?P<quoted>`(?:[^`]|``)*`)
    | (?P<param>\$(?:[^\W\d]\w*|\d+|`(?:[^`]|``)*`))
    | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    | (?P<word>[^\W\d]\w*)
    | (?P<punct>\.\.|<>|<=|>=|=~|->|<-|\+=|(?!/\*)[^\w\s'"`])
""", re.VERBOSE | re.DOTALL)
_OPENING = {"(": ")", "[": "]", "{": "}"}
_CLOSING = {v: k for k, v in _OPENING.items()}


@dataclass(frozen=True)
class Token:
    kind: str  # word | quoted | string | param | number | punct
    text: str
    start: int
    end: int
    depth: int  # brackets open around the token

    @property
    def keyword(self) -> str:
        """Lower-case text of a bare word ('' for anything else: a quoted name is a name)."""
        return self.text.lower() if self.kind == "word" else ""

    @property
    def name(self) -> str:
        """A name part, bare or quoted, as the store reads it."""
        if self.kind == "quoted":
            return self.text[1:-1].replace("``", "`")
        return self.text if self.kind == "word" else ""


def tokens(text: str) -> list[Token]:
    """The query's tokens with their bracket depth; QueryRefused when it cannot be split."""
    out: list[Token] = []
    stack: list[str] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise _refused(f"query refused: cannot read it at offset {pos} "
                           f"({_what_is_open(text, pos)})")
        kind = match.lastgroup or ""
        piece = match.group()
        pos = match.end()
        if kind in ("space", "line_comment", "block_comment"):
            continue
        if piece in _CLOSING:
            if not stack or stack[-1] != _CLOSING[piece]:
                raise _refused(f"query refused: unbalanced {piece!r} at offset {match.start()}")
            stack.pop()
        out.append(Token(kind, piece, match.start(), match.end(), len(stack)))
        if piece in _OPENING:
            stack.append(piece)
    if stack:
        raise _refused(f"query refused: {stack[-1]!r} is never closed")
    return out


def _what_is_open(text: str, pos: int) -> str:
    head = text[pos:pos + 2]
    if head.startswith(("'", '"')):
        return "a string that never ends"
    if head.startswith("`"):
        return "a quoted name that never ends"
    if head == "/*":
        return "a comment that never ends"
    return f"unexpected {head[:1]!r}"


def check_investigator_query(text: str) -> list[Token]:
    """Refuse (QueryRefused, naming the clause) anything that could reach files, the
    network, another database or the server's administration; the tokens otherwise."""
    toks = tokens(text)
    for i, tok in enumerate(toks):
        word = tok.keyword
        after = toks[i + 1] if i + 1 < len(toks) else None
        if word == "load" and after is not None and after.keyword == "csv":
            _refuse("LOAD CSV", "investigator queries may not read files or URLs")
        if word == "periodic" and after is not None and after.keyword == "commit":
            _refuse("USING PERIODIC COMMIT", "investigator queries are read-only")
        if word == "in" and after is not None and after.keyword == "transactions":
            _refuse("CALL { … } IN TRANSACTIONS", "investigator queries are read-only")
        if word in ADMIN_CLAUSES and _starts_clause(toks, i):
            _refuse(tok.text.upper(), "investigator queries read this graph only")
        if tok.text == ";" and any(t.kind != "punct" or t.text != ";" for t in toks[i + 1:]):
            _refuse("';' (a second statement)", "send one statement per query")
        if word == "call" and after is not None and after.name:
            procedure, _ = qualified_name(toks, i + 1)
            if not _procedure_allowed(procedure):
                _refuse(f"CALL {procedure}", "only schema, index-search and algo.* procedures "
                                             "are allowed in investigator queries")
        if tok.name and (i == 0 or toks[i - 1].keyword != "call") and not _in_name(toks, i):
            name, end = qualified_name(toks, i)
            if "." in name and end < len(toks) and toks[end].text == "(":
                namespace = name.split(".", 1)[0].lower()
                if namespace not in ALLOWED_FUNCTION_NAMESPACES:
                    _refuse(f"function {name}()", "only built-in functions are allowed in "
                                                  "investigator queries")
    return toks


def qualified_name(toks: Sequence[Token], i: int) -> tuple[str, int]:
    """The dotted name starting at token i (``db.idx.fulltext.queryNodes``) and the index
    of the token after it."""
    parts = [toks[i].name]
    j = i + 1
    while j + 1 < len(toks) and toks[j].text == "." and toks[j + 1].name:
        parts.append(toks[j + 1].name)
        j += 2
    return ".".join(parts), j


def _in_name(toks: Sequence[Token], i: int) -> bool:
    """Token i continues a dotted name already looked at (``b`` in ``a.b``)."""
    return i >= 2 and toks[i - 1].text == "." and bool(toks[i - 2].name)


def _starts_clause(toks: Sequence[Token], i: int) -> bool:
    """Token i stands where a clause starts: first, after '{' or after UNION [ALL]."""
    if i == 0:
        return True
    before = toks[i - 1]
    return before.text == "{" or before.keyword in ("union", "all") or before.text == ";"


def _procedure_allowed(name: str) -> bool:
    low = name.lower()
    return low in ALLOWED_PROCEDURES or low.startswith(ALLOWED_PROCEDURE_PREFIXES)


def _refuse(clause: str, why: str) -> None:
    raise _refused(f"query refused: {clause} is not allowed ({why})", clause=clause)


def _refused(message: str, **details: str) -> QueryRefused:
    return QueryRefused(message, query=STATEMENT, **details)


# ---------------------------------------------------------------- row limits


def limit_rows(text: str, limit: int, params: Mapping[str, Any] | None = None) -> str:
    """The query with every final RETURN limited to ``limit`` rows (a smaller LIMIT of its
    own is kept). A procedure call without RETURN gets ``RETURN <its YIELD names>``; one
    without YIELD is limited only when it lists the schema (bounded by the schema)."""
    toks = check_investigator_query(text)
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement) in the text
    for part in _union_parts(toks):
        edits.append(_limit_part(part, limit, params or {}))
    out = text
    for start, end, replacement in sorted(edits, reverse=True):
        out = out[:start] + replacement + out[end:]
    return out


def _union_parts(toks: Sequence[Token]) -> list[list[Token]]:
    parts: list[list[Token]] = [[]]
    for i, tok in enumerate(toks):
        if tok.depth == 0 and tok.keyword == "union":
            parts.append([])
        elif tok.depth == 0 and tok.keyword == "all" and i and toks[i - 1].keyword == "union":
            continue
        elif tok.text != ";":
            parts[-1].append(tok)
    return [p for p in parts if p]


def _limit_part(part: list[Token], limit: int, params: Mapping[str, Any]) -> tuple[int, int, str]:
    top = [t for t in part if t.depth == 0]
    returns = [i for i, t in enumerate(top) if t.keyword == "return"]
    end = part[-1].end
    if not returns:
        return end, end, _procedure_return(top, limit)
    tail = top[returns[-1]:]
    limits = [i for i, t in enumerate(tail) if t.keyword == "limit"]
    if not limits:
        return end, end, f"\nLIMIT {limit}"
    argument = [t for t in part if t.start >= tail[limits[-1]].end]
    value = _whole_number(argument, params)
    if value is None:
        raise _refused("query refused: LIMIT takes a whole number or a parameter holding "
                       "one in investigator queries", clause="LIMIT")
    return argument[0].start, argument[-1].end, str(min(value, limit))


def _whole_number(argument: Sequence[Token], params: Mapping[str, Any]) -> int | None:
    if len(argument) != 1:
        return None
    tok = argument[0]
    if tok.kind == "number" and tok.text.isdigit():
        return int(tok.text)
    if tok.kind == "param":
        value = params.get(tok.text[1:].strip("`"))
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    return None


SCHEMA_PROCEDURES = frozenset({"db.labels", "db.relationshiptypes", "db.propertykeys",
                               "db.indexes", "db.constraints", "db.meta.stats"})


def _procedure_return(top: Sequence[Token], limit: int) -> str:
    """What to append to a part without RETURN. Only a standalone procedure call gives
    rows without one; anything else gives none (a write is refused by the store)."""
    if not top or top[0].keyword != "call" or len(top) < 2 or not top[1].name:
        return ""
    procedure, _ = qualified_name(top, 1)
    yields = [i for i, t in enumerate(top) if t.keyword == "yield"]
    if not yields:
        if procedure.lower() in SCHEMA_PROCEDURES:
            return ""
        raise _refused(f"query refused: CALL {procedure} needs YIELD … (and RETURN …) so "
                       "that the row cap applies", clause=f"CALL {procedure}")
    names = _yield_names(top[yields[0] + 1:])
    return f"\nRETURN {', '.join(names)}\nLIMIT {limit}"


def _yield_names(items: Sequence[Token]) -> list[str]:
    """The names a YIELD list binds (``a``, ``b AS c`` -> a, c), up to WHERE."""
    names: list[str] = []
    current: list[Token] = []
    for tok in [*items, Token("punct", ",", 0, 0, 0)]:
        if tok.keyword == "where":
            break
        if tok.text == ",":
            if current:
                names.append(current[-1].text)
            current = []
        else:
            current.append(tok)
    if current:
        names.append(current[-1].text)
    if not names or "*" in names:
        raise _refused("query refused: YIELD * cannot be limited; name the columns",
                       clause="YIELD *")
    return names
