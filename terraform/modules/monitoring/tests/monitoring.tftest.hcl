# Plan-level checks of the monitoring module with a mocked AWS provider: every alarm's metric,
# namespace, dimensions, statistic, threshold, periods and treat_missing_data, written out here as
# literal values (CloudWatch's "Recommended alarms" starting points), not read back from catalog.json.
mock_provider "aws" {
  override_during = plan

  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:eu-west-1:123456789012:acme-dev-alarms" }
  }
  mock_resource "aws_cloudwatch_metric_alarm" {
    defaults = { arn = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:mock" }
  }
  mock_resource "aws_cloudwatch_composite_alarm" {
    defaults = { arn = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:mock-composite" }
  }
}

variables {
  name_prefix = "acme-dev"
  api = {
    name             = "acme-dev-api"
    stage            = "dev"
    access_log_group = "/aws/apigateway/acme-dev-api/dev/access"
  }
  routes = {
    cip-get      = { path = "/cip", method = "GET", auth = "iam" }
    cup-post     = { path = "/cup", method = "POST", auth = "user_pool" }
    pets-v1-item = { path = "/petstore/v1/pets/{id}", method = "ANY", auth = "lambda" }
    news-delete  = { path = "/news", method = "DELETE", auth = "lambda" }
  }
  functions = {
    authorizer = { function_name = "acme-dev-authorizer", log_group_name = "/aws/lambda/acme-dev-authorizer", timeout_seconds = 5, role = "authorizer" }
    pets       = { function_name = "acme-dev-pets", log_group_name = "/aws/lambda/acme-dev-pets", timeout_seconds = 10, reserved_concurrency = 50, role = "backend" }
    news       = { function_name = "acme-dev-news", log_group_name = "/aws/lambda/acme-dev-news", timeout_seconds = 10, role = "backend" }
  }
  tables = {
    policies = { table_name = "acme-dev-policies" }
    records  = { table_name = "acme-dev-records" }
  }
  user_pool = {
    id                 = "eu-west-1_POOL"
    clients            = { web = "webclientid" }
    identity_providers = ["Google"]
  }
  kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/abcd"
  runbook_url = "https://example.com/ops.md"
}

# One plan for every run that sets no variables of its own and expects no failure: each run block is
# a whole plan (the AWS provider's schema, the graph walk), and these share the file's variables.
# Each group of assertions keeps the name of the run it was.
run "with_the_files_variables" {
  command = plan

  # --- api_alarms_follow_the_recommended_alarms ---
  assert {
    condition = alltrue([
      for k in ["api_5xx", "api_4xx", "api_latency_p90", "api_no_traffic"] :
      aws_cloudwatch_metric_alarm.metric[k].namespace == "AWS/ApiGateway" && aws_cloudwatch_metric_alarm.metric[k].dimensions == tomap({ ApiName = "acme-dev-api", Stage = "dev" })
    ])
    error_message = "API Gateway alarms must watch this API and stage (ApiName, Stage)."
  }

  assert {
    condition = [for k in ["api_5xx", "api_4xx", "api_latency_p90", "api_no_traffic"] : [
      aws_cloudwatch_metric_alarm.metric[k].metric_name,
      coalesce(aws_cloudwatch_metric_alarm.metric[k].statistic, aws_cloudwatch_metric_alarm.metric[k].extended_statistic),
      aws_cloudwatch_metric_alarm.metric[k].comparison_operator,
      aws_cloudwatch_metric_alarm.metric[k].threshold,
      aws_cloudwatch_metric_alarm.metric[k].period,
      aws_cloudwatch_metric_alarm.metric[k].evaluation_periods,
      aws_cloudwatch_metric_alarm.metric[k].datapoints_to_alarm,
      aws_cloudwatch_metric_alarm.metric[k].treat_missing_data,
      ]] == [
      ["5XXError", "Average", "GreaterThanThreshold", 0.05, 60, 3, 3, "notBreaching"],
      ["4XXError", "Average", "GreaterThanThreshold", 0.05, 60, 5, 5, "notBreaching"],
      ["Latency", "p90", "GreaterThanOrEqualToThreshold", 2500, 60, 5, 5, "notBreaching"],
      ["Count", "SampleCount", "LessThanThreshold", 1, 60, 10, 10, "breaching"],
    ]
    error_message = "API Gateway alarms: metric, statistic, comparison, threshold, period, datapoints or missing-data treatment differ from the recommended starting points."
  }

  # --- every_function_gets_its_four_lambda_alarms ---
  assert {
    condition = alltrue(flatten([
      for f, fn in var.functions : [
        for kind in ["lambda_errors", "lambda_throttles", "lambda_duration_p90", "lambda_concurrency"] :
        aws_cloudwatch_metric_alarm.metric["${kind}:${f}"].namespace == "AWS/Lambda" && aws_cloudwatch_metric_alarm.metric["${kind}:${f}"].dimensions == tomap({ FunctionName = fn.function_name })
      ]
    ]))
    error_message = "Every function needs Errors, Throttles, Duration and ConcurrentExecutions alarms on its own FunctionName."
  }

  assert {
    condition = [for kind in ["lambda_errors", "lambda_throttles", "lambda_duration_p90", "lambda_concurrency"] : [
      aws_cloudwatch_metric_alarm.metric["${kind}:news"].metric_name,
      coalesce(aws_cloudwatch_metric_alarm.metric["${kind}:news"].statistic, aws_cloudwatch_metric_alarm.metric["${kind}:news"].extended_statistic),
      aws_cloudwatch_metric_alarm.metric["${kind}:news"].comparison_operator,
      aws_cloudwatch_metric_alarm.metric["${kind}:news"].threshold,
      aws_cloudwatch_metric_alarm.metric["${kind}:news"].period,
      aws_cloudwatch_metric_alarm.metric["${kind}:news"].evaluation_periods,
      aws_cloudwatch_metric_alarm.metric["${kind}:news"].datapoints_to_alarm,
      aws_cloudwatch_metric_alarm.metric["${kind}:news"].treat_missing_data,
      ]] == [
      ["Errors", "Sum", "GreaterThanThreshold", 1, 60, 3, 3, "notBreaching"],
      ["Throttles", "Sum", "GreaterThanOrEqualToThreshold", 1, 60, 5, 5, "notBreaching"],
      ["Duration", "p90", "GreaterThanThreshold", 8000, 60, 15, 15, "notBreaching"],
      ["ConcurrentExecutions", "Maximum", "GreaterThanThreshold", 900, 60, 10, 10, "notBreaching"],
    ]
    error_message = "Lambda alarms differ from the recommended starting points (duration at 80% of the 10 s timeout, concurrency at 90% of the 1000 account quota)."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.metric["lambda_duration_p90:authorizer"].threshold == 4000 && aws_cloudwatch_metric_alarm.metric["lambda_concurrency:pets"].threshold == 45
    error_message = "Duration must be set against each function's own timeout (5 s -> 4000 ms) and concurrency against its reserved concurrency (50 -> 45)."
  }

  # --- every_table_gets_throttle_and_system_error_alarms ---
  assert {
    condition = alltrue(flatten([
      for t, tbl in var.tables : [
        for kind, expected in {
          dynamodb_read_throttles  = ["ReadThrottleEvents", "Sum", "GreaterThanThreshold", 0, 60, 5, 5, "notBreaching"]
          dynamodb_write_throttles = ["WriteThrottleEvents", "Sum", "GreaterThanThreshold", 0, 60, 5, 5, "notBreaching"]
          dynamodb_system_errors   = ["SystemErrors", "Sum", "GreaterThanThreshold", 0, 60, 15, 15, "notBreaching"]
          } : [
          aws_cloudwatch_metric_alarm.metric["${kind}:${t}"].metric_name,
          aws_cloudwatch_metric_alarm.metric["${kind}:${t}"].statistic,
          aws_cloudwatch_metric_alarm.metric["${kind}:${t}"].comparison_operator,
          aws_cloudwatch_metric_alarm.metric["${kind}:${t}"].threshold,
          aws_cloudwatch_metric_alarm.metric["${kind}:${t}"].period,
          aws_cloudwatch_metric_alarm.metric["${kind}:${t}"].evaluation_periods,
          aws_cloudwatch_metric_alarm.metric["${kind}:${t}"].datapoints_to_alarm,
          aws_cloudwatch_metric_alarm.metric["${kind}:${t}"].treat_missing_data,
        ] == expected && aws_cloudwatch_metric_alarm.metric["${kind}:${t}"].namespace == "AWS/DynamoDB" && aws_cloudwatch_metric_alarm.metric["${kind}:${t}"].dimensions == tomap({ TableName = tbl.table_name })
      ]
    ]))
    error_message = "Every table needs ReadThrottleEvents, WriteThrottleEvents and SystemErrors alarms on its own TableName with the recommended statistics and datapoints."
  }
  assert {
    condition     = length([for k in keys(aws_cloudwatch_metric_alarm.metric) : k if startswith(k, "dead_letter_messages")]) == 0
    error_message = "Without queues there is no dead-letter alarm."
  }

  # --- cognito_alarms_per_client_and_identity_provider ---
  assert {
    condition = [for k in ["cognito_sign_in_throttles:web", "cognito_token_refresh_throttles:web", "cognito_federation_throttles:web.Google"] : [
      aws_cloudwatch_metric_alarm.metric[k].namespace,
      aws_cloudwatch_metric_alarm.metric[k].metric_name,
      aws_cloudwatch_metric_alarm.metric[k].statistic,
      aws_cloudwatch_metric_alarm.metric[k].comparison_operator,
      aws_cloudwatch_metric_alarm.metric[k].threshold,
      aws_cloudwatch_metric_alarm.metric[k].period,
      aws_cloudwatch_metric_alarm.metric[k].evaluation_periods,
      aws_cloudwatch_metric_alarm.metric[k].datapoints_to_alarm,
      aws_cloudwatch_metric_alarm.metric[k].treat_missing_data,
      ]] == [
      ["AWS/Cognito", "SignInThrottles", "Sum", "GreaterThanThreshold", 0, 60, 5, 5, "notBreaching"],
      ["AWS/Cognito", "TokenRefreshThrottles", "Sum", "GreaterThanThreshold", 0, 60, 5, 5, "notBreaching"],
      ["AWS/Cognito", "FederationThrottles", "Sum", "GreaterThanThreshold", 0, 60, 5, 5, "notBreaching"],
    ]
    error_message = "Cognito throttle alarms differ from the recommended starting points."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.metric["cognito_sign_in_throttles:web"].dimensions == tomap({ UserPool = "eu-west-1_POOL", UserPoolClient = "webclientid" }) &&
      aws_cloudwatch_metric_alarm.metric["cognito_federation_throttles:web.Google"].dimensions == tomap({ UserPool = "eu-west-1_POOL", UserPoolClient = "webclientid", IdentityProvider = "Google" })
    )
    error_message = "Cognito alarms must name the pool, the client (and the provider for federation)."
  }

  # --- log_alarms_count_the_authorizer_and_access_log_signals ---
  assert {
    condition = {
      for k, f in aws_cloudwatch_log_metric_filter.this : k => [f.log_group_name, f.metric_transformation[0].namespace, f.metric_transformation[0].name, f.metric_transformation[0].value]
      } == {
      "fail_closed_policy_table"   = ["/aws/lambda/acme-dev-authorizer", "FGA/acme-dev", "FailClosedPolicyTable", "1"]
      "fail_closed_jwks"           = ["/aws/lambda/acme-dev-authorizer", "FGA/acme-dev", "FailClosedJwks", "1"]
      "fail_closed_policy_items"   = ["/aws/lambda/acme-dev-authorizer", "FGA/acme-dev", "FailClosedPolicyItems", "1"]
      "fail_closed_revocation"     = ["/aws/lambda/acme-dev-authorizer", "FGA/acme-dev", "FailClosedRevocationStore", "1"]
      "fail_closed_internal"       = ["/aws/lambda/acme-dev-authorizer", "FGA/acme-dev", "FailClosedInternal", "1"]
      "forged_tokens"              = ["/aws/lambda/acme-dev-authorizer", "FGA/acme-dev", "ForgedTokens", "1"]
      "authorizer_errors"          = ["/aws/apigateway/acme-dev-api/dev/access", "FGA/acme-dev", "AuthorizerErrors", "1"]
      "backend_server_errors:pets" = ["/aws/lambda/acme-dev-pets", "FGA/acme-dev", "BackendServerErrors", "1"]
      "backend_server_errors:news" = ["/aws/lambda/acme-dev-news", "FGA/acme-dev", "BackendServerErrors", "1"]
    }
    error_message = "Each log signal must be filtered on its source's log group into the stack's namespace."
  }

  assert {
    condition     = aws_cloudwatch_log_metric_filter.this["fail_closed_policy_table"].pattern == "{ $.message = \"authorizer decision\" && $.reason = \"policy_table_unavailable\" }"
    error_message = "The policy-table fail-closed filter must match the decision log's reason."
  }

  assert {
    condition = {
      for k, a in aws_cloudwatch_metric_alarm.log : k => [a.namespace, a.metric_name, a.statistic, a.comparison_operator, a.threshold, a.period, a.evaluation_periods, a.datapoints_to_alarm, a.treat_missing_data]
      } == {
      "fail_closed_policy_table" = ["FGA/acme-dev", "FailClosedPolicyTable", "Sum", "GreaterThanThreshold", 0, 60, 3, 2, "notBreaching"]
      "fail_closed_jwks"         = ["FGA/acme-dev", "FailClosedJwks", "Sum", "GreaterThanThreshold", 0, 60, 3, 2, "notBreaching"]
      "fail_closed_policy_items" = ["FGA/acme-dev", "FailClosedPolicyItems", "Sum", "GreaterThanThreshold", 0, 60, 1, 1, "notBreaching"]
      "fail_closed_revocation"   = ["FGA/acme-dev", "FailClosedRevocationStore", "Sum", "GreaterThanThreshold", 0, 60, 3, 2, "notBreaching"]
      "fail_closed_internal"     = ["FGA/acme-dev", "FailClosedInternal", "Sum", "GreaterThanThreshold", 0, 60, 3, 2, "notBreaching"]
      "forged_tokens"            = ["FGA/acme-dev", "ForgedTokens", "Sum", "GreaterThanThreshold", 10, 60, 3, 2, "notBreaching"]
      "authorizer_errors"        = ["FGA/acme-dev", "AuthorizerErrors", "Sum", "GreaterThanThreshold", 0, 60, 3, 2, "notBreaching"]
      "backend_server_errors"    = ["FGA/acme-dev", "BackendServerErrors", "Sum", "GreaterThanThreshold", 0, 60, 3, 3, "notBreaching"]
    }
    error_message = "A log alarm's metric, statistic, threshold, periods or missing-data treatment changed."
  }

  # --- denial_rate_per_auth_mode ---
  assert {
    condition     = aws_cloudwatch_log_metric_filter.rate["lambda:denied"].pattern == "{ ($.status = \"401\" || $.status = \"403\") && (($.resourcePath = \"/news\" && $.httpMethod = \"DELETE\") || ($.resourcePath = \"/petstore/v1/pets/{id}\" && $.httpMethod != \"OPTIONS\")) }"
    error_message = "The lambda mode's denials are its routes' 401 and 403 lines in the access log (ANY routes: every verb but the CORS preflight)."
  }

  assert {
    condition     = aws_cloudwatch_log_metric_filter.rate["iam:requests"].pattern == "{ ($.resourcePath = \"/cip\" && $.httpMethod = \"GET\") }" && aws_cloudwatch_log_metric_filter.rate["iam:requests"].metric_transformation[0].default_value == "0"
    error_message = "Each mode counts its requests (every access-log line reports 0 otherwise, so the rate has both terms)."
  }

  assert {
    condition     = sort(keys(aws_cloudwatch_metric_alarm.rate)) == tolist(["denial_rate:iam", "denial_rate:lambda", "denial_rate:user_pool"])
    error_message = "One denial-rate alarm per auth mode that has routes."
  }

  assert {
    condition = jsonencode({ for q in aws_cloudwatch_metric_alarm.rate["denial_rate:user_pool"].metric_query : q.id => [q.expression, q.return_data, [for m in q.metric : [m.metric_name, m.namespace, m.stat, m.period]]] }) == jsonencode({
      denied   = [null, null, [["DeniedRequests-user_pool", "FGA/acme-dev", "Sum", 60]]]
      rate     = ["IF(requests >= 10, denied / requests, 0)", true, []]
      requests = [null, null, [["Requests-user_pool", "FGA/acme-dev", "Sum", 60]]]
    })
    error_message = "The denial rate is denied / requests of the mode's metrics, once there are 10 requests a minute."
  }

  assert {
    condition     = [aws_cloudwatch_metric_alarm.rate["denial_rate:user_pool"].comparison_operator, aws_cloudwatch_metric_alarm.rate["denial_rate:user_pool"].threshold, aws_cloudwatch_metric_alarm.rate["denial_rate:user_pool"].evaluation_periods, aws_cloudwatch_metric_alarm.rate["denial_rate:user_pool"].datapoints_to_alarm, aws_cloudwatch_metric_alarm.rate["denial_rate:user_pool"].treat_missing_data] == ["GreaterThanThreshold", 0.25, 5, 5, "notBreaching"]
    error_message = "The denial-rate alarm's threshold, periods or missing-data treatment changed."
  }

  # --- the_composite_pages_on_every_fail_closed_signal ---
  assert {
    condition     = aws_cloudwatch_composite_alarm.failing_closed.alarm_rule == "ALARM(\"acme-dev-authorizer_errors\") OR ALARM(\"acme-dev-fail_closed_internal\") OR ALARM(\"acme-dev-fail_closed_jwks\") OR ALARM(\"acme-dev-fail_closed_policy_items\") OR ALARM(\"acme-dev-fail_closed_policy_table\") OR ALARM(\"acme-dev-fail_closed_revocation\")"
    error_message = "The composite alarm must watch every fail-closed signal (revocation store included) and nothing else."
  }

  assert {
    condition     = aws_cloudwatch_composite_alarm.failing_closed.alarm_actions == toset(["arn:aws:sns:eu-west-1:123456789012:acme-dev-alarms"]) && aws_cloudwatch_composite_alarm.failing_closed.actions_enabled
    error_message = "The composite alarm must notify the topic."
  }

  # --- every_alarm_notifies_the_topic_and_links_its_runbook_section ---
  assert {
    condition = alltrue(concat(
      [for k, a in aws_cloudwatch_metric_alarm.metric : a.alarm_actions == toset(["arn:aws:sns:eu-west-1:123456789012:acme-dev-alarms"]) && endswith(a.alarm_description, "Runbook: https://example.com/ops.md#${split(":", k)[0]}")],
      [for k, a in aws_cloudwatch_metric_alarm.log : a.alarm_actions == toset(["arn:aws:sns:eu-west-1:123456789012:acme-dev-alarms"]) && endswith(a.alarm_description, "Runbook: https://example.com/ops.md#${k}")],
      [for k, a in aws_cloudwatch_metric_alarm.rate : a.alarm_actions == toset(["arn:aws:sns:eu-west-1:123456789012:acme-dev-alarms"]) && endswith(a.alarm_description, "Runbook: https://example.com/ops.md#denial_rate")],
      [endswith(aws_cloudwatch_composite_alarm.failing_closed.alarm_description, "Runbook: https://example.com/ops.md#access_boundary_failing_closed")],
    ))
    error_message = "Every alarm must notify the topic and end its description with a link to its runbook section."
  }

  assert {
    condition     = alltrue([for a in concat(values(aws_cloudwatch_metric_alarm.metric), values(aws_cloudwatch_metric_alarm.log), values(aws_cloudwatch_metric_alarm.rate)) : length(a.alarm_description) <= 1024 && a.treat_missing_data != null])
    error_message = "Alarm descriptions fit CloudWatch's 1024 characters and every alarm sets treat_missing_data."
  }

  # --- dashboard_and_saved_queries ---
  assert {
    condition     = aws_cloudwatch_dashboard.this.dashboard_name == "acme-dev" && length([for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : w if w.type == "log" && strcontains(try(w.properties.query, ""), "stats count(*) as decisions by decision, reason")]) == 1
    error_message = "The dashboard shows the authorizer's decisions by outcome and reason."
  }

  assert {
    condition = jsonencode({
      for k, q in aws_cloudwatch_query_definition.this : k => [q.name, q.log_group_names]
      }) == jsonencode({
      "who-was-denied-and-why" = ["acme-dev/who-was-denied-and-why", ["/aws/lambda/acme-dev-authorizer"]]
      "decisions-by-group"     = ["acme-dev/decisions-by-group", ["/aws/lambda/acme-dev-authorizer"]]
      "fail-closed-decisions"  = ["acme-dev/fail-closed-decisions", ["/aws/lambda/acme-dev-authorizer"]]
      "forged-token-probes"    = ["acme-dev/forged-token-probes", ["/aws/lambda/acme-dev-authorizer"]]
      "gateway-errors"         = ["acme-dev/gateway-errors", ["/aws/apigateway/acme-dev-api/dev/access"]]
      "backend-5xx"            = ["acme-dev/backend-5xx", ["/aws/lambda/acme-dev-news", "/aws/lambda/acme-dev-pets"]]
    })
    error_message = "The saved queries must read the right log groups."
  }

  # --- every_alarm_watches_a_metric_the_stack_publishes ---
  assert {
    condition = alltrue([
      for k, a in aws_cloudwatch_metric_alarm.log : contains([for f in aws_cloudwatch_log_metric_filter.this : f.metric_transformation[0].name], a.metric_name) && a.namespace == "FGA/acme-dev"
    ])
    error_message = "Every log alarm must watch a metric one of the module's metric filters publishes."
  }

  assert {
    condition = alltrue(flatten([
      for k, a in aws_cloudwatch_metric_alarm.rate : [
        for q in a.metric_query : [
          for m in q.metric : contains([for f in aws_cloudwatch_log_metric_filter.rate : f.metric_transformation[0].name], m.metric_name) && m.namespace == "FGA/acme-dev"
        ]
      ]
    ]))
    error_message = "Every denial-rate alarm must read metrics the module's access-log filters publish."
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.log) == length(distinct([for f in values(aws_cloudwatch_log_metric_filter.this) : f.metric_transformation[0].name]))
    error_message = "No metric filter may publish a metric no alarm watches (nor two alarms one metric)."
  }
}

run "no_traffic_alarm_only_where_traffic_is_expected" {
  command = plan
  variables {
    expects_traffic = false
  }

  assert {
    condition     = !contains(keys(aws_cloudwatch_metric_alarm.metric), "api_no_traffic")
    error_message = "An environment that does not expect traffic must not alarm on its absence."
  }
}

run "a_new_table_is_one_more_map_entry" {
  command = plan
  variables {
    tables = merge(var.tables, { revocations = { table_name = "acme-dev-revocations" } })
  }

  assert {
    condition = alltrue([
      for kind in ["dynamodb_read_throttles", "dynamodb_write_throttles", "dynamodb_system_errors"] : aws_cloudwatch_metric_alarm.metric["${kind}:revocations"].dimensions == tomap({ TableName = "acme-dev-revocations" })
    ])
    error_message = "A table added to the map must get its three alarms."
  }
}

run "a_dead_letter_queue_gets_an_alarm_on_any_message" {
  command = plan
  variables {
    queues = { feed_dlq = { queue_name = "acme-dev-feed-dlq" } }
  }

  assert {
    condition = [
      aws_cloudwatch_metric_alarm.metric["dead_letter_messages:feed_dlq"].namespace,
      aws_cloudwatch_metric_alarm.metric["dead_letter_messages:feed_dlq"].metric_name,
      aws_cloudwatch_metric_alarm.metric["dead_letter_messages:feed_dlq"].statistic,
      aws_cloudwatch_metric_alarm.metric["dead_letter_messages:feed_dlq"].comparison_operator,
      aws_cloudwatch_metric_alarm.metric["dead_letter_messages:feed_dlq"].threshold,
      aws_cloudwatch_metric_alarm.metric["dead_letter_messages:feed_dlq"].period,
      aws_cloudwatch_metric_alarm.metric["dead_letter_messages:feed_dlq"].evaluation_periods,
      aws_cloudwatch_metric_alarm.metric["dead_letter_messages:feed_dlq"].datapoints_to_alarm,
      aws_cloudwatch_metric_alarm.metric["dead_letter_messages:feed_dlq"].treat_missing_data,
    ] == ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", "GreaterThanThreshold", 0, 300, 1, 1, "notBreaching"] && aws_cloudwatch_metric_alarm.metric["dead_letter_messages:feed_dlq"].dimensions == tomap({ QueueName = "acme-dev-feed-dlq" })
    error_message = "A dead-letter queue needs an alarm on any visible message (Maximum of ApproximateNumberOfMessagesVisible > 0 over 5 minutes) on its own QueueName."
  }

  assert {
    condition     = endswith(aws_cloudwatch_metric_alarm.metric["dead_letter_messages:feed_dlq"].alarm_description, "https://example.com/ops.md#dead_letter_messages")
    error_message = "The alarm's description links to its runbook section."
  }
}

run "no_user_pool_identity_provider_no_federation_alarm" {
  command = plan
  variables {
    user_pool = { id = "eu-west-1_POOL", clients = { web = "webclientid" } }
  }

  assert {
    condition     = length([for k in keys(aws_cloudwatch_metric_alarm.metric) : k if startswith(k, "cognito_federation_throttles")]) == 0
    error_message = "Without an identity provider on the user pool there is no FederationThrottles metric to watch."
  }
}

run "the_topic_is_encrypted_and_subscribed_as_configured" {
  command = plan
  variables {
    subscriptions = {
      oncall = { protocol = "email", endpoint = "oncall@example.com" }
      pager  = { protocol = "https", endpoint = "https://events.pager.example.com/sns" }
    }
  }

  assert {
    condition     = aws_sns_topic.alarms.kms_master_key_id == "arn:aws:kms:eu-west-1:123456789012:key/abcd"
    error_message = "The alarm topic must be encrypted with the stack's key."
  }

  assert {
    condition     = { for k, s in aws_sns_topic_subscription.this : k => [s.protocol, s.endpoint] } == { oncall = ["email", "oncall@example.com"], pager = ["https", "https://events.pager.example.com/sns"] }
    error_message = "Subscriptions must follow the settings."
  }
}

run "overrides_apply_to_a_kind_then_to_one_alarm" {
  command = plan
  variables {
    alarms = {
      "lambda_errors"            = { threshold = 5 }
      "lambda_errors:authorizer" = { threshold = 20, evaluation_periods = 5, datapoints_to_alarm = 4 }
      "fail_closed_jwks"         = { actions_enabled = false }
      "denial_rate:iam"          = { threshold = 0.5 }
    }
  }

  assert {
    condition = [
      aws_cloudwatch_metric_alarm.metric["lambda_errors:authorizer"].threshold,
      aws_cloudwatch_metric_alarm.metric["lambda_errors:authorizer"].evaluation_periods,
      aws_cloudwatch_metric_alarm.metric["lambda_errors:authorizer"].datapoints_to_alarm,
      aws_cloudwatch_metric_alarm.metric["lambda_errors:news"].threshold,
      aws_cloudwatch_metric_alarm.metric["lambda_errors:news"].evaluation_periods,
      aws_cloudwatch_metric_alarm.rate["denial_rate:iam"].threshold,
      aws_cloudwatch_metric_alarm.rate["denial_rate:lambda"].threshold,
    ] == [20, 5, 4, 5, 3, 0.5, 0.25]
    error_message = "An alarm's own override wins over its kind's, which wins over the catalog."
  }

  assert {
    condition     = !aws_cloudwatch_metric_alarm.log["fail_closed_jwks"].actions_enabled && aws_cloudwatch_metric_alarm.log["fail_closed_policy_table"].actions_enabled
    error_message = "actions_enabled = false silences one alarm's notifications only."
  }
}

run "refuses_an_unknown_override" {
  command = plan
  variables {
    alarms = { "lambda_erors" = { threshold = 1 } }
  }
  expect_failures = [var.alarms]
}

run "refuses_a_bad_override_period" {
  command = plan
  variables {
    alarms = { "api_5xx" = { period = 45 } }
  }
  expect_failures = [var.alarms]
}

run "refuses_plain_http_subscriptions" {
  command = plan
  variables {
    subscriptions = { hook = { protocol = "http", endpoint = "http://hooks.example.com" } }
  }
  expect_failures = [var.subscriptions]
}

run "refuses_a_malformed_email" {
  command = plan
  variables {
    subscriptions = { oncall = { protocol = "email", endpoint = "not-an-address" } }
  }
  expect_failures = [var.subscriptions]
}

run "refuses_two_authorizers" {
  command = plan
  variables {
    functions = merge(var.functions, { other = { function_name = "x", log_group_name = "/aws/lambda/x", timeout_seconds = 5, role = "authorizer" } })
  }
  expect_failures = [var.functions]
}

run "refuses_an_unencrypted_topic" {
  command = plan
  variables {
    kms_key_arn = "alias/aws/sns"
  }
  expect_failures = [var.kms_key_arn]
}

