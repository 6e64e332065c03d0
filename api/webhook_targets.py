"""Where a webhook may be sent: https (by default) to a host on the public internet.

A watch can be registered by any gateway key, so its URL is someone else's choice of where
this server connects: not loopback, private, link-local (cloud metadata), or any other
non-public address, unless an admin names the host in OWNERGRAPH_WEBHOOK_ALLOWED_HOSTS. The
URL is checked when the watch is made, and the address is checked again when each delivery
connects, on the address the connection actually uses (a name that resolved to a public
address at registration and to a private one later is refused then).
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from typing import Any
from urllib.parse import SplitResult, urlsplit, urlunsplit

import certifi
import httpcore
import httpx

from graph.errors import BadInput

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public(address: Address) -> bool:
    """An address on the public internet (an IPv4 address inside IPv6 is judged as IPv4)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _allowed(host: str, allowed_hosts: list[str]) -> bool:
    return host.lower().strip("[]") in {h.lower().strip("[]") for h in allowed_hosts}


def resolve(host: str, port: int) -> list[Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise BadInput(f"url: host {host!r} does not resolve ({exc})", field="url") from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def check_url(url: str, schemes: list[str], allowed_hosts: list[str]) -> str:
    """The URL when a webhook may go there; BadInput naming the reason otherwise."""
    parsed = urlsplit(url)
    if parsed.scheme not in schemes or not parsed.hostname:
        raise BadInput(f"url: webhooks go to {' or '.join(s + '://' for s in schemes)} URLs "
                       "(OWNERGRAPH_WEBHOOK_SCHEMES)", field="url")
    host = parsed.hostname
    if _allowed(host, allowed_hosts):
        return url
    for address in resolve(host, _port(parsed)):
        if not is_public(address):
            raise BadInput(f"url: {host} is not a public address ({address}); an admin may allow "
                           "the host with OWNERGRAPH_WEBHOOK_ALLOWED_HOSTS", field="url")
    return url


def _port(parsed: SplitResult) -> int:
    try:
        port = parsed.port
    except ValueError as exc:
        raise BadInput(f"url: {exc}", field="url") from exc
    return port or (443 if parsed.scheme == "https" else 80)


def redacted(url: str) -> str:
    """The URL as listings show it: no user name or password, no query values."""
    parsed = urlsplit(url)
    netloc = parsed.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if parsed.port is not None:
        netloc += f":{parsed.port}"
    if parsed.username or parsed.password:
        netloc = "***@" + netloc
    query = "&".join(part.split("=", 1)[0] + "=***" if part else part
                     for part in parsed.query.split("&")) if parsed.query else ""
    return urlunsplit((parsed.scheme, netloc, parsed.path, query, ""))


class _PublicOnly(httpcore.SyncBackend):
    """Connects only to public addresses (or to hosts an admin allowed), checking the
    address it connects to, not an earlier lookup of the name."""

    def __init__(self, allowed_hosts: list[str]) -> None:
        self.allowed_hosts = allowed_hosts

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:
        if _allowed(host, self.allowed_hosts):
            return super().connect_tcp(host, port, timeout, local_address, socket_options)
        try:
            addresses = resolve(host, port)
        except BadInput as exc:
            raise httpcore.ConnectError(exc.message) from exc
        public = [a for a in addresses if is_public(a)]
        if not public:
            raise httpcore.ConnectError(f"refused: {host} is not a public address "
                                        f"({addresses[0] if addresses else 'none'})")
        return super().connect_tcp(str(public[0]), port, timeout, local_address, socket_options)


def client(timeout_s: float, allowed_hosts: list[str]) -> httpx.Client:
    """An HTTP client whose every connection goes through the address check; no proxy from
    the environment, no redirects."""
    transport = httpx.HTTPTransport()
    transport._pool = httpcore.ConnectionPool(  # the same pool, on the checking backend
        ssl_context=ssl.create_default_context(cafile=certifi.where()),
        network_backend=_PublicOnly(allowed_hosts))
    return httpx.Client(transport=transport, timeout=timeout_s, follow_redirects=False,
                        trust_env=False)
