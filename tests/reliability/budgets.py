"""How much each reliability test does, per profile (FGA_RELIABILITY_PROFILE): `ci` is what
`make test` runs (bounded: about a minute of fuzzing on 2 cores, a short load run), `soak` is
`make reliability` (the figures of docs/reliability.md).

Fuzz budgets are hypothesis `max_examples`: an upper bound per target. The tests count the cases
that actually ran and report those (figures.record), so the report never states a budget as a result.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.reliability.figures import profile

# Cases per fuzz target. The `ci` sum is above 20,000 (the floor docs/reliability.md promises for
# every `make test`); the authorizer targets dominate because they are the security boundary.
FUZZ_CASES: dict[str, dict[str, int]] = {
    "ci": {
        # Weighted towards the cheap targets (about 1 ms a case) so that `make test` stays near a
        # minute on 2 cores; the expensive ones (signing, moto writes) get their volume in soak.
        "authorizer_header_garbage": 5200,
        "authorizer_request_events": 1500,
        "authorizer_token_segments": 4900,
        "authorizer_forged_tokens": 1500,
        "authorizer_claims_valid": 1000,
        "authorizer_claims_hostile": 1200,
        "authorizer_method_arn": 2000,
        "backend_profile_bodies": 1000,
        "backend_pet_bodies": 800,
        "backend_request_shapes": 1500,
    },
    "soak": {
        "authorizer_header_garbage": 12000,
        "authorizer_request_events": 8000,
        "authorizer_token_segments": 12000,
        "authorizer_forged_tokens": 6000,
        "authorizer_claims_valid": 6000,
        "authorizer_claims_hostile": 10000,
        "authorizer_method_arn": 8000,
        "backend_profile_bodies": 6000,
        "backend_pet_bodies": 5000,
        "backend_request_shapes": 8000,
    },
}


def fuzz_cases(target: str) -> int:
    return FUZZ_CASES[profile()][target]


@dataclass(frozen=True)
class LoadBudget:
    threads: int
    max_requests: int
    max_seconds: float


LOAD: dict[str, LoadBudget] = {
    "ci": LoadBudget(threads=6, max_requests=400, max_seconds=15.0),
    "soak": LoadBudget(threads=8, max_requests=4000, max_seconds=180.0),
}

# Concurrent read-modify-write writers on one record, and rounds each.
WRITERS: dict[str, tuple[int, int]] = {"ci": (5, 6), "soak": (8, 25)}


def load_budget() -> LoadBudget:
    return LOAD[profile()]


def writers() -> tuple[int, int]:
    return WRITERS[profile()]
