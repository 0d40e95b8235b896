"""The callers a live run creates for itself: one per kind of user of the access contract.

Names: `fgaverify-<run id>-<kind>@verify.invalid` (the fixed PREFIX, the run id, the contract's name
of the kind; `.invalid` is a reserved domain, RFC 2606: no mail can go there, and Cognito sends none,
MessageAction=SUPPRESS). The run id starts with the run's UTC start time, so the sweeper knows a
leftover's age from its name alone. Passwords are random, satisfy the pool's policy, live in memory
only and are never printed or logged (`Principal.__repr__` leaves them out).

`UserPoolPrincipals` makes user-pool users with the administrator's API of the environment's pool:
AdminCreateUser (no invitation), AdminSetUserPassword (permanent), AdminAddUserToGroup, then signs
them in with AdminInitiateAuth (ADMIN_USER_PASSWORD_AUTH) through the verification app client; a
pool that requires MFA gets a TOTP device enrolled for the run (tools.live.totp). Each user keeps its
identity-pool identity id in its `nickname` attribute as soon as it has one, so the sweeper of a
later run can remove the identity (and the records keyed by it) of a run that was killed.

A principal source is anything with `create`, `session`, `remove` and `leftovers` (PrincipalSource):
the user pool here, the local OIDC issuer for the external IdP's user (local/verify_hooks.py), and
later a machine client with its own token source.
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from botocore.exceptions import ClientError as AwsClientError

from tools.live import totp
from tools.live.session import ClientError, Session, Stack, aws_client

PREFIX = "fgaverify"
EMAIL_DOMAIN = "verify.invalid"
#: The attribute a user keeps its identity-pool identity id in (a standard attribute: no schema change).
IDENTITY_ATTRIBUTE = "nickname"
_RUN_ID = re.compile(r"^(?P<stamp>\d{8}T\d{6})-(?P<suffix>[0-9a-f]{6})$")
_NAME = re.compile(
    rf"^{PREFIX}-(?P<run>\d{{8}}T\d{{6}}-[0-9a-f]{{6}})-(?P<kind>[a-z0-9-]+)(@{EMAIL_DOMAIN})?$"
)
PASSWORD_LENGTH = 32


def new_run_id(now: datetime | None = None) -> str:
    return f"{(now or datetime.now(UTC)):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def run_started(run_id: str) -> datetime:
    match = _RUN_ID.match(run_id)
    if match is None:
        raise ValueError(f"{run_id!r} is not a run id (<UTC yyyymmddThhmmss>-<6 hex>)")
    return datetime.strptime(match.group("stamp"), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)


def principal_name(run_id: str, kind: str, *, email: bool = True) -> str:
    name = f"{PREFIX}-{run_id}-{kind}"
    return f"{name}@{EMAIL_DOMAIN}" if email else name


def parse_name(name: str) -> tuple[str, str] | None:
    """(run id, kind) of a principal name this module made; None for anything else."""
    match = _NAME.match(name)
    return (match.group("run"), match.group("kind")) if match else None


def is_stale(run_id: str, older_than: timedelta, now: datetime | None = None) -> bool:
    """Whether a run started more than `older_than` ago (the sweeper leaves younger runs alone: they
    may still be running)."""
    return run_started(run_id) <= (now or datetime.now(UTC)) - older_than


def new_password(minimum_length: int = PASSWORD_LENGTH) -> str:
    """Random, with every character class any pool policy can require."""
    length = max(PASSWORD_LENGTH, minimum_length)
    alphabet = string.ascii_letters + string.digits
    body = [secrets.choice(alphabet) for _ in range(length - 4)]
    body += [secrets.choice(string.ascii_lowercase), secrets.choice(string.ascii_uppercase)]
    body += [secrets.choice(string.digits), secrets.choice("!#%*+-=?^_~")]
    secrets.SystemRandom().shuffle(body)
    return "".join(body)


@dataclass(frozen=True)
class Kind:
    """A kind of user of the contract: its name there, its groups, whether it is the external IdP's."""

    name: str
    groups: tuple[str, ...] = ()
    external: bool = False


@dataclass
class Principal:
    """One caller a run created (or a leftover of an earlier run that a sweep found)."""

    kind: str
    username: str
    run_id: str
    password: str = field(default="", repr=False)
    groups: tuple[str, ...] = ()
    external: bool = False
    sub: str | None = None
    identity_id: str | None = None

    def describe(self) -> dict[str, Any]:
        """The `user` of a Session (stack.json's shape)."""
        return {
            "name": self.kind,
            "username": self.username,
            "password": self.password,
            "groups": list(self.groups),
            "external": self.external,
        }

    @property
    def record_keys(self) -> list[str]:
        """The partitions of the records table this principal's own records live in (its profile)."""
        keys = [f"sub#{self.sub}"] if self.sub and not self.external else []
        return keys + ([f"identity#{self.identity_id}"] if self.identity_id else [])


class PrincipalSource(Protocol):
    """Makes, signs in and removes one type of caller; finds the leftovers of earlier runs."""

    def create(self, kind: Kind, run_id: str) -> Principal:
        """The principal's name and password (nothing exists yet: the caller registers it for
        removal first, then calls `provision`)."""
        ...

    def provision(self, principal: Principal) -> None: ...

    def session(self, principal: Principal, on_identity: Callable[[str], None]) -> Session: ...

    def remove(self, principal: Principal) -> None: ...

    def find(self, run_id: str | None = None) -> list[Principal]:
        """The principals of run `run_id` (None: of every run) that still exist."""
        ...

    def recover(self, principal: Principal) -> None:
        """Fill in what a leftover's removal needs that `find` could not tell (its identity id)."""
        ...


class UserPoolPrincipals:
    """User-pool users through the pool's administrator API (the verify role's Cognito rights)."""

    def __init__(self, stack: Stack, *, minimum_password_length: int = PASSWORD_LENGTH) -> None:
        self.stack = stack
        self.pool_id = str(stack["user_pool_id"])
        self.client_id = str(stack["verification_client_id"])
        self.minimum_password_length = minimum_password_length
        self._idp = aws_client(stack, "cognito-idp", signed=True)
        self._public = aws_client(stack, "cognito-idp", signed=False)

    def create(self, kind: Kind, run_id: str) -> Principal:
        principal = Principal(
            kind=kind.name,
            username=principal_name(run_id, kind.name),
            run_id=run_id,
            password=new_password(self.minimum_password_length),
            groups=kind.groups,
        )
        return principal

    def provision(self, principal: Principal) -> None:
        created = self._idp.admin_create_user(
            UserPoolId=self.pool_id,
            Username=principal.username,
            MessageAction="SUPPRESS",
            UserAttributes=[
                {"Name": "email", "Value": principal.username},
                {"Name": "email_verified", "Value": "true"},
                {"Name": "given_name", "Value": "Verify"},
                {"Name": "family_name", "Value": principal.kind},
            ],
        )["User"]
        attributes = {a["Name"]: a["Value"] for a in created.get("Attributes", [])}
        principal.sub = attributes.get("sub")
        self._idp.admin_set_user_password(
            UserPoolId=self.pool_id, Username=principal.username, Password=principal.password, Permanent=True
        )
        for group in principal.groups:
            self._idp.admin_add_user_to_group(
                UserPoolId=self.pool_id, Username=principal.username, GroupName=group
            )

    def sign_in(self, session: Session) -> dict[str, str]:
        """AdminInitiateAuth through the verification client; enrols a TOTP device when the pool
        requires MFA (MFA_SETUP) and answers a TOTP challenge with it."""
        username, password = session.user["username"], session.user["password"]
        answer = self._idp.admin_initiate_auth(
            UserPoolId=self.pool_id,
            ClientId=self.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
        secret: str | None = None
        for _ in range(3):  # at most: MFA_SETUP, then SOFTWARE_TOKEN_MFA, then tokens
            if "AuthenticationResult" in answer:
                result = answer["AuthenticationResult"]
                return {"id": result["IdToken"], "access": result["AccessToken"]}
            challenge = answer.get("ChallengeName")
            if challenge == "MFA_SETUP":
                secret, session_token = self._enrol_totp(str(answer["Session"]))
                answer = self._idp.admin_respond_to_auth_challenge(
                    UserPoolId=self.pool_id,
                    ClientId=self.client_id,
                    ChallengeName="MFA_SETUP",
                    Session=session_token,
                    ChallengeResponses={"USERNAME": username},
                )
            elif challenge == "SOFTWARE_TOKEN_MFA" and secret is not None:
                answer = self._idp.admin_respond_to_auth_challenge(
                    UserPoolId=self.pool_id,
                    ClientId=self.client_id,
                    ChallengeName="SOFTWARE_TOKEN_MFA",
                    Session=str(answer["Session"]),
                    ChallengeResponses={"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": totp.code(secret)},
                )
            else:
                break
        raise ClientError(
            f"signing in {session.user['name']} through the verification client stopped at "
            f"{answer.get('ChallengeName') or 'an answer without tokens'}"
        )

    def _enrol_totp(self, challenge_session: str) -> tuple[str, str]:
        """AssociateSoftwareToken + VerifySoftwareToken for a user in MFA_SETUP: (secret, session).
        The secret stays in memory; the user is deleted at the end of the run."""
        associated = self._public.associate_software_token(Session=challenge_session)
        secret = str(associated["SecretCode"])
        verified = self._public.verify_software_token(
            Session=str(associated["Session"]), UserCode=totp.code(secret), FriendlyDeviceName="make verify"
        )
        if verified.get("Status") != "SUCCESS":
            raise ClientError("the pool refused the run's TOTP device")
        return secret, str(verified["Session"])

    def session(self, principal: Principal, on_identity: Callable[[str], None]) -> Session:
        def identity_found(identity_id: str) -> None:
            principal.identity_id = identity_id
            on_identity(identity_id)
            self._idp.admin_update_user_attributes(
                UserPoolId=self.pool_id,
                Username=principal.username,
                UserAttributes=[{"Name": IDENTITY_ATTRIBUTE, "Value": identity_id}],
            )

        return Session(self.stack, principal.describe(), sign_in=self.sign_in, on_identity=identity_found)

    def remove(self, principal: Principal) -> None:
        try:
            self._idp.admin_delete_user(UserPoolId=self.pool_id, Username=principal.username)
        except AwsClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "UserNotFoundException":
                raise

    def find(self, run_id: str | None = None) -> list[Principal]:
        """Users whose email starts with the run's prefix (or any run's), with sub and identity id."""
        prefix = f"{PREFIX}-{run_id}-" if run_id else f"{PREFIX}-"
        found: list[Principal] = []
        pages = self._idp.get_paginator("list_users").paginate(
            UserPoolId=self.pool_id,
            Filter=f'email ^= "{prefix}"',
            AttributesToGet=["email", "sub", IDENTITY_ATTRIBUTE],
        )
        for page in pages:
            for user in page.get("Users", []):
                attributes = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
                parsed = parse_name(attributes.get("email", ""))
                if parsed is None:
                    continue
                found.append(
                    Principal(
                        kind=parsed[1],
                        username=str(user["Username"]),
                        run_id=parsed[0],
                        sub=attributes.get("sub"),
                        identity_id=attributes.get(IDENTITY_ATTRIBUTE),
                    )
                )
        return found

    def recover(self, principal: Principal) -> None:
        """Nothing to do: `find` read the identity id from the user's attribute."""
