output "id" {
  description = "REST API id."
  value       = aws_api_gateway_rest_api.this.id
}

output "name" {
  description = "REST API name (the ApiName dimension of its CloudWatch metrics)."
  value       = aws_api_gateway_rest_api.this.name
}

output "access_log_group_name" {
  description = "CloudWatch log group of the stage's JSON access log."
  value       = aws_cloudwatch_log_group.access.name
}

output "execution_arn" {
  description = "arn:aws:execute-api:<region>:<account>:<api id> (without stage)."
  value       = aws_api_gateway_rest_api.this.execution_arn
}

output "stage_arn_prefix" {
  description = "execute-api ARN of this API's stage: the prefix every group policy resource must start with."
  value       = "${aws_api_gateway_rest_api.this.execution_arn}/${var.stage_name}"
}

output "stage_name" {
  description = "Deployed stage name."
  value       = aws_api_gateway_stage.this.stage_name
}

output "invoke_url" {
  description = "Base URL of the stage."
  value       = aws_api_gateway_stage.this.invoke_url
}

output "authorizer_ids" {
  description = "Authorizer ids keyed by auth mode (lambda, user_pool)."
  value       = local.authorizer_ids
}

output "methods" {
  description = "Route name => {method, path, authorization, authorizer_id, scopes}: what API Gateway enforces."
  value = {
    for k, m in aws_api_gateway_method.route : k => {
      method        = m.http_method
      path          = var.routes[k].path
      authorization = m.authorization
      # Normalised: API Gateway reads back "" and [] where the plan had null.
      authorizer_id = m.authorizer_id == null ? "" : m.authorizer_id
      scopes        = m.authorization_scopes == null ? [] : sort(m.authorization_scopes)
    }
  }
}
