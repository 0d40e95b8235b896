"""Unit tests of the Lambda functions' plain logic: no network, no emulator. The function folders
are put on sys.path the way Lambda sees them (zip root)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
for _path in (
    ROOT,
    ROOT / "functions" / "authorizer",
    ROOT / "functions" / "backend",
    ROOT / "functions" / "revocation",
):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))
