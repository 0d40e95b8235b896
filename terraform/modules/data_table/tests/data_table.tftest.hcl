mock_provider "aws" {
  override_during = plan
}

variables {
  table_name = "fga-test-records"
}

run "keyed_by_partition_and_sort_key" {
  command = plan

  assert {
    condition     = aws_dynamodb_table.this.hash_key == "pk" && aws_dynamodb_table.this.range_key == "sk"
    error_message = "Records are keyed by pk (the verified identity or a collection) and sk."
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
