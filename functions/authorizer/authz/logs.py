"""One JSON object per line on stdout (CloudWatch Logs keeps them as structured events).

Callers pass fields explicitly; nothing here ever serialises a whole event or a token.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

LOGGER_NAME = "authorizer"


class _StdoutJsonHandler(logging.Handler):
    """Writes to whatever sys.stdout is at emit time (the Lambda runtime and pytest both swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            fields: dict[str, Any] = {
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
                "level": record.levelname,
                "logger": record.name,
                "message": record.getMessage(),
            }
            extra = getattr(record, "fields", None)
            if isinstance(extra, dict):
                fields.update(extra)
            sys.stdout.write(json.dumps(fields, default=str, separators=(",", ":")) + "\n")
        except Exception:  # a log line must never break a decision
            self.handleError(record)


def get_logger(level: str = "INFO") -> logging.Logger:
    logger = logging.getLogger(LOGGER_NAME)
    if not any(isinstance(h, _StdoutJsonHandler) for h in logger.handlers):
        logger.addHandler(_StdoutJsonHandler())
        # The Lambda runtime puts its own handler on the root logger: do not print twice.
        logger.propagate = False
    logger.setLevel(level)
    return logger


def log(logger: logging.Logger, level: int, message: str, **fields: Any) -> None:
    logger.log(level, message, extra={"fields": fields})
