"""One JSON object per line on stdout (CloudWatch Logs keeps them as structured events).

Callers pass fields explicitly; nothing here ever serialises a whole event or a token.

The `logging.Logger` named `authorizer` holds the level (LOG_LEVEL); `log()` writes the line itself
instead of going through a `LogRecord` and a handler: that machinery (caller lookup, thread and
process names, a per-call JSON encoder) cost ~16 us per decision line, measured, more than the
whole decision for a repeated token (docs/benchmarks.md).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

LOGGER_NAME = "authorizer"
_ENCODER = json.JSONEncoder(default=str, separators=(",", ":"))
_stamp: tuple[int, str] = (-1, "")  # (epoch second, its ISO 8601 text): one strftime per second


def get_logger(level: str = "INFO") -> logging.Logger:
    logger = logging.getLogger(LOGGER_NAME)
    # The Lambda runtime puts its own handler on the root logger: nothing must reach it twice.
    logger.propagate = False
    logger.setLevel(level)
    return logger


def log(logger: logging.Logger, level: int, message: str, **fields: Any) -> None:
    """Write one line if `logger` is enabled for `level`; a log line never breaks a decision."""
    if not logger.isEnabledFor(level):
        return
    try:
        line = {
            "time": _timestamp(time.time()),
            "level": logging.getLevelName(level),
            "logger": logger.name,
            "message": message,
            **fields,
        }
        # sys.stdout as it is now: the Lambda runtime and pytest both swap it.
        sys.stdout.write(_ENCODER.encode(line) + "\n")
    except Exception:  # noqa: S110 - nothing sensible to do, and the decision must go on
        pass


def _timestamp(now: float) -> str:
    global _stamp  # noqa: PLW0603 - a one-entry cache of the formatted second
    second = int(now)
    if _stamp[0] != second:
        _stamp = (second, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second)))
    return _stamp[1]
