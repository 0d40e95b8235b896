resource "aws_api_gateway_authorizer" "user_pool" {
  for_each = anytrue([for r in values(var.routes) : r.auth == "user_pool"]) ? { user_pool = var.user_pool_arns } : {}

  name            = "${var.name}-user-pool"
  rest_api_id     = aws_api_gateway_rest_api.this.id
  type            = "COGNITO_USER_POOLS"
  provider_arns   = each.value
  identity_source = "method.request.header.Authorization"
}

resource "aws_api_gateway_authorizer" "lambda" {
  for_each = anytrue([for r in values(var.routes) : r.auth == "lambda"]) ? { lambda = var.lambda_authorizer } : {}

  name                             = "${var.name}-jwt"
  rest_api_id                      = aws_api_gateway_rest_api.this.id
  type                             = "TOKEN"
  authorizer_uri                   = each.value.invoke_arn
  identity_source                  = "method.request.header.Authorization"
  identity_validation_expression   = each.value.identity_validation_expression
  authorizer_result_ttl_in_seconds = each.value.result_ttl_seconds
}

resource "aws_lambda_permission" "authorizer" {
  for_each = aws_api_gateway_authorizer.lambda

  statement_id  = "apigw-authorizer"
  action        = "lambda:InvokeFunction"
  function_name = var.lambda_authorizer.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/authorizers/${each.value.id}"
}
