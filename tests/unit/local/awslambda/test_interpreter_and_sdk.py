"""Choosing the worker interpreter, and the runtime-SDK directory workers import boto3 from."""

from __future__ import annotations

import sys
from pathlib import Path

import boto3
import botocore
import pytest

from local.awslambda.interpreter import find_python, probe_version
from local.awslambda.sdk import SDK_MODULES, ensure_sdk_dir, sdk_sources
from local.awslambda.types import RuntimeSetupError


def fake_python(directory: Path, name: str, body: str) -> str:
    path = directory / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return str(path)


def test_a_candidate_that_exists_but_fails_is_skipped(tmp_path: Path) -> None:
    # Like the pyenv shim: on PATH, but running it fails.
    broken = fake_python(
        tmp_path, "python3.12-shim", "echo 'pyenv: python3.12: command not found' >&2; exit 127"
    )
    works = fake_python(tmp_path, "python3.12-real", "echo 3.12")

    assert find_python(candidates=[broken, str(tmp_path / "absent"), works]) == works


def test_a_candidate_of_another_version_is_not_taken(tmp_path: Path) -> None:
    other = fake_python(tmp_path, "python3.12-lies", "echo 3.11")

    chosen = find_python(candidates=[other])

    assert chosen == sys.executable  # the last resort


def test_an_explicit_interpreter_must_run(tmp_path: Path) -> None:
    broken = fake_python(tmp_path, "broken", "exit 1")

    with pytest.raises(RuntimeSetupError, match="does not run"):
        find_python(broken)


def test_the_default_choice_runs_isolated() -> None:
    assert probe_version(find_python()) is not None


def test_sdk_dir_links_the_installed_sdk_packages(tmp_path: Path) -> None:
    sdk = ensure_sdk_dir(tmp_path)

    names = {p.name for p in sdk.iterdir()}
    assert names == {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py"}
    assert (sdk / "boto3").resolve() == Path(boto3.__file__).resolve().parent
    assert (sdk / "botocore").resolve() == Path(botocore.__file__).resolve().parent
    assert ensure_sdk_dir(tmp_path) == sdk  # created once, then reused
    assert [p.name for p in tmp_path.iterdir()] == [sdk.name]  # no staging leftovers


def test_missing_sdk_package_is_a_setup_error() -> None:
    with pytest.raises(RuntimeSetupError, match="not installed"):
        sdk_sources((*SDK_MODULES, "no_such_sdk_package_xyz"))
