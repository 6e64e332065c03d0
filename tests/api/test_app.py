"""The app's request layers: a body over OWNERGRAPH_MAX_BODY_BYTES is a 413 on every route,
whether its size was declared or it arrived in chunks (a streamed one gave 500 on the screen
fast path and 400 elsewhere)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app

LIMIT = 1000
ROUTES = ["/v1/screen", "/v1/screen/batch", "/v1/cypher", "/v1/keys", "/reconcile"]


@pytest.fixture(scope="module")
def small_body_client(demo_env: Any) -> Iterator[TestClient]:
    settings, store, _ = demo_env
    limited = settings.model_copy(update={"max_body_bytes": LIMIT})
    with TestClient(create_app(limited, store=store)) as client:
        yield client


def _chunks(total: int, size: int = 100) -> Iterator[bytes]:
    for _ in range(total // size):
        yield b" " * size


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("how", ["declared", "chunked"])
def test_over_limit_bodies_are_413(small_body_client: TestClient, tokens: dict[str, str],
                                   path: str, how: str) -> None:
    body = b" " * (LIMIT + 100)
    content: Any = body if how == "declared" else _chunks(LIMIT + 100)
    answer = small_body_client.post(path, content=content, headers={
        "Authorization": f"Bearer {tokens['admin']}", "Content-Type": "application/json"})
    assert answer.status_code == 413, answer.text
    assert answer.json()["code"] == "body_too_large"
    assert "OWNERGRAPH_MAX_BODY_BYTES" in answer.json()["message"]


def test_a_chunked_body_under_the_limit_is_read_whole(small_body_client: TestClient,
                                                      tokens: dict[str, str]) -> None:
    body = b'{"identifiers": {"gb_crn": "12345678"}}'

    def pieces() -> Iterator[bytes]:
        for i in range(0, len(body), 7):
            yield body[i:i + 7]

    answer = small_body_client.post("/v1/screen", content=pieces(), headers={
        "Authorization": f"Bearer {tokens['gateway']}", "Content-Type": "application/json"})
    assert answer.status_code == 200 and answer.json()["verdict"]
