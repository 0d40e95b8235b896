"""In-process decision costs: the authorizer's paths, its former baselines, a sample-style authorizer
and one raw RS256 verify of the same token, measured in interleaved rounds in one process.

DynamoDB is moto in-process and the JWKS is served over loopback HTTP, so every baseline that reads
the table or fetches keys is *faster* here than in AWS (each read or fetch crosses the network
there): the ratios understate what the caches save. Decision logs are set to WARNING so writing
log lines is not part of the figures (a deployed authorizer logs each decision at INFO).
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import app
import boto3
from authz.decide import Authorizer
from authz.logs import get_logger
from authz.policies import PolicyStore
from authz.revocation import RevocationStore
from authz.settings import Settings
from authz.token_cache import VerifiedTokens
from authz.verify import TokenVerifier
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256
from moto import mock_aws

from tests.bench.sample_style import SampleStyleAuthorizer
from tests.bench.stats import Series, Timed, interleave, time_batch, time_each
from tests.functional.functions import support

VERIFY = "one RS256 verify (cryptography), same token"
FIRST_SEEN = "first-seen token, warm caches"
REPEATED = "repeated token, warm caches"
NEW_USER = "first-seen user: revocation record read"
REPEATED_LOGGED = "repeated token, decision logged at INFO"
TOKEN_CACHE_OFF = "repeated token, token cache off"
POLICY_EVERY_CALL = "policy read every call"
NO_CACHES = "no caches"
MACHINE_FIRST_SEEN = "first-seen machine token, warm caches"
MACHINE_REPEATED = "repeated machine token, warm caches"
COLD = "cold container"
SAMPLE = "sample-style authorizer"
SLICES = 10  # passes over every scenario per round (see stats.interleave)


@dataclass
class Decisions:
    series: dict[str, Series]
    counters: dict[str, int]
    # Median time to create the revocation client once the policy client exists (same botocore
    # session, as on a cold start): what the revocation check adds to a cold start besides its read.
    second_client_seconds: float = 0.0
    first_client_seconds: float = 0.0  # the policy client, from a new session (imports already done)

    def __getitem__(self, name: str) -> Series:
        return self.series[name]


def run(rounds: int = 7, scale: float = 1.0) -> Decisions:
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_REGION=support.REGION,
        AWS_DEFAULT_REGION=support.REGION,
    )
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)

    def n(count: int) -> int:
        """Calls per slice for `count` calls per round."""
        return max(1, int(count * scale / SLICES))

    key = support.SigningKey.generate("bench-key")
    tokens = support.TokenFactory(key)
    routes = [
        support.method_arn("GET", "/petstore/v1/pets"),
        support.method_arn("GET", "/petstore/v2/status"),
    ]
    # First-seen tokens come from users this container has checked recently (a refreshed token, a
    # second device): warm caches include their revocation records. A user it has not seen costs
    # one record read on top: the NEW_USER row.
    users = [f"bench-user-{i:02d}" for i in range(64)]
    repeated = support.token_event(f"Bearer {tokens.token(sub=users[0])}", routes[0])
    cycle = [
        support.token_event(f"Bearer {tokens.token(sub=users[i])}", arn)
        for i, (arn, _) in enumerate(zip(itertools.cycle(routes), range(64)))
    ]
    first_seen = iter(
        [
            support.token_event(f"Bearer {tokens.token(sub=users[i % 64])}", routes[i % 2])
            for i in range(n(400) * SLICES * rounds + 1)
        ]
    )
    new_users = iter(
        [
            support.token_event(f"Bearer {tokens.token()}", routes[i % 2])
            for i in range(n(200) * SLICES * rounds + 1)
        ]
    )
    machine_route = support.method_arn("GET", "/petstore/v2/pets")  # the reporter's own template allows it
    machine_repeated = support.token_event(f"Bearer {tokens.machine_token()}", machine_route)
    machine_first_seen = iter(
        [
            support.token_event(f"Bearer {tokens.machine_token()}", machine_route)
            for _ in range(n(400) * SLICES * rounds + 1)
        ]
    )
    header, payload, signature = str(repeated["authorizationToken"]).split(" ")[1].split(".")
    signing_input = f"{header}.{payload}".encode()
    raw_signature = base64.urlsafe_b64decode(signature + "==")
    public_key = key.private.public_key()
    padding, sha256 = PKCS1v15(), SHA256()

    with mock_aws(), support.JwksServer([key]) as jwks:
        client = boto3.client("dynamodb", region_name=support.REGION)
        support.create_policy_table(client)
        support.create_revocation_table(client)
        support.put_client_policies(client)
        # A record read stays fresh for the whole run: "warm caches" (a deployed container re-reads a
        # user's record every REVOCATION_CHECK_SECONDS; the NEW_USER row is what that read costs).
        settings = Settings.from_env(
            support.authorizer_env(
                jwks.url, LOG_LEVEL="WARNING", REVOCATION_CHECK_SECONDS="300", **support.machine_env()
            )
        )
        logger = get_logger("WARNING")

        def fresh(
            *,
            clock: Callable[[], float] | None = None,
            new_client: bool = False,
            token_cache: int | None = None,
        ) -> Authorizer:
            if new_client:
                app.reset()  # a new container: a new botocore session too
            factory = app.dynamodb_client if new_client else (lambda: client)
            store = PolicyStore(
                settings.policy_table,
                settings.policy_cache_ttl,
                factory,
                **({"clock": clock} if clock else {}),
            )
            cache = VerifiedTokens() if token_cache is None else VerifiedTokens(token_cache)
            revocations = RevocationStore(
                settings.revocation_table,
                settings.revocation_check_ttl,
                app.revocation_client if new_client else (lambda: client),
            )
            return Authorizer(TokenVerifier(settings), store, logger, cache, revocations=revocations)

        def allowed(response: dict[str, Any]) -> None:
            if support.outcome(response) != "allow":
                raise SystemExit("benchmark setup is wrong: a decision was not Allow")

        warm = fresh()
        for event in cycle:  # every bench user's revocation record read once
            allowed(warm.authorize(event))
        allowed(warm.authorize(repeated))
        allowed(warm.authorize(machine_repeated))
        token_cache_off = fresh(token_cache=0)
        allowed(token_cache_off.authorize(repeated))
        ticks = itertools.count(step=10_000)
        policy_every_call = fresh(clock=lambda: float(next(ticks)), token_cache=0)
        allowed(policy_every_call.authorize(cycle[0]))

        def uncached(event: dict[str, Any]) -> dict[str, Any]:
            policy_every_call.verifier.jwks._keys = None  # forget the JWKS: the next decision fetches it
            return policy_every_call.authorize(event)

        published = json.loads(json.dumps({"keys": [key.jwk()]}))
        sample = SampleStyleAuthorizer(
            published, support.POLICY_TABLE, support.REGION, support.ISSUER, {support.CLIENT_ID}
        )
        allowed(sample.authorize(repeated))

        series = {
            name: Series(name, what)
            for name, what in [
                (VERIFY, "`RSAPublicKey.verify` of the token's signature, the floor of any verification"),
                (
                    FIRST_SEEN,
                    "a token this container has not seen, of a user whose revocation record it read "
                    "recently, JWKS and the group's policy cached (a refreshed token, another device)",
                ),
                (REPEATED, "the same token again: answered by the verified-token cache"),
                (
                    NEW_USER,
                    "a token of a user this container has not checked within REVOCATION_CHECK_SECONDS: "
                    "the first-seen path plus one consistent GetItem of the user's revocation record",
                ),
                (
                    MACHINE_FIRST_SEEN,
                    "a client-credentials token of a declared machine client this container has not "
                    "seen, JWKS and the client's policy item cached (each token a service fetches)",
                ),
                (MACHINE_REPEATED, "the same machine token again: answered by the verified-token cache"),
                (
                    REPEATED_LOGGED,
                    "the same, with the one JSON decision line a deployed authorizer writes "
                    "(LOG_LEVEL=INFO; stdout to /dev/null)",
                ),
                (
                    TOKEN_CACHE_OFF,
                    "the same token again with the function's token cache off as well: "
                    "a full verification and decision each time",
                ),
                (POLICY_EVERY_CALL, "JWKS cached, one DynamoDB BatchGetItem per decision (the naive path)"),
                (
                    NO_CACHES,
                    "JWKS fetched over loopback HTTP and the policy read on every decision (clients reused)",
                ),
                (
                    COLD,
                    "a new authorizer each time: botocore clients, JWKS fetch, revocation and policy reads "
                    "(a cold start minus imports)",
                ),
                (SAMPLE, "python-jose decode, a new boto3 DynamoDB resource and a GetItem per call"),
            ]
        }

        def warm_first_seen() -> Timed:
            return time_each(n(400), lambda _: warm.authorize(next(first_seen)), allowed)

        def warm_new_user() -> Timed:
            return time_each(n(200), lambda _: warm.authorize(next(new_users)), allowed)

        def warm_repeated() -> Timed:
            return time_batch(n(4000), lambda: warm.authorize(repeated), allowed)

        def warm_machine_first_seen() -> Timed:
            return time_each(n(400), lambda _: warm.authorize(next(machine_first_seen)), allowed)

        def warm_machine_repeated() -> Timed:
            return time_batch(n(4000), lambda: warm.authorize(machine_repeated), allowed)

        def logged_repeated() -> Timed:
            quiet_stdout = sys.stdout
            with open(os.devnull, "w") as devnull:
                sys.stdout = devnull
                logger.setLevel("INFO")
                try:
                    return time_batch(n(2000), lambda: warm.authorize(repeated), allowed)
                finally:
                    logger.setLevel("WARNING")
                    sys.stdout = quiet_stdout

        warm_jwks = warm_reads = warm_revocation_reads = 0

        def counted(run: Callable[[], Timed]) -> Callable[[], Timed]:
            def wrapper() -> Timed:
                nonlocal warm_jwks, warm_reads, warm_revocation_reads
                before = jwks.requests, warm.store.reads, warm.revocations.reads
                samples = run()
                warm_jwks += jwks.requests - before[0]
                warm_reads += warm.store.reads - before[1]
                warm_revocation_reads += warm.revocations.reads - before[2]
                return samples

            return wrapper

        def verify_once() -> None:
            public_key.verify(raw_signature, signing_input, padding, sha256)

        def each_of_cycle(authorizer: Callable[[dict[str, Any]], dict[str, Any]], count: int) -> Timed:
            return time_each(count, lambda i: authorizer(cycle[i % len(cycle)]), allowed)

        def cold_container(event: dict[str, Any]) -> dict[str, Any]:
            return fresh(new_client=True).authorize(event)

        interleave(
            rounds,
            SLICES,
            [
                (series[VERIFY], lambda: time_batch(n(4000), verify_once)),
                (series[FIRST_SEEN], counted(warm_first_seen)),
                (series[REPEATED], counted(warm_repeated)),
                (series[NEW_USER], warm_new_user),
                (series[MACHINE_FIRST_SEEN], counted(warm_machine_first_seen)),
                (series[MACHINE_REPEATED], counted(warm_machine_repeated)),
                (series[REPEATED_LOGGED], counted(logged_repeated)),
                (
                    series[TOKEN_CACHE_OFF],
                    lambda: time_each(n(400), lambda _: token_cache_off.authorize(repeated), allowed),
                ),
                (series[POLICY_EVERY_CALL], lambda: each_of_cycle(policy_every_call.authorize, n(100))),
                (series[NO_CACHES], lambda: each_of_cycle(uncached, n(20))),
                (series[COLD], lambda: each_of_cycle(cold_container, n(10))),
                (series[SAMPLE], lambda: time_each(n(20), lambda _: sample.authorize(repeated), allowed)),
            ],
        )
        first_client: list[float] = []
        second_client: list[float] = []
        for _ in range(max(5, rounds)):
            app.reset()
            begin = time.perf_counter()
            app.dynamodb_client()
            first_client.append(time.perf_counter() - begin)
            begin = time.perf_counter()
            app.revocation_client()
            second_client.append(time.perf_counter() - begin)
        app.reset()
        counters = {
            "warm_jwks_requests": warm_jwks,
            "warm_table_reads": warm_reads,
            "warm_revocation_reads": warm_revocation_reads,
        }
    return Decisions(series, counters, statistics.median(second_client), statistics.median(first_client))
