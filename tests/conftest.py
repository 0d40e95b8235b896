"""Session-wide fixtures: the local stack shared by tests/e2e and tests/terraform (see stack_fixture),
and the reliability plugin (marker, hypothesis profiles, figures; see tests/reliability/plugin.py)."""

pytest_plugins = ["tests.stack_fixture", "tests.reliability.plugin", "tests.reliability.fixtures"]
