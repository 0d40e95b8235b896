"""Patches of moto's Lambda, applied by `local.emulator.apply_patches()`.

moto drops `LoggingConfig` and `DeadLetterConfig` on create and ignores them (and `TracingConfig`)
on UpdateFunctionConfiguration, so Terraform sees them missing on every refresh and re-plans a
change forever. Lambda stores and returns them; so does the emulator now. `LoggingConfig` is
returned as given, with the default log group (`/aws/lambda/<name>`) filled in like Lambda does.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from moto.awslambda import models as lambda_models

_STORED = ("LoggingConfig", "DeadLetterConfig")


def _logging_config(fn: Any, config: dict[str, Any] | None) -> dict[str, Any] | None:
    if not config:
        return None
    return {"LogGroup": f"/aws/lambda/{fn.function_name}", **config}


def _wrap_init(original: Callable[..., None]) -> Callable[..., None]:
    @wraps(original)
    def __init__(self: Any, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        original(self, account_id, spec, *args, **kwargs)
        self.local_logging_config = _logging_config(self, spec.get("LoggingConfig"))
        self.local_dead_letter_config = spec.get("DeadLetterConfig") or None

    return __init__


def _wrap_get_configuration(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    @wraps(original)
    def get_configuration(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config = original(self, *args, **kwargs)
        logging_config = getattr(self, "local_logging_config", None)
        dead_letter_config = getattr(self, "local_dead_letter_config", None)
        if logging_config:
            config["LoggingConfig"] = logging_config
        if dead_letter_config and dead_letter_config.get("TargetArn"):
            config["DeadLetterConfig"] = dead_letter_config
        return config

    return get_configuration


def _wrap_update_configuration(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    @wraps(original)
    def update_configuration(self: Any, config_updates: dict[str, Any]) -> dict[str, Any]:
        if "LoggingConfig" in config_updates:
            self.local_logging_config = _logging_config(self, config_updates["LoggingConfig"])
        if "DeadLetterConfig" in config_updates:
            self.local_dead_letter_config = config_updates["DeadLetterConfig"] or None
        if config_updates.get("TracingConfig"):
            self.tracing_config = config_updates["TracingConfig"]
        return original(self, {k: v for k, v in config_updates.items() if k not in _STORED})

    return update_configuration


def _install(target: Any, name: str, value: Any) -> None:
    setattr(target, name, value)


def apply() -> None:
    """Install the patches above (called once, from `local.emulator.apply_patches`)."""
    fn_cls = lambda_models.LambdaFunction
    _install(fn_cls, "__init__", _wrap_init(fn_cls.__init__))
    _install(fn_cls, "get_configuration", _wrap_get_configuration(fn_cls.get_configuration))
    _install(fn_cls, "update_configuration", _wrap_update_configuration(fn_cls.update_configuration))
