"""Property-based tests of the whole HTTP API from its own OpenAPI document (schemathesis):
no 5xx for any generated request, and every response matches the documented schema.

Requests go through the session's TestClient, so they hit the app serving the demo
generation from the real embedded store."""

from __future__ import annotations

from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from api.app import create_app
from api.settings import Settings

# The document only: building it runs no lifespan, opens no store.
schema = schemathesis.openapi.from_dict(create_app(Settings()).openapi())
AUTH_HEADERS = {"authorization", "x-api-key"}


def send(client: TestClient, case: Any, token: str) -> Any:
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    headers = {k: v for k, v in kwargs.pop("headers").items() if k.lower() not in AUTH_HEADERS}
    headers["Authorization"] = f"Bearer {token}"
    kwargs.pop("cookies", None)
    data = kwargs.pop("data", None)
    if isinstance(data, bytes | str):
        kwargs["content"] = data
    elif data is not None:
        kwargs["data"] = data
    return client.request(headers=headers, follow_redirects=False, **kwargs)


@schema.parametrize()
@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_never_5xx_and_matches_schema(case: Any, client: TestClient,
                                          tokens: dict[str, str]) -> None:
    response = send(client, case, tokens["admin"])
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
