output "table_name" {
  description = "Policy table name (the authorizer's POLICY_TABLE)."
  value       = aws_dynamodb_table.this.name
}

output "table_arn" {
  description = "Policy table ARN (to scope the authorizer's read permission)."
  value       = aws_dynamodb_table.this.arn
}

output "policy_versions" {
  description = "sha256 of each group's stored document, keyed by group."
  value       = { for g, d in local.documents : g => sha256(d) }
}

output "documents" {
  description = "The policy document stored for each group, keyed by group (what lambda mode enforces)."
  value       = local.documents
}
