"""Patches of moto's DynamoDB, applied by `local.emulator.apply_patches()`.

DynamoDB applies each write atomically on the latest version of the item: a ConditionExpression is
evaluated and the write applied as one step, so of several concurrent writes conditioned on the
same `version`, exactly one succeeds ("Individual write operations such as UpdateItem are atomic
and always operate on the most recent version of the item, regardless of concurrency",
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/BestPractices_ImplementingVersionControl.html).

moto's threaded server reads the item, checks the condition and writes without holding anything in
between, so two concurrent conditional writes could both succeed (found by the reliability suite's
concurrent writers: two acknowledgements for one version, i.e. a lost update the product would never
see on AWS). The emulator therefore runs DynamoDB requests one at a time: the documented atomicity,
for the price of concurrency inside an in-process emulator.
"""

from __future__ import annotations

import threading
from typing import Any

from moto.dynamodb.responses import DynamoHandler

_serial = threading.RLock()


def apply() -> None:
    """Install the patch above (called once, from `local.emulator.apply_patches`)."""
    original = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        with _serial:
            return original(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
