# Plan/apply-level tests with a mocked provider (no AWS account): who may assume the deploy roles,
# how the state bucket is protected, and that bad inputs are refused. Run by tests/policy/test_bootstrap.py.
mock_provider "aws" {
  mock_resource "aws_iam_openid_connect_provider" {
    defaults = {
      arn = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"
    }
  }
  mock_resource "aws_s3_bucket" {
    defaults = {
      arn = "arn:aws:s3:::fga-tfstate-111111111111-us-east-1"
    }
  }
  mock_resource "aws_kms_key" {
    defaults = {
      arn = "arn:aws:kms:us-east-1:111111111111:key/00000000-0000-0000-0000-000000000000"
    }
  }
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

variables {
  account_id        = "111111111111"
  region            = "us-east-1"
  github_repository = "acme/cognito-fine-grained-access"
  environments = {
    dev  = {}
    prod = { github_apply_environment = "production" }
  }
}

run "roles_trust_only_this_repository_in_one_github_environment" {
  command = apply

  assert {
    condition     = toset(keys(aws_iam_role.deploy)) == toset(["dev-plan", "dev-apply", "prod-plan", "prod-apply"])
    error_message = "Each environment needs exactly a plan and an apply role."
  }

  assert {
    condition = alltrue([
      for key, expected in {
        "dev-plan"   = "repo:acme/cognito-fine-grained-access:environment:dev-plan"
        "dev-apply"  = "repo:acme/cognito-fine-grained-access:environment:dev"
        "prod-plan"  = "repo:acme/cognito-fine-grained-access:environment:prod-plan"
        "prod-apply" = "repo:acme/cognito-fine-grained-access:environment:production"
      } : jsondecode(aws_iam_role.deploy[key].assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == expected
    ])
    error_message = "A deploy role's trust must pin sub to this repository and its GitHub environment."
  }

  assert {
    condition = alltrue([
      for role in values(aws_iam_role.deploy) : (
        length(jsondecode(role.assume_role_policy).Statement) == 1 &&
        jsondecode(role.assume_role_policy).Statement[0].Action == "sts:AssumeRoleWithWebIdentity" &&
        jsondecode(role.assume_role_policy).Statement[0].Principal.Federated == aws_iam_openid_connect_provider.github.arn &&
        jsondecode(role.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com" &&
        length(keys(jsondecode(role.assume_role_policy).Statement[0].Condition)) == 1
      )
    ])
    error_message = "Trust: one statement, web identity from GitHub's provider, audience sts.amazonaws.com, exact-match conditions only."
  }

  assert {
    condition     = alltrue([for role in values(aws_iam_role.deploy) : startswith(role.name, "fga-github-")])
    error_message = "Deploy role names must stay outside the environments' fga-<env>- prefix."
  }

  assert {
    condition     = aws_s3_bucket.state.bucket == "fga-tfstate-111111111111-us-east-1"
    error_message = "Default state bucket name is fga-tfstate-<account>-<region>."
  }

  assert {
    condition     = aws_s3_bucket_versioning.state.versioning_configuration[0].status == "Enabled"
    error_message = "The state bucket must be versioned."
  }

  assert {
    condition = (
      aws_s3_bucket_public_access_block.state.block_public_acls &&
      aws_s3_bucket_public_access_block.state.block_public_policy &&
      aws_s3_bucket_public_access_block.state.ignore_public_acls &&
      aws_s3_bucket_public_access_block.state.restrict_public_buckets
    )
    error_message = "All public access to the state bucket must be blocked."
  }

  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.state.rule).apply_server_side_encryption_by_default).sse_algorithm == "aws:kms"
    error_message = "The state must be encrypted with the state KMS key."
  }

  assert {
    condition     = aws_kms_key.state.enable_key_rotation
    error_message = "The state key must rotate."
  }

  assert {
    condition     = output.state_keys == { dev = "fga/dev.tfstate", prod = "fga/prod.tfstate" }
    error_message = "State keys must match the Makefile's TF_STATE_KEY default fga/<env>.tfstate."
  }

  assert {
    condition     = output.github_environment_variables["production"].AWS_APPLY_ROLE_ARN == aws_iam_role.deploy["prod-apply"].arn
    error_message = "The apply role ARN belongs to the apply GitHub environment."
  }
}

run "rejects_an_invalid_account_id" {
  command = plan

  variables {
    account_id = "1234"
  }

  expect_failures = [var.account_id]
}

run "rejects_environments_that_are_not_real" {
  command = plan

  variables {
    environments = { local = {} }
  }

  expect_failures = [var.environments]
}

run "rejects_a_repository_that_is_not_owner_slash_name" {
  command = plan

  variables {
    github_repository = "https://github.com/acme/repo"
  }

  expect_failures = [var.github_repository]
}

run "rejects_short_state_version_retention" {
  command = plan

  variables {
    noncurrent_version_days = 7
  }

  expect_failures = [var.noncurrent_version_days]
}
