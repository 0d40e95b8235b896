"""Authorizer decision latency with warm caches versus cache-less baselines, in one process.

Run with `make bench` (or `python -m tests.bench [--decisions N] [--no-write]`). DynamoDB is moto
in-process and the JWKS is served over loopback HTTP, so the baselines *understate* what the caches
save in AWS, where each DynamoDB read and JWKS fetch crosses the network. Decision logs are set to
WARNING so that stdout writes are not part of the figures. The table it prints is written into
docs/benchmarks.md between the generated-section markers (the rest of that file is kept).
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
for _path in (ROOT, ROOT / "functions" / "authorizer"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import app  # noqa: E402 - the function folder is on sys.path only from here
import boto3  # noqa: E402
from authz.decide import Authorizer  # noqa: E402
from authz.logs import get_logger  # noqa: E402
from authz.policies import PolicyStore  # noqa: E402
from authz.settings import Settings  # noqa: E402
from authz.verify import TokenVerifier  # noqa: E402
from moto import mock_aws  # noqa: E402

from tests.functional.functions import support  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
BEGIN = "<!-- BEGIN GENERATED: authorizer benchmark (python -m tests.bench) -->"
END = "<!-- END GENERATED: authorizer benchmark -->"


@dataclass(frozen=True)
class Result:
    name: str
    what: str
    samples: list[float]  # seconds per decision

    def stat(self, q: float) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _measure(name: str, what: str, count: int, decide: Callable[[int], Any]) -> Result:
    samples = []
    for i in range(count):
        started = time.perf_counter()
        decide(i)
        samples.append(time.perf_counter() - started)
    return Result(name, what, samples)


def run(decisions: int) -> tuple[list[Result], dict[str, int]]:
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
    )
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        os.environ.pop(name, None)
    key = support.SigningKey.generate("bench-key")
    tokens = support.TokenFactory(key)
    routes = [
        support.method_arn("GET", "/petstore/v1/pets"),
        support.method_arn("GET", "/petstore/v2/status"),
    ]
    events = [
        support.token_event(f"Bearer {tokens.token()}", arn)
        for arn, _ in zip(itertools.cycle(routes), range(64))
    ]
    counters = {"jwks_requests_warm": 0, "table_reads_warm": 0}

    with mock_aws(), support.JwksServer([key]) as jwks:
        client = boto3.client("dynamodb", region_name=support.REGION)
        support.create_policy_table(client)
        env = support.authorizer_env(jwks.url, LOG_LEVEL="WARNING")
        settings = Settings.from_env(env)
        logger = get_logger("WARNING")

        def fresh(store_clock: Callable[[], float] | None = None, new_client: bool = False) -> Authorizer:
            factory = app.dynamodb_client if new_client else (lambda: client)
            store = PolicyStore(
                settings.policy_table,
                settings.policy_cache_ttl,
                factory,
                **({"clock": store_clock} if store_clock else {}),
            )
            return Authorizer(TokenVerifier(settings), store, logger)

        def check(response: dict[str, Any]) -> None:
            if support.outcome(response) != "allow":
                raise SystemExit("benchmark setup is wrong: a decision was not Allow")

        warm = fresh()
        check(warm.authorize(events[0]))
        jwks_before, reads_before = jwks.requests, warm.store.reads
        results = [
            _measure(
                "warm caches",
                "JWKS and group policy cached (the normal warm path)",
                decisions,
                lambda i: check(warm.authorize(events[i % len(events)])),
            ),
        ]
        counters["jwks_requests_warm"] = jwks.requests - jwks_before
        counters["table_reads_warm"] = warm.store.reads - reads_before

        ticks = itertools.count(step=10_000)
        no_policy_cache = fresh(store_clock=lambda: float(next(ticks)))
        check(no_policy_cache.authorize(events[0]))
        results.append(
            _measure(
                "policy read every call",
                "JWKS cached, one DynamoDB BatchGetItem per decision (the naive path)",
                max(decisions // 5, 20),
                lambda i: check(no_policy_cache.authorize(events[i % len(events)])),
            )
        )

        def uncached(event: dict[str, Any]) -> dict[str, Any]:
            cache = no_policy_cache.verifier.jwks.jwk_set_cache
            if cache is not None:
                cache.put(None)  # forget the JWKS: the next decision fetches it
            return no_policy_cache.authorize(event)

        results.append(
            _measure(
                "no caches",
                "JWKS fetched over loopback HTTP and policy read on every decision (clients reused)",
                max(decisions // 20, 20),
                lambda i: check(uncached(events[i % len(events)])),
            )
        )
        results.append(
            _measure(
                "cold container",
                "a new authorizer each time: TLS context, boto3 client, JWKS fetch, policy read"
                " (a cold start minus imports)",
                max(decisions // 100, 10),
                lambda i: check(fresh(new_client=True).authorize(events[i % len(events)])),
            )
        )
    return results, counters


def render(results: list[Result], counters: dict[str, int]) -> str:
    warm = statistics.median(results[0].samples)
    lines = [
        BEGIN,
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {platform.machine()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs; DynamoDB = moto in-process, JWKS = loopback HTTP.",
        "",
        "| scenario | decisions | median | p95 | mean | decisions/s | median vs warm |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        median = statistics.median(r.samples)
        mean = statistics.fmean(r.samples)
        lines.append(
            f"| {r.name} | {len(r.samples)} | {median * 1e3:.3f} ms | {r.stat(0.95) * 1e3:.3f} ms | "
            f"{mean * 1e3:.3f} ms | {1 / mean:,.0f} | {median / warm:.1f}x |"
        )
    lines += [
        "",
        "Scenarios:",
        *(f"- **{r.name}**: {r.what}." for r in results),
        "",
        f"During the warm run the JWKS endpoint received {counters['jwks_requests_warm']} requests and the "
        f"policy table {counters['table_reads_warm']} reads.",
        "",
        END,
    ]
    return "\n".join(lines)


def write(section: str) -> None:
    text = DOC.read_text() if DOC.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOC.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--decisions", type=int, default=2000, help="warm decisions to time (baselines use fewer)"
    )
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args(argv)
    results, counters = run(max(args.decisions, 100))
    section = render(results, counters)
    print(section)
    if not args.no_write:
        write(section)
        print(f"\nwritten to {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
