"""The contract loader: the real file parses, and a malformed contract is refused with a message that
names the place (a reviewer must be able to fix it without reading the loader)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools import contract
from tools.matrix import ALLOW, FORBIDDEN, NOT_APPLICABLE, UNAUTHORIZED


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(contract.CONTRACT_FILE.read_text())
    return data


def test_the_contract_file_parses_into_every_cell() -> None:
    promise = contract.load()
    assert promise.source == "tests/contract/access.yaml"
    cells = promise.cells("Rules")
    assert cells[("admin", "news-delete", "DELETE")] == ALLOW
    assert cells[("cip-users", "news-delete", "DELETE")] == FORBIDDEN
    assert cells[("external", "pets-v1", "PATCH")] == UNAUTHORIZED
    per_user = sum(len(r.methods) for r in promise.routes.values())
    assert len(cells) == per_user * len(promise.users("Rules"))
    assert promise.expectation("Token", "no-group", "cip-get", "GET") == FORBIDDEN
    assert promise.users("Token")["no-group"].iam_credentials == "default"
    assert promise.users("Rules")["no-group"].iam_credentials == "none"


def _edit(raw: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(raw)
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is _DELETE:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data


_DELETE = object()

MALFORMED = [
    ("version", 2, "`version: 1` is required"),
    ("role_mapping_default", "Token", "role_mapping_default must be 'Rules'"),
    ("surprise", 1, "unknown key(s) ['surprise']"),
    ("routes.pets-v1.methods", _DELETE, "routes.pets-v1: an ANY route must spell out `methods`"),
    ("routes.cip-get.auth", "cookie", "routes.cip-get: auth 'cookie' is not one of"),
    ("routes.news-get.path", "news", "routes.news-get: path 'news' must start with /"),
    ("users.admin.allow.3", "GET /nowhere", "users.admin.allow[3]: GET /nowhere is not a route x method"),
    ("users.admin.allow.3", "/news", "users.admin.allow[3]: '/news' is not 'METHOD [METHOD ...] /path'"),
    ("users.admin.deny_403.0", "GET /news", "users.admin: GET on route news-get is promised twice"),
    ("users.admin.deny_403.0", "GET /cip", "users.admin: no outcome for POST /cip"),
    ("users.admin.iam_credentials", _DELETE, "users.admin: missing ['iam_credentials']"),
    ("users.admin.groups", "admin", "users.admin.groups: expected a list of names"),
    ("users.external.external", "yes", "users.external.external: expected true or false"),
    ("token_option.nobody", {"iam_credentials": "default"}, "token_option: ['nobody'] are not users"),
    (
        "token_option.multi-group.allow_with_custom_role.cip-users",
        ["GET /news"],
        "allow_with_custom_role.cip-users: ['/news'] are not iam routes",
    ),
    ("revocation", _DELETE, "revocation: expected a mapping, got NoneType"),
    ("revocation.endpoint", "GET /news", "revocation.endpoint: expected 'POST /path'"),
    (
        "revocation.endpoint",
        "POST /cip",
        "POST /cip is route cip-post; the sign-out must not be a contract cell",
    ),
    ("revocation.ended_by.deleted", "gone", "revocation.ended_by: expected exactly ['sign_out',"),
    ("revocation.modes.lambda.answer", "deny_418", "revocation.modes.lambda.answer: expected one of"),
    ("revocation.modes.lambda.within_seconds.disabled", _DELETE, "give a bound for exactly"),
    ("revocation.modes.lambda.within_seconds.disabled", 0, "within_seconds.disabled: a positive number"),
    ("revocation.modes.user_pool.within_seconds", {}, "revocation.modes.user_pool: unknown key(s)"),
    ("revocation.modes.iam", _DELETE, "revocation.modes: expected exactly the modes the routes use"),
    ("machines.reporter.declared", "yes", "machines.reporter.declared: expected true or false"),
    ("machines.reporter.policy", "none", "machines.reporter.policy: a declared client is governed"),
    ("machines.undeclared.policy", "admin", "machines.undeclared.policy: a declared client is governed"),
    ("machines.reporter.scopes", _DELETE, "machines.reporter: missing ['scopes']"),
    ("machines.reporter.not_applicable", _DELETE, "machines.reporter: missing ['not_applicable']"),
    ("machines.reporter.deny_403.3", "DELETE /nowhere", "machines.reporter.deny_403[3]: DELETE /nowhere"),
    (
        "machines.reporter.not_applicable.0",
        "GET POST /cup",
        "machines.reporter: GET on route cup-get is promised twice",
    ),
    (
        "machines.undeclared.not_applicable",
        ["GET POST /cip", "GET POST /google", "DELETE /news"],
        "machines.undeclared: DELETE on route news-delete is promised twice",
    ),
    ("machines.reporter.secret", "x", "machines.reporter: unknown key(s) ['secret']"),
]


@pytest.mark.parametrize(("path", "value", "message"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_a_malformed_contract_is_refused_with_the_place(
    raw: dict[str, Any], path: str, value: Any, message: str
) -> None:
    with pytest.raises(contract.ContractError) as refused:
        contract.parse(_edit(raw, path, value), source="access.yaml")
    assert message in str(refused.value)
    assert str(refused.value).startswith("access.yaml")


def test_the_revocation_section_reads_what_the_tests_compare_with() -> None:
    revocation = contract.load().section(contract.REVOCATION)
    assert (revocation.method, revocation.path) == ("POST", "/session/signout")
    assert list(revocation.ended_by) == list(contract.ENDED_BY)
    lam, pool, iam = (revocation.modes[m] for m in ("lambda", "user_pool", "iam"))
    assert (lam.answer, pool.answer, iam.answer) == (UNAUTHORIZED, ALLOW, ALLOW)
    assert lam.within_seconds == {"sign_out": 5, "sign_out_everywhere": 5, "disabled": 10, "regrouped": 10}
    assert pool.within_seconds == iam.within_seconds == {}
    assert "revocation_check_seconds" in lam.words
    assert "expire" in pool.words
    assert "revoke-sessions" in iam.words


def test_not_applicable_is_only_for_iam_routes(raw: dict[str, Any]) -> None:
    """A machine holds a token: every user_pool and lambda call is made (and answered 401/403)."""
    data = copy.deepcopy(raw)
    reporter = data["machines"]["reporter"]
    reporter["deny_401"] = ["GET POST /cup"]
    reporter["not_applicable"] = [*reporter["not_applicable"], "GET /cup/email"]
    with pytest.raises(
        contract.ContractError, match=r"not_applicable: \['GET /cup/email'\] are not iam routes"
    ):
        contract.parse(data, source="access.yaml")


def test_the_machine_callers_parse_into_their_own_cells() -> None:
    promise = contract.load()
    machines = promise.section(contract.MACHINES)
    cells = contract.machine_cells(machines)
    per_caller = sum(len(r.methods) for r in promise.routes.values())
    assert len(cells) == per_caller * len(machines)
    assert cells[("reporter", "pets-v2-pets", "GET")] == ALLOW
    assert cells[("partner", "partner-pets", "GET")] == UNAUTHORIZED
    assert cells[("partner", "news-delete", "DELETE")] == FORBIDDEN
    assert cells[("undeclared", "news-get", "GET")] == UNAUTHORIZED
    assert cells[("reporter", "cip-get", "GET")] == NOT_APPLICABLE
    assert machines["reporter"].policy == "client:reporter"
    assert machines["undeclared"].policy is None
    assert not machines["undeclared"].declared
    assert not set(cells) & set(promise.cells("Rules")), "machines and users are different callers"


def test_missing_and_invalid_files_are_reported(tmp_path: Path) -> None:
    with pytest.raises(contract.ContractError, match="does not exist"):
        contract.load(tmp_path / "absent.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("users: [unclosed\n")
    with pytest.raises(contract.ContractError, match="not valid YAML"):
        contract.load(bad)


def test_compare_reports_missing_extra_and_different_cells() -> None:
    promise = contract.load()
    found: dict[contract.CellKey, object] = dict(promise.cells("Rules"))
    del found[("admin", "news-get", "GET")]
    found[("admin", "news-delete", "DELETE")] = FORBIDDEN
    found[("ghost", "news-get", "GET")] = ALLOW
    mismatches = contract.compare(promise, "Rules", found, lambda p, f: p == f)
    assert sorted(str(m) for m in mismatches) == [
        "admin DELETE /news (news-delete): contract says allow, found 403",
        "admin GET /news (news-get): contract says allow, found nothing (the matrix has no such cell)",
        "ghost GET /news (news-get): contract says nothing, found allow (the contract has no such cell)",
    ]


# --- a new section plugs in with one entry --------------------------------------------------------


def _read_notes(value: Any, where: str, earlier: contract.Parsed) -> dict[str, str]:
    """A made-up section: a note per route name (the routes read before it)."""
    notes = {} if value is None else dict(value)
    unknown = sorted(set(notes) - set(earlier[contract.ROUTES]))
    if unknown:
        raise contract.ContractError(f"{where}: {unknown} are not routes")
    return notes


NOTES = contract.Section("notes", _read_notes)


def test_a_key_no_section_reads_is_refused_until_its_section_is_listed(raw: dict[str, Any]) -> None:
    with_notes = {**raw, "notes": {"news-get": "read by everyone signed in"}}
    with pytest.raises(contract.ContractError, match=r"unknown key\(s\) \['notes'\]"):
        contract.parse(with_notes, source="access.yaml")
    promise = contract.parse(with_notes, source="access.yaml", sections=(*contract.SECTIONS, NOTES))
    assert promise.section(NOTES) == {"news-get": "read by everyone signed in"}
    assert promise.section(contract.ROUTES) is promise.routes
    assert promise.cells("Rules") == contract.parse(raw).cells("Rules")
    absent = contract.parse(raw, sections=(*contract.SECTIONS, NOTES))
    assert absent.section(NOTES) == {}


def test_a_new_section_reports_its_own_place_and_reads_only_earlier_sections(raw: dict[str, Any]) -> None:
    with_notes = {**raw, "notes": {"nowhere": "?"}}
    with pytest.raises(contract.ContractError, match=r"^access.yaml: notes: \['nowhere'\] are not routes"):
        contract.parse(with_notes, source="access.yaml", sections=(*contract.SECTIONS, NOTES))
    with pytest.raises(LookupError, match="'routes' is not read yet"):
        contract.parse(raw, sections=(NOTES, *contract.SECTIONS))
