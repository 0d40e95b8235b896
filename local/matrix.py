"""The live access matrix: every demo user calls every route through the local gateway; each answer
is printed beside the expectation tools/matrix.py derives from the templates and routes."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from local.client import ClientError, Session
from local.probe_data import ProbeSandbox
from tools import config
from tools.matrix import ALLOW, Expectation, Principal, expected_status, matches, probe
from tools.render import render_group

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


def run(stack: dict[str, Any], env: str = "local") -> list[Cell]:
    """Call every route as every demo user (in route order; writes come after reads of a path).

    The data are left as they were: write probes go through a ProbeSandbox (local/probe_data.py),
    which aims collection deletes at disposable items and undoes every other write afterwards.
    """
    sandbox = ProbeSandbox(stack)
    try:
        # One thread per demo user (each user's calls stay in route order): the calls mostly wait
        # on sign-ins, credential exchanges and Lambda workers, so the users overlap well.
        with ThreadPoolExecutor(max_workers=MATRIX_THREADS, thread_name_prefix="matrix") as pool:
            rows = pool.map(lambda user: _probe_all({**stack, "users": [user]}, env, sandbox), stack["users"])
        return [cell for row in rows for cell in row]
    finally:
        sandbox.restore()


def _probe_all(stack: dict[str, Any], env: str, sandbox: ProbeSandbox) -> list[Cell]:
    cfg = config.load(env)
    policies = {g: json.loads(render_group(cfg, g, api_id=stack["api_id"])) for g in cfg.groups}
    cells: list[Cell] = []
    for principal, user in zip(principals(stack), stack["users"], strict=True):
        session = Session(stack, user)
        for route in cfg.routes.values():
            expected = expected_status(cfg, principal, route, policies, stack["api_id"])
            request = probe(route)
            try:
                response = sandbox.call(session, route, request)
            except ClientError as exc:
                cells.append(Cell(user["name"], route.name, expected, None, str(exc)))
                continue
            except Exception as exc:  # a refused sign-in or credential call is a result too
                cells.append(Cell(user["name"], route.name, expected, None, f"{type(exc).__name__}: {exc}"))
                continue
            cells.append(Cell(user["name"], route.name, expected, response.status_code))
    return cells


def _label(expected: Expectation) -> str:
    return "2xx" if expected == ALLOW else str(expected)


def render(cells: list[Cell], stack: dict[str, Any]) -> str:
    """A table: rows = routes, columns = users; each cell `live/expected`, mismatches marked `!!`."""
    users = [u["name"] for u in stack["users"]]
    routes = list(dict.fromkeys(c.route for c in cells))
    by_key = {(c.user, c.route): c for c in cells}
    route_w = max(len(r) + 2 + len(_route_sig(stack, r)) for r in routes)
    col_w = max(12, *(len(u) for u in users))
    lines = [
        "Access matrix: live status / expected (2xx = the handler answered), !! = mismatch",
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
        f"  !! {c.user} {c.route}: got {c.status}, expected {_label(c.expected)} {c.detail}" for c in bad
    )
    return "\n".join(lines)


def _route_sig(stack: dict[str, Any], name: str) -> str:
    r = stack["routes"][name]
    return f"{r['method']} {r['path']} [{r['auth']}]"
