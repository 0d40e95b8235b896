"""Shared plumbing of the backend handlers (`profiles`, `pets`, `news`): HTTP responses, caller
identity, DynamoDB access, logs. Named `backend_core` so it cannot collide with the authorizer's
`authz` package or `app` module when tests and mypy import both function folders.
"""
