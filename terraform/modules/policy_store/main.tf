resource "aws_dynamodb_table" "this" {
  name         = var.table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "group"

  attribute {
    name = "group"
    type = "S"
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

locals {
  # Normalised once so the item and the IAM role carry byte-identical documents.
  documents = { for g, p in var.group_policies : g => jsonencode(jsondecode(p.policy)) }
}

resource "aws_dynamodb_table_item" "policy" {
  for_each = var.group_policies

  table_name = aws_dynamodb_table.this.name
  hash_key   = aws_dynamodb_table.this.hash_key

  item = jsonencode({
    group      = { S = each.key }
    precedence = { N = tostring(each.value.precedence) }
    policy     = { S = local.documents[each.key] }
    version    = { S = sha256(local.documents[each.key]) }
  })
}
