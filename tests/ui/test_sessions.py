"""Session login without a browser: cookie flags, CSRF, redirects, revocation, the secret
file; through the real app on the demo data (TestClient, real embedded store)."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import KeyStore, Principal, Role
from api.settings import Settings
from api.ui.sessions import IDLE_SECONDS, MAX_AGE_SECONDS, SessionStore


@pytest.fixture(scope="module")
def app_client(ui_demo: tuple[Settings, Any]) -> Iterator[TestClient]:
    settings, store = ui_demo
    with TestClient(create_app(settings, store=store), follow_redirects=False) as client:
        yield client


def sign_in(client: TestClient, key: str, next_page: str = "/ui/") -> Any:
    client.cookies.clear()
    return client.post("/ui/login", data={"api_key": key, "next": next_page})


def test_login_sets_strict_httponly_session_and_csrf_cookies(
        app_client: TestClient, ui_keys: dict[str, str]) -> None:
    answer = sign_in(app_client, ui_keys["investigator"])
    assert answer.status_code == 303 and answer.headers["location"] == "/ui/"
    cookies = answer.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("og_session="))
    csrf = next(c for c in cookies if c.startswith("og_csrf="))
    assert "HttpOnly" in session and "SameSite=strict" in session and "Path=/" in session
    assert "HttpOnly" not in csrf and "SameSite=strict" in csrf
    assert ui_keys["investigator"] not in " ".join(cookies)
    page = app_client.get("/ui/")
    assert page.status_code == 200 and "ui-investigator" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


@pytest.mark.parametrize(("key", "status"), [("og_nope_nope", 401), ("", 401)])
def test_bad_keys_are_refused_with_a_message(app_client: TestClient, key: str,
                                              status: int) -> None:
    answer = sign_in(app_client, key)
    assert answer.status_code == status and "not valid" in answer.text
    assert "og_session" not in answer.headers.get("set-cookie", "")


@pytest.mark.parametrize("target", ["//evil.example/ui/", "https://evil.example/ui/",
                                    "/v1/entities/x", "/ui/entity/bods:lion?policy=cn-majority"])
def test_after_login_only_our_pages(app_client: TestClient, ui_keys: dict[str, str],
                                    target: str) -> None:
    location = sign_in(app_client, ui_keys["investigator"], target).headers["location"]
    assert location == (target if target.startswith("/ui/") else "/ui/")


def test_cross_site_login_form_is_refused(app_client: TestClient,
                                          ui_keys: dict[str, str]) -> None:
    app_client.cookies.clear()
    answer = app_client.post("/ui/login", data={"api_key": ui_keys["investigator"]},
                             headers={"Origin": "https://evil.example"})
    assert answer.status_code == 403 and "og_session" not in answer.headers.get("set-cookie", "")


def test_cookie_requests_need_csrf_to_change_state_and_keep_their_role(
        app_client: TestClient, ui_keys: dict[str, str]) -> None:
    sign_in(app_client, ui_keys["investigator"])
    csrf = app_client.cookies["og_csrf"]
    assert app_client.get("/v1/review").status_code == 200  # reads need no token
    screen = {"identifiers": {"gb_crn": "12345678"}}
    refused = app_client.post("/v1/screen", json=screen)  # the screen fast path too
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    wrong = app_client.post("/v1/screen", json=screen, headers={"X-CSRF-Token": "0" * 64})
    assert wrong.status_code == 403
    ok = app_client.post("/v1/screen", json=screen, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200 and ok.json()["entity"]["name"].startswith("Northbridge")
    # the cookie never overrides a key sent by the caller: a gateway key stays a gateway key
    as_gateway = app_client.get("/v1/review", headers={"X-API-Key": ui_keys["gateway"]})
    assert as_gateway.status_code == 403
    assert app_client.post("/v1/cypher", json={"query": "RETURN 1"},
                           headers={"X-CSRF-Token": csrf}).status_code == 200
    sign_in(app_client, ui_keys["gateway"])
    assert app_client.post("/v1/cypher", json={"query": "RETURN 1"}, headers={
        "X-CSRF-Token": app_client.cookies["og_csrf"]}).status_code == 403


def test_pages_without_a_session_redirect_to_login(app_client: TestClient) -> None:
    app_client.cookies.clear()
    answer = app_client.get("/ui/entity/bods:lion")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui/login?next=%2Fui%2Fentity%2Fbods%3Alion"
    app_client.cookies.set("og_session", "forged")
    assert app_client.get("/ui/review").status_code == 303
    assert app_client.get("/v1/review").status_code == 401


def test_revoking_the_key_ends_the_session(app_client: TestClient, ui_demo: Any) -> None:
    keys = app_client.app.state.service.keys  # type: ignore[attr-defined]
    token, record = keys.create(Role.INVESTIGATOR, "short-lived")
    sign_in(app_client, token)
    assert app_client.get("/v1/review").status_code == 200
    keys.revoke(record.key_id)
    assert app_client.get("/v1/review").status_code == 401


def test_logout_drops_the_session(app_client: TestClient, ui_keys: dict[str, str]) -> None:
    sign_in(app_client, ui_keys["investigator"])
    sid, csrf = app_client.cookies["og_session"], app_client.cookies["og_csrf"]
    answer = app_client.post("/ui/logout", data={"csrf": csrf})
    assert answer.status_code == 303 and answer.headers["location"] == "/ui/login"
    app_client.cookies.set("og_session", sid)  # replaying the old cookie does not work
    assert app_client.get("/v1/review").status_code == 401


def test_secret_file_is_private_and_stable(tmp_path: Path) -> None:
    first = SessionStore(tmp_path)
    token = first.csrf("session-1")
    path = tmp_path / "ui-secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert SessionStore(tmp_path).csrf("session-1") == token  # same secret after a restart
    assert first.csrf("session-2") != token
    assert not first.csrf_ok("session-1", None) and not first.csrf_ok("session-1", "x")


def test_sessions_expire_when_idle_and_after_their_maximum_age(tmp_path: Path) -> None:
    now = [1000.0]
    store = SessionStore(tmp_path, clock=lambda: now[0])
    principal = Principal("x", Role.INVESTIGATOR, "x")
    idle = store.create("og_x_y", principal)
    now[0] += IDLE_SECONDS - 1
    assert store.get(idle) is not None  # use keeps it alive
    now[0] += IDLE_SECONDS + 1
    assert store.get(idle) is None
    busy = store.create("og_x_y", principal)
    for _ in range(int(MAX_AGE_SECONDS // 3600) - 1):
        now[0] += 3600
        assert store.get(busy) is not None
    now[0] += 3601
    assert store.get(busy) is None  # used every hour, still ends after the maximum age


def test_an_app_without_sessions_configured_does_not_touch_the_disk(tmp_path: Path) -> None:
    create_app(Settings(home=tmp_path / "home"), open_store=False)
    assert not (tmp_path / "home").exists()


def test_keystore_file_untouched_by_login(app_client: TestClient, ui_demo: Any,
                                          ui_keys: dict[str, str]) -> None:
    keys_file = ui_demo[0].home / "keys.json"
    before = keys_file.read_bytes()
    sign_in(app_client, ui_keys["admin"])
    assert keys_file.read_bytes() == before
    assert KeyStore(keys_file).list()  # still a valid key file
