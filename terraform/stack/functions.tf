# Function names, known at plan time: what refers to a function by name (the monitoring's alarms)
# need not wait for it to be created.
locals {
  function_names = merge(
    { authorizer = "${local.prefix}-authorizer" },
    { for handler in keys(var.access.handlers) : handler => "${local.prefix}-${handler}" },
  )
}

# The declared machine clients as the authorizer reads them: client id -> the policy-table key that
# governs it and the scopes its tokens may hold. A token of any other client is refused
# (client_not_allowed), as one of a user client is when presented as a machine's.
locals {
  authorizer_machine_clients = jsonencode({
    for name, c in local.machine_clients : module.user_pool.client_ids[name] => { policy = c.policy_key, scopes = c.scopes }
  })
}

module "authorizer" {
  source = "../modules/function"

  name         = local.function_names.authorizer
  description  = "Verifies Cognito JWTs and returns the caller's group (or machine client's) policy from the policy table."
  zip_path     = "${local.lambda_zip_dir}/authorizer.zip"
  handler      = "app.handler"
  architecture = var.settings.lambda_architecture
  memory_mb    = 512 # RSA verification is CPU-bound; more memory buys CPU and lower latency
  # The revocation read (at most ~3 s) and the policy read (~5 s) both fail closed inside it.
  timeout_seconds = 10

  # The function reads its keys from the issuer (<ISSUER>/.well-known/jwks.json) and refuses any other
  # JWKS_URL unless LOCAL_JWKS is true, which this stack sets only from the local-only jwks_origin
  # (a loopback origin, see the validation in variables.tf); even then the function admits loopback
  # hosts only.
  environment = merge({
    POLICY_TABLE             = module.policy_store.table_name
    ISSUER                   = module.user_pool.issuer
    JWKS_URL                 = local.authorizer.jwks_origin == null ? "${module.user_pool.issuer}/.well-known/jwks.json" : "${local.authorizer.jwks_origin}/${module.user_pool.id}/.well-known/jwks.json"
    ALLOWED_CLIENT_IDS       = join(",", local.token_client_ids)
    MACHINE_CLIENTS          = local.authorizer_machine_clients
    TOKEN_USE                = local.authorizer.token_use
    POLICY_CACHE_TTL_SECONDS = tostring(local.authorizer.policy_cache_seconds)
    JWKS_CACHE_TTL_SECONDS   = tostring(local.authorizer.jwks_cache_seconds)
    REVOCATION_TABLE         = module.revocations.table_name
    REVOCATION_CHECK_SECONDS = tostring(local.authorizer.revocation_check_seconds)
    LOG_LEVEL                = "INFO"
  }, local.authorizer.jwks_origin == null ? {} : { LOCAL_JWKS = "true" })

  policy_statements = {
    ReadGroupPolicies = {
      actions   = ["dynamodb:GetItem", "dynamodb:BatchGetItem"]
      resources = [module.policy_store.table_arn]
    }
    # Read only: the authorizer never writes a revocation (revocation.tf has the writers).
    ReadRevocations = {
      actions   = ["dynamodb:GetItem"]
      resources = [module.revocations.table_arn]
    }
  }

  log_retention_days = var.settings.log_retention_days
  kms_key_arn        = aws_kms_key.this.arn
  encrypted_tables   = [module.policy_store.table_name, module.revocations.table_name]
  tags               = local.tags
}

# The backend functions: one code base (backend.zip), one function per handler of the access model,
# each allowed only its own partitions of the records table (dynamodb:LeadingKeys).
module "backend" {
  source   = "../modules/function"
  for_each = var.access.handlers

  name         = local.function_names[each.key]
  description  = each.value.description
  zip_path     = "${local.lambda_zip_dir}/backend.zip"
  handler      = each.value.entry_point
  architecture = var.settings.lambda_architecture

  environment = {
    TABLE_NAME        = module.records.table_name
    CORS_ALLOW_ORIGIN = var.settings.cors_allow_origin
    LOG_LEVEL         = "INFO"
  }

  policy_statements = {
    OwnPartitionsOnly = {
      actions   = each.value.table_actions
      resources = [module.records.table_arn]
      conditions = [{
        test     = "ForAllValues:StringLike"
        variable = "dynamodb:LeadingKeys"
        values   = each.value.leading_keys
      }]
    }
  }

  log_retention_days = var.settings.log_retention_days
  kms_key_arn        = aws_kms_key.this.arn
  encrypted_tables   = [module.records.table_name]
  tags               = local.tags
}

module "api" {
  source = "../modules/api"

  name       = "${local.prefix}-api"
  stage_name = local.stage_name
  # The access model's routes, and the product's sign-out (revocation.tf), which is not one of them.
  routes = merge(var.access.routes, local.session_routes)

  handlers = merge(
    { for k, f in module.backend : k => { function_name = f.function_name, invoke_arn = f.invoke_arn } },
    { signout = { function_name = module.signout.function_name, invoke_arn = module.signout.invoke_arn } },
  )

  lambda_authorizer = {
    function_name      = module.authorizer.function_name
    invoke_arn         = module.authorizer.invoke_arn
    result_ttl_seconds = local.authorizer.result_ttl_seconds
  }

  user_pool_arns            = [module.user_pool.arn]
  cors_allow_origin         = var.settings.cors_allow_origin
  throttling                = var.settings.throttling
  execution_logging_level   = var.settings.execution_logging_level
  access_log_retention_days = var.settings.log_retention_days
  kms_key_arn               = aws_kms_key.this.arn
  web_acl_arn               = var.settings.web_acl_arn
  tags                      = local.tags
}
