"""`tools/tf.py` skips `terraform init` while its stamp holds: the stamp must change whenever a module
anywhere under a root's calls changes, or the skipped init leaves "Module not installed"."""

from __future__ import annotations

from pathlib import Path

from tools import tf


def _tree(tmp_path: Path) -> Path:
    (tmp_path / "envs" / "dev").mkdir(parents=True)
    (tmp_path / "stack").mkdir()
    (tmp_path / "modules" / "table").mkdir(parents=True)
    (tmp_path / "envs" / "dev" / "main.tf").write_text('module "stack" {\n  source = "../../stack"\n}\n')
    (tmp_path / "stack" / "main.tf").write_text('module "table" {\n  source = "../modules/table"\n}\n')
    (tmp_path / "modules" / "table" / "main.tf").write_text('resource "x" "y" {}\n')
    return tmp_path / "envs" / "dev"


def test_a_module_the_stack_starts_calling_makes_the_env_roots_init_stale(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    before = tf._init_stamp(root)
    (tmp_path / "modules" / "alarms").mkdir()
    (tmp_path / "modules" / "alarms" / "main.tf").write_text("")
    (tmp_path / "stack" / "alarms.tf").write_text('module "alarms" {\n  source = "../modules/alarms"\n}\n')
    assert tf._init_stamp(root) != before


def test_a_module_called_two_levels_down_counts_too(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    before = tf._init_stamp(root)
    (tmp_path / "modules" / "table" / "main.tf").write_text('module "inner" {\n  source = "./inner"\n}\n')
    assert tf._init_stamp(root) != before


def test_other_changes_keep_the_stamp(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    before = tf._init_stamp(root)
    (tmp_path / "stack" / "outputs.tf").write_text('output "a" {\n  value = 1\n}\n')
    assert tf._init_stamp(root) == before
