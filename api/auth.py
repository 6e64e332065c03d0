"""API keys and roles.

Keys are random tokens shown once at creation; only a salted scrypt hash is kept at rest
(``<home>/keys.json``, mode 0600). A key is ``og_<key id>_<secret>`` so the hash to check is
found by id without scanning every stored key.
"""

from __future__ import annotations

import base64
import datetime as dt
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path

from graph.errors import BadInput, Forbidden, Unauthorized


class Role(StrEnum):
    GATEWAY = "gateway"
    INVESTIGATOR = "investigator"
    ADMIN = "admin"


class Scope(StrEnum):
    """What an endpoint needs; each role is granted a fixed set of scopes."""

    SCREEN = "screen"  # screening and name search
    READ = "read"  # entities, owners, paths, provenance, review queue, runs
    QUERY = "query"  # investigator Cypher
    JUDGE = "judge"  # merge / split decisions
    INGEST = "ingest"  # start runs
    KEYS = "keys"  # manage keys


ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.GATEWAY: frozenset({Scope.SCREEN}),
    Role.INVESTIGATOR: frozenset({Scope.SCREEN, Scope.READ, Scope.QUERY, Scope.JUDGE}),
    Role.ADMIN: frozenset(Scope),
}

# scrypt cost: ~10 ms per check would dominate a 1 ms screen, so verified keys are cached
# in memory by their full-token digest (the cache never leaves the process), and checked
# against the key file on every use: a key revoked by any process stops working at once.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
# A key that is not in the file costs the same scrypt as a wrong secret (no key-id oracle).
_UNKNOWN_SALT = b"ownergraph-unknown-key-id-salt!!"
# Servers check keys they have not seen on this many threads of their own: a flood of bad
# keys then takes one core at most, never the screens' share of the machine, and never the
# request thread pool.
CHECK_THREADS = 1


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    role: Role
    name: str
    created: str
    salt: str
    hash: str


@dataclass(frozen=True)
class Principal:
    key_id: str
    role: Role
    name: str

    def require(self, scope: Scope) -> None:
        if scope not in ROLE_SCOPES[self.role]:
            raise Forbidden(f"role {self.role.value!r} may not {scope.value}", role=self.role.value)


def _hash(secret: str, salt: bytes) -> str:
    digest = hashlib.scrypt(secret.encode(), salt=salt, dklen=32, **_SCRYPT)
    return base64.b64encode(digest).decode()


FileVersion = tuple[int, int, int, int]  # inode, size, mtime_ns, ctime_ns
_UNREAD: FileVersion = (-1, -1, -1, -1)
_NO_FILE: FileVersion = (0, 0, 0, 0)


class KeyStore:
    """Hashed API keys in one JSON file; thread-safe; caches successful checks.

    The file is the truth: every use compares its version (inode, size, times: each write
    replaces the file) with the one the keys were read from, and re-reads it when it moved.
    Writers (this process, the CLI, another server) change it under an exclusive lock on
    ``keys.json.lock``, re-reading it first, so no writer puts back a set it read earlier."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._verified: dict[bytes, Principal] = {}
        self._version = _UNREAD
        self._keys: dict[str, ApiKey] = {}
        self._checks: ThreadPoolExecutor | None = None
        self._refresh()

    # -- the file -------------------------------------------------------------------------

    def _file_version(self) -> FileVersion:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return _NO_FILE
        return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)

    def _refresh(self) -> dict[str, ApiKey]:
        """The keys as the file holds them now; checks verified before a change are kept
        only for keys that are still there, unchanged."""
        version = self._file_version()
        if version == self._version:
            return self._keys
        with self._lock:
            if version != self._version:
                keys = self._read()
                self._verified = {d: p for d, p in self._verified.items()
                                  if _same_key(self._keys.get(p.key_id), keys.get(p.key_id))}
                self._keys, self._version = keys, version
            return self._keys

    def _read(self) -> dict[str, ApiKey]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        try:
            raw = json.loads(text)
            return {k["key_id"]: ApiKey(**{**k, "role": Role(k["role"])}) for k in raw["keys"]}
        except (ValueError, KeyError, TypeError) as exc:
            raise BadInput(f"{self.path}: not a valid key file ({exc})", file=str(self.path)) from exc

    def _write(self, keys: dict[str, ApiKey]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        doc = {"keys": [{**asdict(k), "role": k.role.value} for k in keys.values()]}
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    @contextmanager
    def _changing(self) -> Iterator[dict[str, ApiKey]]:
        """Read-modify-write: the keys on disk now, under the file lock; what the block
        leaves in the dict is written back before the lock is released."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path.with_name(self.path.name + ".lock"),
                     os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            keys = dict(self._read())
            yield keys
            self._write(keys)
        finally:
            os.close(fd)
        self._refresh()

    # -- keys -----------------------------------------------------------------------------

    def create(self, role: Role | str, name: str = "") -> tuple[str, ApiKey]:
        """A new key; returns the token (shown once) and its stored record."""
        try:
            role = Role(role)
        except ValueError as exc:
            known = ", ".join(r.value for r in Role)
            raise BadInput(f"unknown role {role!r}; known roles: {known}", field="role") from exc
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(24)
        salt = secrets.token_bytes(16)
        record = ApiKey(
            key_id=key_id, role=role, name=name or role.value,
            created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            salt=base64.b64encode(salt).decode(), hash=_hash(secret, salt),
        )
        with self._changing() as keys:
            keys[key_id] = record
        return f"og_{key_id}_{secret}", record

    def revoke(self, key_id: str) -> bool:
        with self._changing() as keys:
            found = keys.pop(key_id, None) is not None
        return found

    def list(self) -> list[ApiKey]:
        return list(self._refresh().values())

    def cached(self, token: str | None) -> Principal | None:
        """The principal of a key already verified in this process and still in the key
        file, else None."""
        if not token:
            return None
        self._refresh()
        return self._verified.get(hashlib.sha256(token.encode()).digest())

    def authenticate(self, token: str | None) -> Principal:
        if not token:
            raise Unauthorized("missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key'")
        digest = hashlib.sha256(token.encode()).digest()
        keys = self._refresh()
        cached = self._verified.get(digest)
        if cached is not None:
            return cached
        parts = token.split("_", 2)
        key_id = parts[1] if len(parts) == 3 and parts[0] == "og" else ""
        record = keys.get(key_id)
        salt = base64.b64decode(record.salt) if record is not None else _UNKNOWN_SALT
        expected = _hash(parts[-1], salt)
        if record is None or not hmac.compare_digest(expected, record.hash):
            raise Unauthorized("unknown API key")
        principal = Principal(record.key_id, record.role, record.name)
        with self._lock:
            if self._keys.get(record.key_id) == record:  # not revoked while we hashed
                self._verified = {**self._verified, digest: principal}
        return principal


    async def check(self, token: str | None) -> Principal:
        """``authenticate`` for the event loop: a cached key answers at once; one not yet
        seen waits for the key-checking thread."""
        cached = self.cached(token)
        if cached is not None:
            return cached
        if self._checks is None:
            self._checks = ThreadPoolExecutor(CHECK_THREADS, thread_name_prefix="key-check")
        import asyncio  # the CLI checks keys without an event loop

        return await asyncio.get_running_loop().run_in_executor(
            self._checks, self.authenticate, token)

    def close(self) -> None:
        if self._checks is not None:
            self._checks.shutdown(wait=False, cancel_futures=True)


def _same_key(before: ApiKey | None, after: ApiKey | None) -> bool:
    return before is not None and before == after


def token_from_headers(authorization: str | None, x_api_key: str | None) -> str | None:
    if x_api_key:
        return x_api_key.strip()
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None
