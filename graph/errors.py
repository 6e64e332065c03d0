"""The error hierarchy. Each error carries the HTTP status the API maps it to (in one place)."""

from __future__ import annotations


class OwnergraphError(Exception):
    status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class BadInput(OwnergraphError):
    """A file, record or request field is not what it should be."""

    status = 422
    code = "bad_input"


class UnknownName(BadInput):
    """A name (policy, format, scheme) that is not one of the known ones."""

    status = 400
    code = "unknown_name"


class NotFound(OwnergraphError):
    status = 404
    code = "not_found"


class Unauthorized(OwnergraphError):
    status = 401
    code = "unauthorized"


class Forbidden(OwnergraphError):
    status = 403
    code = "forbidden"


class Conflict(OwnergraphError):
    status = 409
    code = "conflict"


class StoreUnavailable(OwnergraphError):
    """The graph store cannot be reached or started."""

    status = 503
    code = "store_unavailable"


class QueryFailed(OwnergraphError):
    """A Cypher statement failed; the message names the query."""

    status = 400
    code = "query_failed"


class QueryTimeout(QueryFailed):
    status = 408
    code = "query_timeout"


class QueryRefused(QueryFailed):
    """An investigator's query holds a clause that is not allowed (files, URLs, plug-ins,
    administration) or cannot be read safely; refused before any store sees it. The
    message names the clause."""

    status = 422
    code = "query_refused"


class NotReady(OwnergraphError):
    """No generation has been published yet."""

    status = 503
    code = "not_ready"
