"""Request dependencies: the service, the caller and what the caller may do."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Query, Request

from api.auth import Principal, Scope, token_from_headers
from api.service import Service


def service(request: Request) -> Service:
    svc = request.app.state.service
    assert isinstance(svc, Service)
    return svc


async def _authenticate(request: Request, token: str | None) -> Principal:
    """A cached key is a dictionary lookup; a first sight costs one scrypt (~50 ms), which
    runs on the key store's own thread so the event loop never stalls on it."""
    return await service(request).keys.check(token)


def needs(scope: Scope) -> Callable[..., Awaitable[Principal]]:
    """A dependency that authenticates the caller and checks one scope."""

    async def check(request: Request) -> Principal:
        # headers read directly: declared as security schemes in the OpenAPI document
        headers = request.headers
        token = token_from_headers(headers.get("authorization"), headers.get("x-api-key"))
        principal = await _authenticate(request, token)
        principal.require(scope)
        return principal

    return check


def needs_for_reconcile(scope: Scope) -> Callable[..., Awaitable[Principal]]:
    """OpenRefine cannot send headers, so /reconcile also takes ``?key=``."""

    async def check(
        request: Request,
        key: str | None = Query(None, max_length=200, description="API key (for OpenRefine)"),
    ) -> Principal:
        headers = request.headers
        token = token_from_headers(headers.get("authorization"), headers.get("x-api-key")) or key
        principal = await _authenticate(request, token)
        principal.require(scope)
        return principal

    return check
