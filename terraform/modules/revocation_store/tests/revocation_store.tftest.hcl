mock_provider "aws" {
  override_during = plan
}

variables {
  table_name = "fga-test-revocations"
}

run "keyed_by_sub_with_ttl_and_the_security_defaults" {
  command = plan

  assert {
    condition     = aws_dynamodb_table.this.hash_key == "sub" && aws_dynamodb_table.this.range_key == null
    error_message = "A user's whole record must be one GetItem: hash key sub, no sort key."
  }

  assert {
    condition     = aws_dynamodb_table.this.ttl[0].enabled && aws_dynamodb_table.this.ttl[0].attribute_name == "expires_at"
    error_message = "Records expire with the tokens they can refuse: TTL on expires_at."
  }

  assert {
    condition     = aws_dynamodb_table.this.point_in_time_recovery[0].enabled && aws_dynamodb_table.this.server_side_encryption[0].enabled && aws_dynamodb_table.this.deletion_protection_enabled
    error_message = "PITR, encryption and deletion protection must be on by default."
  }
}

run "deletion_protection_can_be_turned_off_explicitly" {
  command = plan
  variables {
    deletion_protection = false
  }

  assert {
    condition     = !aws_dynamodb_table.this.deletion_protection_enabled
    error_message = "deletion_protection = false must turn it off."
  }
}

run "rejects_bad_table_name" {
  command = plan
  variables {
    table_name = "bad name!"
  }
  expect_failures = [var.table_name]
}
