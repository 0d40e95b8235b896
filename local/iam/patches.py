"""Patches of moto's IAM, applied by `local.emulator.apply_patches()`.

AddClientIDToOpenIDConnectProvider / RemoveClientIDFromOpenIDConnectProvider are missing from moto;
Terraform's `aws_iam_openid_connect_provider` calls them when `client_id_list` changes (e.g. a new
app client id for the external IdP). Both are idempotent, as the IAM API reference says.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.iam import responses as iam_responses


def _client_ids(self: Any) -> tuple[list[str], str]:
    provider = self.backend.get_open_id_connect_provider(self._get_param("OpenIDConnectProviderArn"))
    client_ids: list[str] = provider.client_id_list
    return client_ids, str(self._get_param("ClientID"))


def add_client_id_to_open_id_connect_provider(self: Any) -> ActionResult:
    client_ids, client_id = _client_ids(self)
    if client_id not in client_ids:
        client_ids.append(client_id)
    return EmptyResult()


def remove_client_id_from_open_id_connect_provider(self: Any) -> ActionResult:
    client_ids, client_id = _client_ids(self)
    if client_id in client_ids:
        client_ids.remove(client_id)
    return EmptyResult()


def _install(target: Any, name: str, value: Any) -> None:
    setattr(target, name, value)


def apply() -> None:
    """Install the patches above (called once, from `local.emulator.apply_patches`)."""
    response_cls = iam_responses.IamResponse
    _install(
        response_cls, "add_client_id_to_open_id_connect_provider", add_client_id_to_open_id_connect_provider
    )
    _install(
        response_cls,
        "remove_client_id_from_open_id_connect_provider",
        remove_client_id_from_open_id_connect_provider,
    )
