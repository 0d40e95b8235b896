"""The Lambda authorizer end to end in-process: moto DynamoDB, a loopback JWKS, real RS256 tokens.

Includes the token attack suite: every attack must end in 401 (`Exception("Unauthorized")`) or a
Deny policy, never an Allow and never any other exception.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
from types import ModuleType, SimpleNamespace
from typing import Any

import app as _app
import botocore.client
import botocore.session
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from tests.functional.functions import support
from tests.functional.functions.support import REMOVE

VET_ROUTE = support.method_arn("GET", "/petstore/v1/pets")
REAL_DYNAMODB_CLIENT = _app.dynamodb_client
REAL_REVOCATION_CLIENT = _app.revocation_client
CONTEXT = SimpleNamespace(aws_request_id="req-0001")


def decide(app: ModuleType, event: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    """('unauthorized', None) for API Gateway's 401 signal, else ('allow'|'deny', response)."""
    error: Exception | None = None
    try:
        response = app.handler(event, CONTEXT)
    except Exception as exc:
        error = exc
    if error is not None:
        # Only the exact 401 signal is acceptable; anything else would be a 500 at API Gateway.
        assert type(error) is Exception, f"unexpected {type(error).__name__}: {error}"
        assert str(error) == "Unauthorized"
        return "unauthorized", None
    return support.outcome(response), response


def decide_token(
    app: ModuleType, token: str | None, arn: str = VET_ROUTE
) -> tuple[str, dict[str, Any] | None]:
    return decide(app, support.token_event(token, arn))


# --- happy path ------------------------------------------------------------------------------


def test_valid_vet_token_gets_the_group_policy_bound_to_this_api(
    authorizer_app: ModuleType, tokens: support.TokenFactory
) -> None:
    token = tokens.token(sub="11111111-2222-4333-8444-555555555555", username="vet")
    result, response = decide_token(authorizer_app, f"Bearer {token}")
    assert result == "allow"
    assert response is not None
    assert response["principalId"] == "11111111-2222-4333-8444-555555555555"
    assert response["policyDocument"] == json.loads(support.render_template("pet-veterinarian"))
    assert response["context"] == {
        "sub": "11111111-2222-4333-8444-555555555555",
        "username": "vet",
        "groups": "pet-veterinarian",
        "group": "pet-veterinarian",
    }
    assert all(isinstance(v, str | int | float | bool) for v in response["context"].values())
    for statement in response["policyDocument"]["Statement"]:
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        assert all(r.startswith(support.API_ARN + "/") for r in resources)


def test_policy_covers_all_routes_of_the_group_whatever_route_asked(
    authorizer_app: ModuleType, tokens: support.TokenFactory
) -> None:
    """Cache safety: the same token on a route the group may NOT call returns the same full policy."""
    token = tokens.token()
    _, on_allowed = decide_token(authorizer_app, token, support.method_arn("GET", "/petstore/v2/status"))
    _, on_other = decide_token(authorizer_app, token, support.method_arn("GET", "/petstore/v2/pets"))
    assert on_allowed is not None
    assert on_other is not None
    group_policy = json.loads(support.render_template("pet-veterinarian"))
    assert on_allowed["policyDocument"] == on_other["policyDocument"] == group_policy
    assert on_other["principalId"] == on_allowed["principalId"]


def test_request_event_with_lowercase_header(
    authorizer_app: ModuleType, tokens: support.TokenFactory
) -> None:
    event = support.load_event("authorizer_request.json")
    token = tokens.token()
    event["headers"]["authorization"] = f"Bearer {token}"
    event["multiValueHeaders"]["authorization"] = [f"Bearer {token}"]
    assert decide(authorizer_app, event)[0] == "allow"


def test_request_event_with_two_authorization_headers_is_401(
    authorizer_app: ModuleType, tokens: support.TokenFactory
) -> None:
    event = support.load_event("authorizer_request.json")
    event["multiValueHeaders"]["authorization"] = [f"Bearer {tokens.token()}", f"Bearer {tokens.token()}"]
    assert decide(authorizer_app, event)[0] == "unauthorized"


def test_id_token_mode(
    monkeypatch: pytest.MonkeyPatch, authorizer_app: ModuleType, tokens: support.TokenFactory
) -> None:
    monkeypatch.setenv("TOKEN_USE", "id")
    authorizer_app.reset()
    assert decide_token(authorizer_app, tokens.token("id"))[0] == "allow"
    # An access token where an ID token is required.
    assert decide_token(authorizer_app, tokens.token("access"))[0] == "unauthorized"
    # An ID token for a client not in the list.
    assert decide_token(authorizer_app, tokens.token("id", aud="someone-else"))[0] == "unauthorized"


# --- token size ------------------------------------------------------------------------------


def _long_group_names(count: int) -> list[str]:
    """`pet-veterinarian` and count - 1 names of 128 characters (Cognito's longest)."""
    return ["pet-veterinarian", *(f"department-{i:02d}-".ljust(128, "x") for i in range(count - 1))]


def test_the_token_of_a_user_in_45_groups_with_long_names_is_allowed(
    authorizer_app: ModuleType, tokens: support.TokenFactory
) -> None:
    """Issue 22: an 8,563-character Cognito access token was refused by an 8,192-character cap."""
    token = tokens.token(**{"cognito:groups": _long_group_names(45)})
    assert 8563 <= len(token) < 10240 - 7  # the issue's token was 8,563 characters
    result, response = decide_token(authorizer_app, f"Bearer {token}")
    assert result == "allow"
    assert response is not None
    assert response["context"]["group"] == "pet-veterinarian"


@pytest.mark.parametrize("token_use", ["access", "id"])
def test_the_longest_authorization_value_api_gateway_passes_is_decided_and_one_more_is_not(
    token_use: str,
    monkeypatch: pytest.MonkeyPatch,
    authorizer_app: ModuleType,
    tokens: support.TokenFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """REST APIs take at most 10,240 bytes of request line and header values (AWS's quota): a valid
    token whose `Bearer ` value is just under that is verified and allowed (an ID token with custom
    attributes here), one past it is refused for its size before any parsing."""
    monkeypatch.setenv("TOKEN_USE", token_use)
    authorizer_app.reset()
    groups = _long_group_names(45)

    def value(pad: int) -> str:
        extra = {"custom:department": "d" * pad} if token_use == "id" else {"pad": "p" * pad}
        return "Bearer " + tokens.token(token_use, **{"cognito:groups": groups, **extra})

    low, high = 0, 2000  # the largest pad whose value still fits
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if len(value(middle)) <= 10240 else (low, middle - 1)
    longest = value(low)
    assert 10236 <= len(longest) <= 10240
    assert decide_token(authorizer_app, longest)[0] == "allow"
    too_long = value(low + 4)
    assert len(too_long) > 10240
    capsys.readouterr()
    assert decide_token(authorizer_app, too_long)[0] == "unauthorized"
    assert '"reason":"token_too_long"' in capsys.readouterr().out


@pytest.mark.parametrize("junk", [chr(0xD800), chr(0xDFFF), f"a{chr(0xDC80)}b"], ids=["d800", "dfff", "dc80"])
def test_a_token_with_a_lone_surrogate_is_malformed_not_an_error(
    junk: str, authorizer_app: ModuleType, tokens: support.TokenFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    """Any str can arrive (a REQUEST authorizer's header map, a test event): one that cannot be UTF-8
    encoded is no compact JWS, refused as malformed before it is hashed for the token cache (it was
    logged as verification_error_UnicodeEncodeError)."""
    good = tokens.token()
    capsys.readouterr()
    for value in (f"Bearer {junk}", f"Bearer {good}{junk}", f"Bearer {good[:20]}{junk}{good[20:]}"):
        assert decide_token(authorizer_app, value)[0] == "unauthorized"
        assert '"reason":"malformed_token"' in capsys.readouterr().out
    assert decide_token(authorizer_app, f"Bearer {good}")[0] == "allow"


# --- the attack suite -------------------------------------------------------------------------


def _attack_tokens(tokens: support.TokenFactory, other_key: support.SigningKey) -> dict[str, str]:
    good = tokens.token()
    header, payload, signature = good.split(".")
    claims = tokens.claims()
    tampered_claims = json.loads(jwt.utils.base64url_decode(payload))
    tampered_claims["cognito:groups"] = ["admin"]
    public_pem = _public_pem(tokens)
    now = int(time.time())
    return {
        "alg_none": support.unsigned_token({"alg": "none", "kid": tokens.key.kid}, claims),
        "alg_none_with_signature": support.unsigned_token(
            {"alg": "none", "kid": tokens.key.kid}, claims, b"x"
        ),
        "hs256_with_public_key_as_secret": support.unsigned_token(
            {"alg": "HS256", "kid": tokens.key.kid, "typ": "JWT"},
            claims,
            _hmac(public_pem, claims, tokens.key.kid),
        ),
        "rs256_unknown_key_known_kid": tokens.token(
            key=support.SigningKey(tokens.key.kid, other_key.private)
        ),
        "rs256_unknown_key_unknown_kid": tokens.token(key=other_key),
        "tampered_payload_original_signature": ".".join(
            [header, support.b64url(json.dumps(tampered_claims).encode()), signature]
        ),
        # Correctly signed by the pool's real key, but not with the pinned algorithm.
        "rs512_signed_by_the_real_key": jwt.encode(
            claims, tokens.key.private, algorithm="RS512", headers={"kid": tokens.key.kid}
        ),
        "ps256_signed_by_the_real_key": jwt.encode(
            claims, tokens.key.private, algorithm="PS256", headers={"kid": tokens.key.kid}
        ),
        "expired": tokens.token(exp=now - 3600, iat=now - 7200),
        "nbf_in_future": tokens.token(nbf=now + 3600),
        "iat_in_future": tokens.token(iat=now + 3600),
        "missing_exp": tokens.token(exp=REMOVE),
        "missing_iat": tokens.token(iat=REMOVE),
        "missing_sub": jwt.encode(
            {k: v for k, v in claims.items() if k != "sub"},
            tokens.key.private,
            algorithm="RS256",
            headers={"kid": tokens.key.kid},
        ),
        "empty_sub": tokens.token(sub=""),
        "missing_kid": jwt.encode(claims, tokens.key.private, algorithm="RS256"),
        "wrong_issuer": tokens.token(iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"),
        "issuer_prefix_trick": tokens.token(iss=support.ISSUER + "x"),
        # A substring of the configured issuer (the shape of PyJWT 2.10.0's CVE-2024-53861).
        "issuer_substring_trick": tokens.token(iss=support.ISSUER[:-3]),
        "id_token_where_access_required": tokens.token("id"),
        "client_id_not_in_list": tokens.token(client_id="not-our-client"),
        "missing_client_id": tokens.token(client_id=REMOVE),
        "missing_token_use": tokens.token(token_use=REMOVE),
        "garbage": "not-a-jwt",
        "three_garbage_segments": "aaa.bbb.ccc",
        "jwe_like_five_segments": "a.b.c.d.e",
        "oversized": "a" * 10300 + "." + "b" * 10 + "." + "c" * 10,
    }


def _public_pem(tokens: support.TokenFactory) -> bytes:
    return tokens.key.private.public_key().public_bytes(
        encoding=serialization.Encoding.PEM, format=serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _hmac(secret: bytes, claims: dict[str, Any], kid: str) -> bytes:
    signing_input = ".".join(
        [
            support.b64url(json.dumps({"alg": "HS256", "kid": kid, "typ": "JWT"}).encode()),
            support.b64url(json.dumps(claims).encode()),
        ]
    )
    return hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()


ATTACKS = [
    "alg_none",
    "alg_none_with_signature",
    "hs256_with_public_key_as_secret",
    "rs512_signed_by_the_real_key",
    "ps256_signed_by_the_real_key",
    "rs256_unknown_key_known_kid",
    "rs256_unknown_key_unknown_kid",
    "tampered_payload_original_signature",
    "expired",
    "nbf_in_future",
    "iat_in_future",
    "missing_exp",
    "missing_iat",
    "missing_sub",
    "empty_sub",
    "missing_kid",
    "wrong_issuer",
    "issuer_prefix_trick",
    "issuer_substring_trick",
    "id_token_where_access_required",
    "client_id_not_in_list",
    "missing_client_id",
    "missing_token_use",
    "garbage",
    "three_garbage_segments",
    "jwe_like_five_segments",
    "oversized",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_attack_is_401(
    attack: str, authorizer_app: ModuleType, tokens: support.TokenFactory, other_key: support.SigningKey
) -> None:
    token = _attack_tokens(tokens, other_key)[attack]
    assert decide_token(authorizer_app, f"Bearer {token}")[0] == "unauthorized"


def test_hs256_token_really_verifies_with_the_public_key_as_secret(tokens: support.TokenFactory) -> None:
    """Guard for the attack above: the forged token is a *correct* HS256 token for that secret."""
    pem = _public_pem(tokens)
    claims = tokens.claims()
    forged = support.unsigned_token(
        {"alg": "HS256", "kid": tokens.key.kid, "typ": "JWT"}, claims, _hmac(pem, claims, tokens.key.kid)
    )
    header, payload, signature = forged.split(".")
    assert hmac.compare_digest(
        hmac.new(pem, f"{header}.{payload}".encode(), hashlib.sha256).digest(),
        jwt.utils.base64url_decode(signature),
    )


@pytest.mark.parametrize(
    ("claim", "offset", "expected"),
    [
        ("exp", -10, "allow"),
        ("exp", -90, "unauthorized"),
        ("nbf", 10, "allow"),
        ("nbf", 90, "unauthorized"),
        ("iat", 10, "allow"),
        ("iat", 90, "unauthorized"),
    ],
)
def test_time_claims_get_a_small_skew_only(
    claim: str, offset: int, expected: str, authorizer_app: ModuleType, tokens: support.TokenFactory
) -> None:
    """CLOCK_SKEW_SECONDS (30 s) absorbs seconds of drift, not minutes (wide margins: deterministic)."""
    now = int(time.time())
    times = {"iat": now - 300, "exp": now + 3600, claim: now + offset}
    assert decide_token(authorizer_app, tokens.token(**times))[0] == expected


class _Rs384Key(support.SigningKey):
    def jwk(self) -> dict[str, Any]:
        return {**super().jwk(), "alg": "RS384"}


def test_jwks_key_published_for_another_algorithm_is_not_used(
    authorizer_app: ModuleType,
    tokens: support.TokenFactory,
    jwks: support.JwksServer,
    other_key: support.SigningKey,
) -> None:
    """The key named by `kid` must itself be an RS256 key: an RS256 signature by an RS384 key is refused."""
    odd = _Rs384Key("key-rs384", other_key.private)
    jwks.reset([tokens.key, odd])
    assert decide_token(authorizer_app, tokens.token())[0] == "allow"
    assert decide_token(authorizer_app, tokens.token(key=odd))[0] == "unauthorized"


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # signing the test tokens
@pytest.mark.parametrize(
    "weakness",
    [
        (512, 65537, "rsa_key_too_short"),
        (1024, 65537, "rsa_key_too_short"),
        (1024, 3, "rsa_key_too_short"),
        (2048, 3, "rsa_exponent_not_65537"),
    ],
    ids=["512-bit", "1024-bit", "1024-bit-e3", "2048-bit-e3"],
)
def test_weak_jwks_keys_are_refused_and_logged_and_the_others_kept(
    weakness: tuple[int, int, str],
    authorizer_app: ModuleType,
    tokens: support.TokenFactory,
    jwks: support.JwksServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """PyJWT only warns about a short RSA key and checks no exponent: a token signed by a weak key
    that the JWKS publishes under its own kid is refused (401), whether that kid is met before or
    after the key set is cached; the JWKS's other keys still verify; the refusal is logged with
    the kid and the reason, never the key's numbers."""
    bits, exponent, reason = weakness
    weak = support.weak_signing_key(f"weak-{bits}-{exponent}", bits, exponent)
    jwks.reset([weak, tokens.key])
    capsys.readouterr()
    assert decide_token(authorizer_app, tokens.token(key=weak))[0] == "unauthorized"  # cold: first fetch
    assert decide_token(authorizer_app, tokens.token())[0] == "allow"
    assert decide_token(authorizer_app, tokens.token(key=weak))[0] == "unauthorized"  # warm: from the index
    assert jwks.requests == 1
    out = capsys.readouterr().out
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    refused = [line for line in lines if line.get("message") == "jwks key refused"]
    assert refused == [
        {**refused[0], "level": "WARNING", "kid": weak.kid, "reason": reason, "key_bits": bits}
    ]
    reasons = [line["reason"] for line in lines if line.get("message") == "authorizer decision"]
    assert reasons == ["weak_key", "group_policy", "weak_key"]
    assert weak.jwk()["n"] not in out
    assert weak.jwk()["n"][:16] not in out


def test_jwks_client_uses_the_named_limits(authorizer_app: ModuleType) -> None:
    """Fetch timeout, cache TTL and unknown-kid cool-down reach the JWKS client."""
    jwks = authorizer_app.get_authorizer().verifier.jwks
    settings = support.authorizer_env("")
    assert jwks.timeout == 3.0
    assert jwks.lifespan == float(settings["JWKS_CACHE_TTL_SECONDS"])
    assert jwks.cooldown == 30.0


@pytest.mark.parametrize(
    ("groups", "expected"),
    [
        (REMOVE, "deny"),
        ([], "deny"),
        ("pet-veterinarian", "deny"),  # a string, not a list
        ([1, 2], "deny"),
        ([""], "deny"),
        (["no-such-group"], "deny"),
        (["pet-veterinarian", None], "deny"),
        # Malformed claims are denied even though they name a group that has a policy.
        (["pet-veterinarian", *(f"g{i}" for i in range(100))], "deny"),
        (["pet-veterinarian", "bad\nname"], "deny"),
    ],
    ids=[
        "missing",
        "empty",
        "string",
        "numbers",
        "empty-name",
        "group-without-item",
        "null-member",
        "over-100-groups",
        "unprintable-name",
    ],
)
def test_bad_or_policyless_groups_are_denied(
    groups: Any, expected: str, authorizer_app: ModuleType, tokens: support.TokenFactory
) -> None:
    result, response = decide_token(authorizer_app, tokens.token(**{"cognito:groups": groups}))
    assert result == expected
    assert response is not None
    assert response["policyDocument"]["Statement"] == [
        {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": support.API_ARN + "/*"}
    ]
    assert response["context"]["group"] == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Bearer {t}", "allow"),
        ("bearer {t}", "allow"),
        ("BEARER {t}", "allow"),
        ("  Bearer   {t}  ", "allow"),
        ("{t}", "allow"),
        ("\t{t}\n", "allow"),
        ("", "unauthorized"),
        ("   ", "unauthorized"),
        ("Bearer", "unauthorized"),
        ("Bearer ", "unauthorized"),
        ("Bearer {t} {t}", "unauthorized"),
        ("Bearer {t}, Bearer {t}", "unauthorized"),
        ("Bearer {t},{t}", "unauthorized"),
        ("Bearer Bearer {t}", "unauthorized"),
        ("Basic {t}", "unauthorized"),
        ("Bearer{t}", "unauthorized"),
    ],
)
def test_header_variants(
    value: str, expected: str, authorizer_app: ModuleType, tokens: support.TokenFactory
) -> None:
    assert decide_token(authorizer_app, value.format(t=tokens.token()))[0] == expected


def test_no_authorization_at_all_is_401(authorizer_app: ModuleType) -> None:
    assert decide_token(authorizer_app, None)[0] == "unauthorized"


@pytest.mark.parametrize(
    "arn",
    ["", "not-an-arn", "arn:aws:execute-api:us-east-1:123456789012:api", "arn:aws:s3:::bucket/GET/x"],
)
def test_unusable_method_arn_is_401(
    arn: str, authorizer_app: ModuleType, tokens: support.TokenFactory
) -> None:
    assert decide_token(authorizer_app, tokens.token(), arn)[0] == "unauthorized"


# --- multi-group rule and stored-policy guards ------------------------------------------------


@pytest.mark.parametrize(
    ("groups", "winner"),
    [
        (["pet-veterinarian", "admin"], "admin"),
        (["google-users", "cip-users"], "cip-users"),
        (["no-such-group", "google-users"], "google-users"),  # groups without an item are ignored
    ],
)
def test_lowest_precedence_group_with_an_item_wins(
    groups: list[str], winner: str, authorizer_app: ModuleType, tokens: support.TokenFactory
) -> None:
    result, response = decide_token(authorizer_app, tokens.token(**{"cognito:groups": groups}))
    assert response is not None
    assert response["context"]["group"] == winner
    assert response["context"]["groups"] == ",".join(groups)
    assert response["policyDocument"] == json.loads(support.render_template(winner))
    assert result == "allow"


def test_equal_lowest_precedence_is_denied(
    authorizer_app: ModuleType, tokens: support.TokenFactory, ddb: Any
) -> None:
    support.put_policy(ddb, "twin", 10, support.render_template("admin"))
    result, _ = decide_token(authorizer_app, tokens.token(**{"cognito:groups": ["pet-veterinarian", "twin"]}))
    assert result == "deny"


@pytest.mark.parametrize(
    "policy",
    [
        # Resource of another API, another stage, a wildcard API, and "*".
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "execute-api:Invoke",
                        "Resource": "arn:aws:execute-api:us-east-1:123456789012:otherapi/local/*",
                    }
                ],
            }
        ),
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "execute-api:Invoke",
                        "Resource": f"arn:aws:execute-api:us-east-1:123456789012:{support.API_ID}/prod/*",
                    }
                ],
            }
        ),
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "execute-api:Invoke",
                        "Resource": "arn:aws:execute-api:us-east-1:123456789012:*/*",
                    }
                ],
            }
        ),
        json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        ),
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "execute-api:Invoke",
                        "NotResource": f"{support.API_ARN}/GET/x",
                    }
                ],
            }
        ),
        "this is not json",
        json.dumps(["not", "an", "object"]),
        json.dumps({"Version": "2012-10-17", "Statement": []}),
    ],
    ids=[
        "other-api",
        "other-stage",
        "wildcard-api",
        "star",
        "not-resource",
        "not-json",
        "list",
        "no-statements",
    ],
)
def test_wrong_stored_policy_is_denied(
    policy: str, authorizer_app: ModuleType, tokens: support.TokenFactory, ddb: Any
) -> None:
    support.put_policy(ddb, "pet-veterinarian", 10, policy)
    assert decide_token(authorizer_app, tokens.token())[0] == "deny"


def test_malformed_precedence_is_denied(
    authorizer_app: ModuleType, tokens: support.TokenFactory, ddb: Any
) -> None:
    support.put_policy(ddb, "pet-veterinarian", "1.5", support.render_template("pet-veterinarian"))
    assert decide_token(authorizer_app, tokens.token())[0] == "deny"


def test_oversized_policy_is_denied(
    authorizer_app: ModuleType, tokens: support.TokenFactory, ddb: Any
) -> None:
    statements = [
        {
            "Sid": f"S{i}",
            "Effect": "Allow",
            "Action": "execute-api:Invoke",
            "Resource": f"{support.API_ARN}/GET/r{i}",
        }
        for i in range(200)
    ]
    support.put_policy(
        ddb, "pet-veterinarian", 10, json.dumps({"Version": "2012-10-17", "Statement": statements})
    )
    assert decide_token(authorizer_app, tokens.token())[0] == "deny"


# --- fail closed ------------------------------------------------------------------------------


def test_policy_table_unreachable_is_deny_not_error(
    monkeypatch: pytest.MonkeyPatch, authorizer_app: ModuleType, tokens: support.TokenFactory
) -> None:
    monkeypatch.setenv("POLICY_TABLE", "no-such-table")
    authorizer_app.reset()
    result, response = decide_token(authorizer_app, tokens.token())
    assert result == "deny"
    assert response is not None
    assert response["principalId"]  # authenticated, so 403 rather than 401


def test_unexpected_error_after_verification_is_deny(
    monkeypatch: pytest.MonkeyPatch, authorizer_app: ModuleType, tokens: support.TokenFactory
) -> None:
    authorizer = authorizer_app.get_authorizer()

    def explode(groups: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(authorizer.store, "lookup", explode)
    assert decide_token(authorizer_app, tokens.token())[0] == "deny"


def test_jwks_unreachable_without_cached_key_is_401(
    monkeypatch: pytest.MonkeyPatch,
    authorizer_app: ModuleType,
    tokens: support.TokenFactory,
    jwks: support.JwksServer,
) -> None:
    jwks.fail = True
    assert decide_token(authorizer_app, tokens.token())[0] == "unauthorized"


def test_jwks_connection_refused_is_401(
    monkeypatch: pytest.MonkeyPatch, authorizer_app: ModuleType, tokens: support.TokenFactory
) -> None:
    monkeypatch.setenv("JWKS_URL", "http://127.0.0.1:9/none/.well-known/jwks.json")
    authorizer_app.reset()
    assert decide_token(authorizer_app, tokens.token())[0] == "unauthorized"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("POLICY_TABLE", ""),
        ("ISSUER", ""),
        ("ISSUER", "http://cognito-idp.example.com/pool"),
        ("ALLOWED_CLIENT_IDS", " , "),
        ("TOKEN_USE", "refresh"),
        ("POLICY_CACHE_TTL_SECONDS", "-5"),
        ("JWKS_URL", "file:///etc/passwd"),
        # Keys from anywhere but the issuer, outside the local environment (the fixture's JWKS is
        # on loopback, at another address than the issuer: only LOCAL_JWKS=true admits it).
        ("LOCAL_JWKS", "false"),
        ("LOCAL_JWKS", ""),
        ("JWKS_URL", f"https://keys.example.com/{support.POOL_ID}/.well-known/jwks.json"),
    ],
)
def test_misconfiguration_fails_closed(
    name: str,
    value: str,
    monkeypatch: pytest.MonkeyPatch,
    authorizer_app: ModuleType,
    tokens: support.TokenFactory,
) -> None:
    monkeypatch.setenv(name, value)
    authorizer_app.reset()
    assert decide_token(authorizer_app, tokens.token())[0] == "unauthorized"


def test_unexpected_init_failure_fails_closed_with_the_401_signal(
    monkeypatch: pytest.MonkeyPatch, authorizer_app: ModuleType, tokens: support.TokenFactory
) -> None:
    """Not only ConfigError: any error while building the container's Authorizer is a 401, not a 500."""

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("no CA bundle")

    monkeypatch.setattr(authorizer_app, "TokenVerifier", broken)
    authorizer_app.reset()
    assert decide_token(authorizer_app, tokens.token())[0] == "unauthorized"


# --- caches: zero network when warm, JWKS cool-down, policy TTL --------------------------------


class NetworkCounter:
    """Counts boto3 clients created, DynamoDB API calls and outbound socket connects."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.clients = 0
        self.api_calls: list[str] = []
        self.connects = 0
        create_client = botocore.session.Session.create_client
        make_api_call = botocore.client.BaseClient._make_api_call
        connect = socket.socket.connect
        counter = self

        self.sessions: set[int] = set()

        def counting_create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
            counter.clients += 1
            counter.sessions.add(id(self))
            return create_client(self, *args, **kwargs)

        def counting_api_call(self: Any, operation: str, params: Any) -> Any:
            counter.api_calls.append(operation)
            return make_api_call(self, operation, params)

        def counting_connect(self: Any, address: Any) -> Any:
            counter.connects += 1
            return connect(self, address)

        monkeypatch.setattr(botocore.session.Session, "create_client", counting_create_client)
        monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counting_api_call)
        monkeypatch.setattr(socket.socket, "connect", counting_connect)


def test_warm_decisions_make_no_network_calls_and_create_no_client(
    monkeypatch: pytest.MonkeyPatch,
    authorizer_app: ModuleType,
    tokens: support.TokenFactory,
    jwks: support.JwksServer,
) -> None:
    """Cold: JWKS, two clients of one botocore session (policy reads, revocation reads; a second
    session would cost a whole client creation again), one read of each table. Warm, for a
    user already checked within REVOCATION_CHECK_SECONDS: new tokens (a refresh) and other routes
    make no call at all. A user the container has not seen costs one GetItem of their revocation
    record (the group's policy stays cached), and no client."""
    monkeypatch.setattr(authorizer_app, "dynamodb_client", REAL_DYNAMODB_CLIENT)
    monkeypatch.setattr(authorizer_app, "revocation_client", REAL_REVOCATION_CLIENT)
    counter = NetworkCounter(monkeypatch)
    sub = "5d1f3c2e-0000-4000-8000-00000000c01d"
    assert decide_token(authorizer_app, tokens.token(sub=sub))[0] == "allow"  # cold
    assert counter.clients == 2
    assert len(counter.sessions) == 1, "both clients come from one botocore session (cold start)"
    assert counter.api_calls == ["GetItem", "BatchGetItem"]
    assert jwks.requests == 1
    assert counter.connects >= 1
    counter.clients, counter.api_calls, counter.connects = 0, [], 0
    for _ in range(5):  # warm: the same user's new tokens, other routes
        token = tokens.token(sub=sub)
        assert (
            decide_token(authorizer_app, token, support.method_arn("GET", "/petstore/v2/status"))[0]
            == "allow"
        )
        assert (
            decide_token(authorizer_app, token, support.method_arn("GET", "/petstore/v2/pets"))[0] == "allow"
        )
    assert counter.clients == 0
    assert counter.api_calls == []
    assert counter.connects == 0
    assert jwks.requests == 1
    for _ in range(3):  # other users of the same group: their revocation record, nothing else
        assert decide_token(authorizer_app, tokens.token())[0] == "allow"
    assert (counter.clients, counter.api_calls) == (0, ["GetItem"] * 3)


def test_unknown_kid_flood_refetches_at_most_once_per_cooldown(
    monkeypatch: pytest.MonkeyPatch,
    authorizer_app: ModuleType,
    tokens: support.TokenFactory,
    jwks: support.JwksServer,
    other_key: support.SigningKey,
) -> None:
    with support.fake_monotonic(monkeypatch) as now:
        assert decide_token(authorizer_app, tokens.token())[0] == "allow"
        assert jwks.requests == 1
        for i in range(20):  # right after a fetch: no refetch at all
            forged = tokens.token(key=support.SigningKey(f"random-{i}", other_key.private))
            assert decide_token(authorizer_app, forged)[0] == "unauthorized"
        assert jwks.requests == 1
        now[0] += 31  # past the cool-down: one refetch, then quiet again
        for i in range(20):
            forged = tokens.token(key=support.SigningKey(f"random-b{i}", other_key.private))
            assert decide_token(authorizer_app, forged)[0] == "unauthorized"
        assert jwks.requests == 2
        # Known-kid tokens still verify from the cache throughout.
        assert decide_token(authorizer_app, tokens.token())[0] == "allow"
        assert jwks.requests == 2


def test_rotated_key_is_picked_up_after_the_cooldown(
    monkeypatch: pytest.MonkeyPatch,
    authorizer_app: ModuleType,
    tokens: support.TokenFactory,
    jwks: support.JwksServer,
    other_key: support.SigningKey,
) -> None:
    with support.fake_monotonic(monkeypatch) as now:
        assert decide_token(authorizer_app, tokens.token())[0] == "allow"
        jwks.keys.append(other_key)  # Cognito publishes a new key
        rotated = tokens.token(key=other_key)
        assert decide_token(authorizer_app, rotated)[0] == "unauthorized"  # within the cool-down
        now[0] += 31
        assert decide_token(authorizer_app, rotated)[0] == "allow"
        assert jwks.requests == 2


def test_failed_jwks_fetch_is_not_retried_during_the_cooldown(
    monkeypatch: pytest.MonkeyPatch,
    authorizer_app: ModuleType,
    tokens: support.TokenFactory,
    jwks: support.JwksServer,
) -> None:
    with support.fake_monotonic(monkeypatch) as now:
        jwks.fail = True
        for _ in range(10):
            assert decide_token(authorizer_app, tokens.token())[0] == "unauthorized"
        assert jwks.requests == 1
        jwks.fail = False
        now[0] += 31
        assert decide_token(authorizer_app, tokens.token())[0] == "allow"
        assert jwks.requests == 2


def test_jwks_cache_expires_after_its_ttl(
    monkeypatch: pytest.MonkeyPatch,
    authorizer_app: ModuleType,
    tokens: support.TokenFactory,
    jwks: support.JwksServer,
) -> None:
    with support.fake_monotonic(monkeypatch) as now:
        assert decide_token(authorizer_app, tokens.token())[0] == "allow"
        now[0] += 3599
        assert decide_token(authorizer_app, tokens.token())[0] == "allow"
        assert jwks.requests == 1
        now[0] += 2
        assert decide_token(authorizer_app, tokens.token())[0] == "allow"
        assert jwks.requests == 2


def test_policy_cache_reads_each_group_once_per_ttl(
    monkeypatch: pytest.MonkeyPatch, authorizer_app: ModuleType, tokens: support.TokenFactory
) -> None:
    authorizer = authorizer_app.get_authorizer()
    now = [0.0]
    monkeypatch.setattr(authorizer.store, "_clock", lambda: now[0])
    for _ in range(3):
        decide_token(authorizer_app, tokens.token(**{"cognito:groups": ["pet-veterinarian", "ghost"]}))
    assert authorizer.store.reads == 1  # both groups (one without an item) in one read, then cached
    now[0] = 299.0
    decide_token(authorizer_app, tokens.token(**{"cognito:groups": ["pet-veterinarian", "ghost"]}))
    assert authorizer.store.reads == 1
    now[0] = 301.0
    decide_token(authorizer_app, tokens.token(**{"cognito:groups": ["pet-veterinarian", "ghost"]}))
    assert authorizer.store.reads == 2


def test_policy_change_is_seen_after_the_ttl(
    monkeypatch: pytest.MonkeyPatch, authorizer_app: ModuleType, tokens: support.TokenFactory, ddb: Any
) -> None:
    authorizer = authorizer_app.get_authorizer()
    now = [0.0]
    monkeypatch.setattr(authorizer.store, "_clock", lambda: now[0])
    assert decide_token(authorizer_app, tokens.token())[0] == "allow"
    ddb.delete_item(TableName=support.POLICY_TABLE, Key={"group": {"S": "pet-veterinarian"}})
    assert decide_token(authorizer_app, tokens.token())[0] == "allow"  # cached
    now[0] = 301.0
    assert decide_token(authorizer_app, tokens.token())[0] == "deny"


# --- logs -------------------------------------------------------------------------------------


def test_one_json_log_line_per_decision_without_the_token(
    capsys: pytest.CaptureFixture[str], authorizer_app: ModuleType, tokens: support.TokenFactory
) -> None:
    good = tokens.token(sub="aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee")
    expired = tokens.token(exp=int(time.time()) - 100, iat=int(time.time()) - 200)
    capsys.readouterr()
    decide_token(authorizer_app, f"Bearer {good}")
    decide_token(authorizer_app, f"Bearer {expired}")
    decide_token(authorizer_app, tokens.token(**{"cognito:groups": []}))
    out = capsys.readouterr().out
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    decisions = [line for line in lines if line.get("message") == "authorizer decision"]
    assert [d["decision"] for d in decisions] == ["allow", "unauthorized", "deny"]
    assert decisions[0]["sub"] == "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
    assert decisions[0]["groups"] == ["pet-veterinarian"]
    assert decisions[0]["route"] == "GET /petstore/v1/pets"
    assert decisions[0]["reason"] == "group_policy"
    assert decisions[1]["reason"] == "token_expired"
    assert decisions[1]["sub"] is None
    assert decisions[2]["reason"] == "no_group"
    for secret in (good, expired, good.split(".")[2], expired.split(".")[1]):
        assert secret not in out
