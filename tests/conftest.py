"""Session-wide fixtures: the local stack shared by tests/e2e and tests/terraform (see stack_fixture)."""

pytest_plugins = ["tests.stack_fixture"]
