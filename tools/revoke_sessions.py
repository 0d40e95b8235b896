"""iam mode's emergency lever: revoke every session a group's role issued before now.

Identity-pool credentials are STS sessions of the group's IAM role: they last up to an hour and
cannot be revoked one user at a time (the identity pool refuses *new* credentials to a signed-out
user, ServerSideTokenCheck, but credentials already issued stay valid). IAM's "Revoke active
sessions" attaches an inline policy, `AWSRevokeOlderSessions`, to the role: Deny every action when
`aws:TokenIssueTime` is earlier than the moment of revocation. This does the same for one group's
role (`<name_prefix>-group-<group>`, terraform/modules/identity_pool): every credential of that
group issued before now is refused at its next request, in iam mode only; a user who signs in
again afterwards gets new credentials that work. The instant is rounded up to the next whole
second (`aws:TokenIssueTime` has whole seconds): credentials issued earlier in the current second
are included.

    make revoke-sessions ENV=<env> GROUP=<group>           # or: python -m tools.revoke_sessions ...
    make revoke-sessions ENV=<env> GROUP=<group> UNDO=1    # remove the policy again

Credentials: the AWS CLI's usual chain (an operator's role with iam:PutRolePolicy and
iam:DeleteRolePolicy on the group roles); ENV=local talks to the running local stack's emulator
(`.local/stack.json`). The policy is not managed by Terraform (the stack's own policy is a separate
`aws_iam_role_policy`), so an apply leaves it in place; once the last credential issued before it
has expired (one hour), it denies nothing any more and may be removed.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tools import config

POLICY_NAME = "AWSRevokeOlderSessions"  # the name IAM's console gives the same policy
MAX_ROLE_NAME = 64
LOCAL_STACK_JSON = config.REPO_ROOT / ".local" / "stack.json"


def role_name(cfg: config.EnvConfig, group: str) -> str:
    """The group's role, as terraform/modules/identity_pool names it."""
    if group not in cfg.groups:
        raise ValueError(f"{group!r} is not a group of the access model; choose one of {sorted(cfg.groups)}")
    return f"{cfg.name_prefix}-group-{group}"[:MAX_ROLE_NAME]


def revocation_instant(now: float | None = None) -> datetime:
    """Now, rounded up to the next whole second."""
    return datetime.fromtimestamp(math.ceil(time.time() if now is None else now), UTC)


def revocation_policy(before: datetime) -> dict[str, Any]:
    """Deny everything to sessions issued before `before` (IAM's AWSRevokeOlderSessions)."""
    instant = before.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RevokeOlderSessions",
                "Effect": "Deny",
                "Action": ["*"],
                "Resource": ["*"],
                "Condition": {"DateLessThan": {"aws:TokenIssueTime": instant}},
            }
        ],
    }


def revoke(iam: Any, role: str, before: datetime) -> dict[str, Any]:
    policy = revocation_policy(before)
    iam.put_role_policy(RoleName=role, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(policy))
    return policy


def undo(iam: Any, role: str) -> bool:
    """Remove the policy; False when there was none."""
    try:
        iam.delete_role_policy(RoleName=role, PolicyName=POLICY_NAME)
    except iam.exceptions.NoSuchEntityException:
        return False
    return True


def iam_client(cfg: config.EnvConfig, stack_json: Path = LOCAL_STACK_JSON) -> Any:
    import boto3  # noqa: PLC0415 - only the command needs it

    if cfg.environment != "local":
        return boto3.client("iam", region_name=cfg.region)
    if not stack_json.is_file():
        raise RuntimeError(f"{stack_json} is missing: start the local stack (make up) first")
    stack = json.loads(stack_json.read_text())
    return boto3.client(
        "iam",
        region_name=cfg.region,
        endpoint_url=stack["emulator_url"],
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - the emulator accepts any credentials
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", required=True, choices=config.ENVIRONMENTS)
    parser.add_argument("--group", required=True)
    parser.add_argument("--undo", action="store_true", help="remove the policy again")
    args = parser.parse_args(argv)
    cfg = config.load(args.env)
    try:
        role = role_name(cfg, args.group)
        iam = iam_client(cfg)
    except (ValueError, RuntimeError) as exc:
        print(f"revoke-sessions: {exc}", file=sys.stderr)
        return 2
    if args.undo:
        removed = undo(iam, role)
        print(f"{role}: {POLICY_NAME} {'removed' if removed else 'was not there'}")
        return 0
    before = revocation_instant()
    revoke(iam, role, before)
    print(
        f"{role}: every session issued before {before:%Y-%m-%dT%H:%M:%SZ} is now denied (iam mode); "
        f"users signing in again get new credentials. Undo: make revoke-sessions ENV={args.env} "
        f"GROUP={args.group} UNDO=1"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
