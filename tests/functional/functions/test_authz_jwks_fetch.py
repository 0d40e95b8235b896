"""The authorizer's own JWKS client (authz/jwks.py): how it talks TLS (checks on for https, no CA
bundle loaded per fetch), that it follows no redirect, how it reads a key set (the rules PyJWT's
PyJWKSet/PyJWKClient applied), and that a cold start no longer imports PyJWT (issue 22, point 6)."""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType
from typing import Any

import pytest
from authz.jwks import Jwks

from tests.functional.functions import support
from tests.functional.functions.test_authorizer import decide_token


def test_https_jwks_keeps_certificate_and_host_checks() -> None:
    client = Jwks(
        "https://cognito-idp.example.com/p/.well-known/jwks.json", lifespan=60, cooldown=30, timeout=3
    )
    context = client.ssl_context
    assert context is not None
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 0  # the default CA bundle


def test_plain_http_jwks_fetches_load_no_ca_bundle(
    monkeypatch: pytest.MonkeyPatch,
    authorizer_app: ModuleType,
    tokens: support.TokenFactory,
    jwks: support.JwksServer,
) -> None:
    """Without a context of its own, urllib's opener builds its default HTTPS handler on every
    fetch, loading the CA bundle (~20 ms of each cold start) for a URL that never uses TLS."""
    loads: list[str] = []
    load_default_certs = ssl.SSLContext.load_default_certs

    def recording(context: ssl.SSLContext, *args: Any, **kwargs: Any) -> None:
        loads.append("load_default_certs")
        load_default_certs(context, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "load_default_certs", recording)
    with support.fake_monotonic(monkeypatch) as now:
        assert decide_token(authorizer_app, tokens.token())[0] == "allow"  # builds the client, fetches
        now[0] += 3601  # the JWKS cache expires: fetched again
        assert decide_token(authorizer_app, tokens.token())[0] == "allow"
    assert jwks.requests == 2
    assert loads == []
    context = authorizer_app.get_authorizer().verifier.jwks.ssl_context
    assert context.verify_mode == ssl.CERT_REQUIRED  # never used; would refuse every certificate


class _Redirecting:
    """Answers the JWKS path with a redirect to a second path that serves a valid key set."""

    def __init__(self, key: support.SigningKey) -> None:
        self.paths: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.paths.append(self.path)
                if self.path.endswith("/moved.json"):
                    body = json.dumps({"keys": [key.jwk()]}).encode()
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.send_response(302)
                self.send_header("Location", f"/{support.POOL_ID}/moved.json")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/{support.POOL_ID}/.well-known/jwks.json"
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def redirecting(signing_key: support.SigningKey) -> Iterator[_Redirecting]:
    server = _Redirecting(signing_key)
    yield server
    server.close()


def test_a_redirect_is_not_followed(
    monkeypatch: pytest.MonkeyPatch,
    authorizer_app: ModuleType,
    tokens: support.TokenFactory,
    redirecting: _Redirecting,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The keys come from the configured URL or not at all (PyJWKClient refused redirects too)."""
    monkeypatch.setenv("JWKS_URL", redirecting.url)
    authorizer_app.reset()
    capsys.readouterr()
    assert decide_token(authorizer_app, tokens.token())[0] == "unauthorized"
    assert '"reason":"jwks_unavailable"' in capsys.readouterr().out
    assert redirecting.paths == [f"/{support.POOL_ID}/.well-known/jwks.json"]


def _served(monkeypatch: pytest.MonkeyPatch, app: ModuleType, faulty_jwks: Any, keys: list[Any]) -> None:
    faulty_jwks.set("ok", jwks=keys)
    monkeypatch.setenv("JWKS_URL", faulty_jwks.url)
    app.reset()


def _reason(app: ModuleType, token: str, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    result = decide_token(app, token)[0]
    line = [json.loads(x) for x in capsys.readouterr().out.splitlines() if '"authorizer decision"' in x][-1]
    return result if result != "unauthorized" else line["reason"]


def test_the_key_set_is_read_as_pyjwt_read_it(  # noqa: PLR0917 - pytest fixtures
    monkeypatch: pytest.MonkeyPatch,
    authorizer_app: ModuleType,
    tokens: support.TokenFactory,
    other_key: support.SigningKey,
    faulty_jwks: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """First key per kid wins; `use: enc` keys and keys without a kid are not signing keys; an RSA
    key that does not parse is skipped (a later one under its kid counts); a key of another
    algorithm or type, or with private parts, is published but unusable. (Two differences from
    PyJWT, both refusals: a key of another type is not parsed, so a malformed EC key still takes its
    kid; and an RSA key whose numbers are not strings is skipped, where PyJWT failed the whole set.)"""
    good = tokens.key.jwk()
    other = support.SigningKey("k-other", other_key.private).jwk()
    keys = [
        {**good, "kid": "broken", "n": 17},  # does not parse: skipped ...
        {**good, "kid": "broken"},  # ... so this one, under the same kid, is the one
        good,
        {**other, "kid": tokens.key.kid},  # second under key-1: ignored
        {**other, "kid": "enc", "use": "enc"},
        {**other, "kid": "rs384", "alg": "RS384"},
        {**other, "kid": "private", "d": other["n"]},
        {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"},
        {**other, "kid": ""},
        {**other, "kid": "no-alg", "alg": None},  # an RSA key without alg is RS256 (PyJWK's default)
    ]
    _served(monkeypatch, authorizer_app, faulty_jwks, keys)
    signed_by_other = {
        kid: tokens.token(key=support.SigningKey(kid, other_key.private))
        for kid in ("enc", "rs384", "private", "ec", "no-alg")
    }
    assert _reason(authorizer_app, tokens.token(), capsys) == "allow"
    assert (
        _reason(authorizer_app, tokens.token(key=support.SigningKey("broken", tokens.key.private)), capsys)
        == "allow"
    )
    assert (
        _reason(
            authorizer_app, tokens.token(key=support.SigningKey(tokens.key.kid, other_key.private)), capsys
        )
        == "bad_signature"
    )
    assert _reason(authorizer_app, signed_by_other["enc"], capsys) == "unknown_kid"
    assert _reason(authorizer_app, signed_by_other["rs384"], capsys) == "key_not_rs256"
    assert _reason(authorizer_app, signed_by_other["private"], capsys) == "key_not_rs256"
    assert _reason(authorizer_app, signed_by_other["ec"], capsys) == "key_not_rs256"
    assert _reason(authorizer_app, signed_by_other["no-alg"], capsys) == "allow"
    assert faulty_jwks.take_requests() == 1  # one fetch: every kid above was answered from it


def test_a_cold_start_imports_neither_pyjwt_nor_cryptographys_x509() -> None:
    """What the first decision imports and the sample-style authorizer does not (issue 22): PyJWT's
    `jwt.algorithms` pulled in cryptography's x509, serialization and EC/EdDSA modules, ~20-30 ms
    of CPU at every cold start (docs/benchmarks.md). The authorizer needs RSA, padding and SHA-256."""
    code = (
        "import sys; import app; import authz.jwks, authz.verify, authz.decide; "
        "print(sorted(m for m in sys.modules if m == 'jwt' or m.startswith(('jwt.', 'cryptography.x509', "
        "'cryptography.hazmat.primitives.serialization', 'cryptography.hazmat.primitives.asymmetric.ec'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=support.FUNCTIONS_DIR / "authorizer",
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "AWS_REGION": support.REGION},
    )
    assert json.loads(done.stdout.replace("'", '"')) == []
