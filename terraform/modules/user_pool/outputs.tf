output "id" {
  description = "User pool id (<region>_<random>)."
  value       = aws_cognito_user_pool.this.id
}

output "arn" {
  description = "User pool ARN (the COGNITO_USER_POOLS authorizer's provider)."
  value       = aws_cognito_user_pool.this.arn
}

output "endpoint" {
  description = "cognito-idp.<region>.amazonaws.com/<pool id>: the identity pool provider name."
  value       = aws_cognito_user_pool.this.endpoint
}

output "issuer" {
  description = "The iss claim of this pool's tokens."
  value       = "https://${aws_cognito_user_pool.this.endpoint}"
}

output "client_ids" {
  description = "App client ids keyed by client name."
  value       = { for k, c in aws_cognito_user_pool_client.this : k => c.id }
}

output "group_names" {
  description = "Names of the groups created."
  value       = sort(keys(aws_cognito_user_group.this))
}

output "domain" {
  description = "Hosted UI domain prefix, or null."
  value       = try(aws_cognito_user_pool_domain.this["hosted_ui"].domain, null)
}

output "resource_server_identifier" {
  description = "Identifier of the resource server (scope prefix), or null."
  value       = try(aws_cognito_resource_server.this["api"].identifier, null)
}

output "resource_server_scopes" {
  description = "The resource server's scopes as clients request them (<identifier>/<scope>), or an empty list."
  value       = flatten([for rs in aws_cognito_resource_server.this : [for s in rs.scope : "${rs.identifier}/${s.scope_name}"]])
}

output "client_oauth_scopes" {
  description = "The OAuth scopes each app client may request, keyed by client name."
  value       = { for k, c in aws_cognito_user_pool_client.this : k => c.allowed_oauth_scopes }
}

output "client_auth_flows" {
  description = "How each app client signs users in, keyed by client name: its explicit_auth_flows, allowed_oauth_flows and whether OAuth (the hosted UI) is enabled for it."
  value = {
    for k, c in aws_cognito_user_pool_client.this : k => {
      explicit_auth_flows = c.explicit_auth_flows
      oauth_flows         = c.allowed_oauth_flows
      oauth_enabled       = c.allowed_oauth_flows_user_pool_client
    }
  }
}

output "groups" {
  description = "The groups created, keyed by name: precedence and role_arn (the IAM role Cognito puts in cognito:roles and, for the lowest precedence, cognito:preferred_role)."
  value       = { for g, r in aws_cognito_user_group.this : g => { precedence = r.precedence, role_arn = r.role_arn } }
}
