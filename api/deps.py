"""Request dependencies: the service, the caller and what the caller may do."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Header, Query, Request

from api.auth import Principal, Scope, token_from_headers
from api.service import Service


def service(request: Request) -> Service:
    svc = request.app.state.service
    assert isinstance(svc, Service)
    return svc


def needs(scope: Scope) -> Callable[..., Principal]:
    """A dependency that authenticates the caller and checks one scope."""

    def check(
        request: Request,
        authorization: str | None = Header(None, description="Bearer <API key>"),
        x_api_key: str | None = Header(None, alias="X-API-Key"),
    ) -> Principal:
        principal = service(request).keys.authenticate(token_from_headers(authorization, x_api_key))
        principal.require(scope)
        return principal

    return check


def needs_for_reconcile(scope: Scope) -> Callable[..., Principal]:
    """OpenRefine cannot send headers, so /reconcile also takes ``?key=``."""

    def check(
        request: Request,
        key: str | None = Query(None, max_length=200, description="API key (for OpenRefine)"),
        authorization: str | None = Header(None),
        x_api_key: str | None = Header(None, alias="X-API-Key"),
    ) -> Principal:
        token = token_from_headers(authorization, x_api_key) or key
        principal = service(request).keys.authenticate(token)
        principal.require(scope)
        return principal

    return check
