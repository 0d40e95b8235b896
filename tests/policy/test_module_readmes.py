"""Every Terraform module README documents exactly the module's variables and outputs.

The READMEs' Inputs/Outputs tables are written by hand (their type column summarises nested object
types better than a generator would), so this test keeps them honest: the same names, a default
exactly when the variable has one (and the same value), and the same description text (markdown
backticks and escaped pipes aside). The bootstrap root's README summarises (one row may name several
outputs), so for it only the names and which inputs are required are compared.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import hcl2
import pytest

from tools.config import REPO_ROOT

TERRAFORM = REPO_ROOT / "terraform"
MODULES = [*sorted(p for p in (TERRAFORM / "modules").iterdir() if p.is_dir()), TERRAFORM / "stack"]
NO_DEFAULT = "-"


def _blocks(directory: Path, kind: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob("*.tf")):
        with path.open() as handle:
            parsed = hcl2.load(handle)
        for block in parsed.get(kind, []):
            found.update(block)
    return found


def _table(readme: Path, heading: str) -> dict[str, list[str]]:
    """The first table under `## <heading>`: name -> cells (a row may name several, in backticks)."""
    section = re.search(rf"^## {heading}\n(.*?)(?=^## |\Z)", readme.read_text(), re.S | re.M)
    assert section is not None, f"{readme.relative_to(REPO_ROOT)} has no '## {heading}' section"
    rows: dict[str, list[str]] = {}
    started = False
    for line in section.group(1).splitlines():
        if not line.startswith("|"):
            if started:
                break  # the first table ends here; later tables (e.g. nested fields) are prose
            continue
        started = True
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if cells[0] in ("name",) or set(cells[0]) <= {"-", " "}:
            continue
        for name in re.findall(r"`([^`]+)`", cells[0]):
            rows[name] = cells
    return rows


def _text(value: str) -> str:
    """Description text without markdown/HCL escaping, whitespace collapsed."""
    return " ".join(value.replace("\\|", "|").replace('\\"', '"').replace("`", "").split())


def _attribute(body: dict[str, Any], key: str) -> Any:
    value = body.get(key)
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _hcl_default(value: Any) -> Any:
    """hcl2 keeps expression syntax on some scalars (`${null}`, `${-1}`): back to plain values."""
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        return json.loads(value[2:-1])
    if isinstance(value, str):
        return value.replace('\\"', '"')
    if isinstance(value, list):
        return [_hcl_default(v) for v in value]
    if isinstance(value, dict):
        return {k: _hcl_default(v) for k, v in value.items()}
    return value


def _readme_default(cell: str) -> Any:
    literal = re.match(r"^`([^`]*)`", cell)
    assert literal is not None, f"default {cell!r} must start with the value in backticks"
    return json.loads(literal.group(1))


@pytest.mark.parametrize("module", MODULES, ids=lambda p: str(p.relative_to(TERRAFORM)))
def test_inputs_table_equals_the_variables(module: Path) -> None:
    variables = _blocks(module, "variable")
    rows = _table(module / "README.md", "Inputs")
    assert sorted(rows) == sorted(variables), "README Inputs names != variables.tf"
    for name, body in variables.items():
        cells = rows[name]
        assert _text(cells[-1]) == _text(_attribute(body, "description")), f"description of {name}"
        if "default" not in body:
            assert cells[2] == NO_DEFAULT, f"{name} is required: its default column must be '-'"
        else:
            expected = _hcl_default(_attribute(body, "default"))
            assert _readme_default(cells[2]) == expected, f"default of {name}"


@pytest.mark.parametrize("module", MODULES, ids=lambda p: str(p.relative_to(TERRAFORM)))
def test_outputs_table_equals_the_outputs(module: Path) -> None:
    outputs = _blocks(module, "output")
    rows = _table(module / "README.md", "Outputs")
    assert sorted(rows) == sorted(outputs), "README Outputs names != outputs.tf"
    for name, body in outputs.items():
        assert _text(rows[name][-1]) == _text(_attribute(body, "description")), f"description of {name}"


def test_bootstrap_readme_names_every_input_and_output() -> None:
    root = TERRAFORM / "bootstrap"
    variables = _blocks(root, "variable")
    inputs = _table(root / "README.md", "Inputs")
    assert sorted(inputs) == sorted(variables)
    for name, body in variables.items():
        assert (inputs[name][2] == NO_DEFAULT) == ("default" not in body), f"required-ness of {name}"
    assert sorted(_table(root / "README.md", "Outputs")) == sorted(_blocks(root, "output"))


def test_the_check_catches_drift(tmp_path: Path) -> None:
    """A README that lost a row, or whose description went stale, fails."""
    module = TERRAFORM / "modules" / "data_table"
    copy = tmp_path / "data_table"
    copy.mkdir()
    for path in module.glob("*.tf"):
        (copy / path.name).write_text(path.read_text())
    readme = (module / "README.md").read_text()
    (copy / "README.md").write_text(readme.replace("Refuse DeleteTable.", "Allow DeleteTable."))
    with pytest.raises(AssertionError, match="description of deletion_protection"):
        test_inputs_table_equals_the_variables(copy)
    lines = [line for line in readme.splitlines() if not line.startswith("| `tags`")]
    (copy / "README.md").write_text("\n".join(lines))
    with pytest.raises(AssertionError, match="README Inputs names"):
        test_inputs_table_equals_the_variables(copy)
