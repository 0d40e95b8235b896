"""How the authorizer's JWKS client talks TLS: checks on for https, no CA bundle loaded per fetch."""

from __future__ import annotations

import ssl
from types import ModuleType
from typing import Any

import pytest
from authz.verify import CoolingJWKClient

from tests.functional.functions import support
from tests.functional.functions.test_authorizer import decide_token


def test_https_jwks_keeps_certificate_and_host_checks() -> None:
    client = CoolingJWKClient(
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
    """Without a context of its own, PyJWT's opener built urllib's default HTTPS handler on every
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
