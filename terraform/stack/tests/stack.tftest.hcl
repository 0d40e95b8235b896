# The composed stack under a mocked provider: the access model's invariants and the input validations.
mock_provider "aws" {
  override_during = plan

  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_resource "aws_api_gateway_rest_api" {
    defaults = {
      id               = "a1b2c3d4e5"
      root_resource_id = "rootid0000"
      execution_arn    = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5"
    }
  }
  mock_resource "aws_cognito_user_pool" {
    defaults = {
      id       = "us-east-1_TEST"
      arn      = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_TEST"
      endpoint = "cognito-idp.us-east-1.amazonaws.com/us-east-1_TEST"
    }
  }
  mock_resource "aws_cognito_identity_pool" {
    defaults = { id = "us-east-1:00000000-0000-0000-0000-000000000000" }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:us-east-1:123456789012:key/mock" }
  }
}

variables {
  environment       = "dev"
  lambda_zip_dir    = "tests/fixtures"
  templates_dir     = "../../policy_templates"
  cors_allow_origin = "https://app.example.com"
  groups = {
    admin            = { precedence = 1 }
    pet-veterinarian = { precedence = 10 }
    cip-users        = { precedence = 20 }
    google-users     = { precedence = 30 }
  }
  routes = {
    cip-get     = { path = "/cip", method = "GET", auth = "iam", handler = "profiles" }
    cup-get     = { path = "/cup", method = "GET", auth = "user_pool", handler = "profiles" }
    news-delete = { path = "/news", method = "DELETE", auth = "lambda", handler = "news" }
  }
  external_providers = {
    google = { issuer_url = "https://accounts.google.com", client_ids = ["g-client"], group = "google-users" }
  }
}

run "every_group_enforces_exactly_its_rendered_template" {
  command = plan

  assert {
    condition = alltrue([
      for g in keys(var.groups) : jsondecode(output.enforced_policies[g].iam_role) == jsondecode(templatefile("../../policy_templates/${g}.json.tftpl", {
        api_arn     = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/dev"
        region      = "us-east-1"
        account_id  = "123456789012"
        api_id      = "a1b2c3d4e5"
        stage       = "dev"
        environment = "dev"
      }))
    ])
    error_message = "A group's IAM role policy differs from its rendered template."
  }

  assert {
    condition     = alltrue([for g, p in output.enforced_policies : p.iam_role == p.policy_table])
    error_message = "The IAM role (iam mode) and the policy-table item (lambda mode) of a group must hold the same document."
  }
}

run "method_authorization_matches_route_mode" {
  command = plan

  assert {
    condition = alltrue([
      for k, r in var.routes : output.methods[k].authorization == { iam = "AWS_IAM", user_pool = "COGNITO_USER_POOLS", lambda = "CUSTOM" }[r.auth]
    ])
    error_message = "A method's authorization does not match its route's mode."
  }
}

run "real_environments_get_deletion_protection_by_default" {
  command = plan

  assert {
    condition     = output.policy_table == "fga-dev-policies"
    error_message = "Resources are named after the environment."
  }

  assert {
    condition     = output.deletion_protection
    error_message = "Outside local, stateful resources must be protected unless the env says otherwise."
  }
}

run "local_turns_deletion_protection_off" {
  command = plan
  variables {
    environment = "local"
  }

  assert {
    condition     = !output.deletion_protection
    error_message = "The throwaway local environment needs no deletion protection."
  }
}

run "explicit_false_turns_it_off" {
  command = plan
  variables {
    deletion_protection = false
  }

  assert {
    condition     = !output.deletion_protection
    error_message = "deletion_protection = false must win over the environment default."
  }
}

run "rejects_group_without_template" {
  command = plan
  variables {
    groups = { auditors = { precedence = 5 } }
  }
  expect_failures = [var.groups]
}

run "rejects_duplicate_precedence" {
  command = plan
  variables {
    groups = {
      admin     = { precedence = 1 }
      cip-users = { precedence = 1 }
    }
  }
  expect_failures = [var.groups]
}

run "rejects_bad_group_name" {
  command = plan
  variables {
    groups = { "bad group" = { precedence = 1 } }
  }
  expect_failures = [var.groups]
}

run "rejects_bad_environment_name" {
  command = plan
  variables {
    environment = "production"
  }
  expect_failures = [var.environment]
}

run "rejects_unknown_auth_mode" {
  command = plan
  variables {
    routes = { bad = { path = "/x", method = "GET", auth = "api_key", handler = "news" } }
  }
  expect_failures = [var.routes]
}

run "rejects_unknown_handler" {
  command = plan
  variables {
    routes = { bad = { path = "/x", method = "GET", auth = "iam", handler = "billing" } }
  }
  expect_failures = [var.routes]
}

run "rejects_external_provider_for_unknown_group" {
  command = plan
  variables {
    external_providers = { google = { issuer_url = "https://accounts.google.com", client_ids = ["g"], group = "nobody" } }
  }
  expect_failures = [var.external_providers]
}

run "rejects_bad_architecture" {
  command = plan
  variables {
    lambda_architecture = "sparc"
  }
  expect_failures = [var.lambda_architecture]
}

run "rejects_bad_name_prefix" {
  command = plan
  variables {
    name_prefix = "Bad_Prefix"
  }
  expect_failures = [var.name_prefix]
}

run "rejects_bad_token_use" {
  command = plan
  variables {
    authorizer = { token_use = "refresh" }
  }
  expect_failures = [var.authorizer]
}

run "rejects_unknown_user_pool_role_mapping" {
  command = plan
  variables {
    identity_pool = { user_pool_role_mapping = "Union" }
  }
  expect_failures = [var.identity_pool]
}

run "token_user_pool_role_mapping_is_accepted" {
  command = plan
  variables {
    identity_pool = { user_pool_role_mapping = "Token" }
  }
}

run "strict_authorizer_cache_settings_are_accepted" {
  command = plan
  variables {
    authorizer = { result_ttl_seconds = 0, policy_cache_seconds = 0 }
  }

  assert {
    condition     = var.authorizer.result_ttl_seconds == 0 && var.authorizer.policy_cache_seconds == 0
    error_message = "0 (no cache) must be a valid value for both authorizer caches: it is the strict setting."
  }
}

run "authorizer_cache_defaults" {
  command = plan

  assert {
    condition     = var.authorizer.result_ttl_seconds == 300 && var.authorizer.policy_cache_seconds == 60
    error_message = "The documented defaults (docs/architecture.md, Authorizer cache window) are 300 s (API Gateway) and 60 s (policy cache)."
  }
}

run "rejects_result_ttl_above_api_gateway_maximum" {
  command = plan
  variables {
    authorizer = { result_ttl_seconds = 3601 }
  }
  expect_failures = [var.authorizer]
}

run "rejects_fractional_result_ttl" {
  command = plan
  variables {
    authorizer = { result_ttl_seconds = 1.5 }
  }
  expect_failures = [var.authorizer]
}

run "rejects_negative_policy_cache" {
  command = plan
  variables {
    authorizer = { policy_cache_seconds = -1 }
  }
  expect_failures = [var.authorizer]
}

run "rejects_policy_cache_over_an_hour" {
  command = plan
  variables {
    authorizer = { policy_cache_seconds = 86400 }
  }
  expect_failures = [var.authorizer]
}

run "web_client_writes_only_names_by_default" {
  command = plan

  assert {
    condition     = toset(local.web_client_write_attributes) == toset(["given_name", "family_name"])
    error_message = "Without self sign-up the web client may write only given_name and family_name (never email, sub or the verified flags)."
  }

  assert {
    condition     = toset(local.web_client_read_attributes) == toset(["email", "email_verified", "given_name", "family_name"])
    error_message = "The web client reads only what the tokens and the backend use."
  }
}

run "self_sign_up_lets_the_web_client_write_the_required_attributes" {
  command = plan
  variables {
    user_pool = { self_sign_up = true, custom_attributes = { tier = {} } }
  }

  assert {
    condition     = toset(local.web_client_write_attributes) == toset(["given_name", "family_name", "email"])
    error_message = "SignUp writes the required attributes through the client, so with self sign-up they must be writable."
  }

  assert {
    condition     = contains(local.web_client_read_attributes, "custom:tier") && !contains(local.web_client_write_attributes, "custom:tier")
    error_message = "Declared custom attributes are readable, not writable, by the web client."
  }
}
