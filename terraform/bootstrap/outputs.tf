output "state_bucket" {
  description = "Name of the Terraform state bucket (TF_STATE_BUCKET for make plan/apply and the GitHub environments)."
  value       = aws_s3_bucket.state.id
}

output "state_region" {
  description = "Region of the state bucket (TF_STATE_REGION / the GitHub variable AWS_REGION)."
  value       = var.region
}

output "state_keys" {
  description = "State object key per environment (TF_STATE_KEY; the Makefile's default is fga/<env>.tfstate)."
  value       = local.state_keys
}

output "state_kms_key_arn" {
  description = "ARN of the KMS key encrypting the state."
  value       = aws_kms_key.state.arn
}

output "access_log_bucket" {
  description = "Name of the bucket receiving the state bucket's S3 server access logs."
  value       = aws_s3_bucket.logs.id
}

output "github_oidc_provider_arn" {
  description = "ARN of the GitHub Actions OIDC identity provider."
  value       = aws_iam_openid_connect_provider.github.arn
}

output "apigateway_cloudwatch_role_arn" {
  description = "The role API Gateway writes REST API logs with (set in this region's API Gateway account settings)."
  value       = aws_iam_role.apigateway_cloudwatch.arn
}

output "plan_role_arns" {
  description = "Read-only plan role ARN per environment (GitHub variable AWS_PLAN_ROLE_ARN of environment <env>-plan)."
  value       = { for env in keys(var.environments) : env => aws_iam_role.deploy["${env}-plan"].arn }
}

output "apply_role_arns" {
  description = "Apply role ARN per environment (GitHub variable AWS_APPLY_ROLE_ARN of environment <env>)."
  value       = { for env in keys(var.environments) : env => aws_iam_role.deploy["${env}-apply"].arn }
}

output "verify_role_arns" {
  description = "Verify role ARN per environment (GitHub variable AWS_VERIFY_ROLE_ARN of environment <env>-verify)."
  value       = { for env in keys(var.environments) : env => aws_iam_role.deploy["${env}-verify"].arn }
}

output "github_environment_variables" {
  description = "The variables each GitHub environment needs, keyed by GitHub environment name (the verify environment gets no state bucket: its role reads no state)."
  value = merge([
    for key, role in local.deploy_roles : {
      (role.github_environment) = merge(
        {
          AWS_REGION                        = var.region
          (local.role_variables[role.kind]) = aws_iam_role.deploy[key].arn
        },
        role.kind == "verify" ? {} : { TF_STATE_BUCKET = aws_s3_bucket.state.id },
      )
    }
  ]...)
}

output "github_subject_claim_keys" {
  description = "The repository's OIDC subject template (include_claim_keys) the roles expect, or null with github_subject_format = \"default\"."
  value       = var.github_subject_format == "ids" ? local.subject_claim_keys : null
}

output "gh_commands" {
  description = "GitHub CLI commands that set the repository's OIDC subject template and create the variables above (run them from a clone of the repository)."
  value = concat(
    var.github_subject_format == "ids" ? [
      join(" ", concat(
        ["gh api -X PUT repos/${var.github_repository}/actions/oidc/customization/sub -F use_default=false"],
        [for k in local.subject_claim_keys : "-f 'include_claim_keys[]=${k}'"],
      ))
    ] : [],
    flatten([
      for key, role in local.deploy_roles : concat(
        ["gh variable set AWS_REGION --env ${role.github_environment} --body ${var.region}"],
        role.kind == "verify" ? [] : ["gh variable set TF_STATE_BUCKET --env ${role.github_environment} --body ${aws_s3_bucket.state.id}"],
        ["gh variable set ${local.role_variables[role.kind]} --env ${role.github_environment} --body ${aws_iam_role.deploy[key].arn}"],
      )
    ]),
  )
}

locals {
  # The GitHub variable each kind of role's ARN goes in (read by .github/workflows/terraform.yml).
  role_variables = { plan = "AWS_PLAN_ROLE_ARN", apply = "AWS_APPLY_ROLE_ARN", verify = "AWS_VERIFY_ROLE_ARN" }
}
