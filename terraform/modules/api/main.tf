data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

resource "aws_api_gateway_rest_api" "this" {
  name        = var.name
  description = "Group-based access control with Cognito: iam, user_pool and lambda routes on one API."

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

# Validates the request parameters a method declares before any authorizer or backend runs. Bodies
# are validated by the handlers, which answer 400 with a reason a person can act on.
resource "aws_api_gateway_request_validator" "parameters" {
  rest_api_id                 = aws_api_gateway_rest_api.this.id
  name                        = "parameters"
  validate_request_body       = false
  validate_request_parameters = true
}

locals {
  authorization_type = { iam = "AWS_IAM", user_pool = "COGNITO_USER_POOLS", lambda = "CUSTOM" }

  # Authorizers exist only for the modes some route uses, keyed by mode.
  authorizer_ids = merge(
    { for k, a in aws_api_gateway_authorizer.lambda : "lambda" => a.id },
    { for k, a in aws_api_gateway_authorizer.user_pool : "user_pool" => a.id },
  )

  # execute-api source ARN of a route for Lambda permissions: path parameters become wildcards.
  route_source_path = {
    for k, r in var.routes : k => join("/", [for s in local.route_segments[k] : can(regex("^\\{.*\\}$", s)) ? "*" : s])
  }
}

resource "aws_api_gateway_method" "route" {
  for_each = var.routes

  rest_api_id          = aws_api_gateway_rest_api.this.id
  resource_id          = local.resource_ids[each.value.path]
  http_method          = each.value.method
  authorization        = local.authorization_type[each.value.auth]
  authorizer_id        = each.value.auth == "iam" ? null : local.authorizer_ids[each.value.auth]
  authorization_scopes = length(each.value.scopes) > 0 ? each.value.scopes : null
  request_validator_id = aws_api_gateway_request_validator.parameters.id
}

resource "aws_api_gateway_integration" "route" {
  for_each = var.routes

  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = aws_api_gateway_method.route[each.key].resource_id
  http_method             = aws_api_gateway_method.route[each.key].http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = var.handlers[each.value.handler].invoke_arn
  timeout_milliseconds    = 29000
}

resource "aws_lambda_permission" "route" {
  for_each = var.routes

  statement_id  = "apigw-${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = var.handlers[each.value.handler].function_name
  principal     = "apigateway.amazonaws.com"
  # Only this API, this stage, this method and path may invoke the handler.
  source_arn = "${aws_api_gateway_rest_api.this.execution_arn}/${var.stage_name}/${each.value.method == "ANY" ? "*" : each.value.method}/${local.route_source_path[each.key]}"
}
