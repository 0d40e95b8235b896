"""Worker lifecycle: timeouts, crashes, re-deploys, concurrency and shutdown."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from local.awslambda import LocalLambdaRuntime, make_runtime

Deploy = Callable[..., str]


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_timeout_kills_the_worker_and_the_next_call_gets_a_fresh_one(
    runtime: LocalLambdaRuntime, deploy: Deploy
) -> None:
    name = deploy(timeout=1)
    warm = runtime.invoke(name, {})

    # The handler sleeps 3 s against a 1 s timeout: the runtime must cut it off.
    timed_out = runtime.invoke(name, {"action": "sleep", "seconds": 3})
    fresh = runtime.invoke(name, {})

    assert timed_out.error_type == "Sandbox.Timedout"
    assert (
        timed_out.error_message
        == f"RequestId: {timed_out.request_id} Error: Task timed out after 1.00 seconds"
    )
    assert not timed_out.is_service_error
    assert process_gone(warm.payload["pid"])
    assert fresh.payload["count"] == 1
    assert fresh.payload["pid"] != warm.payload["pid"]


def test_worker_crash_is_an_exit_error_and_the_next_call_recovers(
    runtime: LocalLambdaRuntime, deploy: Deploy
) -> None:
    name = deploy()
    warm = runtime.invoke(name, {})

    crashed = runtime.invoke(name, {"action": "exit", "code": 3})
    fresh = runtime.invoke(name, {})

    assert crashed.error_type == "Runtime.ExitError"
    assert (
        crashed.error_message
        == f"RequestId: {crashed.request_id} Error: Runtime exited with error: exit status 3"
    )
    assert process_gone(warm.payload["pid"])
    assert fresh.ok
    assert fresh.payload["count"] == 1


def test_redeploy_starts_a_new_worker_and_stops_the_old(
    runtime: LocalLambdaRuntime,
    deploy: Deploy,
    aws: Callable[[str], Any],
    make_zip: Callable[[dict[str, str]], bytes],
    app: Callable[..., dict[str, str]],
) -> None:
    name = deploy(app("v1"))
    runtime.invoke(name, {})
    old = runtime.invoke(name, {})
    assert (old.payload["version"], old.payload["count"]) == ("v1", 2)

    aws("lambda").update_function_code(FunctionName=name, ZipFile=make_zip(app("v2")))
    new = runtime.invoke(name, {})

    assert (new.payload["version"], new.payload["count"]) == ("v2", 1)
    assert new.payload["pid"] != old.payload["pid"]
    assert process_gone(old.payload["pid"])
    assert runtime.worker_pids(name) == [new.payload["pid"]]
    code_dirs = sorted(p.name for p in (runtime.work_dir / "code").iterdir())
    assert len(code_dirs) == 2  # one content-addressed directory per code version


def test_configuration_change_also_gets_a_fresh_worker(
    runtime: LocalLambdaRuntime, deploy: Deploy, aws: Callable[[str], Any]
) -> None:
    name = deploy(variables={"MODE": "one"})
    before = runtime.invoke(name, {"action": "env"})
    pid_before = runtime.worker_pids(name)

    aws("lambda").update_function_configuration(FunctionName=name, Environment={"Variables": {"MODE": "two"}})
    after = runtime.invoke(name, {"action": "env"})

    assert (before.payload["MODE"], after.payload["MODE"]) == ("one", "two")
    assert runtime.worker_pids(name) != pid_before


def test_concurrent_invocations_are_isolated_and_serialized_per_worker(
    emulator_url: str, deploy: Deploy, tmp_path: Path
) -> None:
    name = deploy()
    rt = make_runtime(emulator_url, "us-east-1", work_dir=tmp_path, max_workers_per_function=2)
    try:
        with ThreadPoolExecutor(max_workers=6) as pool:
            results = list(pool.map(lambda i: rt.invoke(name, {"echo": i}), range(24)))
    finally:
        rt.close()

    assert all(r.ok for r in results), [r for r in results if not r.ok]
    assert [r.payload["echo"] for r in results] == list(range(24))
    counts_by_pid: dict[int, list[int]] = defaultdict(list)
    for r in results:
        counts_by_pid[r.payload["pid"]].append(r.payload["count"])
    assert 1 <= len(counts_by_pid) <= 2
    # Each worker saw its invocations one at a time: its counter values are exactly 1..n.
    for counts in counts_by_pid.values():
        assert sorted(counts) == list(range(1, len(counts) + 1))
    assert len({r.request_id for r in results}) == 24


def test_close_stops_every_worker_and_refuses_later_calls(
    runtime: LocalLambdaRuntime, deploy: Deploy
) -> None:
    first, second = deploy(), deploy()
    pids = [runtime.invoke(first, {}).payload["pid"], runtime.invoke(second, {}).payload["pid"]]

    runtime.close()
    after = runtime.invoke(first, {})

    assert all(process_gone(pid) for pid in pids)
    assert after.error_type == "ServiceException"
    assert "closed" in (after.error_message or "")


@pytest.mark.parametrize("workers", [0, -1])
def test_worker_limit_must_be_positive(emulator_url: str, tmp_path: Path, workers: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        make_runtime(emulator_url, "us-east-1", work_dir=tmp_path, max_workers_per_function=workers)
