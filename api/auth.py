"""API keys and roles.

Keys are random tokens shown once at creation; only a salted scrypt hash is kept at rest
(``<home>/keys.json``, mode 0600). A key is ``og_<key id>_<secret>`` so the hash to check is
found by id without scanning every stored key.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import threading
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
# in memory by their full-token digest (the cache never leaves the process).
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


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


class KeyStore:
    """Hashed API keys in one JSON file; thread-safe; caches successful checks."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._verified: dict[bytes, Principal] = {}
        self._mtime = 0.0
        self._keys = self._read()

    def _read(self) -> dict[str, ApiKey]:
        if not self.path.exists():
            return {}
        self._mtime = self.path.stat().st_mtime
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return {k["key_id"]: ApiKey(**{**k, "role": Role(k["role"])}) for k in raw["keys"]}
        except (ValueError, KeyError, TypeError) as exc:
            raise BadInput(f"{self.path}: not a valid key file ({exc})", file=str(self.path)) from exc

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        doc = {"keys": [{**asdict(k), "role": k.role.value} for k in self._keys.values()]}
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=1)
        os.replace(tmp, self.path)

    def _reload_if_changed(self) -> None:
        try:
            changed = self.path.stat().st_mtime != self._mtime
        except FileNotFoundError:
            return
        if changed:
            with self._lock:
                self._keys = self._read()

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
        with self._lock:
            self._keys = {**self._keys, key_id: record}
            self._write()
        return f"og_{key_id}_{secret}", record

    def revoke(self, key_id: str) -> bool:
        with self._lock:
            if key_id not in self._keys:
                return False
            self._keys = {k: v for k, v in self._keys.items() if k != key_id}
            self._verified = {d: p for d, p in self._verified.items() if p.key_id != key_id}
            self._write()
            return True

    def list(self) -> list[ApiKey]:
        return list(self._keys.values())

    def cached(self, token: str | None) -> Principal | None:
        """The principal of a key already verified in this process, else None."""
        if not token:
            return None
        return self._verified.get(hashlib.sha256(token.encode()).digest())

    def authenticate(self, token: str | None) -> Principal:
        if not token:
            raise Unauthorized("missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key'")
        digest = hashlib.sha256(token.encode()).digest()
        cached = self._verified.get(digest)
        if cached is not None:
            return cached
        parts = token.split("_", 2)
        key_id = parts[1] if len(parts) == 3 and parts[0] == "og" else ""
        if key_id and key_id not in self._keys:
            self._reload_if_changed()  # ``ownergraph keys create`` while the server runs
        record = self._keys.get(key_id)
        if record is None:
            raise Unauthorized("unknown API key")
        expected = _hash(parts[2], base64.b64decode(record.salt))
        if not hmac.compare_digest(expected, record.hash):
            raise Unauthorized("unknown API key")
        principal = Principal(record.key_id, record.role, record.name)
        with self._lock:
            self._verified = {**self._verified, digest: principal}
        return principal


def token_from_headers(authorization: str | None, x_api_key: str | None) -> str | None:
    if x_api_key:
        return x_api_key.strip()
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None
