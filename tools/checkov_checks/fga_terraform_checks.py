"""Project invariants on the Terraform code (CKV_FGA_5..8), run by checkov over `terraform/`.

These encode the security requirements of this product that checkov's built-ins do not state
exactly: every API method is authorized except CORS preflights; the identity pool hands out no guest
credentials; a token whose role cannot be resolved gets no credentials; every Lambda permission is
scoped to a source ARN.

Values checkov cannot resolve statically (an expression over `each.value`, a module input without a
default) are UNKNOWN, not PASSED: the check says nothing about them rather than claiming a pass.
Literal and resolvable values are judged. See README.md in this directory for each rule.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

AUTHORIZED_TYPES = ("AWS_IAM", "COGNITO_USER_POOLS", "CUSTOM")
ROLE_MAPPING_TYPES = ("Token", "Rules")


def first(conf: dict[str, list[Any]], key: str) -> Any:
    """checkov wraps every attribute value in a list; the value itself, or None when absent."""
    values = conf.get(key)
    if isinstance(values, list):
        return values[0] if values else None
    return values


# checkov renders `local.types[each.value.auth]`, with `local.types` a literal map, as
# `["${{'iam': 'AWS_IAM', ...}["each.value.auth"]}"]`: a lookup whose possible results are exactly
# the map's values, whatever the key.
_MAP_LOOKUP_RE = re.compile(r"""^\[?"?\$\{(\{.*\})\[[^\[\]]*\]\}"?\]?$""", re.DOTALL)


def lookup_values(value: Any) -> list[Any] | None:
    """The possible values of a literal-map lookup expression as checkov renders it, else None."""
    if not isinstance(value, str):
        return None
    match = _MAP_LOOKUP_RE.match(value.strip())
    if not match:
        return None
    try:
        mapping = ast.literal_eval(match.group(1))
    except (ValueError, SyntaxError):
        return None
    return list(mapping.values()) if isinstance(mapping, dict) and mapping else None


def as_bool(value: Any) -> bool | None:
    """True/False for a literal boolean (HCL gives bools, or "true"/"false" strings), else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def method_authorization_result(http_method: Any, authorization: Any) -> tuple[CheckResult, str]:
    """CKV_FGA_5: NONE only for OPTIONS; the three authorizer types pass; expressions are unknown."""
    if isinstance(http_method, str) and http_method.upper() == "OPTIONS":
        return CheckResult.PASSED, ""
    if isinstance(authorization, str) and authorization.upper() == "NONE":
        return CheckResult.FAILED, f"method {http_method!r} has authorization NONE (only OPTIONS may)"
    if isinstance(authorization, str) and authorization.upper() in AUTHORIZED_TYPES:
        return CheckResult.PASSED, ""
    if authorization is None:
        return CheckResult.FAILED, f"method {http_method!r} sets no authorization"
    return _lookup_authorization_result(http_method, authorization)


def _lookup_authorization_result(http_method: Any, authorization: Any) -> tuple[CheckResult, str]:
    """A lookup in a literal map passes only if every value of the map is an authorizer type."""
    candidates = lookup_values(authorization)
    if candidates is None:
        return CheckResult.UNKNOWN, ""
    kinds = {str(c).upper() for c in candidates}
    if "NONE" in kinds:
        return CheckResult.FAILED, f"method {http_method!r} may get authorization NONE from {authorization}"
    return (CheckResult.PASSED, "") if kinds <= set(AUTHORIZED_TYPES) else (CheckResult.UNKNOWN, "")


def guest_access_result(allow_unauthenticated: Any) -> tuple[CheckResult, str]:
    """CKV_FGA_6: guest identities off (absent means the provider default, false)."""
    if allow_unauthenticated is None:
        return CheckResult.PASSED, ""
    flag = as_bool(allow_unauthenticated)
    if flag is None:
        return CheckResult.UNKNOWN, ""
    if flag:
        return CheckResult.FAILED, (
            "allow_unauthenticated_identities = true: guests get credentials; if an environment "
            "really needs it, skip CKV_FGA_6 for it with the reason in .checkov.yaml"
        )
    return CheckResult.PASSED, ""


def _role_mapping_blocks(conf: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """`role_mapping` blocks, static or from a `dynamic "role_mapping"` block's content."""
    blocks: list[dict[str, Any]] = [b for b in conf.get("role_mapping", []) if isinstance(b, dict)]
    for dynamic in conf.get("dynamic", []) or []:
        if not isinstance(dynamic, dict):
            continue
        spec = dynamic.get("role_mapping")
        if isinstance(spec, dict):
            content = spec.get("content")
            for item in content if isinstance(content, list) else [content]:
                if isinstance(item, dict):
                    blocks.append(item)
    return blocks


def ambiguous_role_result(conf: dict[str, list[Any]]) -> tuple[CheckResult, str]:
    """CKV_FGA_7: every Token/Rules role mapping resolves ambiguity with Deny."""
    blocks = _role_mapping_blocks(conf)
    if not blocks:
        return CheckResult.PASSED, ""
    unknown = False
    for block in blocks:
        mapping_type = first(block, "type")
        resolution = first(block, "ambiguous_role_resolution")
        if isinstance(resolution, str) and resolution == "Deny":
            continue
        if isinstance(resolution, str) and resolution == "AuthenticatedRole":
            return CheckResult.FAILED, (
                f"role_mapping of type {mapping_type!r} falls back to the authenticated role when "
                'the role is ambiguous; use ambiguous_role_resolution = "Deny"'
            )
        if resolution is None:
            if isinstance(mapping_type, str) and mapping_type in ROLE_MAPPING_TYPES:
                return CheckResult.FAILED, 'role_mapping without ambiguous_role_resolution; set it to "Deny"'
            unknown = True
            continue
        unknown = True
    return (CheckResult.UNKNOWN, "") if unknown else (CheckResult.PASSED, "")


def lambda_permission_result(source_arn: Any) -> tuple[CheckResult, str]:
    """CKV_FGA_8: a Lambda permission names the caller's ARN."""
    if source_arn is None or (isinstance(source_arn, str) and not source_arn.strip()):
        return (
            CheckResult.FAILED,
            "aws_lambda_permission without source_arn: any resource of the principal may invoke",
        )
    return CheckResult.PASSED, ""


class _FgaResourceCheck(BaseResourceCheck):
    check_id = ""
    title = ""
    resources: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()

    def __init__(self) -> None:
        super().__init__(
            name=self.title,
            id=self.check_id,
            categories=(CheckCategories.IAM,),
            supported_resources=self.resources,
            guideline=f"tools/checkov_checks/README.md#{self.check_id.lower()}",
        )

    def judge(self, conf: dict[str, list[Any]]) -> tuple[CheckResult, str]:
        raise NotImplementedError

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        result, detail = self.judge(conf)
        if detail:
            self.details.append(detail)
        return result

    def get_evaluated_keys(self) -> list[str]:
        return list(self.keys)


class ApiMethodAuthorized(_FgaResourceCheck):
    check_id = "CKV_FGA_5"
    title = "API Gateway methods require authorization (only OPTIONS may use NONE)"
    resources = ("aws_api_gateway_method",)
    keys = ("authorization", "http_method")

    def judge(self, conf: dict[str, list[Any]]) -> tuple[CheckResult, str]:
        return method_authorization_result(first(conf, "http_method"), first(conf, "authorization"))


class IdentityPoolNoGuests(_FgaResourceCheck):
    check_id = "CKV_FGA_6"
    title = "Cognito identity pools do not allow unauthenticated identities"
    resources = ("aws_cognito_identity_pool",)
    keys = ("allow_unauthenticated_identities",)

    def judge(self, conf: dict[str, list[Any]]) -> tuple[CheckResult, str]:
        return guest_access_result(first(conf, "allow_unauthenticated_identities"))


class AmbiguousRoleDeny(_FgaResourceCheck):
    check_id = "CKV_FGA_7"
    title = "Identity pool role mappings deny when the role is ambiguous"
    resources = ("aws_cognito_identity_pool_roles_attachment",)
    keys = ("role_mapping",)

    def judge(self, conf: dict[str, list[Any]]) -> tuple[CheckResult, str]:
        return ambiguous_role_result(conf)


class LambdaPermissionSourceArn(_FgaResourceCheck):
    check_id = "CKV_FGA_8"
    title = "Lambda permissions are scoped with source_arn"
    resources = ("aws_lambda_permission",)
    keys = ("source_arn",)

    def judge(self, conf: dict[str, list[Any]]) -> tuple[CheckResult, str]:
        return lambda_permission_result(first(conf, "source_arn"))


TERRAFORM_CHECK_IDS = tuple(
    c.check_id
    for c in (ApiMethodAuthorized, IdentityPoolNoGuests, AmbiguousRoleDeny, LambdaPermissionSourceArn)
)

api_method_authorized = ApiMethodAuthorized()
identity_pool_no_guests = IdentityPoolNoGuests()
ambiguous_role_deny = AmbiguousRoleDeny()
lambda_permission_source_arn = LambdaPermissionSourceArn()
