"""Cognito identity pools: login checks, role mapping, trust policies, credentials (moto patches)."""
