"""Cognito user pools (cognito-idp): moto patches, per-pool keys, ID-token claims, the hosted UI."""
