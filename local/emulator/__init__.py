"""The embedded AWS emulator: moto server plus the project's extensions.

moto has no plugin API, so the extensions are deliberate patches of its classes for one exact moto
version. `apply_patches()` is the only place they are installed; it refuses any other moto version,
because the patches rely on moto's internals (method names, model attributes, URL tables).

- `local.emulator.server.start_emulator()` runs moto + the extensions on a loopback port;
- `local.emulator.changes` counts control-plane changes (API Gateway, Lambda, IAM) and serves the count
  at `/_local/changes`, so the local gateway can cache what it reads until something changes;
- `local.cognito_identity.credentials.lookup_credentials()` tells the local API Gateway runtime who signed;
- `local.oidc.idp.LocalIdP` is the local OpenID Connect issuer (Google stand-in);
- `local.cognito_idp.oauth.code_flow_tokens()` drives the user pool's hosted-UI code flow.
"""

from __future__ import annotations

import threading

PINNED_MOTO_VERSION = "5.2.5"

_lock = threading.Lock()
_applied: set[str] = set()  # the moto version patched (empty until apply_patches has run)


def apply_patches() -> None:
    """Install every moto extension once (idempotent, thread-safe).

    Raises RuntimeError naming both versions when the installed moto is not the pinned one.
    """
    # Imported here, not at module level: `local.cognito_identity.credentials` & co. must stay
    # importable without loading moto (the patches import moto's service modules).
    import moto  # noqa: PLC0415

    installed = getattr(moto, "__version__", "unknown")
    if installed != PINNED_MOTO_VERSION:
        raise RuntimeError(
            f"local.emulator patches moto {PINNED_MOTO_VERSION}, but moto {installed} is installed: "
            "reinstall the pinned lock (make venv) or port local/*/patches.py to the new version"
        )
    with _lock:
        if _applied:
            return
        from local.apigateway import patches as apigateway  # noqa: PLC0415
        from local.awslambda import patches as awslambda  # noqa: PLC0415
        from local.cloudwatch import patches as cloudwatch  # noqa: PLC0415
        from local.cognito_identity import patches as cognito_identity  # noqa: PLC0415
        from local.cognito_idp import patches as cognito_idp  # noqa: PLC0415
        from local.dynamodb import patches as dynamodb  # noqa: PLC0415
        from local.emulator import changes  # noqa: PLC0415
        from local.events import patches as events  # noqa: PLC0415
        from local.iam import patches as iam  # noqa: PLC0415
        from local.logs import patches as logs  # noqa: PLC0415

        cognito_idp.apply()
        cognito_identity.apply()
        iam.apply()
        awslambda.apply()
        apigateway.apply()
        dynamodb.apply()
        events.apply()
        cloudwatch.apply()
        logs.apply()
        changes.apply()
        _applied.add(installed)


def patches_applied() -> bool:
    """Whether `apply_patches()` has run in this process."""
    return bool(_applied)
