output "function_name" {
  description = "Function name."
  value       = aws_lambda_function.this.function_name
}

output "arn" {
  description = "Function ARN."
  value       = aws_lambda_function.this.arn
}

output "invoke_arn" {
  description = "ARN API Gateway integrations and authorizers call."
  value       = aws_lambda_function.this.invoke_arn
}

output "role_arn" {
  description = "Execution role ARN."
  value       = aws_iam_role.this.arn
}

output "log_group_name" {
  description = "CloudWatch log group of the function."
  value       = aws_cloudwatch_log_group.this.name
}

output "role_name" {
  description = "Execution role name (for a policy attached outside the module, e.g. one that names a resource created after the function)."
  value       = aws_iam_role.this.name
}

output "role_policy" {
  description = "The execution role's inline policy document (JSON): what the function may do."
  value       = local.role_policy
}

# From the inputs, known at plan time: alarms set against them need not wait for the function.
output "timeout_seconds" {
  description = "Timeout in seconds (what a duration alarm is set against)."
  value       = var.timeout_seconds
}

output "reserved_concurrency" {
  description = "Reserved concurrency; -1 when the function draws on the account's pool."
  value       = var.reserved_concurrency
}

output "environment" {
  description = "The function's environment variables (as passed in; for tests and reviews)."
  value       = var.environment
}
