mock_provider "aws" {
  override_during = plan
}

variables {
  table_name = "fga-test-policies"
  group_policies = {
    admin = { precedence = 1, policy = "{ \"Version\": \"2012-10-17\", \"Statement\": [ { \"Effect\": \"Allow\", \"Action\": \"execute-api:Invoke\", \"Resource\": \"arn:aws:execute-api:eu-west-1:123456789012:abc/dev/GET/news\" } ] }" }
    vets  = { precedence = 10, policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"execute-api:Invoke\",\"Resource\":\"arn:aws:execute-api:eu-west-1:123456789012:abc/dev/*/petstore/v1/*\"}]}" }
  }
}

# One plan for every run that sets no variables of its own and expects no failure: each run block is
# a whole plan (the AWS provider's schema, the graph walk), and these share the file's variables.
# Each group of assertions keeps the name of the run it was.
run "with_the_files_variables" {
  command = plan

  # --- one_item_per_group_with_its_document ---
  assert {
    condition     = sort(keys(aws_dynamodb_table_item.policy)) == sort(keys(var.group_policies))
    error_message = "There must be exactly one policy item per group."
  }

  assert {
    condition     = alltrue([for g, p in var.group_policies : jsondecode(jsondecode(aws_dynamodb_table_item.policy[g].item).policy.S) == jsondecode(p.policy)])
    error_message = "Each item's policy must be the group's rendered document."
  }

  assert {
    condition     = jsondecode(aws_dynamodb_table_item.policy["vets"].item).precedence.N == "10"
    error_message = "Each item carries its group's precedence (the multi-group rule)."
  }

  # --- table_is_protected ---
  assert {
    condition     = aws_dynamodb_table.this.point_in_time_recovery[0].enabled && aws_dynamodb_table.this.server_side_encryption[0].enabled
    error_message = "PITR and encryption must be on."
  }

  assert {
    condition     = aws_dynamodb_table.this.deletion_protection_enabled
    error_message = "Deletion protection must default to on."
  }
}

run "rejects_non_policy_document" {
  command = plan
  variables {
    group_policies = { admin = { precedence = 1, policy = "not json" } }
  }
  expect_failures = [var.group_policies]
}

run "rejects_bad_table_name" {
  command = plan
  variables {
    table_name = "x"
  }
  expect_failures = [var.table_name]
}
