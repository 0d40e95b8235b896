"""FlushStageAuthorizersCache, between the emulator (which takes the call) and the local gateway
(which keeps the authorizer result cache): one counter per API and stage, in this process.

The emulator and the gateway always share a process (the gateway reads the deployed code from
moto in-process), so a dict is the whole channel: `flush()` counts a flush, `generation()` is
read by `TokenAuthorizers` on each request, which drops the stage's cached results when it moved.
"""

from __future__ import annotations

import threading

_lock = threading.Lock()
_generations: dict[tuple[str, str], int] = {}


def flush(api_id: str, stage: str) -> None:
    with _lock:
        _generations[(api_id, stage)] = _generations.get((api_id, stage), 0) + 1


def generation(api_id: str, stage: str) -> int:
    return _generations.get((api_id, stage), 0)
