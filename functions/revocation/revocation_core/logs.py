"""One JSON object per line on stdout; fields are always passed explicitly, never an event or a token."""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_ORDER = {name: i for i, name in enumerate(LEVELS)}


def log(level: str, message: str, **fields: Any) -> None:
    """Write one line if LOG_LEVEL lets `level` through; a log line never breaks a request."""
    configured = os.environ.get("LOG_LEVEL", "INFO").strip().upper()
    if _ORDER.get(level, 1) < _ORDER.get(configured, 1):
        return
    try:
        line = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "level": level,
            "logger": "revocation",
            "message": message,
            **fields,
        }
        # sys.stdout as it is now: the Lambda runtime and pytest both swap it.
        sys.stdout.write(json.dumps(line, default=str, separators=(",", ":")) + "\n")
    except Exception:  # noqa: S110 - nothing sensible to do, and the request must go on
        pass
