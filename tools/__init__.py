"""Build and validation tooling driven by the Makefile (not deployed anywhere)."""
