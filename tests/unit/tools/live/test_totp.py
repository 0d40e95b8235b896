"""tools/live/totp.py against RFC 6238's published test vectors (SHA-1, 8 digits) and Cognito's shape
(6 digits, a base32 SecretCode without padding)."""

from __future__ import annotations

import base64

import pytest

from tools.live import totp

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()  # RFC 6238, Appendix B, SHA-1


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_rfc_6238_vectors(at: int, expected: str) -> None:
    assert totp.code(RFC_SECRET, at, digits=8) == expected


def test_six_digits_from_an_unpadded_lowercase_secret_within_one_step() -> None:
    secret = RFC_SECRET.rstrip("=").lower()
    assert totp.code(secret, 59) == "287082"  # the 8-digit vector's last six digits
    assert totp.code(secret, 30) == totp.code(secret, 59)
    assert totp.code(secret, 60) != totp.code(secret, 59)
