"""`python -m tools.live --env <env>`: make verify against a real environment (tools/live/cli.py)."""

from __future__ import annotations

import sys

from tools.live.cli import main

if __name__ == "__main__":
    sys.exit(main())
