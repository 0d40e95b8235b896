"""TOTP codes (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits), the kind Cognito's software-token MFA
accepts, for the device `make verify` enrols when a pool requires MFA.

Ten lines of the standard library instead of a dependency: the algorithm is fixed by the RFC and the
tests check it against the RFC's published test vectors (tests/unit/tools/live/test_totp.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time

STEP_SECONDS = 30
DIGITS = 6


def code(secret_base32: str, at: float | None = None, *, digits: int = DIGITS) -> str:
    """The code for `secret_base32` (Cognito's SecretCode: base32, maybe unpadded) at time `at`."""
    secret = secret_base32.strip().replace(" ", "").upper()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // STEP_SECONDS)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)
