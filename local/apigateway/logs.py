"""Structured JSON log lines for the gateway (decisions and the access log).

Contract: one JSON object per line with an ``event`` name and flat fields. Callers pass only
identifiers and reasons, never tokens, signatures, secrets or whole events.
"""

from __future__ import annotations

import json
import logging
from typing import Any

log = logging.getLogger("local.apigateway")
access_log = logging.getLogger("local.apigateway.access")


def emit(logger: logging.Logger, level: int, event: str, **fields: Any) -> None:
    if logger.isEnabledFor(level):
        logger.log(level, "%s", json.dumps({"event": event, **fields}, default=str, sort_keys=True))
