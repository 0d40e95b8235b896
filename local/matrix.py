"""The live access matrix: every demo user calls every route through the local gateway; each answer
is printed beside the access contract's promise (tests/contract/access.yaml), the oracle no
evaluator wrote, under the environment's identity-pool role mapping."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import requests
from botocore.exceptions import ClientError as AwsClientError

from local.client import HTTP_TIMEOUT_SECONDS, ClientError, Session
from local.probe_data import ProbeSandbox
from tools import config, contract
from tools.config import Route
from tools.matrix import ALLOW, Expectation, Principal, Probe, matches, probe, user_pool_role_mapping

MATRIX_THREADS = 4


@dataclass(frozen=True)
class Cell:
    user: str
    route: str
    expected: Expectation
    status: int | None  # None: the client could not even make the call
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and matches(self.expected, self.status)


def principals(stack: dict[str, Any]) -> list[Principal]:
    group = stack["external_idp"]["group"]
    return [
        Principal(u["name"], tuple(u["groups"]), external_group=group if u["external"] else None)
        for u in stack["users"]
    ]


def call(
    stack: dict[str, Any], session: Session, route: Route, request: Probe
) -> tuple[requests.Response, str]:
    """The API's answer to this user's probe of `route`, and a note on how it was made.

    When the identity pool refuses a user credentials (NotAuthorizedException: the Rules mapping
    gives a user in no group none), the iam call goes out unsigned, as a client left without
    credentials would send it; API Gateway answers 403 "Missing Authentication Token".
    """
    try:
        return session.request(
            request.method, request.path, request.body, auth=route.auth, scopes=route.scopes
        ), ""
    except AwsClientError as exc:
        if route.auth != "iam" or exc.response.get("Error", {}).get("Code") != "NotAuthorizedException":
            raise
    headers = {"Content-Type": "application/json"} if request.body is not None else {}
    response = requests.request(
        request.method,
        f"{stack['api_url']}{request.path}",
        json=request.body,
        headers=headers,
        timeout=HTTP_TIMEOUT_SECONDS,
    )
    return response, "no credentials: the identity pool refused them; sent unsigned"


def expectations(
    stack: dict[str, Any], env: str | None = None
) -> tuple[str, dict[tuple[str, str], Expectation]]:
    """(role mapping, {(user, route): the contract's outcome for the route's probe})."""
    cfg = config.load(env or str(stack.get("environment", "local")))
    mapping = user_pool_role_mapping(cfg)
    promise = contract.load()
    return mapping, {
        (user["name"], route.name): promise.expectation(
            mapping, user["name"], route.name, probe(route).method
        )
        for user in stack["users"]
        for route in cfg.routes.values()
    }


def run(stack: dict[str, Any], env: str | None = None) -> list[Cell]:
    """Call every route as every demo user (in route order; writes come after reads of a path).

    The data are left as they were: write probes go through a ProbeSandbox (local/probe_data.py),
    which aims collection deletes at disposable items and undoes every other write afterwards.
    """
    cfg = config.load(env or str(stack.get("environment", "local")))
    _, promised = expectations(stack, cfg.environment)
    sandbox = ProbeSandbox(stack)
    try:
        # One thread per demo user (each user's calls stay in route order): the calls mostly wait
        # on sign-ins, credential exchanges and Lambda workers, so the users overlap well.
        with ThreadPoolExecutor(max_workers=MATRIX_THREADS, thread_name_prefix="matrix") as pool:
            rows = pool.map(
                lambda user: _probe_user(stack, user, cfg.routes.values(), promised, sandbox),
                stack["users"],
            )
            return [cell for row in rows for cell in row]
    finally:
        sandbox.restore()


def _probe_user(
    stack: dict[str, Any],
    user: dict[str, Any],
    routes: Iterable[Route],
    promised: dict[tuple[str, str], Expectation],
    sandbox: ProbeSandbox,
) -> list[Cell]:
    cells: list[Cell] = []
    session = Session(stack, user)
    for route in routes:
        expected = promised[(user["name"], route.name)]
        request = probe(route)
        try:
            response, note = sandbox.call(session, route, request, send=lambda s, r, p: call(stack, s, r, p))
        except ClientError as exc:
            cells.append(Cell(user["name"], route.name, expected, None, str(exc)))
            continue
        except Exception as exc:  # a refused sign-in or credential call is a result too
            cells.append(Cell(user["name"], route.name, expected, None, f"{type(exc).__name__}: {exc}"))
            continue
        cells.append(Cell(user["name"], route.name, expected, response.status_code, note))
    return cells


def _label(expected: Expectation) -> str:
    return "2xx" if expected == ALLOW else str(expected)


def render(cells: list[Cell], stack: dict[str, Any]) -> str:
    """A table: rows = routes, columns = users; each cell `live/promised`, mismatches marked `!!`."""
    users = [u["name"] for u in stack["users"]]
    routes = list(dict.fromkeys(c.route for c in cells))
    by_key = {(c.user, c.route): c for c in cells}
    route_w = max(len(r) + 2 + len(_route_sig(stack, r)) for r in routes)
    col_w = max(12, *(len(u) for u in users))
    mapping = user_pool_role_mapping(config.load(str(stack.get("environment", "local"))))
    lines = [
        f"Access matrix: live status / promised by {contract.CONTRACT_FILE.relative_to(config.REPO_ROOT)}"
        " (2xx = the handler answered), !! = mismatch",
        f"identity-pool role mapping for user-pool users: {mapping}"
        + (
            " (strict: each user gets only its preferred role)"
            if mapping == "Rules"
            else " (CustomRoleArn may pick any own group's role)"
        ),
        " " * route_w + " " + " ".join(u.rjust(col_w) for u in users),
    ]
    for r in routes:
        row = [f"{r}  {_route_sig(stack, r)}".ljust(route_w)]
        for u in users:
            c = by_key[(u, r)]
            live = "ERR" if c.status is None else str(c.status)
            text = f"{live}/{_label(c.expected)}{'' if c.ok else ' !!'}"
            row.append(text.rjust(col_w))
        lines.append(" ".join(row))
    bad = [c for c in cells if not c.ok]
    lines.append(f"{len(cells)} calls, {len(bad)} mismatches")
    lines.extend(
        f"  !! {c.user} {c.route}: got {c.status}, promised {_label(c.expected)} {c.detail}" for c in bad
    )
    notes = dict.fromkeys((c.user, c.detail) for c in cells if c.ok and c.detail)
    lines.extend(f"  note: {user}: {detail}" for user, detail in notes)
    return "\n".join(lines)


def _route_sig(stack: dict[str, Any], name: str) -> str:
    r = stack["routes"][name]
    return f"{r['method']} {r['path']} [{r['auth']}]"
