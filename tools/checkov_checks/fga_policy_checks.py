"""Project rules for group policies (CKV_FGA_1..4), evaluated on rendered policy templates.

checkov cannot see the policies Terraform loads with `templatefile()`, so `tools.validate` renders
every template for every environment and writes a wrapper Terraform file in which each document is an
`aws_iam_policy` with the rendered JSON inlined and the tag `fga:api-arn` holding the execution ARN
(`arn:aws:execute-api:<region>:<account>:<api_id>/<stage>`) it was rendered for. These checks apply
only to resources with that tag (anything else is UNKNOWN, i.e. not reported), because other IAM
policies in the product (Lambda execution roles) legitimately allow other actions.

Each rule is a plain function returning the list of violations (empty = pass) so tests can call it
directly; the checkov classes wrap them and put the violations in the check's `details`.
"""

from __future__ import annotations

import json
from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

API_ARN_TAG = "fga:api-arn"
INVOKE_ACTION = "execute-api:invoke"  # IAM action names are case-insensitive
# IAM counts the characters of a role's inline policies, whitespace excluded, against 10,240.
IAM_INLINE_POLICY_LIMIT = 10_240
SUPPORTED_RESOURCES = ("aws_iam_policy",)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The policy's statements as a list of objects (a single statement object is allowed by IAM)."""
    return [s for s in _as_list(document.get("Statement", [])) if isinstance(s, dict)]


def _label(index: int, statement: dict[str, Any]) -> str:
    sid = statement.get("Sid")
    return f"statement {index + 1}" + (f" ({sid})" if sid else "")


def only_invoke_violations(document: dict[str, Any]) -> list[str]:
    """CKV_FGA_1: an Allow statement may only grant `execute-api:Invoke`, spelled out (no wildcard)."""
    found = []
    for i, statement in enumerate(statements(document)):
        if statement.get("Effect") != "Allow":
            continue
        if "Action" not in statement:
            found.append(f"{_label(i, statement)} allows without an Action list (NotAction or none)")
            continue
        for action in _as_list(statement["Action"]):
            if not isinstance(action, str) or action.lower() != INVOKE_ACTION:
                found.append(
                    f"{_label(i, statement)} allows {action!r}; only 'execute-api:Invoke' is allowed"
                )
    return found


def outside_api_violations(document: dict[str, Any], api_arn: str) -> list[str]:
    """CKV_FGA_2: every Resource starts with `<api_arn>/` (this API, account, region and stage)."""
    prefix = f"{api_arn}/"
    found = []
    for i, statement in enumerate(statements(document)):
        if "Resource" not in statement:
            found.append(f"{_label(i, statement)} has no Resource list (NotResource or none)")
            continue
        for resource in _as_list(statement["Resource"]):
            if not isinstance(resource, str) or not resource.startswith(prefix):
                found.append(f"{_label(i, statement)}: resource {resource!r} is not inside {prefix}")
    return found


def not_element_violations(document: dict[str, Any]) -> list[str]:
    """CKV_FGA_3: no `NotAction` / `NotResource` in an Allow statement (they allow everything else)."""
    found = []
    for i, statement in enumerate(statements(document)):
        if statement.get("Effect") != "Allow":
            continue
        for element in ("NotAction", "NotResource", "NotPrincipal"):
            if element in statement:
                found.append(f"{_label(i, statement)} uses {element} with Allow")
    return found


def policy_size(document: dict[str, Any]) -> int:
    """Characters IAM counts: the document without insignificant whitespace."""
    return len(json.dumps(document, separators=(",", ":"), ensure_ascii=False))


def size_violations(document: dict[str, Any]) -> list[str]:
    """CKV_FGA_4: the document fits the IAM inline role policy limit."""
    size = policy_size(document)
    if size > IAM_INLINE_POLICY_LIMIT:
        return [
            f"policy is {size} characters without whitespace; IAM's inline limit is {IAM_INLINE_POLICY_LIMIT}"
        ]
    return []


def tagged_api_arn(conf: dict[str, list[Any]]) -> str | None:
    """The execution ARN the wrapper resource was rendered for, or None for other resources."""
    for tags in _as_list(conf.get("tags", [])):
        if isinstance(tags, dict) and isinstance(tags.get(API_ARN_TAG), str):
            return str(tags[API_ARN_TAG])
    return None


def policy_document(conf: dict[str, list[Any]]) -> dict[str, Any] | None:
    """The `policy` attribute as a JSON object (checkov gives a heredoc as a string), else None."""
    values = conf.get("policy")
    if not values:
        return None
    value = values[0] if isinstance(values, list) else values
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
    return value if isinstance(value, dict) else None


class _GroupPolicyCheck(BaseResourceCheck):
    """Common plumbing: find the wrapper's tag and document, run one rule, report its findings."""

    check_id = ""
    title = ""

    def __init__(self) -> None:
        super().__init__(
            name=self.title,
            id=self.check_id,
            categories=(CheckCategories.IAM,),
            supported_resources=SUPPORTED_RESOURCES,
            guideline=f"tools/checkov_checks/README.md#{self.check_id.lower()}",
        )

    def violations(self, document: dict[str, Any], api_arn: str) -> list[str]:
        raise NotImplementedError

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        api_arn = tagged_api_arn(conf)
        if api_arn is None:
            return CheckResult.UNKNOWN
        document = policy_document(conf)
        if document is None:
            self.details.append("policy is not a JSON object")
            return CheckResult.FAILED
        found = self.violations(document, api_arn)
        self.details.extend(found)
        return CheckResult.FAILED if found else CheckResult.PASSED

    def get_evaluated_keys(self) -> list[str]:
        return ["policy"]


class OnlyInvoke(_GroupPolicyCheck):
    check_id = "CKV_FGA_1"
    title = "Group policies allow only execute-api:Invoke"

    def violations(self, document: dict[str, Any], api_arn: str) -> list[str]:
        return only_invoke_violations(document)


class InsideApiAndStage(_GroupPolicyCheck):
    check_id = "CKV_FGA_2"
    title = "Group policy resources lie inside this API and stage"

    def violations(self, document: dict[str, Any], api_arn: str) -> list[str]:
        return outside_api_violations(document, api_arn)


class NoNotElementsWithAllow(_GroupPolicyCheck):
    check_id = "CKV_FGA_3"
    title = "Group policies use no NotAction/NotResource with Allow"

    def violations(self, document: dict[str, Any], api_arn: str) -> list[str]:
        return not_element_violations(document)


class UnderInlineSizeLimit(_GroupPolicyCheck):
    check_id = "CKV_FGA_4"
    title = "Group policies fit the IAM inline policy size limit"

    def violations(self, document: dict[str, Any], api_arn: str) -> list[str]:
        return size_violations(document)


POLICY_CHECK_IDS = tuple(
    c.check_id for c in (OnlyInvoke, InsideApiAndStage, NoNotElementsWithAllow, UnderInlineSizeLimit)
)

only_invoke = OnlyInvoke()
inside_api_and_stage = InsideApiAndStage()
no_not_elements_with_allow = NoNotElementsWithAllow()
under_inline_size_limit = UnderInlineSizeLimit()
