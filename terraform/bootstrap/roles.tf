# Per environment, three roles for the pipeline, each assumable only by this repository (pinned by its
# numeric id, and by its owner's id through the customised subject) running the reusable workflow
# `github_workflow` in one GitHub environment; the apply and verify roles only from the default branch:
#   <prefix>-github-<env>-plan    read-only + the state lock: `terraform plan` on pull requests and main
#   <prefix>-github-<env>-apply   manages the environment's resources: `terraform apply` of a saved plan
#   <prefix>-github-<env>-verify  `make verify` after the apply: its own users in the env's user pool,
#                                 their identities and records (permissions.tf); no state, no IAM
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
      "${env}-verify" = {
        environment        = env
        kind               = "verify"
        github_environment = coalesce(e.github_verify_environment, "${env}-verify")
        name_prefix        = local.name_prefixes[env]
      }
    }
  ]...)

  # The roles that hold the environment's state (the verify role reads none: the apply job hands it
  # the deployment's `verification` output).
  state_roles = { for key, role in local.deploy_roles : key => role if role.kind != "verify" }
}

# What the trust can pin. IAM accepts these GitHub claims as condition keys of
# token.actions.githubusercontent.com (AWS STS, provider-specific claims): aud, sub, repository_id,
# environment, ref, job_workflow_ref (also actor, actor_id, repository, workflow, enterprise_id, not
# used here). Other claims (repository_owner_id, workflow_ref/_sha, job_workflow_sha, event_name,
# runner_environment, ...) are not condition keys; repository_owner_id is pinned through the
# customised subject instead (github_subject_format = "ids"), the rest cannot be pinned (README.md).
locals {
  # The repository's OIDC subject template for github_subject_format = "ids" (set by gh_commands).
  subject_claim_keys = ["repository_owner_id", "repository_id", "context", "job_workflow_ref"]

  workflow_ref_base = "${var.github_repository}/${var.github_workflow}@"
  branch_ref        = "refs/heads/${var.github_default_branch}"

  # Applies and verifications run only from the default branch; plans also from pull-request merge refs.
  trusted_refs = {
    plan   = [local.branch_ref, "refs/pull/*/merge"]
    apply  = [local.branch_ref]
    verify = [local.branch_ref]
  }

  subjects = {
    for key, role in local.deploy_roles : key => [
      for ref in local.trusted_refs[role.kind] : (
        var.github_subject_format == "ids"
        ? "repository_owner_id:${var.github_owner_id}:repository_id:${var.github_repository_id}:environment:${role.github_environment}:job_workflow_ref:${local.workflow_ref_base}${ref}"
        : "repo:${var.github_repository}:environment:${role.github_environment}"
      )
    ]
  }
}

# The trust policy as a keyed statement map (the key is the Sid) rather than a data source, so that
# `terraform test` can assert on the exact conditions (tests/bootstrap.tftest.hcl). Every condition
# key must be present in the token (a missing key fails StringEquals/StringLike): nothing here can
# be satisfied by leaving a claim out.
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
            Condition = merge(
              {
                StringEquals = merge(
                  {
                    "${local.github_token_host}:aud"           = "sts.amazonaws.com"
                    "${local.github_token_host}:repository_id" = var.github_repository_id
                    "${local.github_token_host}:environment"   = role.github_environment
                  },
                  role.kind != "plan" ? {
                    "${local.github_token_host}:sub"              = one(distinct(local.subjects[key]))
                    "${local.github_token_host}:ref"              = local.branch_ref
                    "${local.github_token_host}:job_workflow_ref" = "${local.workflow_ref_base}${local.branch_ref}"
                  } : {},
                  role.kind == "plan" && var.github_subject_format == "default" ? {
                    "${local.github_token_host}:sub" = one(distinct(local.subjects[key]))
                  } : {},
                )
              },
              role.kind == "plan" ? {
                StringLike = merge(
                  {
                    "${local.github_token_host}:ref"              = local.trusted_refs.plan
                    "${local.github_token_host}:job_workflow_ref" = [for ref in local.trusted_refs.plan : "${local.workflow_ref_base}${ref}"]
                  },
                  var.github_subject_format == "ids" ? { "${local.github_token_host}:sub" = local.subjects[key] } : {},
                )
              } : {},
            )
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
  for_each = local.state_roles

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

  # The saved plan travels from the plan job to the apply job through the state bucket (same key,
  # same access as the state it embeds), not as a GitHub artifact: a plan holds the prior state,
  # sensitive values included. The apply role reads it with ReadOwnState.
  dynamic "statement" {
    for_each = each.value.kind == "plan" ? ["store"] : []
    content {
      sid       = "StoreSavedPlans"
      actions   = ["s3:PutObject"]
      resources = ["${aws_s3_bucket.state.arn}/${local.state_keys[each.value.environment]}.plans/*"]
    }
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
  for_each = local.state_roles

  name   = "terraform-state"
  role   = aws_iam_role.deploy[each.key].id
  policy = data.aws_iam_policy_document.state_access[each.key].json
}
