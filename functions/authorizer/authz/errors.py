"""The two ways a decision can fail, and what API Gateway sees for each."""

from __future__ import annotations


class Unauthorized(Exception):
    """The caller is not authenticated: missing, malformed or unverifiable token -> 401.

    `reason` is a fixed, token-free code for the decision log; it never carries token material.
    """

    def __init__(self, reason: str) -> None:
        super().__init__("Unauthorized")
        self.reason = reason


class ConfigError(ValueError):
    """The function's environment is incomplete or invalid; every request fails closed."""
