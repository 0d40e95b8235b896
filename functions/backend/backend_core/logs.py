"""One JSON object per line on stdout; fields are always passed explicitly, never a whole event."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import Any

LOGGER_NAME = "backend"


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
        except Exception:  # a log line must never break a request
            self.handleError(record)


def get_logger() -> logging.Logger:
    logger = logging.getLogger(LOGGER_NAME)
    if not any(isinstance(h, _StdoutJsonHandler) for h in logger.handlers):
        logger.addHandler(_StdoutJsonHandler())
        logger.propagate = False  # the Lambda runtime's root handler would print it twice
    level = os.environ.get("LOG_LEVEL", "INFO").upper()
    logger.setLevel(level if level in ("DEBUG", "INFO", "WARNING", "ERROR") else "INFO")
    return logger


def log(level: int, message: str, **fields: Any) -> None:
    get_logger().log(level, message, extra={"fields": fields})
