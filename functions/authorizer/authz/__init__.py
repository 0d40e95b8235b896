"""The Lambda TOKEN authorizer's logic, kept apart from the thin handler in `app.py`.

The package name is deliberately distinct from every backend module (`profiles`, `pets`, `news`,
`backend_core`) because tests and mypy import both function folders side by side.
"""
