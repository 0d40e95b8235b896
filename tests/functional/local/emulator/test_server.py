"""The launcher and the patch entry point: version pin, idempotence, loopback only, stop, mounts."""

from __future__ import annotations

import socket
from typing import Any

import boto3
import moto
import pytest
import requests
from moto.cognitoidp.models import CognitoIdpBackend

import local.emulator as emulator_pkg
from local.emulator import PINNED_MOTO_VERSION, apply_patches
from local.emulator.server import start_emulator


def test_pinned_version_is_the_installed_one() -> None:
    assert moto.__version__ == PINNED_MOTO_VERSION


def test_another_moto_version_is_refused_with_both_versions_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moto, "__version__", "9.9.9")
    with pytest.raises(RuntimeError) as excinfo:
        apply_patches()
    assert PINNED_MOTO_VERSION in str(excinfo.value)
    assert "9.9.9" in str(excinfo.value)


def test_apply_patches_is_idempotent() -> None:
    apply_patches()
    wrapped = CognitoIdpBackend.initiate_auth
    apply_patches()
    assert CognitoIdpBackend.initiate_auth is wrapped
    assert emulator_pkg.patches_applied()


def test_only_loopback_addresses_are_accepted() -> None:
    with pytest.raises(ValueError, match="loopback"):
        start_emulator("0.0.0.0")  # noqa: S104 - the point: all interfaces must be refused


def test_stop_releases_the_port_and_mounts_are_served() -> None:
    def hello(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ["PATH_INFO"].encode()]

    with start_emulator(mounts={"/_extra": hello}) as handle:
        assert requests.get(f"{handle.url}/_extra/ping", timeout=5).text == "/ping"
        sts = boto3.client(
            "sts",
            endpoint_url=handle.url,
            region_name="us-east-1",
            aws_access_key_id="a",
            aws_secret_access_key="b",
        )
        assert sts.get_caller_identity()["Account"] == "123456789012"  # plain moto still answers
        port = handle.port
    with socket.socket() as probe:
        # SO_REUSEADDR ignores TIME_WAIT leftovers of closed connections, not a live listener.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
        probe.listen()  # fails with EADDRINUSE while the emulator still listens


def test_mount_prefixes_cannot_shadow_the_emulator() -> None:
    with pytest.raises(ValueError, match="mount prefix"):
        start_emulator(mounts={"/_local/oidc": lambda environ, start_response: []})
