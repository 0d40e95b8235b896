"""docs/architecture.md, "Authorizer cache window", stays true to the settings and the benchmark.

The section quotes the stack's defaults, the environments' values and rows of docs/benchmarks.md;
these tests fail when one of them changes without the document.
"""

from __future__ import annotations

import re
from pathlib import Path

from tools import config

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## Authorizer cache window"


def _section() -> str:
    text = (ROOT / "docs" / "architecture.md").read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return text[start : end if end != -1 else len(text)]


def _stack_default(name: str) -> int:
    variables = (ROOT / "terraform" / "stack" / "variables.tf").read_text()
    match = re.search(rf"\b{name}\s*=\s*optional\(number,\s*(\d+)\)", variables)
    assert match, f"{name} has no numeric default in terraform/stack/variables.tf"
    return int(match.group(1))


def test_the_quoted_defaults_are_the_stack_defaults() -> None:
    section = _section()
    assert f"`authorizer.result_ttl_seconds` ({_stack_default('result_ttl_seconds')};" in section
    assert f"`authorizer.policy_cache_seconds` ({_stack_default('policy_cache_seconds')};" in section
    assert f"`authorizer.revocation_check_seconds` ({_stack_default('revocation_check_seconds')};" in section
    lifetime = _stack_default("access_token_validity_minutes")
    assert f"`user_pool.access_token_validity_minutes` ({lifetime};" in section


def test_the_quoted_environment_values_are_the_configured_ones() -> None:
    section = _section()
    for env in ("dev", "staging", "prod"):
        settings = config.load(env).raw.get("authorizer", {})
        ttl = settings.get("result_ttl_seconds", _stack_default("result_ttl_seconds"))
        cache = settings.get("policy_cache_seconds", _stack_default("policy_cache_seconds"))
        check = settings.get("revocation_check_seconds", _stack_default("revocation_check_seconds"))
        assert f"defaults of dev, staging and prod (R = {ttl}, P = {cache}, C = {check}," in section, env
        # The sign-out bounds the section derives: C + 0.2 s with a flush, R + C without.
        assert f"a sign-out within {check + 0.2:g} s after it" in section, env
        assert f"({ttl + check} s if the flush failed)" in section, env
    local = config.load("local").raw["authorizer"]
    assert (
        f"local environment uses R = {local['result_ttl_seconds']}, P = {local['policy_cache_seconds']}, "
        f"C = {local['revocation_check_seconds']}" in section
    )


def test_the_cited_benchmark_rows_exist() -> None:
    cited = re.findall(r"the `([^`]+)` row", _section())
    assert cited, "the section cites no benchmark row"
    rows = {
        line.split("|")[1].strip()
        for line in (ROOT / "docs" / "benchmarks.md").read_text().splitlines()
        if line.startswith("| ") and not line.startswith("| scenario")
    }
    assert set(cited) <= rows, f"rows cited but not in docs/benchmarks.md: {set(cited) - rows}"
