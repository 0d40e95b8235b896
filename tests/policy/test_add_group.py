"""Adding a group end to end: one template and one access-model entry are all it takes.

A copy of the repository's Terraform and policy templates gets a new group `auditors` (a template
allowing `GET /news`, one entry in `access_model.json`) and nothing else. Then:

- Terraform side (`terraform test`, plan-level with a mocked provider, the stack exactly as the env
  roots call it): the group gets its IAM role with the rendered template as inline policy (iam
  mode), its user-pool group carrying that role and its precedence (what Cognito puts in
  `cognito:roles`/`cognito:preferred_role` and the identity pool maps), and its policy-table item
  holding the same document (lambda mode);
- Python side: `tools.config` reads the group from the model, the local stack seeds a demo user
  for it, and the static access matrix has its row, with the verdicts the template implies.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from local.demo_data import demo_users
from tools import config
from tools.matrix import ALLOW, FORBIDDEN, Principal, expected_matrix
from tools.render import render_group

GROUP = "auditors"
ROLE_ARN = f"arn:aws:iam::123456789012:role/fga-dev-group-{GROUP}"
TEMPLATE = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "ReadTheNews",
      "Effect": "Allow",
      "Action": "execute-api:Invoke",
      "Resource": "${api_arn}/GET/news"
    }
  ]
}
"""
STACK = config.REPO_ROOT / "terraform" / "stack"
API_ID = "a1b2c3d4e5"


@pytest.fixture(scope="module")
def repo_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """terraform/{stack,modules} and policy_templates/ with the one template and the one entry added."""
    root = tmp_path_factory.mktemp("add-group")
    skip = shutil.ignore_patterns(".terraform", "*.tftest.hcl", "terraform.tfstate*")
    shutil.copytree(config.REPO_ROOT / "terraform" / "modules", root / "terraform" / "modules", ignore=skip)
    stack = root / "terraform" / "stack"
    shutil.copytree(STACK, stack, ignore=skip)
    shutil.copytree(config.TEMPLATES_DIR, root / "policy_templates")
    (root / "policy_templates" / f"{GROUP}.json.tftpl").write_text(TEMPLATE)
    model_path = root / "policy_templates" / "access_model.json"
    model = json.loads(model_path.read_text())
    model["groups"][GROUP] = {"precedence": 40, "description": "Auditors: read the news."}
    model_path.write_text(json.dumps(model, indent=2))
    return root


def _mock_provider_block() -> str:
    """The stack test's mocked provider (the part of tests/stack.tftest.hcl before its variables)."""
    text = (STACK / "tests" / "stack.tftest.hcl").read_text()
    return text[: text.index("\nvariables {")]


def test_terraform_gives_the_new_group_a_role_mapping_and_policy_item(
    repo_copy: Path, terraform_test_env: dict[str, str]
) -> None:
    # terraform_test_env: STACK initialised (the providers and modules the copy borrows), one provider
    stack = repo_copy / "terraform" / "stack"
    (stack / ".terraform").symlink_to(STACK / ".terraform", target_is_directory=True)
    (stack / "tests" / "add_group.tftest.hcl").write_text(
        _mock_provider_block()
        + f"""
override_resource {{
  target          = module.identity_pool.aws_iam_role.group["{GROUP}"]
  override_during = plan
  values          = {{ arn = "{ROLE_ARN}" }}
}}

variables {{
  access           = jsondecode(file("../../policy_templates/access_model.json"))
  lambda_build_dir = "tests/fixtures"
  templates_dir    = "../../policy_templates"
  settings = {{
    environment       = "dev"
    cors_allow_origin = "https://app.example.com"
    user_pool         = {{ domain_prefix = "fga-test-auth" }}
  }}
}}

run "the_new_group_is_deployed" {{
  command = plan

  assert {{
    condition     = output.group_role_arns["{GROUP}"] == "{ROLE_ARN}"
    error_message = "role"
  }}

  assert {{
    condition = jsondecode(output.enforced_policies["{GROUP}"].iam_role) == jsondecode(templatefile(
      "../../policy_templates/{GROUP}.json.tftpl",
      {{ api_arn = "arn:aws:execute-api:us-east-1:123456789012:{API_ID}/dev" }}
    ))
    error_message = "role policy"
  }}

  assert {{
    condition     = module.user_pool.groups["{GROUP}"].role_arn == "{ROLE_ARN}"
    error_message = "user-pool group role (identity-pool mapping)"
  }}

  assert {{
    condition     = module.user_pool.groups["{GROUP}"].precedence == 40
    error_message = "user-pool group precedence"
  }}

  assert {{
    condition = (
      output.enforced_policies["{GROUP}"].policy_table == output.enforced_policies["{GROUP}"].iam_role
    )
    error_message = "policy item"
  }}
}}
"""
    )
    proc = subprocess.run(
        ["terraform", "test", "-no-color", "-verbose"],
        cwd=stack,
        env=terraform_test_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr
    assert "1 passed, 0 failed" in proc.stdout
    for address in (
        f'module.identity_pool.aws_iam_role.group["{GROUP}"]',
        f'module.identity_pool.aws_iam_role_policy.group["{GROUP}"]',
        f'module.user_pool.aws_cognito_user_group.this["{GROUP}"]',
        f'module.policy_store.aws_dynamodb_table_item.policy["{GROUP}"]',
    ):
        assert f"# {address} will be created" in proc.stdout, address


def test_python_reads_the_group_and_the_matrix_gets_its_row(repo_copy: Path) -> None:
    templates = repo_copy / "policy_templates"
    cfg = config.load("dev", access_model=templates / "access_model.json")
    assert cfg.groups[GROUP].precedence == 40
    assert any(user.groups == (GROUP,) for user in demo_users(cfg)), "no demo user for the group"

    policies = {
        g: json.loads(render_group(cfg, g, api_id=API_ID, templates_dir=templates)) for g in cfg.groups
    }
    matrix = expected_matrix(cfg, [Principal(GROUP, (GROUP,))], policies, API_ID)
    row = {route: verdict for (_, route), verdict in matrix.items()}
    user_pool = {name for name, route in cfg.routes.items() if route.auth == "user_pool"}
    expected = {name: ALLOW if name in user_pool else FORBIDDEN for name in cfg.routes}
    expected["news-get"] = ALLOW  # the one grant of the template
    assert row == expected
