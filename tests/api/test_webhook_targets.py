"""Where a webhook may go: https to a public address unless an admin allows a host; checked
when the watch is made and again on the address each delivery connects to."""

from __future__ import annotations

import httpx
import pytest

from api.webhook_targets import check_url, client, redacted
from graph.errors import BadInput

HTTPS = ["https"]


@pytest.mark.parametrize(("url", "why"), [
    ("http://93.184.216.34/hook", "webhooks go to https://"),
    ("file:///etc/passwd", "webhooks go to https://"),
    ("https://169.254.169.254/latest/meta-data/", "not a public address (169.254.169.254)"),
    ("https://127.0.0.1:8080/hook", "not a public address (127.0.0.1)"),
    ("https://[::1]/hook", "not a public address (::1)"),
    ("https://[::ffff:127.0.0.1]/hook", "not a public address"),
    ("https://[fe80::1]/hook", "not a public address"),
    ("https://10.1.2.3/hook", "not a public address (10.1.2.3)"),
    ("https://192.168.0.10/hook", "not a public address"),
    ("https://100.64.0.1/hook", "not a public address"),  # shared (carrier-grade NAT) space
    ("https://0.0.0.0/hook", "not a public address"),
    ("https://localhost/hook", "not a public address"),
    ("https://93.184.216.34:notaport/hook", "url:"),
])
def test_refused_targets_say_why(url: str, why: str) -> None:
    with pytest.raises(BadInput) as info:
        check_url(url, HTTPS, [])
    assert why in info.value.message and info.value.details["field"] == "url"


def test_public_https_and_admin_allowed_hosts_pass() -> None:
    assert check_url("https://93.184.216.34/hook", HTTPS, [])
    assert check_url("https://127.0.0.1:8443/hook", HTTPS, ["127.0.0.1"])
    assert check_url("http://127.0.0.1:8080/hook", ["http", "https"], ["127.0.0.1"])


@pytest.mark.parametrize(("url", "shown"), [
    ("https://user:pa55@hooks.example.org/in?token=abc&x=1",
     "https://***@hooks.example.org/in?token=***&x=***"),
    ("https://hooks.example.org:8443/in", "https://hooks.example.org:8443/in"),
    ("https://[2001:db8::1]/in?k=v", "https://[2001:db8::1]/in?k=***"),
])
def test_listings_redact_credentials(url: str, shown: str) -> None:
    assert redacted(url) == shown


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_delivery_never_connects_to_a_non_public_address(
        loopback_listener: tuple[int, list[object]], host: str) -> None:
    """What a name resolves to when the delivery connects is what counts (a name that was
    public when the watch was made may point at loopback later)."""
    port, seen = loopback_listener
    with client(2.0, []) as http, pytest.raises(httpx.ConnectError, match="not a public address"):
        http.post(f"http://{host}:{port}/hook", content=b"{}")
    assert seen == []
    with client(2.0, [host]) as http, pytest.raises(httpx.HTTPError):
        http.post(f"http://{host}:{port}/hook", content=b"{}")  # allowed: it connects
    assert len(seen) == 1
