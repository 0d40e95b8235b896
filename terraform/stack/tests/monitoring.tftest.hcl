# The stack's monitoring under a mocked provider: every alarm names this stack's own resources, the
# per-environment monitoring settings reach the module, and bad settings are refused.
mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

variables {
  # The real access model, the same file every env root reads.
  access           = jsondecode(file("../../policy_templates/access_model.json"))
  lambda_build_dir = "tests/fixtures"
  templates_dir    = "../../policy_templates"
  settings = {
    environment       = "dev"
    cors_allow_origin = "https://app.example.com"
    user_pool         = { domain_prefix = "fga-test-auth" } # the model's machine clients need a domain
    external_providers = {
      google = { issuer_url = "https://accounts.google.com", client_ids = ["g-client"], group = "google-users" }
    }
  }
}

# One plan for every run that sets no variables of its own and expects no failure: each run block is
# a whole plan (the AWS provider's schema, the graph walk), and these share the file's variables.
# Each group of assertions keeps the name of the run it was.
run "with_the_files_variables" {
  command = plan

  # --- every_alarm_names_this_stacks_resources ---
  assert {
    condition = alltrue([
      for k, a in module.monitoring.alarm_names : startswith(a, "fga-dev-")
    ])
    error_message = "Alarm names carry the stack's prefix."
  }

  assert {
    condition = sort(distinct(flatten([
      for a in values(module.monitoring.alarms) : [for d, v in a.dimensions : "${d}=${v}"]
      ]))) == sort(concat(
      ["ApiName=fga-dev-api", "Stage=dev", "TableName=fga-dev-policies", "TableName=fga-dev-records", "TableName=fga-dev-revocations", "QueueName=fga-dev-revocation-feed-dlq", "UserPool=us-east-1_TEST", "UserPoolClient=webclientid000000000000000", "FunctionName=fga-dev-authorizer", "FunctionName=fga-dev-signout", "FunctionName=fga-dev-revocation-feed"],
      [for h in keys(var.access.handlers) : "FunctionName=fga-dev-${h}"],
    ))
    error_message = "The AWS-metric alarms must watch exactly this stack's API and stage, its functions (the revocation writers too), its tables, the feed's dead-letter queue and its web client."
  }

  assert {
    condition = alltrue(concat(
      [module.monitoring.alarms["lambda_errors:authorizer"].dimensions.FunctionName == module.authorizer.function_name],
      [for h, f in module.backend : module.monitoring.alarms["lambda_errors:${h}"].dimensions.FunctionName == f.function_name],
      [module.monitoring.alarms["lambda_errors:signout"].dimensions.FunctionName == module.signout.function_name],
      [module.monitoring.alarms["lambda_errors:revocation_feed"].dimensions.FunctionName == module.revocation_feed.function_name],
      [module.monitoring.alarms["api_5xx"].dimensions.Stage == module.api.stage_name],
    ))
    error_message = "The names the alarms use (known at plan time) must be the functions' and the stage's own."
  }

  assert {
    condition     = module.monitoring.namespace == "FGA/fga-dev"
    error_message = "The log metrics live in the stack's own namespace."
  }

  # --- the_authorizer_errors_alarm_allows_for_its_401s ---
  assert {
    condition     = module.monitoring.alarms["lambda_errors:authorizer"].threshold == 10 && alltrue([for h in keys(var.access.handlers) : module.monitoring.alarms["lambda_errors:${h}"].threshold == 1])
    error_message = "The authorizer's Errors count every 401 it signals: its alarm starts at 10 a minute, the backends' at 1."
  }

  assert {
    condition     = module.monitoring.alarms["lambda_duration_p90:authorizer"].threshold == 8000
    error_message = "The authorizer's duration alarm is set against its 10 s timeout (the revocation and policy reads fail closed inside it)."
  }

  # --- expects_traffic_defaults_to_staging_and_prod ---
  assert {
    condition     = !contains(keys(module.monitoring.alarm_names), "api_no_traffic")
    error_message = "dev does not expect traffic around the clock by default."
  }

  # --- the_stack_key_lets_cloudwatch_publish_to_the_encrypted_topic ---
  assert {
    condition = length([
      for s in jsondecode(aws_kms_key.this.policy).Statement : s
      if jsonencode(s.Principal) == jsonencode({ Service = "cloudwatch.amazonaws.com" }) && s.Effect == "Allow" && jsonencode(s.Action) == jsonencode(["kms:Decrypt", "kms:GenerateDataKey*"])
    ]) == 1
    error_message = "The key encrypting the alarm topic must let CloudWatch alarms use it."
  }
}

run "prod_expects_traffic_and_settings_reach_the_module" {
  command = plan
  variables {
    settings = merge(var.settings, {
      environment = "prod"
      monitoring = {
        subscriptions = { oncall = { protocol = "email", endpoint = "oncall@example.com" } }
        alarms        = { "lambda_errors:authorizer" = { threshold = 25 } }
        runbook_url   = "https://github.com/acme/fga/blob/main/docs/operations.md"
      }
    })
  }

  assert {
    condition     = contains(keys(module.monitoring.alarm_names), "api_no_traffic")
    error_message = "prod expects traffic: the no-traffic alarm must exist."
  }

  assert {
    condition     = module.monitoring.alarms["lambda_errors:authorizer"].threshold == 25
    error_message = "The environment's override wins over the stack's default for the authorizer."
  }

  assert {
    condition     = jsonencode(module.monitoring.subscriptions) == jsonencode({ oncall = { protocol = "email", endpoint = "oncall@example.com" } })
    error_message = "The environment's subscriptions must reach the topic."
  }
}

run "rejects_an_unknown_override" {
  command = plan
  variables {
    settings = merge(var.settings, { monitoring = { alarms = { "lambda_errs" = { threshold = 1 } } } })
  }
  expect_failures = [var.settings]
}

run "rejects_a_plain_http_subscription" {
  command = plan
  variables {
    settings = merge(var.settings, { monitoring = { subscriptions = { hook = { protocol = "http", endpoint = "http://x.example.com" } } } })
  }
  expect_failures = [var.settings]
}

run "rejects_a_runbook_url_with_a_fragment" {
  command = plan
  variables {
    settings = merge(var.settings, { monitoring = { runbook_url = "https://example.com/ops.md#top" } })
  }
  expect_failures = [var.settings]
}
