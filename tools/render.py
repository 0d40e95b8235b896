"""Render `policy_templates/<group>.json.tftpl` (and each machine client's own template,
`policy_templates/clients/<client>.json.tftpl`) for an environment, exactly as Terraform's `templatefile`.

Why this exists: checkov and IAM linters cannot see a policy that Terraform loads with
`templatefile()`, and a policy built from the API's ARN is unknown at plan time. Rendering the
templates in Python with the environment's values gives the validators a concrete document that is,
by construction and by test (`tests/policy/test_render_equals_terraform.py`), the same string
Terraform deploys.

Contract:

* The template variables are exactly `TEMPLATE_VARIABLES`; Terraform passes the same map to
  `templatefile`. `api_arn` is `arn:aws:execute-api:<region>:<account_id>:<api_id>/<stage>`.
* The only template syntax allowed is `${name}` (whitespace inside the braces allowed, as in HCL).
  Everything else Terraform's template language offers is rejected with the file and line:
  `%{...}` directives, `${~ x ~}` strip markers, expressions (`${upper(x)}`), and the escapes `$${`
  and `%%{`. The escapes are rejected rather than supported because they exist to write IAM policy
  variables such as `${aws:username}`, which the lambda-mode enforcement point (the authorizer's
  stored policy, evaluated by API Gateway and by the local gateway) and the static access matrix do
  not expand: the same document would mean different things in the two enforcement points.
* The real API id exists only after `terraform apply`, so offline rendering uses the fixed
  validation placeholder `VALIDATION_API_ID`; `--api-id` renders with a real one.
* A group declared in an environment without a template is an error. A template without a group in
  the environment is reported as a warning and not rendered (environments may declare a subset of
  the groups); `tools.validate` fails on a template that no environment uses. The same holds for a
  machine client whose policy is `{"template": "<client>"}` and the files in `clients/`; a client
  governed by a group's policy has no template of its own.
* Output: `<out>/<group>.json` (and `<out>/clients/<client>.json`) holds the rendered text byte for
  byte (not reformatted).

CLI: `python -m tools.render --env ENV --out DIR [--api-id ID]` (the Makefile's `policies` target).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tools import config
from tools.config import ConfigError, EnvConfig, Group, MachineClient

TEMPLATE_SUFFIX = ".json.tftpl"
TEMPLATE_VARIABLES = ("api_arn", "region", "account_id", "api_id", "stage", "environment")

# A syntactically valid REST API id (API Gateway ids are 10 lowercase alphanumerics) that no real
# API is expected to have. Offline renders (validation, tests) use it; deployed documents carry the
# real id because Terraform renders them after the API exists.
VALIDATION_API_ID = "a1b2c3d4e5"

API_ID_RE = re.compile(r"^[a-z0-9]{10}$")
ACCOUNT_ID_RE = re.compile(r"^[0-9]{12}$")
REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")
STAGE_RE = re.compile(r"^[A-Za-z0-9_-]{1,128}$")

# Everything in a template that starts template syntax. `$${` and `%%{` are listed before `${` and
# `%{` so the longer (escape) form wins at the same position, as in HCL's scanner.
_SYNTAX_RE = re.compile(r"\$\$\{|%%\{|\$\{|%\{")
_IDENTIFIER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


class TemplateError(ValueError):
    """A template or its rendered document breaks a rule; names the file, line and rule."""

    def __init__(self, source: str, line: int | None, rule: str, message: str) -> None:
        self.source = source
        self.line = line
        self.rule = rule
        self.detail = message
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: [{rule}] {message}")


@dataclass(frozen=True)
class RenderedPolicy:
    """One group's (or machine client's) document for one environment, with where it came from."""

    environment: str
    group: str  # the policy-table key: a group name, or `client:<name>` for a machine client
    template: Path
    text: str
    variables: Mapping[str, str]

    @property
    def api_arn(self) -> str:
        return self.variables["api_arn"]

    @property
    def file_name(self) -> str:
        """Where `write_policies` puts it: `<group>.json`, or `clients/<client>.json`."""
        if self.group.startswith(config.MACHINE_POLICY_PREFIX):
            return (
                f"{config.CLIENT_TEMPLATES_DIR}/{self.group.removeprefix(config.MACHINE_POLICY_PREFIX)}.json"
            )
        return f"{self.group}.json"


@dataclass
class RenderResult:
    """What rendering an environment produced: documents, errors and warnings (never raised)."""

    policies: list[RenderedPolicy] = field(default_factory=list)
    errors: list[TemplateError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def render(template_text: str, variables: Mapping[str, str], source: str = "<template>") -> str:
    """Interpolate `${name}` placeholders; reject every other piece of template syntax.

    Pure: no file system access. `variables` must hold a string for every name the template uses;
    names outside `variables` are reported as unknown placeholders.
    """
    out: list[str] = []
    pos = 0
    for match in _SYNTAX_RE.finditer(template_text):
        if match.start() < pos:
            continue  # inside an interpolation already consumed
        start = match.start()
        opener = match.group(0)
        line = _line_of(template_text, start)
        if opener == "$${":
            raise TemplateError(
                source,
                line,
                "escape",
                "the escape '$${' (a literal '${', e.g. an IAM policy variable) is not supported: "
                "the lambda-mode policy store and the access matrix do not expand policy variables",
            )
        if opener == "%%{":
            raise TemplateError(
                source, line, "escape", "the escape '%%{' is not supported in policy templates"
            )
        if opener == "%{":
            raise TemplateError(
                source,
                line,
                "directive",
                "template directives ('%{ if }', '%{ for }') are not allowed: a policy template is a "
                "plain IAM policy document with ${name} placeholders only",
            )
        end = template_text.find("}", start + 2)
        if end == -1:
            raise TemplateError(source, line, "unterminated", "'${' without a closing '}'")
        inner = template_text[start + 2 : end]
        name = inner.strip()
        if name.startswith("~") or name.endswith("~"):
            raise TemplateError(source, line, "strip-marker", f"strip markers are not allowed: ${{{inner}}}")
        if not _IDENTIFIER_RE.match(name):
            raise TemplateError(
                source,
                line,
                "expression",
                f"only plain variable names may be interpolated, not ${{{inner}}}; "
                f"use one of: {', '.join(sorted(variables))}",
            )
        if name not in variables:
            raise TemplateError(
                source,
                line,
                "unknown-placeholder",
                f"unknown placeholder ${{{name}}}; allowed: {', '.join(sorted(variables))}",
            )
        out.append(template_text[pos:start])
        out.append(variables[name])
        pos = end + 1
    out.append(template_text[pos:])
    return "".join(out)


def template_variables(env_cfg: EnvConfig, api_id: str = VALIDATION_API_ID) -> dict[str, str]:
    """The map Terraform passes to `templatefile` for this environment (and `api_id`).

    Raises ConfigError when a value would make a malformed ARN, so a bad environment file or
    `--api-id` is reported before anything is rendered.
    """
    checks = (
        ("api_id", api_id, API_ID_RE, "10 lowercase letters or digits (an API Gateway REST API id)"),
        ("account_id", env_cfg.account_id, ACCOUNT_ID_RE, "12 digits"),
        ("region", env_cfg.region, REGION_RE, "an AWS region such as us-east-1"),
        ("stage_name", env_cfg.stage_name, STAGE_RE, "letters, digits, '_' or '-'"),
    )
    for name, value, pattern, expected in checks:
        if not pattern.match(value):
            raise ConfigError(f"environment {env_cfg.environment!r}: {name} {value!r} must be {expected}")
    stage = env_cfg.stage_name
    return {
        "api_arn": f"arn:aws:execute-api:{env_cfg.region}:{env_cfg.account_id}:{api_id}/{stage}",
        "region": env_cfg.region,
        "account_id": env_cfg.account_id,
        "api_id": api_id,
        "stage": stage,
        "environment": env_cfg.environment,
    }


def display_path(path: Path) -> str:
    """Repository-relative path for messages (absolute when outside the repository)."""
    try:
        return str(path.resolve().relative_to(config.REPO_ROOT))
    except ValueError:
        return str(path)


def decode_template(raw: bytes, source: str) -> str:
    """Bytes of a template file as `templatefile` reads them: UTF-8, a leading BOM dropped, line
    endings kept as they are (Python's text mode would turn CRLF into LF; Terraform does not)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise TemplateError(source, line, "encoding", "the template is not valid UTF-8") from exc
    return text.removeprefix("\ufeff")


def render_document(template_text: str, variables: Mapping[str, str], source: str) -> str:
    """Render and require the result to be a JSON object (an IAM policy document)."""
    text = render(template_text, variables, source=source)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TemplateError(
            source, exc.lineno, "invalid-json", f"not valid JSON after rendering: {exc.msg}"
        ) from exc
    if not isinstance(document, dict):
        raise TemplateError(source, 1, "invalid-json", "the rendered document must be a JSON object")
    return text


def _group_name(group: str | Group) -> str:
    return group.name if isinstance(group, Group) else group


def render_group(
    env_cfg: EnvConfig,
    group: str | Group,
    api_id: str = VALIDATION_API_ID,
    templates_dir: Path = config.TEMPLATES_DIR,
) -> str:
    """Render one group's template for an environment; the text Terraform would deploy."""
    name = _group_name(group)
    if name not in env_cfg.groups:
        raise ConfigError(f"the access model declares no group {name!r} (policy_templates/access_model.json)")
    path = templates_dir / f"{name}{TEMPLATE_SUFFIX}"
    source = display_path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise TemplateError(
            source,
            None,
            "missing-template",
            f"the access model declares group {name!r} but there is no template for it: create {source}",
        ) from exc
    return render_document(decode_template(raw, source), template_variables(env_cfg, api_id), source)


def render_client(
    env_cfg: EnvConfig,
    client: str | MachineClient,
    api_id: str = VALIDATION_API_ID,
    templates_dir: Path = config.TEMPLATES_DIR,
) -> str:
    """Render a machine client's own template for an environment, exactly like a group's."""
    name = client.name if isinstance(client, MachineClient) else client
    declared = env_cfg.machine_clients.get(name)
    if declared is None or declared.template is None:
        raise ConfigError(
            f"the access model declares no machine client {name!r} with a template of its own "
            '({"policy": {"template": "<client>"}} in policy_templates/access_model.json)'
        )
    path = templates_dir / config.CLIENT_TEMPLATES_DIR / f"{declared.template}{TEMPLATE_SUFFIX}"
    source = display_path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise TemplateError(
            source,
            None,
            "missing-template",
            f"machine client {name!r} is governed by a template of its own but there is none: "
            f"create {source}",
        ) from exc
    return render_document(decode_template(raw, source), template_variables(env_cfg, api_id), source)


def template_paths(templates_dir: Path = config.TEMPLATES_DIR) -> dict[str, Path]:
    """Every group template file, keyed by the group name it belongs to."""
    return {
        p.name[: -len(TEMPLATE_SUFFIX)]: p
        for p in sorted(templates_dir.glob(f"*{TEMPLATE_SUFFIX}"))
        if p.is_file()
    }


def client_template_paths(templates_dir: Path = config.TEMPLATES_DIR) -> dict[str, Path]:
    """Every machine-client template file (`clients/`), keyed by the client name it belongs to."""
    return template_paths(templates_dir / config.CLIENT_TEMPLATES_DIR)


def own_template_clients(env_cfg: EnvConfig) -> list[MachineClient]:
    """The machine clients governed by a template of their own, by name."""
    return [c for _, c in sorted(env_cfg.machine_clients.items()) if c.template is not None]


def render_env(
    env_cfg: EnvConfig,
    api_id: str = VALIDATION_API_ID,
    templates_dir: Path = config.TEMPLATES_DIR,
) -> RenderResult:
    """Render every group of an environment, collecting every error instead of stopping at the first."""
    result = RenderResult()
    variables = template_variables(env_cfg, api_id)
    for name in sorted(env_cfg.groups):
        try:
            text = render_group(env_cfg, name, api_id=api_id, templates_dir=templates_dir)
        except TemplateError as exc:
            result.errors.append(exc)
            continue
        result.policies.append(
            RenderedPolicy(
                environment=env_cfg.environment,
                group=name,
                template=templates_dir / f"{name}{TEMPLATE_SUFFIX}",
                text=text,
                variables=variables,
            )
        )
    for client in own_template_clients(env_cfg):
        try:
            text = render_client(env_cfg, client, api_id=api_id, templates_dir=templates_dir)
        except TemplateError as exc:
            result.errors.append(exc)
            continue
        result.policies.append(
            RenderedPolicy(
                environment=env_cfg.environment,
                group=client.policy_key,
                template=templates_dir / config.CLIENT_TEMPLATES_DIR / f"{client.template}{TEMPLATE_SUFFIX}",
                text=text,
                variables=variables,
            )
        )
    for name, path in template_paths(templates_dir).items():
        if name not in env_cfg.groups:
            result.warnings.append(
                f"{display_path(path)}: the access model declares no group {name!r}; template not rendered"
            )
    own = {c.template for c in own_template_clients(env_cfg)}
    for name, path in client_template_paths(templates_dir).items():
        if name not in own:
            result.warnings.append(
                f"{display_path(path)}: the access model declares no machine client {name!r} with a "
                "template of its own; template not rendered"
            )
    return result


def policy_documents(
    env_cfg: EnvConfig,
    api_id: str = VALIDATION_API_ID,
    templates_dir: Path = config.TEMPLATES_DIR,
) -> dict[str, object]:
    """Every policy-table item's document, parsed, keyed as the table keys them: each group by name,
    each machine client with a template of its own as `client:<name>` (what the matrices evaluate)."""
    documents: dict[str, object] = {
        name: json.loads(render_group(env_cfg, name, api_id=api_id, templates_dir=templates_dir))
        for name in env_cfg.groups
    }
    for client in own_template_clients(env_cfg):
        text = render_client(env_cfg, client, api_id=api_id, templates_dir=templates_dir)
        documents[client.policy_key] = json.loads(text)
    return documents


def write_policies(policies: Sequence[RenderedPolicy], out_dir: Path) -> list[Path]:
    """Write each document as `<out_dir>/<group>.json` (clients: `clients/<client>.json`), byte for byte."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for policy in policies:
        path = out_dir / policy.file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(policy.text.encode("utf-8"))
        written.append(path)
    return written


def _log(level: str, event: str, **fields: object) -> None:
    print(json.dumps({"level": level, "event": event, **fields}, sort_keys=True), file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.render", description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", required=True, choices=config.ENVIRONMENTS, help="environment to render for")
    parser.add_argument(
        "--out", required=True, type=Path, help="directory for <group>.json and clients/<client>.json files"
    )
    parser.add_argument(
        "--api-id",
        default=VALIDATION_API_ID,
        help=f"REST API id to render with (default: the validation placeholder {VALIDATION_API_ID})",
    )
    args = parser.parse_args(argv)
    try:
        env_cfg = config.load(args.env)
        result = render_env(env_cfg, api_id=args.api_id)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for warning in result.warnings:
        _log("warning", "template_without_group", message=warning)
    if result.errors:
        for error in result.errors:
            print(f"error: {error}", file=sys.stderr)
        return 1
    written = write_policies(result.policies, args.out)
    _log("info", "policies_rendered", environment=args.env, count=len(written), out=str(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
