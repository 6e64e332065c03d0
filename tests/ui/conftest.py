"""Browser-test fixtures: the demo data on a real embedded store, the app served by uvicorn
on 127.0.0.1, one headless Chromium for the session (Debian's package, installed here when
missing), axe-core from npm, and keys per role.

Chromium is Debian's ``chromium`` at /usr/bin/chromium, driven by Python Playwright through
``executable_path`` (Playwright's own browser download is never used). When it is missing and
we are root, the session installs it once with apt-get; otherwise the tests fail saying so.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ui_helpers import Browsing, login

from api.app import create_app
from api.auth import KeyStore, Role
from api.demo import demo_settings, load_demo_into
from api.settings import Settings
from graph.stores import open_store

UI_TESTS = Path(__file__).resolve().parent
ARTIFACTS = UI_TESTS.parents[1] / "test-artifacts" / "ui"
CHROMIUM = Path("/usr/bin/chromium")
# CJK glyphs for the Chinese names in screenshots (the UI itself needs no fonts installed)
APT_PACKAGES = ["chromium", "fonts-wqy-zenhei"]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def _install_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.geteuid() != 0:
        pytest.fail(f"{CHROMIUM} is missing and we are not root: run "
                    f"'apt-get install -y {' '.join(APT_PACKAGES)}'")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", *APT_PACKAGES]):
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            pytest.fail(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n"
                        f"{done.stderr[-3000:]}")
    if not CHROMIUM.exists():
        pytest.fail(f"apt-get installed {APT_PACKAGES} but {CHROMIUM} is still missing")


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's axe.min.js from tests/ui/node_modules (npm install on first use)."""
    script = UI_TESTS / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        if shutil.which("npm") is None:
            pytest.fail("npm is required to install axe-core for the accessibility check")
        done = subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=UI_TESTS,
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            pytest.fail(f"npm install in {UI_TESTS} failed:\n{done.stdout}\n{done.stderr}")
    return script.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def ui_demo(store_home: Path) -> Iterator[tuple[Settings, Any]]:
    """The bundled demo data in its own graph of the session's embedded FalkorDB."""
    settings = demo_settings(Settings(home=store_home, graph_name="x"))
    # the server keeps serving the store's generation (the tests publish their own on disk)
    settings = settings.model_copy(update={"graph_name": f"t_ui_{uuid.uuid4().hex[:10]}",
                                           "generation_poll_seconds": 0})
    store = open_store(settings.store_config())
    load_demo_into(store, settings)
    yield settings, store
    store.drop()
    store.close()


@pytest.fixture(scope="session")
def ui_keys(ui_demo: tuple[Settings, Any]) -> dict[str, str]:
    keys = KeyStore(ui_demo[0].home / "keys.json")
    return {role.value: keys.create(role, f"ui-{role.value}")[0] for role in Role}


@pytest.fixture(scope="session")
def base_url(ui_demo: tuple[Settings, Any]) -> Iterator[str]:
    """The real app (create_app) served by uvicorn on 127.0.0.1, on a free port."""
    import uvicorn

    settings, store = ui_demo
    app = create_app(settings, store=store)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False,
                                           loop="asyncio", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the UI test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)
    sock.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    _install_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def investigator(browser: Any, base_url: str, ui_keys: dict[str, str]) -> Iterator[Browsing]:
    """One signed-in investigator page for a test module."""
    context, page = login(browser, base_url, ui_keys["investigator"])
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield Browsing(page, errors)
    context.close()


@pytest.fixture(scope="session")
def two_generations(ui_demo: tuple[Settings, Any]) -> tuple[str, str]:
    """Two published generations of the demo: an earlier one in which the Hong Kong
    intermediate held 60 % of the joint venture (BODS statement), then the demo as it is."""
    from api.generations.build import BuildContext, build_artifact, evaluate_policies
    from api.generations.publish import publish
    from api.generations.run import compute_artifact
    from graph.control.policies import policies_in_force

    settings, store = ui_demo
    now = compute_artifact(settings, store)
    a = now.arrays
    ids = a.ids.astype(str)
    stake = next(i for i in range(len(a.owner))
                 if ids[a.owner[i]] == "bods:dp-hk" and ids[a.owned[i]] == "bods:nb-jv"
                 and str(a.edge_key[i]).startswith("bods|"))
    lo, hi = a.share_lo.copy(), a.share_hi.copy()
    lo[stake] = hi[stake] = 0.6
    then = dataclasses.replace(a, share_lo=lo, share_hi=hi)
    policies = policies_in_force(settings.policies, settings.policy_file)
    earlier = build_artifact(then, now.views, evaluate_policies(then, policies), now.provenance,
                             BuildContext(settings.graph_name, policies))
    publish(settings, earlier, force=True, notify=False)
    publish(settings, now, force=True, notify=False)
    return earlier.id, now.id
