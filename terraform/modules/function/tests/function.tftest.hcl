mock_provider "aws" {
  override_during = plan

  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
}

variables {
  name        = "fga-test-fn"
  zip_path    = "tests/fixtures/handler.zip"
  handler     = "app.handler"
  kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/abc"
  environment = { TABLE_NAME = "t" }
  policy_statements = {
    ReadTable = {
      actions    = ["dynamodb:GetItem"]
      resources  = ["arn:aws:dynamodb:eu-west-1:123456789012:table/t"]
      conditions = [{ test = "ForAllValues:StringLike", variable = "dynamodb:LeadingKeys", values = ["sub#*"] }]
    }
  }
}

# One plan for every run that sets no variables of its own and expects no failure: each run block is
# a whole plan (the AWS provider's schema, the graph walk), and these share the file's variables.
# Each group of assertions keeps the name of the run it was.
run "with_the_files_variables" {
  command = plan

  # --- function_is_configured_for_the_lambda_platform ---
  assert {
    condition     = aws_lambda_function.this.runtime == "python3.12" && one(aws_lambda_function.this.architectures) == "arm64"
    error_message = "Functions run python3.12 on the declared architecture."
  }

  assert {
    condition     = aws_lambda_function.this.source_code_hash == filebase64sha256("tests/fixtures/handler.zip")
    error_message = "source_code_hash must follow the zip so a rebuild redeploys."
  }

  assert {
    condition     = aws_lambda_function.this.tracing_config[0].mode == "Active"
    error_message = "X-Ray tracing must be active by default."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.retention_in_days == 365 && aws_cloudwatch_log_group.this.kms_key_id == var.kms_key_arn
    error_message = "The log group needs retention and the KMS key."
  }

  # --- role_is_least_privilege ---
  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Sid == "XRay" || alltrue([for r in s.Resource : r != "*"])
    ])
    error_message = "Only the X-Ray statement (no resource-level permissions exist for it) may use Resource \"*\"."
  }

  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Resource if s.Sid == "WriteOwnLogs"]) == ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/fga-test-fn:*"]
    error_message = "The function may only write to its own log group."
  }

  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Condition if s.Sid == "ReadTable"])["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] == ["sub#*"]
    error_message = "Statement conditions must be rendered."
  }

  assert {
    condition     = jsondecode(aws_iam_role.this.assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] == "123456789012"
    error_message = "Only Lambda in this account may assume the role."
  }

  # --- no_table_decryption_unless_tables_are_listed ---
  assert {
    condition     = length([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "DecryptTablesViaDynamoDB"]) == 0
    error_message = "Without encrypted_tables the role gets no table decryption."
  }
}

run "rejects_missing_zip" {
  command = plan
  variables {
    zip_path = "tests/fixtures/missing.zip"
  }
  expect_failures = [var.zip_path]
}

run "rejects_bad_architecture" {
  command = plan
  variables {
    architecture = "riscv64"
  }
  expect_failures = [var.architecture]
}

run "rejects_timeout_beyond_api_gateway" {
  command = plan
  variables {
    timeout_seconds = 60
  }
  expect_failures = [var.timeout_seconds]
}

run "rejects_wildcard_resources" {
  command = plan
  variables {
    policy_statements = { Everything = { actions = ["dynamodb:*"], resources = ["*"] } }
  }
  expect_failures = [var.policy_statements]
}

run "rejects_bad_sid" {
  command = plan
  variables {
    policy_statements = { "read-table" = { actions = ["dynamodb:GetItem"], resources = ["arn:aws:dynamodb:eu-west-1:123456789012:table/t"] } }
  }
  expect_failures = [var.policy_statements]
}

run "rejects_bad_retention" {
  command = plan
  variables {
    log_retention_days = 10
  }
  expect_failures = [var.log_retention_days]
}

run "rejects_bad_name" {
  command = plan
  variables {
    name = "bad name"
  }
  expect_failures = [var.name]
}

run "rejects_replacing_the_modules_own_statements" {
  command = plan
  variables {
    policy_statements = { WriteOwnLogs = { actions = ["logs:*"], resources = ["arn:aws:logs:eu-west-1:123456789012:log-group:*"] } }
  }
  expect_failures = [var.policy_statements]
}

run "kms_use_is_scoped_by_encryption_context" {
  command = plan
  variables {
    encrypted_tables = ["fga-test-records"]
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.this.policy).Statement : length([for k in keys(try(s.Condition.StringEquals, {})) : k if startswith(k, "kms:EncryptionContext:")]) > 0
      if length([for a in s.Action : a if startswith(a, "kms:")]) > 0
    ])
    error_message = "Every statement that grants a kms: action must be scoped by an encryption context."
  }

  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Condition if s.Sid == "DecryptEnvironment"]) == {
      StringEquals = {
        "kms:ViaService"                               = ["lambda.eu-west-1.amazonaws.com"]
        "kms:EncryptionContext:aws:lambda:FunctionArn" = ["arn:aws:lambda:eu-west-1:123456789012:function:fga-test-fn"]
      }
    }
    error_message = "The role may decrypt with the key only its own environment, as Lambda (kms:ViaService, aws:lambda:FunctionArn)."
  }

  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Condition if s.Sid == "DecryptTablesViaDynamoDB"]) == {
      StringEquals = {
        "kms:ViaService"                                  = ["dynamodb.eu-west-1.amazonaws.com"]
        "kms:EncryptionContext:aws:dynamodb:subscriberId" = ["123456789012"]
        "kms:EncryptionContext:aws:dynamodb:tableName"    = ["fga-test-records"]
      }
    }
    error_message = "Table data may be decrypted only through DynamoDB, for the listed tables of this account."
  }

  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Action if s.Sid == "DecryptTablesViaDynamoDB"]) == ["kms:Decrypt"]
    error_message = "Only kms:Decrypt is granted for the tables."
  }
}

run "rejects_kms_actions_in_extra_statements" {
  command = plan
  variables {
    policy_statements = { UseKey = { actions = ["KMS:Decrypt"], resources = ["arn:aws:kms:eu-west-1:123456789012:key/abc"] } }
  }
  expect_failures = [var.policy_statements]
}

run "rejects_table_arns_in_encrypted_tables" {
  command = plan
  variables {
    encrypted_tables = ["arn:aws:dynamodb:eu-west-1:123456789012:table/t"]
  }
  expect_failures = [var.encrypted_tables]
}

run "rejects_encrypted_tables_without_a_key" {
  command = plan
  variables {
    kms_key_arn      = null
    encrypted_tables = ["t1"]
  }
  expect_failures = [var.encrypted_tables]
}

run "a_dead_letter_queue_is_configured_and_the_role_may_send_to_it_only" {
  command = plan
  variables {
    dead_letter_queue_arn = "arn:aws:sqs:us-east-1:123456789012:fn-dlq"
  }

  assert {
    condition     = aws_lambda_function.this.dead_letter_config[0].target_arn == "arn:aws:sqs:us-east-1:123456789012:fn-dlq"
    error_message = "dead_letter_queue_arn must become the function's dead-letter config."
  }

  assert {
    condition = [
      for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Action if s.Sid == "SendToDeadLetterQueue"
    ] == [["sqs:SendMessage"]]
    error_message = "The role may only sqs:SendMessage to the dead-letter queue."
  }
}

run "rejects_a_dead_letter_target_that_is_not_a_queue" {
  command = plan
  variables {
    dead_letter_queue_arn = "arn:aws:sns:us-east-1:123456789012:topic"
  }
  expect_failures = [var.dead_letter_queue_arn]
}
