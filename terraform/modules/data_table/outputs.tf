output "table_name" {
  description = "Records table name (the backends' TABLE_NAME)."
  value       = aws_dynamodb_table.this.name
}

output "table_arn" {
  description = "Records table ARN (to scope the backends' permissions)."
  value       = aws_dynamodb_table.this.arn
}
