# One item per user who had a token revoked (docs/architecture.md, "Revocation"): hash key `sub`, so
# the authorizer reads a caller's whole record with one GetItem. Attributes the writers set:
# `revoked_before` (N, epoch seconds: tokens issued earlier are revoked), `families` (M: revoked
# refresh-token families, origin_jti -> when the entry may go), `expires_at` (N, the TTL: after it
# every token the record could refuse has expired), `reason`, `updated_at`, `version`.
resource "aws_dynamodb_table" "this" {
  name         = var.table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "sub"

  attribute {
    name = "sub"
    type = "S"
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  deletion_protection_enabled = var.deletion_protection
  tags                        = var.tags
}
