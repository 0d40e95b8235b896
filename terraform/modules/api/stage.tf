resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  description = "Managed by Terraform; redeployed whenever routes, methods, integrations or authorizers change."

  triggers = {
    # Only inputs and stable ids: computed attributes such as authorizer_id or authorization_scopes
    # read back as "" / [] instead of null and would force a new deployment on every plan.
    redeployment = sha1(jsonencode([
      var.routes,
      var.handlers,
      var.lambda_authorizer,
      var.user_pool_arns,
      var.cors_allow_origin,
      local.resource_ids,
      { for k, m in aws_api_gateway_method.route : k => m.id },
      { for k, i in aws_api_gateway_integration.route : k => i.id },
      { for k, a in aws_api_gateway_authorizer.lambda : k => a.id },
      { for k, a in aws_api_gateway_authorizer.user_pool : k => a.id },
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [
    aws_api_gateway_integration.route,
    aws_api_gateway_integration_response.options,
    aws_api_gateway_gateway_response.cors,
  ]
}

resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/apigateway/${var.name}/${var.stage_name}/access"
  retention_in_days = var.access_log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_api_gateway_stage" "this" {
  rest_api_id          = aws_api_gateway_rest_api.this.id
  deployment_id        = aws_api_gateway_deployment.this.id
  stage_name           = var.stage_name
  xray_tracing_enabled = true

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    # One JSON line per request: who (identity pool id / authorizer principal), what, and why it failed.
    format = jsonencode({
      requestId          = "$context.requestId"
      ip                 = "$context.identity.sourceIp"
      requestTime        = "$context.requestTimeEpoch"
      httpMethod         = "$context.httpMethod"
      resourcePath       = "$context.resourcePath"
      status             = "$context.status"
      protocol           = "$context.protocol"
      responseLength     = "$context.responseLength"
      cognitoIdentityId  = "$context.identity.cognitoIdentityId"
      userArn            = "$context.identity.userArn"
      principalId        = "$context.authorizer.principalId"
      authorizerError    = "$context.authorizer.error"
      authorizerStatus   = "$context.authorizer.status"
      authorizeError     = "$context.authorize.error"
      authenticateError  = "$context.authenticate.error"
      errorMessage       = "$context.error.message"
      integrationError   = "$context.integration.error"
      integrationLatency = "$context.integration.latency"
    })
  }

  tags = var.tags
}

resource "aws_api_gateway_method_settings" "all" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"

  settings {
    throttling_burst_limit = var.throttling.burst_limit
    throttling_rate_limit  = var.throttling.rate_limit
    metrics_enabled        = true
    logging_level          = var.execution_logging_level
    # Never on: full request/response logging would write bearer tokens to CloudWatch.
    data_trace_enabled = false
    # Responses are per caller; caching them at the stage would serve one user's data to another.
    caching_enabled = false
  }
}

resource "aws_wafv2_web_acl_association" "stage" {
  for_each = var.web_acl_arn == null ? {} : { stage = var.web_acl_arn }

  resource_arn = aws_api_gateway_stage.this.arn
  web_acl_arn  = each.value
}
