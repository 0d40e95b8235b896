"""`make access-diff`: the cells a change moves, in the product's words, on the cases a reviewer meets.

Each test builds a small git repository holding a copy of the access files (the templates and the
access model, the environments' settings, the contract), commits it as BASE, edits the working tree
the way a pull request would, and checks that the diff prints exactly the expected lines: a widened
template, a narrowed one, a new route, a new group, a contract edit without a template edit, and a
template edit without a contract edit. Both sides go through the real evaluator; only git and the
files are small.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools import access_diff, config
from tools.access_diff import cli, sides
from tools.config import REPO_ROOT

ENVS = "(local, dev, staging, prod)"
CONTRACT = REPO_ROOT / sides.CONTRACT


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository whose one commit holds the repository's access files."""
    root = tmp_path / "repo"
    for rel in access_diff.input_paths():
        source = REPO_ROOT / rel
        files = (
            [p for p in source.rglob("*") if p.suffix in (".json", ".tftpl")] if source.is_dir() else [source]
        )
        for path in files:
            if ".terraform" not in path.parts:
                target = root / path.relative_to(REPO_ROOT)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, target)
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "base")
    return root


# --- editing the copy as a pull request would ------------------------------------------------------


def edit_text(repo: Path, rel: str, old: str, new: str) -> None:
    path = repo / rel
    text = path.read_text()
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new))


def edit_json(repo: Path, path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=2))


def edit_contract(repo: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = repo / sides.CONTRACT
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def move_call(contract: dict[str, Any], user: str, call: str, old: str, new: str) -> None:
    """Move `METHOD /path` of `user` from the outcome list `old` to `new` (lines may hold several
    methods: `GET DELETE /news` loses only DELETE)."""
    method, path = call.split()
    spec = contract["users"][user] if user in contract["users"] else contract["machines"][user]
    lines = []
    for line in spec[old] or []:
        *methods, line_path = line.split()
        if line_path == path and method in methods:
            methods.remove(method)
            if not methods:
                continue
            line = " ".join([*methods, line_path])  # noqa: PLW2901
        lines.append(line)
    assert lines != (spec[old] or []), f"{user} has no {call} under {old}"
    spec[old] = lines
    spec[new] = [*(spec[new] or []), call]


def template(repo: Path, group: str) -> str:
    return str((repo / sides.TEMPLATES / f"{group}.json.tftpl").relative_to(repo))


def diff_lines(repo: Path) -> tuple[list[str], list[str]]:
    report = access_diff.compare("HEAD", repo)
    return report.change_lines(), report.disagreement_lines()


# --- the cases ------------------------------------------------------------------------------------


def widen_pet_veterinarian(repo: Path) -> None:
    """pet-veterinarian's template: GET /news becomes any verb on /news (so DELETE too)."""
    edit_text(repo, template(repo, "pet-veterinarian"), '"${api_arn}/GET/news"', '"${api_arn}/*/news"')


def test_a_widened_template_names_every_caller_that_gains_a_call(repo: Path) -> None:
    widen_pet_veterinarian(repo)
    # multi-group's policy is pet-veterinarian's, and so is the machine client partner's
    for caller in ("pet-veterinarian", "multi-group", "partner"):
        edit_contract(repo, lambda c, u=caller: move_call(c, u, "DELETE /news", "deny_403", "allow"))  # type: ignore[misc]
    changes, disagreements = diff_lines(repo)
    assert changes == [
        f"▲ WIDENS   multi-group  DELETE /news  deny_403 → allow  {ENVS}",
        f"▲ WIDENS   partner  DELETE /news  deny_403 → allow  {ENVS}",
        f"▲ WIDENS   pet-veterinarian  DELETE /news  deny_403 → allow  {ENVS}",
    ]
    assert disagreements == []


def test_a_widened_template_without_its_contract_edit_is_flagged(repo: Path) -> None:
    widen_pet_veterinarian(repo)
    changes, disagreements = diff_lines(repo)
    assert changes == [
        f"▲ WIDENS   multi-group  DELETE /news  deny_403 → allow  {ENVS}",
        f"▲ WIDENS   partner  DELETE /news  deny_403 → allow  {ENVS}",
        f"▲ WIDENS   pet-veterinarian  DELETE /news  deny_403 → allow  {ENVS}",
    ]
    assert disagreements == [
        f"✗ matrix    ▲ WIDENS   multi-group  DELETE /news  deny_403 → allow  {ENVS}  contract: deny_403",
        f"✗ matrix    ▲ WIDENS   partner  DELETE /news  deny_403 → allow  {ENVS}  contract: deny_403",
        f"✗ matrix    ▲ WIDENS   pet-veterinarian  DELETE /news  deny_403 → allow  {ENVS}"
        "  contract: deny_403",
    ]


def test_a_machine_clients_own_template_widened(repo: Path) -> None:
    """The reporter's own template gains DELETE /news: only the reporter's cell moves."""
    edit_text(
        repo,
        str((repo / sides.TEMPLATES / "clients" / "reporter.json.tftpl").relative_to(repo)),
        '"${api_arn}/GET/news"',
        '"${api_arn}/*/news"',
    )
    changes, disagreements = diff_lines(repo)
    assert changes == [f"▲ WIDENS   reporter  DELETE /news  deny_403 → allow  {ENVS}"]
    assert disagreements == [
        f"✗ matrix    ▲ WIDENS   reporter  DELETE /news  deny_403 → allow  {ENVS}  contract: deny_403"
    ]


def test_a_new_machine_client_without_a_contract_entry_shows_what_it_gets(repo: Path) -> None:
    def add(model: dict[str, Any]) -> None:
        model["machine_clients"]["mirror"] = {"scopes": ["pets.read"], "policy": {"group": "admin"}}

    edit_json(repo, config.model_path(repo), add)
    changes, disagreements = diff_lines(repo)
    # The same callers on both sides: before, a client named mirror was one the model did not
    # declare (the Lambda authorizer refused it; API Gateway let its scope through already).
    assert f"▲ WIDENS   mirror  DELETE /news  deny_401 → allow  {ENVS}" in changes
    assert f"· changes  mirror  PUT /petstore/v1/pets  deny_401 → deny_403  {ENVS}" in changes
    assert not [line for line in changes if "/partner/pets" in line or "/cip" in line]
    assert (
        f"✗ matrix    ▲ WIDENS   mirror  DELETE /news  deny_401 → allow  {ENVS}  contract: —" in disagreements
    )


def test_a_narrowed_template(repo: Path) -> None:
    edit_text(repo, template(repo, "admin"), ',\n        "${api_arn}/DELETE/news"', "")
    edit_contract(repo, lambda c: move_call(c, "admin", "DELETE /news", "allow", "deny_403"))
    assert diff_lines(repo) == ([f"▼ narrows  admin  DELETE /news  allow → deny_403  {ENVS}"], [])


def test_a_new_route(repo: Path) -> None:
    """GET /audit (lambda), granted to admin: admin gains it, everyone else gets a new denial."""

    def add_route(model: dict[str, Any]) -> None:
        model["routes"]["audit-get"] = {
            "path": "/audit",
            "method": "GET",
            "auth": "lambda",
            "handler": "news",
        }

    edit_json(repo, config.model_path(repo), add_route)
    edit_text(
        repo,
        template(repo, "admin"),
        '"${api_arn}/DELETE/news"',
        '"${api_arn}/DELETE/news",\n "${api_arn}/GET/audit"',
    )

    def promise(contract: dict[str, Any]) -> None:
        contract["routes"]["audit-get"] = {"method": "GET", "path": "/audit", "auth": "lambda"}
        for name, user in contract["users"].items():
            outcome = "allow" if name == "admin" else "deny_401" if user.get("external") else "deny_403"
            user[outcome] = [*(user[outcome] or []), "GET /audit"]
        for machine in contract["machines"].values():  # no machine's policy grants it
            outcome = "deny_403" if machine["declared"] else "deny_401"
            machine[outcome] = [*(machine[outcome] or []), "GET /audit"]

    edit_contract(repo, promise)
    changes, disagreements = diff_lines(repo)
    assert changes == [
        f"▲ WIDENS   admin  GET /audit  — → allow  {ENVS}",
        f"· changes  cip-users  GET /audit  — → deny_403  {ENVS}",
        f"· changes  external  GET /audit  — → deny_401  {ENVS}",
        f"· changes  google-users  GET /audit  — → deny_403  {ENVS}",
        f"· changes  multi-group  GET /audit  — → deny_403  {ENVS}",
        f"· changes  no-group  GET /audit  — → deny_403  {ENVS}",
        f"· changes  partner  GET /audit  — → deny_403  {ENVS}",
        f"· changes  pet-veterinarian  GET /audit  — → deny_403  {ENVS}",
        f"· changes  reporter  GET /audit  — → deny_403  {ENVS}",
        f"· changes  undeclared  GET /audit  — → deny_401  {ENVS}",
    ]
    assert disagreements == []


AUDITOR_ALLOWED = ["GET /cup", "POST /cup", "GET /cup/email", "GET /partner/pets", "GET /news"]
AUDITOR_DENIED = [
    "GET /cip", "POST /cip", "GET /google", "POST /google", "DELETE /news",
    *(f"{m} /petstore/v1/pets" for m in ("GET", "POST", "PUT", "PATCH", "DELETE")),
    *(f"{m} /petstore/v1/pets/{{id}}" for m in ("GET", "POST", "PUT", "PATCH", "DELETE")),
    "GET /petstore/v2/pets", "GET /petstore/v2/status",
]  # fmt: skip


def add_auditors_group(repo: Path) -> None:
    """A group `auditors` whose template allows GET /news."""
    (repo / template(repo, "auditors")).write_text(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", '
        '"Resource": "${api_arn}/GET/news"}]}'
    )
    edit_json(
        repo,
        config.model_path(repo),
        lambda m: m["groups"].__setitem__("auditors", {"precedence": 40, "description": "Read news."}),
    )


def test_a_new_group(repo: Path) -> None:
    add_auditors_group(repo)

    def promise(contract: dict[str, Any]) -> None:
        contract["users"]["auditors"] = {
            "groups": ["auditors"],
            "group": "auditors",
            "iam_credentials": "auditors",
            "custom_role_arn": ["auditors"],
            "allow": AUDITOR_ALLOWED,
            "deny_401": [],
            "deny_403": AUDITOR_DENIED,
        }

    edit_contract(repo, promise)
    # The same callers are computed on both sides: before, a user in `auditors` was a user of the
    # pool in no known group (the user_pool routes already allowed it); the group grants GET /news.
    assert diff_lines(repo) == ([f"▲ WIDENS   auditors  GET /news  deny_403 → allow  {ENVS}"], [])


def test_a_new_group_without_a_contract_entry_still_shows_what_it_grants(repo: Path) -> None:
    """The matrix gets a caller named after the group, and the contract's silence is flagged."""
    add_auditors_group(repo)
    assert diff_lines(repo) == (
        [f"▲ WIDENS   auditors  GET /news  deny_403 → allow  {ENVS}"],
        [f"✗ matrix    ▲ WIDENS   auditors  GET /news  deny_403 → allow  {ENVS}  contract: —"],
    )


def test_a_contract_edit_without_a_template_edit(repo: Path) -> None:
    edit_contract(repo, lambda c: move_call(c, "admin", "GET /petstore/v2/status", "deny_403", "allow"))
    assert diff_lines(repo) == (
        [],
        [
            f"✗ contract  ▲ WIDENS   admin  GET /petstore/v2/status  deny_403 → allow  {ENVS}"
            "  matrix: deny_403"
        ],
    )


def test_a_change_in_one_environment_names_that_one_alone(repo: Path) -> None:
    """dev's external IdP mapped to cip-users instead of google-users: the external user swaps
    /google for /cip there only (and the contract, the same for every environment, disagrees)."""

    def remap(settings: dict[str, Any]) -> None:
        settings["external_providers"]["google"]["group"] = "cip-users"

    edit_json(repo, config.settings_path("dev", repo), remap)
    changes, disagreements = diff_lines(repo)
    assert changes == [
        "▲ WIDENS   external  GET /cip  deny_403 → allow  (dev)",
        "▲ WIDENS   external  POST /cip  deny_403 → allow  (dev)",
        "▼ narrows  external  GET /google  allow → deny_403  (dev)",
        "▼ narrows  external  POST /google  allow → deny_403  (dev)",
    ]
    assert disagreements == [
        "✗ matrix    ▲ WIDENS   external  GET /cip  deny_403 → allow  (dev)  contract: deny_403",
        "✗ matrix    ▲ WIDENS   external  POST /cip  deny_403 → allow  (dev)  contract: deny_403",
        "✗ matrix    ▼ narrows  external  GET /google  allow → deny_403  (dev)  contract: allow",
        "✗ matrix    ▼ narrows  external  POST /google  allow → deny_403  (dev)  contract: allow",
    ]


def test_no_change_and_the_report_says_so(repo: Path) -> None:
    report = access_diff.compare("HEAD", repo)
    assert report.changes == {}
    assert report.disagreements == {}
    text = access_diff.to_text(report)
    assert "no access change: the matrix and the contract are the same on both sides" in text
    assert "evaluated with the working tree's code" in text
    assert access_diff.to_markdown(report).startswith("### Access review: no access change")


def test_the_markdown_marks_a_widening_unmistakably(repo: Path) -> None:
    widen_pet_veterinarian(repo)
    markdown = access_diff.to_markdown(access_diff.compare("HEAD", repo))
    assert markdown.startswith("### Access review: ▲ 3 widenings of access\n")
    assert "> [!WARNING]\n> **This change widens access.**" in markdown
    assert "> [!CAUTION]" in markdown  # and the contract was not updated
    assert f"  ▲ WIDENS   pet-veterinarian  DELETE /news  deny_403 → allow  {ENVS}\n" in markdown


def test_an_older_base_reads_missing_sections_as_empty(repo: Path) -> None:
    """BASE's contract without `token_option`, and with a section the diff does not read: it still
    compares (only cell sections are read)."""

    def older(contract: dict[str, Any]) -> None:
        contract.pop("token_option")
        contract["revocation"] = {"lambda": "seconds"}

    edit_contract(repo, older)
    _git(repo, "commit", "-q", "-am", "older contract format")
    shutil.copy(CONTRACT, repo / sides.CONTRACT)  # the working tree: today's file
    report = access_diff.compare("HEAD", repo)
    assert (report.change_lines(), report.disagreement_lines()) == ([], [])


def test_a_base_without_a_contract_compares_the_matrix_only(repo: Path) -> None:
    (repo / sides.CONTRACT).unlink()
    _git(repo, "commit", "-q", "-am", "no contract yet")
    shutil.copy(CONTRACT, repo / sides.CONTRACT)
    report = access_diff.compare("HEAD", repo)
    assert report.change_lines() == []
    assert report.disagreement_lines() == []  # the contract arrives agreeing with the matrix
    assert any("no access.yaml: no contract cells" in note for note in report.notes)


def test_an_unknown_ref_is_a_clear_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = repo / "report.md"
    status = cli.main(["--base", "no-such-ref", "--repo", str(repo), "--markdown", str(out)])
    assert status == 2
    assert "'no-such-ref' is not a commit of" in capsys.readouterr().err
    assert out.read_text().startswith("### Access review: could not be computed")


def test_a_broken_working_tree_is_reported_with_its_side(repo: Path) -> None:
    (repo / template(repo, "admin")).write_text('{"Statement": [%{ if true }]}')
    with pytest.raises(access_diff.AccessDiffError, match=r"^working tree.*cannot evaluate.*directive"):
        access_diff.compare("HEAD", repo)


def test_the_readme_example_is_what_the_diff_prints(repo: Path) -> None:
    widen_pet_veterinarian(repo)
    changes, _ = diff_lines(repo)
    readme = (REPO_ROOT / "README.md").read_text()
    assert changes[1] in readme
