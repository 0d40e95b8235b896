"""Adding a machine client end to end: one access-model entry (plus one template if it has its own).

A copy of the repository's Terraform and policy templates gets two new machine clients and nothing
else: `auditor`, governed by a template of its own (`policy_templates/clients/auditor.json.tftpl`,
allowing `GET /news`), and `mirror`, governed by the group `admin`'s policy (no template). Then:

- Terraform side (`terraform test`, plan-level with a mocked provider, the stack exactly as the env
  roots call it): each gets a confidential app client that may use only the client-credentials grant
  with its own scopes; `auditor` gets its policy-table item `client:auditor` holding its rendered
  template, `mirror` none (it reads `admin`'s); the authorizer's MACHINE_CLIENTS names both;
- Python side: `tools.config` reads both, the policy validation renders `auditor`'s template, the
  local stack lists both as machine callers, and the static matrix gives each its row.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from local.demo_data import demo_machines
from tools import config, render
from tools.matrix import ALLOW, FORBIDDEN, NOT_APPLICABLE, UNAUTHORIZED, expected_machine_status, machines

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
NEW_CLIENTS = {
    "auditor": {"description": "Reads the news.", "scopes": ["news.read"], "policy": {"template": "auditor"}},
    "mirror": {"description": "Acts as an admin.", "scopes": ["news.read"], "policy": {"group": "admin"}},
}


@pytest.fixture(scope="module")
def repo_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """terraform/{stack,modules} and policy_templates/ with the one template and the two entries added."""
    root = tmp_path_factory.mktemp("add-machine-client")
    skip = shutil.ignore_patterns(".terraform", "*.tftest.hcl", "terraform.tfstate*")
    shutil.copytree(config.REPO_ROOT / "terraform" / "modules", root / "terraform" / "modules", ignore=skip)
    shutil.copytree(STACK, root / "terraform" / "stack", ignore=skip)
    shutil.copytree(config.TEMPLATES_DIR, root / "policy_templates")
    (root / "policy_templates" / "clients" / "auditor.json.tftpl").write_text(TEMPLATE)
    model_path = root / "policy_templates" / "access_model.json"
    model = json.loads(model_path.read_text())
    model["machine_clients"].update(NEW_CLIENTS)
    model_path.write_text(json.dumps(model, indent=2))
    return root


def _mock_provider_block() -> str:
    """The stack test's mocked provider and client-id overrides (before its variables), plus ids for
    the new clients (MACHINE_CLIENTS is keyed by client id: they must be distinct at plan time)."""
    text = (STACK / "tests" / "stack.tftest.hcl").read_text()
    block = text[: text.index("\nvariables {")]
    for name in NEW_CLIENTS:
        block += f"""
override_resource {{
  target          = module.user_pool.aws_cognito_user_pool_client.this["{name}"]
  override_during = plan
  values          = {{ id = "{name}clientid000000000000" }}
}}
"""
    return block


def test_terraform_gives_each_new_client_its_app_client_item_and_authorizer_entry(
    repo_copy: Path, terraform_test_env: dict[str, str]
) -> None:
    # terraform_test_env: STACK initialised (the providers and modules the copy borrows), one provider
    stack = repo_copy / "terraform" / "stack"
    (stack / ".terraform").symlink_to(STACK / ".terraform", target_is_directory=True)
    (stack / "tests" / "add_machine_client.tftest.hcl").write_text(
        _mock_provider_block()
        + """
variables {
  access           = jsondecode(file("../../policy_templates/access_model.json"))
  lambda_build_dir = "tests/fixtures"
  templates_dir    = "../../policy_templates"
  settings = {
    environment       = "dev"
    cors_allow_origin = "https://app.example.com"
    user_pool         = { domain_prefix = "fga-test-auth" }
  }
}

run "the_new_machine_clients_are_deployed" {
  command = plan

  assert {
    condition = (
      toset(module.user_pool.client_oauth_scopes["auditor"]) == toset(["api/news.read"])
      && toset(module.user_pool.client_oauth_scopes["mirror"]) == toset(["api/news.read"])
    )
    error_message = "app clients and their scopes"
  }

  assert {
    condition = (
      output.machine_clients["auditor"].policy_key == "client:auditor"
      && output.machine_clients["mirror"].policy_key == "admin"
    )
    error_message = "governing policy keys"
  }

  assert {
    condition = jsondecode(output.client_policies["client:auditor"]) == jsondecode(templatefile(
      "../../policy_templates/clients/auditor.json.tftpl",
      { api_arn = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/dev" }
    ))
    error_message = "the auditor's policy item"
  }

  assert {
    condition     = !contains(keys(output.client_policies), "client:mirror")
    error_message = "a group-governed client has no item of its own"
  }

  assert {
    condition = (
      jsondecode(local.authorizer_machine_clients)["auditorclientid000000000000"].policy == "client:auditor"
      && jsondecode(local.authorizer_machine_clients)["mirrorclientid000000000000"].policy == "admin"
    )
    error_message = "MACHINE_CLIENTS"
  }
}
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
        'module.user_pool.aws_cognito_user_pool_client.this["auditor"]',
        'module.user_pool.aws_cognito_user_pool_client.this["mirror"]',
        'module.policy_store.aws_dynamodb_table_item.policy["client:auditor"]',
    ):
        assert f"# {address} will be created" in proc.stdout, address
    assert 'aws_dynamodb_table_item.policy["client:mirror"]' not in proc.stdout
    created = '# module.user_pool.aws_cognito_user_pool_client.this["auditor"] will be created'
    client = proc.stdout.split(created, 1)[1].split("\n    }\n", 1)[0]
    assert re.search(r'allowed_oauth_flows\s+=\s+\[\s+\+ "client_credentials",\s+\]', client), client
    assert re.search(r"generate_secret\s+=\s+true", client), client


def test_python_reads_the_clients_and_the_matrix_gets_their_rows(repo_copy: Path) -> None:
    templates = repo_copy / "policy_templates"
    cfg = config.load("dev", access_model=templates / "access_model.json")
    assert cfg.machine_clients["auditor"].policy_key == "client:auditor"
    assert cfg.machine_clients["mirror"].policy_key == "admin"
    assert {"auditor", "mirror"} <= {m.name for m in demo_machines(cfg)}, "the local stack lists them"

    result = render.render_env(cfg, api_id=API_ID, templates_dir=templates)
    assert result.errors == []
    assert "client:auditor" in {p.group for p in result.policies}

    policies = render.policy_documents(cfg, api_id=API_ID, templates_dir=templates)
    rows = {
        m.name: {r.name: expected_machine_status(cfg, m, r, policies, API_ID) for r in cfg.routes.values()}
        for m in machines(cfg)
        if m.name in NEW_CLIENTS
    }
    for name, row in rows.items():
        for route_name, verdict in row.items():
            route = cfg.routes[route_name]
            if route.auth == "iam":
                assert verdict == NOT_APPLICABLE
            elif route.auth == "user_pool":
                assert verdict == UNAUTHORIZED, (name, route_name)  # no user_pool route wants news.read
    auditor_lambda = {r: v for r, v in rows["auditor"].items() if cfg.routes[r].auth == "lambda"}
    assert auditor_lambda == {r: ALLOW if r == "news-get" else FORBIDDEN for r in auditor_lambda}
    assert rows["mirror"]["news-delete"] == ALLOW  # admin's policy
    assert rows["mirror"]["pets-v2-status"] == FORBIDDEN
