# Sign-out means sign-out (docs/architecture.md, "Revocation"): the revocation table the Lambda
# authorizer consults, and the two feeds that fill it.
locals {
  # How long a revocation must be remembered: the longest access/ID token lifetime plus the
  # authorizer's clock skew (CLOCK_SKEW_SECONDS in functions/authorizer/authz/settings.py).
  token_lifetime_seconds = max(local.user_pool.access_token_validity_minutes, local.user_pool.id_token_validity_minutes) * 60 + 30

  # The product's sign-out is part of the API but not of the access model: it is no contract cell
  # (the live matrix must never sign its own users out), every signed-in user may call it for their
  # own session, and API Gateway's Cognito authorizer verifies the access token it needs.
  session_routes = {
    session-signout = {
      path    = "/session/signout"
      method  = "POST"
      auth    = "user_pool"
      handler = "signout"
      # The scopes every access token of the web client carries one of: hosted-UI tokens `openid`,
      # InitiateAuth tokens `aws.cognito.signin.user.admin`. A machine token (custom scopes only)
      # has no session to end and is refused.
      scopes = ["openid", "aws.cognito.signin.user.admin"]
    }
  }

  revocation_events          = ["AdminUserGlobalSignOut", "AdminDisableUser", "AdminDeleteUser", "AdminRemoveUserFromGroup", "AdminAddUserToGroup"]
  stage_authorizer_cache_arn = "arn:${data.aws_partition.current.partition}:apigateway:${local.region}::/restapis/${module.api.id}/stages/${local.stage_name}/cache/authorizers"
}

module "revocations" {
  source = "../modules/revocation_store"

  table_name          = "${local.prefix}-revocations"
  kms_key_arn         = aws_kms_key.this.arn
  deletion_protection = local.deletion_protection
  tags                = local.tags
}

# POST /session/signout: revoke at Cognito, write the record, flush the stage's authorizer cache.
module "signout" {
  source = "../modules/function"

  name         = "${local.prefix}-signout"
  description  = "The product's sign-out: revokes the session at Cognito and in the revocation table, then flushes the authorizer cache."
  zip_path     = "${local.lambda_zip_dir}/revocation.zip"
  handler      = "signout.handler"
  architecture = var.settings.lambda_architecture
  # Cognito, the table and up to 10 s of waiting before the flush (revocation_core/gateway.py).
  timeout_seconds = 25

  environment = {
    TABLE_NAME               = module.revocations.table_name
    USER_POOL_ID             = module.user_pool.id
    ALLOWED_CLIENT_IDS       = module.user_pool.client_ids["web"]
    TOKEN_LIFETIME_SECONDS   = tostring(local.token_lifetime_seconds)
    RESULT_TTL_SECONDS       = tostring(local.authorizer.result_ttl_seconds)
    REVOCATION_CHECK_SECONDS = tostring(local.authorizer.revocation_check_seconds)
    CORS_ALLOW_ORIGIN        = var.settings.cors_allow_origin
    LOG_LEVEL                = "INFO"
  }

  policy_statements = {
    WriteRevocations = {
      actions   = ["dynamodb:GetItem", "dynamodb:PutItem"]
      resources = [module.revocations.table_arn]
    }
    SignOutEverywhere = {
      actions   = ["cognito-idp:AdminUserGlobalSignOut"]
      resources = [module.user_pool.arn]
    }
  }

  log_retention_days = var.settings.log_retention_days
  kms_key_arn        = aws_kms_key.this.arn
  encrypted_tables   = [module.revocations.table_name]
  tags               = local.tags
}

# The flush names the stage, which exists only once the API (which invokes the sign-out) does: a
# policy of its own, attached after both, keeps the graph free of cycles.
resource "aws_iam_role_policy" "signout_flush" {
  name = "flush-authorizer-cache"
  role = module.signout.role_name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "FlushStageAuthorizersCache"
      Effect   = "Allow"
      Action   = "apigateway:DELETE"
      Resource = local.stage_authorizer_cache_arn
    }]
  })
}

# Administrators' actions taken anywhere: CloudTrail -> EventBridge (default bus) -> the feed. AWS
# delivers these events only while a CloudTrail trail with logging on records the account's
# management events (docs/deploying.md); the local environment creates one in the emulator.
module "revocation_feed" {
  source = "../modules/function"

  name            = "${local.prefix}-revocation-feed"
  description     = "Writes the revocation record for administrators' Cognito actions (CloudTrail events via EventBridge), then flushes the authorizer cache."
  zip_path        = "${local.lambda_zip_dir}/revocation.zip"
  handler         = "feed.handler"
  architecture    = var.settings.lambda_architecture
  timeout_seconds = 25

  environment = {
    TABLE_NAME               = module.revocations.table_name
    USER_POOL_ID             = module.user_pool.id
    TOKEN_LIFETIME_SECONDS   = tostring(local.token_lifetime_seconds)
    REST_API_ID              = module.api.id
    STAGE_NAME               = local.stage_name
    RESULT_TTL_SECONDS       = tostring(local.authorizer.result_ttl_seconds)
    REVOCATION_CHECK_SECONDS = tostring(local.authorizer.revocation_check_seconds)
    LOG_LEVEL                = "INFO"
  }

  policy_statements = {
    WriteRevocations = {
      actions   = ["dynamodb:GetItem", "dynamodb:PutItem"]
      resources = [module.revocations.table_arn]
    }
    FlushStageAuthorizersCache = {
      actions   = ["apigateway:DELETE"]
      resources = [local.stage_authorizer_cache_arn]
    }
  }

  # EventBridge invokes it asynchronously: an event that failed Lambda's retries (e.g. the table
  # unavailable for minutes) waits here, for an operator to replay, instead of being lost.
  dead_letter_queue_arn = aws_sqs_queue.revocation_feed_dlq.arn

  log_retention_days = var.settings.log_retention_days
  kms_key_arn        = aws_kms_key.this.arn
  encrypted_tables   = [module.revocations.table_name]
  tags               = local.tags
}

resource "aws_sqs_queue" "revocation_feed_dlq" {
  name                      = "${local.prefix}-revocation-feed-dlq"
  message_retention_seconds = 1209600 # 14 days, SQS's maximum
  # SQS-managed keys: Lambda sends to the queue with the function's role, which may use the stack's
  # customer-managed key only for its own environment and tables (terraform/modules/function).
  sqs_managed_sse_enabled = true
  tags                    = local.tags
}

resource "aws_cloudwatch_event_rule" "admin_actions" {
  name        = "${local.prefix}-revocation-admin-actions"
  description = "Successful Cognito admin calls on this user pool that must revoke the user's tokens."
  event_pattern = jsonencode({
    source        = ["aws.cognito-idp"]
    "detail-type" = ["AWS API Call via CloudTrail"]
    detail = {
      eventSource       = ["cognito-idp.amazonaws.com"]
      eventName         = local.revocation_events
      requestParameters = { userPoolId = [module.user_pool.id] }
      errorCode         = [{ exists = false }]
    }
  })
  tags = local.tags
}

resource "aws_cloudwatch_event_target" "admin_actions" {
  rule      = aws_cloudwatch_event_rule.admin_actions.name
  target_id = "revocation-feed"
  arn       = module.revocation_feed.arn
}

resource "aws_lambda_permission" "admin_actions" {
  statement_id  = "eventbridge-admin-actions"
  action        = "lambda:InvokeFunction"
  function_name = module.revocation_feed.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.admin_actions.arn
}
