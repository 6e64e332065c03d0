"""The embedded server manager: layout, secrets, reuse, clean stop, clear errors."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from graph.errors import BadInput
from graph.falkordb.server import MAX_SOCKET_PATH, EmbeddedServer


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    """One started server shared by the read-only checks (a stop takes ~3 s of module exit)."""
    srv = EmbeddedServer(tmp_path_factory.mktemp("srv"))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmbeddedServer]:
    srv = EmbeddedServer(tmp_path)
    yield srv
    srv.stop()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_start_lays_out_private_files_and_no_tcp_port(running: EmbeddedServer) -> None:
    server = running
    status = server.start()
    lay = server.layout
    assert status.running and status.pid == server.pid()
    assert _mode(lay.password_file) == 0o600 and _mode(lay.conf) == 0o600
    assert stat.S_ISSOCK(lay.socket.stat().st_mode) and _mode(lay.socket) == 0o700
    conn = server.client()
    assert conn.config_get("port") == {"port": "0"}
    assert conn.config_get("appendonly") == {"appendonly": "yes"}
    assert conn.config_get("appendfsync") == {"appendfsync": "everysec"}
    # The secret is only in 0600 files, never on the command line.
    assert server.password() not in " ".join(Path(f"/proc/{status.pid}/cmdline")
                                             .read_text().split("\0"))


def test_a_healthy_running_instance_is_reused(running: EmbeddedServer) -> None:
    first = running.status()
    again = EmbeddedServer(running.layout.root.parent).start()
    assert again.pid == first.pid


def test_wrong_password_is_refused(running: EmbeddedServer) -> None:
    intruder = redis.Redis(unix_socket_path=str(running.layout.socket), password="guess")
    with pytest.raises(redis.AuthenticationError):
        intruder.ping()


def test_stop_is_clean_and_idempotent(server: EmbeddedServer) -> None:
    pid = server.start().pid
    assert server.stop() is True
    status = server.status()
    assert not status.running and status.pid is None
    assert not server.layout.pidfile.exists() and not server.layout.socket.exists()
    assert server.stop() is False
    assert server.start().pid != pid  # and it starts again


def test_stale_pid_file_does_not_block_a_start(server: EmbeddedServer) -> None:
    server.layout.root.mkdir(parents=True)
    server.layout.pidfile.write_text("999999999\n")
    assert server.start().running


def test_home_too_deep_for_a_unix_socket_is_a_clear_error(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * (MAX_SOCKET_PATH - len(str(tmp_path))))
    with pytest.raises(BadInput, match="too deep for a unix socket.*OWNERGRAPH_HOME"):
        EmbeddedServer(deep)


def test_unknown_appendfsync_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="appendfsync"):
        EmbeddedServer(tmp_path, appendfsync="no")
