"""Test helpers for the Lambda functions: a local RSA key and JWKS, Cognito-shaped tokens, a loopback
JWKS server that counts requests, the policy table seeded from policy_templates/, event fixtures.

Shared by tests/functional/functions and the benchmark (tests/bench); nothing here talks to anything
but loopback and in-process moto.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import random
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

REPO_ROOT = Path(__file__).resolve().parents[3]
EVENTS_DIR = REPO_ROOT / "tests" / "events"
TEMPLATES_DIR = REPO_ROOT / "policy_templates"
FUNCTIONS_DIR = REPO_ROOT / "functions"

REGION = "us-east-1"
ACCOUNT = "123456789012"
POOL_ID = "us-east-1_TestPool1"
ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{POOL_ID}"
CLIENT_ID = "testclient0123456789abcdef"
OTHER_CLIENT_ID = "otherclient0123456789abcde"
API_ID = "a1b2c3d4e5"
STAGE = "local"
API_ARN = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/{STAGE}"
POLICY_TABLE = "fga-test-policies"
REVOCATION_TABLE = "fga-test-revocations"
RECORDS_TABLE = "fga-test-records"
GROUP_PRECEDENCE = {"admin": 1, "pet-veterinarian": 10, "cip-users": 20, "google-users": 30}
# Machine clients as the stack declares them to the authorizer (MACHINE_CLIENTS): the access model's
# reporter (a template of its own, item client:reporter) and partner (pet-veterinarian's item).
REPORTER_CLIENT_ID = "reporterclient0123456789ab"
PARTNER_CLIENT_ID = "partnerclient0123456789abc"
UNDECLARED_CLIENT_ID = "undeclaredclient0123456789"
MACHINE_CLIENTS = {
    REPORTER_CLIENT_ID: {"policy": "client:reporter", "scopes": ["api/pets.read", "api/news.read"]},
    PARTNER_CLIENT_ID: {"policy": "pet-veterinarian", "scopes": ["api/pets.write", "api/news.read"]},
}


def method_arn(verb: str, path: str) -> str:
    return f"{API_ARN}/{verb}{path}"


def render_template(group: str, api_arn: str = API_ARN) -> str:
    """Render policy_templates/<group>.json.tftpl like Terraform's templatefile(), compact JSON
    (`client:<name>`: the machine client's own template, policy_templates/clients/<name>.json.tftpl)."""
    name = group.removeprefix("client:")
    path = TEMPLATES_DIR / ("clients" if name != group else "") / f"{name}.json.tftpl"
    text = path.read_text()
    values = {
        "api_arn": api_arn,
        "region": REGION,
        "account_id": ACCOUNT,
        "api_id": API_ID,
        "stage": STAGE,
        "environment": "local",
    }
    rendered = re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], text)
    return json.dumps(json.loads(rendered), separators=(",", ":"))


def load_event(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS_DIR / name).read_text())
    return copy.deepcopy(data)


@dataclass
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey = field(repr=False)

    @classmethod
    def generate(cls, kid: str) -> SigningKey:
        return cls(kid, rsa.generate_private_key(public_exponent=65537, key_size=2048))

    def jwk(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        return {**public, "kid": self.kid, "alg": "RS256", "use": "sig"}


def weak_signing_key(kid: str, bits: int, exponent: int = 65537) -> SigningKey:
    """An RSA key below what the authorizer accepts from a JWKS (under 2048 bits, or e != 65537).
    cryptography generates no key under 1024 bits, so smaller ones are built from two primes
    (seeded: the same key every run)."""
    if bits >= 1024:
        return SigningKey(kid, rsa.generate_private_key(public_exponent=exponent, key_size=bits))
    rng = random.Random(bits * 7919 + exponent)

    def prime() -> int:
        while True:
            candidate = rng.getrandbits(bits // 2) | (3 << (bits // 2 - 2)) | 1
            if _probably_prime(candidate, rng) and (candidate - 1) % exponent:
                return candidate

    p, q = prime(), prime()
    d = pow(exponent, -1, (p - 1) * (q - 1))
    numbers = rsa.RSAPrivateNumbers(
        p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q),
        rsa.RSAPublicNumbers(exponent, p * q),
    )  # fmt: skip
    return SigningKey(kid, numbers.private_key())


def _probably_prime(n: int, rng: random.Random) -> bool:
    """Miller-Rabin with 32 random bases (test keys only)."""
    if n % 2 == 0 or n % 3 == 0:
        return False
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(32):
        x = pow(rng.randrange(2, n - 1), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


class TokenFactory:
    """Mints Cognito-shaped access/ID tokens; every claim and header can be overridden or removed."""

    def __init__(self, key: SigningKey) -> None:
        self.key = key

    def claims(self, token_use: str = "access", **overrides: Any) -> dict[str, Any]:  # noqa: S107
        now = int(time.time())
        sub = overrides.pop("sub", str(uuid.uuid4()))
        base: dict[str, Any] = {
            "sub": sub,
            "iss": ISSUER,
            "token_use": token_use,
            "auth_time": now,
            "iat": now,
            "exp": now + 3600,
            "jti": str(uuid.uuid4()),
            "cognito:groups": ["pet-veterinarian"],
        }
        if token_use == "access":
            base.update({"client_id": CLIENT_ID, "username": f"user-{sub[:8]}", "scope": "openid email"})
        else:
            base.update({"aud": CLIENT_ID, "cognito:username": f"user-{sub[:8]}", "email": "u@example.com"})
        base.update(overrides)
        return {k: v for k, v in base.items() if v is not _REMOVE}

    def token(
        self,
        token_use: str = "access",  # noqa: S107 - a claim value
        key: SigningKey | None = None,
        headers: dict[str, Any] | None = None,
        **overrides: Any,
    ) -> str:
        signer = key or self.key
        head = {"kid": signer.kid, **(headers or {})}
        return jwt.encode(
            self.claims(token_use, **overrides), signer.private, algorithm="RS256", headers=head
        )

    def machine_token(
        self,
        client_id: str = REPORTER_CLIENT_ID,
        scope: str = "api/pets.read api/news.read",
        **overrides: Any,
    ) -> str:
        """A client-credentials access token as Cognito issues it: exactly its M2M claims (no user,
        no groups); `sub` is the client id."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": client_id,
            "token_use": "access",
            "scope": scope,
            "auth_time": now,
            "iss": ISSUER,
            "exp": now + 3600,
            "iat": now,
            "version": 2,
            "jti": str(uuid.uuid4()),
            "client_id": client_id,
        }
        claims.update(overrides)
        kept = {k: v for k, v in claims.items() if v is not _REMOVE}
        return jwt.encode(kept, self.key.private, algorithm="RS256", headers={"kid": self.key.kid})


_REMOVE = object()
REMOVE: Any = _REMOVE  # pass as a claim value to drop that claim


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unsigned_token(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    return ".".join(
        [b64url(json.dumps(header).encode()), b64url(json.dumps(claims).encode()), b64url(signature)]
    )


class JwksServer:
    """Serves `/<pool>/.well-known/jwks.json` on 127.0.0.1 and counts the requests it answers."""

    def __init__(self, keys: list[SigningKey]) -> None:
        self.keys = list(keys)
        self.requests = 0
        self.fail = False
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True  # headers and body go out at once: no 40 ms delayed-ACK stall

            def do_GET(self) -> None:
                with server._lock:
                    server.requests += 1
                    failing = server.fail
                    body = json.dumps({"keys": [k.jwk() for k in server.keys]}).encode()
                if failing or self.path != f"/{POOL_ID}/.well-known/jwks.json":
                    self.send_response(500 if failing else 404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/{POOL_ID}/.well-known/jwks.json"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    def reset(self, keys: list[SigningKey]) -> None:
        with self._lock:
            self.keys = list(keys)
            self.requests = 0
            self.fail = False

    def __enter__(self) -> JwksServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def authorizer_env(jwks_url: str, **overrides: str) -> dict[str, str]:
    env = {
        "POLICY_TABLE": POLICY_TABLE,
        "ISSUER": ISSUER,
        "JWKS_URL": jwks_url,
        "LOCAL_JWKS": "true",  # the loopback JWKS server is not at the issuer's address
        "ALLOWED_CLIENT_IDS": f"{CLIENT_ID}, {OTHER_CLIENT_ID}",
        "TOKEN_USE": "access",
        "POLICY_CACHE_TTL_SECONDS": "300",
        "JWKS_CACHE_TTL_SECONDS": "3600",
        "LOG_LEVEL": "INFO",
        "REVOCATION_TABLE": REVOCATION_TABLE,
        "REVOCATION_CHECK_SECONDS": "10",
    }
    env.update(overrides)
    return env


def create_policy_table(client: Any, groups: dict[str, int] | None = None) -> None:
    """Create the policy table and put one item per group, as the policy_store module does."""
    client.create_table(
        TableName=POLICY_TABLE,
        KeySchema=[{"AttributeName": "group", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "group", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for group, precedence in (GROUP_PRECEDENCE if groups is None else groups).items():
        put_policy(client, group, precedence, render_template(group))


def machine_env() -> dict[str, str]:
    """The authorizer's MACHINE_CLIENTS for the two declared machine clients (authorizer_env(...,
    **machine_env()))."""
    return {"MACHINE_CLIENTS": json.dumps(MACHINE_CLIENTS)}


def put_client_policies(client: Any) -> None:
    """The items of the machine clients with a template of their own (client:<name>, precedence 0),
    as the stack writes them."""
    for spec in MACHINE_CLIENTS.values():
        if spec["policy"].startswith("client:"):
            put_policy(client, spec["policy"], 0, render_template(spec["policy"]))


def put_policy(client: Any, group: str, precedence: int | str, policy: str) -> None:
    client.put_item(
        TableName=POLICY_TABLE,
        Item={
            "group": {"S": group},
            "precedence": {"N": str(precedence)},
            "policy": {"S": policy},
            "version": {"S": hashlib.sha256(policy.encode()).hexdigest()},
        },
    )


def create_revocation_table(client: Any, name: str = REVOCATION_TABLE) -> None:
    """The revocation table as the revocation_store module declares it (hash key `sub`)."""
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "sub", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "sub", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def revoke(
    client: Any,
    sub: str,
    *,
    before: float | None = None,
    families: dict[str, float] | None = None,
    table: str = REVOCATION_TABLE,
) -> None:
    """Write a user's revocation record the way functions/revocation does (item shape only)."""
    item: dict[str, Any] = {"sub": {"S": sub}, "expires_at": {"N": str(int(time.time()) + 7200)}}
    if before is not None:
        item["revoked_before"] = {"N": f"{before:.3f}"}
    if families:
        item["families"] = {"M": {jti: {"N": str(int(exp))} for jti, exp in families.items()}}
    client.put_item(TableName=table, Item=item)


def create_records_table(client: Any) -> None:
    client.create_table(
        TableName=RECORDS_TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def token_event(token: str | None, arn: str) -> dict[str, Any]:
    event = load_event("authorizer_token.json")
    event["methodArn"] = arn
    if token is None:
        event.pop("authorizationToken", None)
    else:
        event["authorizationToken"] = token
    return event


def outcome(response: dict[str, Any]) -> str:
    """'allow' when any statement allows something, else 'deny'."""
    statements = response["policyDocument"]["Statement"]
    return "allow" if any(s["Effect"] == "Allow" for s in statements) else "deny"


@contextmanager
def fake_monotonic(monkeypatch: Any, start: float = 1_000_000.0) -> Iterator[list[float]]:
    """Replace time.monotonic (used by PyJWT's JWKS cache and the cool-down) with a settable clock."""
    now = [start]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    yield now
