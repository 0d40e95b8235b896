output "table_name" {
  description = "Revocation table name (the authorizer's REVOCATION_TABLE, the writers' TABLE_NAME)."
  value       = aws_dynamodb_table.this.name
}

output "table_arn" {
  description = "Revocation table ARN (to scope the readers' and writers' permissions)."
  value       = aws_dynamodb_table.this.arn
}

output "ttl_attribute" {
  description = "The item attribute DynamoDB's TTL deletes items by (epoch seconds)."
  value       = "expires_at"
}
