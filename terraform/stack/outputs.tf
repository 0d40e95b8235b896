output "region" {
  description = "AWS region of the stack."
  value       = local.region
}

output "account_id" {
  description = "AWS account of the stack."
  value       = local.account_id
}

output "api_id" {
  description = "REST API id."
  value       = module.api.id
}

output "stage_name" {
  description = "API stage."
  value       = module.api.stage_name
}

output "invoke_url" {
  description = "Base URL of the API stage."
  value       = module.api.invoke_url
}

output "user_pool_id" {
  description = "Cognito user pool id."
  value       = module.user_pool.id
}

output "user_pool_issuer" {
  description = "iss of the pool's tokens."
  value       = module.user_pool.issuer
}

output "user_pool_client_ids" {
  description = "App client ids keyed by client name (web, and one per machine client)."
  value       = module.user_pool.client_ids
}

output "machine_clients" {
  description = "Per machine client of the access model: its app client id, the scopes it may request and the policy-table key that governs it in lambda mode. Never the secret: a service reads it with DescribeUserPoolClient (docs/deploying.md)."
  value = {
    for name, c in local.machine_clients : name => {
      client_id  = module.user_pool.client_ids[name]
      scopes     = c.scopes
      policy_key = c.policy_key
    }
  }
}

output "identity_pool_id" {
  description = "Cognito identity pool id."
  value       = module.identity_pool.id
}

output "group_role_arns" {
  description = "IAM role per group."
  value       = module.identity_pool.group_role_arns
}

output "default_authenticated_role_arn" {
  description = "Deny-all default authenticated role."
  value       = module.identity_pool.default_authenticated_role_arn
}

output "oidc_provider_names" {
  description = "Identity-pool login keys of the external IdPs."
  value       = module.identity_pool.oidc_provider_names
}

output "policy_table" {
  description = "DynamoDB table of group policies."
  value       = module.policy_store.table_name
}

output "records_table" {
  description = "DynamoDB table of per-user records."
  value       = module.records.table_name
}

output "functions" {
  description = "Lambda function names keyed by role (authorizer, profiles, pets, news, signout, revocation_feed)."
  value = merge(
    { authorizer = module.authorizer.function_name },
    { for k, f in module.backend : k => f.function_name },
    { signout = module.signout.function_name, revocation_feed = module.revocation_feed.function_name },
  )
}

output "revocation_table" {
  description = "DynamoDB table of revocation records (read by the authorizer, written by signout and revocation_feed)."
  value       = module.revocations.table_name
}

output "signout_path" {
  description = "The product's sign-out endpoint under the stage (POST, the session's access token): not a route of the access model."
  value       = local.session_routes["session-signout"].path
}

output "revocation_dead_letter_queue" {
  description = "SQS queue of admin-action events the feed failed to record after Lambda's retries (replay them)."
  value       = aws_sqs_queue.revocation_feed_dlq.url
}

output "revocation_rule" {
  description = "The EventBridge rule that sends administrators' Cognito actions to revocation_feed."
  value       = aws_cloudwatch_event_rule.admin_actions.name
}

output "group_policies" {
  description = "The rendered policy document of each group (what both enforcement points use)."
  value       = { for g, d in local.group_policies : g => jsondecode(d) }
}

output "client_policies" {
  description = "The rendered policy document of each machine client with a template of its own, keyed by its policy-table key (client:<name>), as the policy table stores it."
  value       = { for key in keys(local.client_policies) : key => module.policy_store.documents[key] }
}

output "methods" {
  description = "What API Gateway enforces per route."
  value       = module.api.methods
}

output "enforced_policies" {
  description = "Per group, the document of its IAM role (iam mode) and of its policy-table item (lambda mode): they must be the same."
  value = {
    for g in keys(var.access.groups) : g => {
      iam_role     = module.identity_pool.group_role_policies[g]
      policy_table = module.policy_store.documents[g]
    }
  }
}

output "deletion_protection" {
  description = "Whether the user pool and the tables refuse deletion."
  value       = local.deletion_protection
}

output "monitoring" {
  description = "The environment's alarm topic, alarm names (by catalog key), the composite alarm to page on, the log metric filters, the log metrics' namespace and the dashboard."
  value = {
    topic_arn            = module.monitoring.topic_arn
    alarm_names          = module.monitoring.alarm_names
    composite_alarm_name = module.monitoring.composite_alarm_name
    metric_filters       = module.monitoring.metric_filters
    namespace            = module.monitoring.namespace
    dashboard_name       = module.monitoring.dashboard_name
    query_definitions    = module.monitoring.query_definitions
  }
}

output "verification" {
  description = "What `make verify` needs to reach this environment (settings.verification.enabled), null when verification is off: ids and URLs only, no secret. The pipeline's apply job hands it to the verify job."
  value = local.verification.enabled ? {
    environment            = local.environment
    region                 = local.region
    account_id             = local.account_id
    api_url                = module.api.invoke_url
    api_id                 = module.api.id
    stage                  = module.api.stage_name
    user_pool_id           = module.user_pool.id
    user_pool_client_id    = module.user_pool.client_ids["web"]
    verification_client_id = module.user_pool.client_ids["verify"]
    identity_pool_id       = module.identity_pool.id
    records_table          = module.records.table_name
    writes                 = local.verification.writes
    # The machine callers: client ids only (the verify role reads each secret with
    # DescribeUserPoolClient), and the token endpoint of the pool's domain.
    machine_clients = { for name in keys(local.machine_clients) : name => module.user_pool.client_ids[name] }
    token_endpoint  = module.user_pool.domain == null ? null : "https://${module.user_pool.domain}.auth.${local.region}.amazoncognito.com/oauth2/token"
  } : null
}
