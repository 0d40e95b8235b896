"""Machine callers of a live run (no network): where a run finds a machine caller's credentials, and
how a not-applicable cell reads in the report."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tools.live import machines
from tools.live.machines import MachineKind, machine_client
from tools.live.report import Cell, Report, label, render
from tools.matrix import ALLOW, NOT_APPLICABLE

LOCAL = {
    "machines": [
        {
            "name": "reporter",
            "client_id": "r-id",
            "client_secret": "r-secret",
            "scopes": ["api/a"],
            "declared": True,
        },
        {
            "name": "undeclared",
            "client_id": "u-id",
            "client_secret": "u-secret",
            "scopes": ["api/a"],
            "declared": False,
        },
    ]
}


def test_the_local_stack_lists_every_machine_caller_with_its_secret() -> None:
    assert machine_client(LOCAL, MachineKind("reporter", True))["client_secret"] == "r-secret"
    assert machine_client(LOCAL, MachineKind("undeclared", False))["client_id"] == "u-id"
    # a kind the description has only with the other declared flag is not that caller
    assert machine_client(LOCAL, MachineKind("undeclared", True)) is None


class _Cognito:
    def __init__(self) -> None:
        self.asked: list[dict[str, str]] = []

    def describe_user_pool_client(self, **kwargs: str) -> dict[str, Any]:
        self.asked.append(kwargs)
        return {
            "UserPoolClient": {
                "ClientId": kwargs["ClientId"],
                "ClientSecret": "read-at-run-time",
                "AllowedOAuthScopes": ["api/a", "api/b"],
            }
        }


def test_a_deployed_environment_names_client_ids_and_the_secret_is_read_with_describe(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cognito = _Cognito()
    signed_calls: list[bool] = []

    def client(stack: Any, service: str, **options: bool) -> _Cognito:
        assert service == "cognito-idp"
        signed_calls.append(options["signed"])
        return cognito

    monkeypatch.setattr(machines, "aws_client", client)
    verification = {"user_pool_id": "us-east-1_pool", "machine_clients": {"reporter": "r-id"}}
    found = machine_client(verification, MachineKind("reporter", True))
    assert found == {
        "name": "reporter",
        "client_id": "r-id",
        "client_secret": "read-at-run-time",
        "scopes": ["api/a", "api/b"],
        "declared": True,
    }
    assert cognito.asked == [{"UserPoolId": "us-east-1_pool", "ClientId": "r-id"}]
    assert signed_calls == [True]  # the verify role's credentials, never an unsigned call
    # no client the model does not declare exists there: the run creates none
    assert machine_client(verification, MachineKind("undeclared", False)) is None
    assert machine_client(verification, MachineKind("gone", True)) is None
    assert len(cognito.asked) == 1


def test_a_not_applicable_cell_reads_as_such() -> None:
    kept = Cell("reporter", "cip-get", "GET", NOT_APPLICABLE, matched=True, note=machines.NOT_APPLICABLE_NOTE)
    wrong = Cell("reporter", "news-get", "GET", ALLOW, 401, matched=False, note="UnauthorizedException")
    report = Report(
        environment="local",
        run_id="20300101T000000-abcdef",
        writes=True,
        mapping="Rules",
        routes={"cip-get": "GET /cip [iam]", "news-get": "GET /news [lambda]"},
        users=["reporter"],
        cells=[kept, wrong],
        created=Counter(),
        removed=Counter(),
    )
    assert label(NOT_APPLICABLE) == "n/a"
    text = render(report)
    row = next(line for line in text.splitlines() if line.startswith("cip-get"))
    assert row.rstrip().endswith("n/a")
    assert "401/2xx !!" in text
    assert report.mismatches == [wrong]
