# CORS: an unauthenticated OPTIONS (MOCK) on every path that has routes, and CORS headers on the
# gateway's own error responses so a browser can read a 401/403 instead of failing opaquely.
locals {
  cors_allow_headers = "Authorization,Content-Type,X-Amz-Date,X-Amz-Security-Token,X-Amz-Content-Sha256"

  route_paths = { for p in distinct([for r in values(var.routes) : r.path]) : p => sort(distinct(flatten([
    for r in values(var.routes) : r.method == "ANY" ? ["DELETE", "GET", "HEAD", "PATCH", "POST", "PUT"] : [r.method] if r.path == p
  ]))) }

  cors_gateway_responses = toset(["DEFAULT_4XX", "DEFAULT_5XX", "UNAUTHORIZED", "ACCESS_DENIED", "MISSING_AUTHENTICATION_TOKEN", "EXPIRED_TOKEN", "INVALID_SIGNATURE", "THROTTLED"])
}

resource "aws_api_gateway_method" "options" {
  # checkov:skip=CKV2_AWS_53: a CORS preflight is a MOCK integration with no parameters or body to validate
  for_each = local.route_paths

  rest_api_id   = aws_api_gateway_rest_api.this.id
  resource_id   = local.resource_ids[each.key]
  http_method   = "OPTIONS"
  authorization = "NONE" # a CORS preflight carries no credentials
}

resource "aws_api_gateway_integration" "options" {
  for_each = local.route_paths

  rest_api_id = aws_api_gateway_rest_api.this.id
  resource_id = aws_api_gateway_method.options[each.key].resource_id
  http_method = aws_api_gateway_method.options[each.key].http_method
  type        = "MOCK"

  request_templates = {
    "application/json" = jsonencode({ statusCode = 200 })
  }
}

resource "aws_api_gateway_method_response" "options" {
  for_each = local.route_paths

  rest_api_id = aws_api_gateway_rest_api.this.id
  resource_id = aws_api_gateway_method.options[each.key].resource_id
  http_method = aws_api_gateway_method.options[each.key].http_method
  status_code = "200"

  response_parameters = {
    "method.response.header.Access-Control-Allow-Headers" = true
    "method.response.header.Access-Control-Allow-Methods" = true
    "method.response.header.Access-Control-Allow-Origin"  = true
    "method.response.header.Access-Control-Max-Age"       = true
  }
}

resource "aws_api_gateway_integration_response" "options" {
  for_each = local.route_paths

  rest_api_id = aws_api_gateway_rest_api.this.id
  resource_id = aws_api_gateway_method.options[each.key].resource_id
  http_method = aws_api_gateway_method.options[each.key].http_method
  status_code = aws_api_gateway_method_response.options[each.key].status_code

  response_parameters = {
    "method.response.header.Access-Control-Allow-Headers" = "'${local.cors_allow_headers}'"
    "method.response.header.Access-Control-Allow-Methods" = "'${join(",", concat(each.value, ["OPTIONS"]))}'"
    "method.response.header.Access-Control-Allow-Origin"  = "'${var.cors_allow_origin}'"
    "method.response.header.Access-Control-Max-Age"       = "'600'"
  }

  depends_on = [aws_api_gateway_integration.options]
}

resource "aws_api_gateway_gateway_response" "cors" {
  for_each = local.cors_gateway_responses

  rest_api_id   = aws_api_gateway_rest_api.this.id
  response_type = each.key

  response_parameters = {
    "gatewayresponse.header.Access-Control-Allow-Origin"  = "'${var.cors_allow_origin}'"
    "gatewayresponse.header.Access-Control-Allow-Headers" = "'${local.cors_allow_headers}'"
  }
}
