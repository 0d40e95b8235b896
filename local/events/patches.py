"""Patches of moto's EventBridge (events), applied by `local.emulator.apply_patches()`.

`Rule.send_to_targets` (moto's delivery, used by PutEvents and by `local.events.delivery.publish`):
a DISABLED rule delivers nothing (moto delivered anyway), and Lambda targets, which moto does not
support, are invoked asynchronously through the local Lambda runtime (`local.events.delivery`);
every other target kind keeps moto's delivery.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import wraps
from typing import Any

from moto.events import models as events_models
from moto.utilities.arns import parse_arn

from local.events import delivery


def _is_lambda(target: dict[str, Any]) -> bool:
    try:
        return bool(parse_arn(str(target.get("Arn", ""))).service == "lambda")
    except Exception:
        return False


def _wrap_send_to_targets(original: Callable[..., None]) -> Callable[..., None]:
    @wraps(original)
    def send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
        if self.state != "ENABLED":
            return
        if not self.event_pattern.matches_event(original_event):
            return
        lambdas = [t for t in self.targets if _is_lambda(t)]
        others = [t for t in self.targets if not _is_lambda(t)]
        if lambdas:
            delivery.send_lambda_targets(self, copy.deepcopy(original_event), lambdas)
        if others:
            rest = copy.copy(self)
            rest.targets = others
            original(rest, original_event, transform_input)

    return send_to_targets


def apply() -> None:
    """Install the patch above (called once, from `local.emulator.apply_patches`)."""
    rule_cls = events_models.Rule
    rule_cls.send_to_targets = _wrap_send_to_targets(rule_cls.send_to_targets)  # type: ignore[method-assign]
