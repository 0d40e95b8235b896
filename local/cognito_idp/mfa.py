"""Required MFA in the emulator: a pool with MFA "ON" does not let a password alone sign anybody in.

What Cognito does (Developer Guide, "Adding MFA to a user pool"; API reference, AdminInitiateAuth,
AssociateSoftwareToken, VerifySoftwareToken): in a pool whose MFA configuration is ON, a user who has
no MFA factor yet gets the MFA_SETUP challenge after the right password, with a Session; the client
calls AssociateSoftwareToken(Session) for a TOTP secret, VerifySoftwareToken(Session, UserCode) with
a code from it, then answers MFA_SETUP (RespondToAuthChallenge / AdminRespondToAuthChallenge) with
the Session VerifySoftwareToken returned, and gets tokens. Codes are always checked.

moto signs such a user in with the password alone and accepts any TOTP code unless an environment
variable asks otherwise; both are looser than AWS, so the emulator issues the MFA_SETUP challenge
itself and always checks codes (against the TOTP secret moto hands out).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from moto.cognitoidp import models as idp_models
from moto.cognitoidp.models import UserStatus

PASSWORD_FLOWS = frozenset({"USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"})


def _enrolled(user: Any) -> bool:
    return bool(user.token_verified or user.software_token_mfa_enabled or user.sms_mfa_enabled)


def setup_challenge(
    backend: Any, pool: Any, auth_flow: str, parameters: dict[str, str] | None
) -> dict[str, Any] | None:
    """The MFA_SETUP challenge when `pool` requires MFA and the (right) password belongs to a user
    without a factor; None when moto's own answer stands (wrong password, other states, no MFA)."""
    if auth_flow not in PASSWORD_FLOWS or pool is None or pool.mfa_config != "ON":
        return None
    params = parameters or {}
    user = pool._get_user(params.get("USERNAME", ""))
    if user is None or not user.enabled or user.password != params.get("PASSWORD"):
        return None  # moto refuses these itself
    if user.status != UserStatus.CONFIRMED or _enrolled(user):
        return None
    session = str(uuid.uuid4())
    backend.sessions[session] = (user.username, pool)
    return {
        "ChallengeName": "MFA_SETUP",
        "ChallengeParameters": {"MFAS_CAN_SETUP": json.dumps(["SOFTWARE_TOKEN_MFA"])},
        "Session": session,
    }


def always_check_codes() -> bool:
    """Replaces moto's setting: TOTP codes are always verified, as on AWS."""
    return True


def apply() -> None:
    idp_models.get_cognito_idp_user_pool_enable_totp = always_check_codes  # type: ignore[attr-defined]
