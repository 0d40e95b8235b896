"""`make build` (tools/build_lambda.py): reproducible zips, Lambda-platform wheels, and the built zips
running under python3.12 with only the zip and the runtime's boto3 on sys.path.

The wheel cache is the repository's build/cache (downloaded once, then reused offline); outputs go
to temporary directories.
"""

from __future__ import annotations

import importlib.util
import json
import marshal
import os
import shutil
import stat
import struct
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.functional.functions import support
from tools import build_lambda

WHEEL_ARCH = {"x86_64": "x86_64", "arm64": "aarch64"}
# What the python3.12 Lambda runtime provides besides the standard library.
RUNTIME_SDK = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Path]]:
    """Every function built for both architectures, into a fresh output dir."""
    out = tmp_path_factory.mktemp("lambda")
    result: dict[str, dict[str, Path]] = {}
    for arch in ("x86_64", "arm64"):
        result[arch] = {r.name: r.zip_path for r in build_lambda.build_all(arch, out_dir=out, force=True)}
    return result


@pytest.mark.parametrize("arch", ["x86_64", "arm64"])
def test_two_builds_are_byte_identical(arch: str, built: dict[str, dict[str, Path]], tmp_path: Path) -> None:
    again = {r.name: r for r in build_lambda.build_all(arch, out_dir=tmp_path, force=True)}
    assert set(again) == {"authorizer", "backend", "revocation"}
    for name, first in built[arch].items():
        assert again[name].zip_path.read_bytes() == first.read_bytes(), name
        assert again[name].base64_sha256 == build_lambda.base64_sha256(first)


def test_unchanged_inputs_skip_the_rebuild(tmp_path: Path) -> None:
    first = build_lambda.build_all("x86_64", out_dir=tmp_path)
    second = build_lambda.build_all("x86_64", out_dir=tmp_path)
    assert all(r.rebuilt for r in first)
    assert not any(r.rebuilt for r in second)
    assert [r.base64_sha256 for r in first] == [r.base64_sha256 for r in second]


def test_a_source_change_changes_the_hash(tmp_path: Path) -> None:
    functions = tmp_path / "functions"
    shutil.copytree(
        support.FUNCTIONS_DIR / "backend", functions / "backend", ignore=shutil.ignore_patterns("__pycache__")
    )
    before = build_lambda.build_all("x86_64", out_dir=tmp_path / "out", functions_dir=functions)[0]
    with (functions / "backend" / "news.py").open("a") as fh:
        fh.write("\n# changed\n")
    after = build_lambda.build_all("x86_64", out_dir=tmp_path / "out", functions_dir=functions)[0]
    assert after.rebuilt
    assert after.base64_sha256 != before.base64_sha256


def test_vendored_site_cache_is_keyed_by_the_pip_target(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A changed platform tag or Python version must not reuse wheels vendored for the old target."""
    lock = support.FUNCTIONS_DIR / "authorizer" / "requirements.txt"
    first = build_lambda.site_dir(lock, "x86_64", tmp_path)
    assert build_lambda.site_dir(lock, "x86_64", tmp_path) == first
    assert build_lambda.site_dir(lock, "arm64", tmp_path) != first
    monkeypatch.setattr(build_lambda, "MANYLINUX_TAGS", ("manylinux_2_34",))
    assert build_lambda.site_dir(lock, "x86_64", tmp_path) != first
    monkeypatch.undo()
    monkeypatch.setattr(build_lambda, "LAMBDA_PYTHON_VERSION", "3.13")
    assert build_lambda.site_dir(lock, "x86_64", tmp_path) != first


@pytest.mark.parametrize("arch", ["x86_64", "arm64"])
def test_compiled_wheels_are_for_the_lambda_platform(arch: str, built: dict[str, dict[str, Path]]) -> None:
    with zipfile.ZipFile(built[arch]["authorizer"]) as zf:
        names = zf.namelist()
        for dist in ("cryptography", "cffi"):
            wheel = next(n for n in names if n.startswith(f"{dist}-") and n.endswith(".dist-info/WHEEL"))
            tags = [
                line.split(":", 1)[1].strip()
                for line in zf.read(wheel).decode().splitlines()
                if line.startswith("Tag:")
            ]
            assert tags, wheel
            for tag in tags:
                platform = tag.split("-")[2]
                assert platform.startswith("manylinux"), tag
                assert platform.endswith("_" + WHEEL_ARCH[arch]), tag
        shared_objects = [n for n in names if n.endswith(".so")]
        assert shared_objects
        assert not any(n.startswith("jwt/") for n in names)  # PyJWT is no longer vendored
        other = {"x86_64": "aarch64", "arm64": "x86_64"}[arch]
        assert not any(other in n for n in shared_objects)


@pytest.mark.parametrize("name", ["authorizer", "backend", "revocation"])
def test_zip_layout_is_normalised(name: str, built: dict[str, dict[str, Path]]) -> None:
    with zipfile.ZipFile(built["x86_64"][name]) as zf:
        infos = zf.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names)
    for info in infos:
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        mode = info.external_attr >> 16
        assert stat.S_IMODE(mode) == (0o755 if info.is_dir() else 0o644), info.filename
        assert not info.filename.endswith(("requirements.txt", "requirements.in", "conftest.py"))
        assert not info.filename.startswith(("tests/", "boto3/", "botocore/", "bin/"))
    handler_modules = {
        "authorizer": ["app.py"],
        "backend": ["profiles.py"],
        "revocation": ["signout.py", "feed.py"],
    }
    assert set(handler_modules[name]) <= set(names)


# --- bytecode for the Lambda runtime ----------------------------------------------------------


def _pyc_header(data: bytes) -> tuple[bytes, int, bytes]:
    """(magic, PEP 552 flags, source hash) of a hash-based pyc."""
    return data[:4], struct.unpack("<I", data[4:8])[0], data[8:16]


@pytest.mark.parametrize("name", ["authorizer", "backend", "revocation"])
def test_every_source_ships_with_unchecked_hash_bytecode_for_the_runtime(
    name: str, built: dict[str, dict[str, Path]]
) -> None:
    """The contract: each .py (own and vendored) is shipped, with exactly one pyc beside it, for
    the runtime's tag (cpython-312, optimisation level 0), hash-based and unchecked, hashing that
    very source; no other bytecode at all."""
    assert sys.implementation.cache_tag == build_lambda.LAMBDA_CACHE_TAG == "cpython-312", (
        "the tests run on the Lambda runtime's Python, so the build must compile"
    )
    with zipfile.ZipFile(built["x86_64"][name]) as zf:
        names = set(zf.namelist())
        sources = sorted(n for n in names if n.endswith(".py"))
        pycs = {
            n for n in names if n.endswith((".pyc", ".pyo")) or ("__pycache__/" in n and not n.endswith("/"))
        }
        assert sources
        # Where this (3.12) interpreter's importlib looks for each source's bytecode.
        expected = {importlib.util.cache_from_source(s): s for s in sources}
        assert pycs == set(expected), "one cpython-312 pyc per shipped source, nothing else"
        for pyc, source in expected.items():
            magic, flags, source_hash = _pyc_header(zf.read(pyc))
            assert magic == importlib.util.MAGIC_NUMBER, pyc
            assert flags == 0b01, f"{pyc}: not an unchecked hash-based pyc (flags {flags:#b})"
            assert source_hash == importlib.util.source_hash(zf.read(source)), pyc


def test_bytecode_is_the_same_when_built_in_another_process(
    built: dict[str, dict[str, Path]], tmp_path: Path
) -> None:
    """Byte-identical across processes (another hash seed), not only within this one."""
    done = subprocess.run(
        [sys.executable, "-m", "tools.build_lambda", "--arch", "x86_64", "--out", str(tmp_path), "--force"],
        cwd=build_lambda.REPO_ROOT,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for name, first in built["x86_64"].items():
        assert _differing_entries(tmp_path / "x86_64" / f"{name}.zip", first) == [], name
        assert (tmp_path / "x86_64" / f"{name}.zip").read_bytes() == first.read_bytes(), name


def _differing_entries(one: Path, other: Path) -> list[str]:
    with zipfile.ZipFile(one) as a, zipfile.ZipFile(other) as b:
        names = sorted(set(a.namelist()) | set(b.namelist()))
        return [n for n in names if n not in a.namelist() or n not in b.namelist() or a.read(n) != b.read(n)]


def test_bytecode_does_not_depend_on_what_the_building_process_interned(tmp_path: Path) -> None:
    """marshal writes a string as interned when it is interned in the writing process, and
    one-character strings are process-wide singletons: compiled in the suite's own process,
    pycparser's c_lexer.py came out different ("~" had been interned by then). The builder
    compiles in a fresh interpreter, so interning here changes nothing."""
    source = tmp_path / "ops.py"
    source.write_bytes(b'OPS = ("\\x0e", "\\x0f")\n')

    def in_this_process() -> bytes:
        return marshal.dumps(compile(source.read_bytes(), "/var/task/ops.py", "exec", dont_inherit=True))

    before, here_before = build_lambda.compile_pycs([("ops.py", source)])["ops.py"], in_this_process()
    sys.intern("\x0e")  # what some library did in the suite's process
    sys.intern("\x0f")
    assert in_this_process() != here_before, "the hazard this guards against did not show"
    assert build_lambda.compile_pycs([("ops.py", source)])["ops.py"] == before


def test_pycache_in_the_sources_is_never_shipped(tmp_path: Path) -> None:
    """A developer's stale bytecode stays out: the zip's pyc is compiled from the shipped source."""
    functions = tmp_path / "functions"
    backend = functions / "backend"
    shutil.copytree(support.FUNCTIONS_DIR / "backend", backend, ignore=shutil.ignore_patterns("__pycache__"))
    stale = backend / "__pycache__" / "news.cpython-312.pyc"
    stale.parent.mkdir()
    stale.write_bytes(b"stale bytecode from an older news.py")
    result = build_lambda.build_all("x86_64", out_dir=tmp_path / "out", functions_dir=functions)[0]
    with zipfile.ZipFile(result.zip_path) as zf:
        shipped = zf.read("__pycache__/news.cpython-312.pyc")
        source = zf.read("news.py")
    assert shipped != stale.read_bytes()
    source_file = tmp_path / "news.py"
    source_file.write_bytes(source)
    assert shipped == build_lambda.compile_pycs([("news.py", source_file)])["news.py"]


def test_a_builder_that_is_not_the_runtimes_python_ships_sources_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another interpreter's bytecode would be refused (or worse, misread) by python3.12: skip it,
    say so, and let the stamp tell the two builds apart."""
    functions = tmp_path / "functions"
    shutil.copytree(
        support.FUNCTIONS_DIR / "backend", functions / "backend", ignore=shutil.ignore_patterns("__pycache__")
    )
    with_pyc = build_lambda.build_all("x86_64", out_dir=tmp_path / "out", functions_dir=functions)[0]
    assert with_pyc.bytecode == "cpython-312"
    digest = build_lambda.input_digest(functions / "backend", "x86_64")
    monkeypatch.setattr(build_lambda, "LAMBDA_CACHE_TAG", "cpython-399")
    assert build_lambda.input_digest(functions / "backend", "x86_64") != digest
    without = build_lambda.build_all("x86_64", out_dir=tmp_path / "out", functions_dir=functions)[0]
    assert without.rebuilt, "a stamp from a build with bytecode must not skip this one"
    assert without.bytecode is None
    with zipfile.ZipFile(without.zip_path) as zf:
        names = zf.namelist()
    assert "news.py" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert build_lambda.main(["--arch", "x86_64", "--out", str(tmp_path / "out")]) == 0
    assert "ships sources only" in capsys.readouterr().err


@pytest.mark.parametrize("arch", ["x86_64", "arm64"])
def test_vendored_records_name_only_shipped_files(arch: str, built: dict[str, dict[str, Path]]) -> None:
    """RECORD lines for files left out (console scripts, whose shebang is the build machine's python)
    would make the zip depend on the interpreter that ran pip."""
    with zipfile.ZipFile(built[arch]["authorizer"]) as zf:
        names = set(zf.namelist())
        records = [n for n in names if n.endswith(".dist-info/RECORD")]
        assert records
        for record in records:
            for line in zf.read(record).decode().splitlines():
                path = line.rsplit(",", 2)[0]
                assert path in names, f"{record} lists {path}, which is not in the zip"


# --- the built zips run on python3.12 --------------------------------------------------------


def _python312() -> str:
    candidates = [
        str(Path(sys.executable).resolve()),
        "python3.12",
        *sorted(map(str, Path.home().glob(".pyenv/versions/3.12*/bin/python3.12"))),
    ]
    for candidate in candidates:
        exe = shutil.which(candidate) or candidate
        try:
            version = subprocess.run(
                [exe, "-c", "import sys; print(sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except OSError:
            continue
        if version.returncode == 0 and version.stdout.strip() == "(3, 12)":
            return exe
    pytest.fail("no working python3.12 interpreter: the Lambda runtime's version is required for this check")


@pytest.fixture(scope="module")
def runtime_sdk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding only what the Lambda runtime adds: boto3 and its dependencies."""
    sdk = tmp_path_factory.mktemp("runtime-sdk")
    for name in RUNTIME_SDK:
        spec = importlib.util.find_spec(name)
        assert spec is not None, name
        assert spec.origin is not None, name
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (sdk / source.name).symlink_to(source)
    return sdk


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


RUNNER = """
import json, sys
code, sdk = sys.argv[1], sys.argv[2]
sys.path[:0] = [code, sdk]
import importlib
request = json.load(sys.stdin)
module = importlib.import_module(request["module"])
results = []
for event in request["events"]:
    try:
        results.append({"ok": module.handler(event, None)})
    except Exception as exc:
        results.append({"error": type(exc).__name__, "message": str(exc)})
for name in ("cryptography",):
    try:
        importlib.import_module(name)
    except ImportError:
        pass
print(json.dumps({"results": results, "version": list(sys.version_info[:2]),
                  "paths": {name: getattr(sys.modules.get(name), "__file__", None)
                            for name in ("jwt", "cryptography", "boto3", "moto")}}))
"""


def _run_in_zip(
    zip_path: Path,
    module: str,
    events: list[dict[str, Any]],
    *,
    env: dict[str, str],
    sdk: Path,
    tmp_path: Path,
) -> dict[str, Any]:
    code = tmp_path / f"code-{module}"
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(code)
    full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "TZ": "UTC", **env}
    done = subprocess.run(
        [_python312(), "-I", "-S", "-c", RUNNER, str(code), str(sdk)],
        input=json.dumps({"module": module, "events": events}),
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["version"] == [3, 12]
    return result


def _lambda_env(moto_url: str, **extra: str) -> dict[str, str]:
    return {
        "AWS_REGION": support.REGION,
        "AWS_DEFAULT_REGION": support.REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_ENDPOINT_URL": moto_url,
        **extra,
    }


def test_authorizer_zip_runs_on_python312(  # noqa: PLR0917 - pytest fixtures
    built: dict[str, dict[str, Path]],
    runtime_sdk: Path,
    moto_server: str,
    tmp_path: Path,
    signing_key: support.SigningKey,
    tokens: support.TokenFactory,
) -> None:
    client = boto3.client(
        "dynamodb",
        region_name=support.REGION,
        endpoint_url=moto_server,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    tables = client.list_tables()["TableNames"]
    if support.POLICY_TABLE not in tables:
        support.create_policy_table(client)
    if support.REVOCATION_TABLE not in tables:
        support.create_revocation_table(client)
    with support.JwksServer([signing_key]) as jwks:
        env = _lambda_env(moto_server, **support.authorizer_env(jwks.url))
        events = [
            support.token_event(f"Bearer {tokens.token()}", support.method_arn("GET", "/petstore/v1/pets")),
            support.token_event("Bearer not.a.token", support.method_arn("GET", "/petstore/v1/pets")),
        ]
        result = _run_in_zip(
            built["x86_64"]["authorizer"], "app", events, env=env, sdk=runtime_sdk, tmp_path=tmp_path
        )
    allowed, refused = result["results"]
    assert support.outcome(allowed["ok"]) == "allow"
    assert allowed["ok"]["context"]["group"] == "pet-veterinarian"
    assert refused == {"error": "Exception", "message": "Unauthorized"}
    code_dir = str(tmp_path / "code-app")
    assert result["paths"]["jwt"] is None  # the function does not use PyJWT (authz/jwks.py says why)
    assert result["paths"]["cryptography"].startswith(code_dir)
    assert result["paths"]["moto"] is None


def test_backend_zip_runs_on_python312(
    built: dict[str, dict[str, Path]], runtime_sdk: Path, moto_server: str, tmp_path: Path
) -> None:
    client = boto3.client(
        "dynamodb",
        region_name=support.REGION,
        endpoint_url=moto_server,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    if support.RECORDS_TABLE not in client.list_tables()["TableNames"]:
        support.create_records_table(client)
    post = support.load_event("proxy_iam.json")
    get = support.load_event("proxy_iam.json")
    get["httpMethod"], get["body"] = "GET", None
    env = _lambda_env(moto_server, TABLE_NAME=support.RECORDS_TABLE)
    result = _run_in_zip(
        built["x86_64"]["backend"], "profiles", [post, get], env=env, sdk=runtime_sdk, tmp_path=tmp_path
    )
    posted, fetched = (r["ok"] for r in result["results"])
    assert posted["statusCode"] == 200
    assert fetched["statusCode"] == 200
    assert json.loads(fetched["body"])["profile"]["name"] == "Ada"


def test_revocation_zip_runs_on_python312(
    built: dict[str, dict[str, Path]], runtime_sdk: Path, moto_server: str, tmp_path: Path
) -> None:
    """The feed, from its zip, writes the record an administrator's action calls for (botocore
    from the runtime, nothing vendored)."""
    client = boto3.client(
        "dynamodb",
        region_name=support.REGION,
        endpoint_url=moto_server,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    if support.REVOCATION_TABLE not in client.list_tables()["TableNames"]:
        support.create_revocation_table(client)
    sub = f"zip-{uuid.uuid4()}"
    event = support.load_event("revocation_feed_admin_disable_user.json")
    event["detail"]["additionalEventData"]["sub"] = sub
    env = _lambda_env(
        moto_server,
        TABLE_NAME=support.REVOCATION_TABLE,
        USER_POOL_ID=event["detail"]["requestParameters"]["userPoolId"],
        TOKEN_LIFETIME_SECONDS="3630",
        REST_API_ID=support.API_ID,
        STAGE_NAME=support.STAGE,
        RESULT_TTL_SECONDS="30",
        REVOCATION_CHECK_SECONDS="0",
    )
    result = _run_in_zip(
        built["x86_64"]["revocation"], "feed", [event], env=env, sdk=runtime_sdk, tmp_path=tmp_path
    )
    (answer,) = result["results"]
    assert answer["ok"]["revoked"] is True
    item = client.get_item(TableName=support.REVOCATION_TABLE, Key={"sub": {"S": sub}})["Item"]
    assert float(item["revoked_before"]["N"]) == answer["ok"]["revoked_before"]
    assert item["reason"] == {"S": "AdminDisableUser"}


def test_python312_loads_the_shipped_bytecode_from_a_read_only_code_dir(
    built: dict[str, dict[str, Path]], tmp_path: Path
) -> None:
    """What a cold start on Lambda does: the code dir cannot be written, and every module of the
    authorizer's import is loaded from the zip's pyc (`python -v` says "<pyc> matches <source>"),
    none compiled from its source."""
    code = tmp_path / "code"
    with zipfile.ZipFile(built["x86_64"]["authorizer"]) as zf:
        zf.extractall(code)
    for path in [code, *code.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        done = subprocess.run(
            [
                _python312(),
                "-I",
                "-S",
                "-v",
                "-c",
                f"import sys; sys.path[:0] = [{str(code)!r}]; import authz.decide, authz.jwks",
            ],
            capture_output=True,
            text=True,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            timeout=120,
            check=False,
        )
    finally:
        for path in [code, *code.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
    assert done.returncode == 0, done.stderr[-3000:]
    prefix = str(code) + "/"
    loaded = [
        line for line in done.stderr.splitlines() if line.startswith(f"# {prefix}") and " matches " in line
    ]
    compiled = [
        line
        for line in done.stderr.splitlines()
        if line.startswith(f"# code object from {prefix}") and line.endswith(".py")
    ]
    assert compiled == [], "modules compiled from source at import"
    matched = {line.split(" matches ")[1].removeprefix(prefix) for line in loaded}
    assert {"authz/decide.py", "authz/jwks.py", "cryptography/__init__.py"} <= matched
