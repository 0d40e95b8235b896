# Per environment, two roles for the pipeline, each assumable only by this repository's workflows
# running in one GitHub environment (the token's `sub` is repo:<owner>/<name>:environment:<name>):
#   <prefix>-github-<env>-plan   read-only + the state lock: `terraform plan` on pull requests and main
#   <prefix>-github-<env>-apply  manages the environment's resources: `terraform apply` of a saved plan
# Their names deliberately do not start with the environment's resource prefix (fga-<env>-), so the
# apply role's IAM rights on fga-<env>-* roles never cover the deploy roles themselves.
locals {
  github_token_host = "token.actions.githubusercontent.com"

  deploy_roles = merge([
    for env, e in var.environments : {
      "${env}-plan" = {
        environment        = env
        kind               = "plan"
        github_environment = coalesce(e.github_plan_environment, "${env}-plan")
        name_prefix        = local.name_prefixes[env]
      }
      "${env}-apply" = {
        environment        = env
        kind               = "apply"
        github_environment = coalesce(e.github_apply_environment, env)
        name_prefix        = local.name_prefixes[env]
      }
    }
  ]...)
}

# The trust policy as a keyed statement map (the key is the Sid) rather than a data source, so that
# `terraform test` can assert on the exact conditions (tests/bootstrap.tftest.hcl).
locals {
  github_trust = {
    for key, role in local.deploy_roles : key => {
      Version = "2012-10-17"
      Statement = [
        for sid, statement in {
          "GitHubEnvironment${title(role.kind)}" = {
            Effect    = "Allow"
            Action    = "sts:AssumeRoleWithWebIdentity"
            Principal = { Federated = aws_iam_openid_connect_provider.github.arn }
            Condition = {
              StringEquals = {
                "${local.github_token_host}:aud" = "sts.amazonaws.com"
                "${local.github_token_host}:sub" = "repo:${var.github_repository}:environment:${role.github_environment}"
              }
            }
          }
        } : merge({ Sid = sid }, statement)
      ]
    }
  }
}

resource "aws_iam_role" "deploy" {
  for_each = local.deploy_roles

  name                 = "fga-github-${each.key}"
  description          = "${title(each.value.kind)} role of ${each.value.environment} for ${var.github_repository} (GitHub environment ${each.value.github_environment})."
  assume_role_policy   = jsonencode(local.github_trust[each.key])
  max_session_duration = 3600
  tags                 = { "fga:environment" = each.value.environment, "fga:deploy-role" = each.value.kind }
}

# --- state access: plan reads the state and holds the lock; apply also writes the state -------------

data "aws_iam_policy_document" "state_access" {
  for_each = local.deploy_roles

  statement {
    sid       = "ListOwnState"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.state.arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.state_keys[each.value.environment]}*"]
    }
  }

  statement {
    sid       = "ReadOwnState"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.state.arn}/${local.state_keys[each.value.environment]}*"]
  }

  statement {
    sid       = "HoldOwnLock"
    actions   = ["s3:PutObject", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.state.arn}/${local.state_keys[each.value.environment]}.tflock"]
  }

  dynamic "statement" {
    for_each = each.value.kind == "apply" ? ["write"] : []
    content {
      sid       = "WriteOwnState"
      actions   = ["s3:PutObject"]
      resources = ["${aws_s3_bucket.state.arn}/${local.state_keys[each.value.environment]}"]
    }
  }

  statement {
    sid       = "UseStateKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.state.arn]
  }
}

resource "aws_iam_role_policy" "state_access" {
  for_each = local.deploy_roles

  name   = "terraform-state"
  role   = aws_iam_role.deploy[each.key].id
  policy = data.aws_iam_policy_document.state_access[each.key].json
}
