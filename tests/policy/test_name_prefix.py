"""A custom `name_prefix` in an environment's config.json reaches both sides that name resources.

The stack names every resource `<name_prefix>-...` (terraform/stack/tests/stack.tftest.hcl shows it
for `settings.name_prefix`), and the bootstrap scopes that environment's deploy roles to the same
prefix. Both read it from `terraform/envs/<env>/config.json`; before, the bootstrap had a prefix of
its own that could not reach the stack, so a custom prefix ended in AccessDenied.

Here a copy of the bootstrap sits beside a dev config.json with `name_prefix = "acme-dev"` and a
mocked-provider run shows the deploy roles' resources follow it; Python reads the same prefix.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from tools import config

BOOTSTRAP = config.REPO_ROOT / "terraform" / "bootstrap"
PREFIX = "acme-dev"


def _mock_provider_block() -> str:
    """The bootstrap test's mocked provider and overrides (its file up to the variables)."""
    text = (BOOTSTRAP / "tests" / "bootstrap.tftest.hcl").read_text()
    return text[: text.index("\nvariables {")]


def test_the_bootstrap_scopes_the_deploy_roles_to_the_env_configs_prefix(
    tmp_path: Path, terraform_test_env: dict[str, str]
) -> None:
    root = tmp_path / "terraform"
    skip = shutil.ignore_patterns(".terraform", "*.tftest.hcl", "terraform.tfstate*", "*.tfvars")
    shutil.copytree(BOOTSTRAP, root / "bootstrap", ignore=skip)
    (root / "bootstrap" / ".terraform").symlink_to(BOOTSTRAP / ".terraform", target_is_directory=True)
    settings = json.loads((config.env_dir("dev") / "config.json").read_text())
    settings["name_prefix"] = PREFIX
    (root / "envs" / "dev").mkdir(parents=True)
    (root / "envs" / "dev" / "config.json").write_text(json.dumps(settings, indent=2))
    (tmp_path / "policy_templates").mkdir()  # the bootstrap reads the access model too (permissions.tf)
    shutil.copy(config.ACCESS_MODEL, tmp_path / "policy_templates" / config.ACCESS_MODEL.name)

    assert config.parse(settings).name_prefix == PREFIX  # what Python (and the stack) will use

    table = f"arn:aws:dynamodb:us-east-1:111111111111:table/{PREFIX}-policies"
    (root / "bootstrap" / "tests" / "prefix.tftest.hcl").write_text(
        _mock_provider_block()
        + f"""
variables {{
  account_id           = "111111111111"
  region               = "us-east-1"
  github_repository    = "acme/cognito-fine-grained-access"
  github_repository_id = "123456789"
  github_owner_id      = "987654"
  environments         = {{ dev = {{}} }}
}}

run "the_prefix_comes_from_the_env_config" {{
  command = apply # mocked provider: nothing is created

  assert {{
    condition     = local.name_prefixes["dev"] == "{PREFIX}"
    error_message = "prefix"
  }}

  assert {{
    condition = anytrue([
      for s in data.aws_iam_policy_document.plan["dev"].statement : toset(s.resources) == toset(["{table}"])
    ])
    error_message = "the plan role's policy-table grant"
  }}

  assert {{
    condition = alltrue(flatten([
      for s in data.aws_iam_policy_document.apply["dev"].statement : [
        for r in s.resources : !strcontains(r, "fga-dev")
      ]
    ]))
    error_message = "the apply role still names the default prefix"
  }}
}}
"""
    )
    command = ["terraform", "test", "-no-color"]
    proc = subprocess.run(
        command, cwd=root / "bootstrap", env=terraform_test_env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr
    assert "1 passed, 0 failed" in proc.stdout
