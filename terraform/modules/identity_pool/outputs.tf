output "id" {
  description = "Identity pool id (<region>:<uuid>)."
  value       = aws_cognito_identity_pool.this.id
}

output "group_role_arns" {
  description = "IAM role ARN per user-pool group (feed these to the user pool groups' role_arn)."
  value       = { for g, r in aws_iam_role.group : g => r.arn }
}

output "default_authenticated_role_arn" {
  description = "The deny-all role used when no mapping applies."
  value       = aws_iam_role.default_authenticated.arn
}

output "oidc_provider_arns" {
  description = "IAM OIDC provider ARNs keyed by provider name."
  value       = { for k, p in aws_iam_openid_connect_provider.this : k => p.arn }
}

output "oidc_provider_names" {
  description = "Identity-pool login keys (issuer without scheme) keyed by provider name."
  value       = local.oidc_provider_names
}

output "group_role_policies" {
  description = "The inline policy document of each group's role, keyed by group (what iam mode enforces)."
  value       = { for g, p in aws_iam_role_policy.group : g => p.policy }
}
