"""`python -m tools.access_diff`: see tools/access_diff/cli.py."""

from __future__ import annotations

import sys

from tools.access_diff.cli import main

sys.exit(main())
