# One dashboard per environment: requests, errors and latency, the authorizer's decisions by outcome
# and reason, the fail-closed and forged-token signals, throttles, the tables' consumption, Cognito
# sign-ins, and the state of every alarm.
locals {
  api_dims    = ["ApiName", var.api.name, "Stage", var.api.stage]
  authz_group = var.functions[local.authorizer].log_group_name

  metric_widget = {
    for title, spec in {
      "Requests (Count)" = {
        stat    = "Sum"
        metrics = [concat(["AWS/ApiGateway", "Count"], local.api_dims)]
      }
      "4xx and 5xx answers" = {
        stat = "Sum"
        metrics = [
          concat(["AWS/ApiGateway", "4XXError"], local.api_dims),
          concat(["AWS/ApiGateway", "5XXError"], local.api_dims),
        ]
      }
      "Latency p50 / p90 / p99 (ms)" = {
        stat = "p90"
        metrics = [
          concat(["AWS/ApiGateway", "Latency"], local.api_dims, [{ stat = "p50" }]),
          concat(["AWS/ApiGateway", "Latency"], local.api_dims, [{ stat = "p90" }]),
          concat(["AWS/ApiGateway", "Latency"], local.api_dims, [{ stat = "p99" }]),
        ]
      }
      "Fail-closed decisions and forged tokens" = {
        stat    = "Sum"
        metrics = [for kind, a in local.log_alarms : [local.namespace, a.metric] if a.source == "authorizer"]
      }
      "Authorizer errors (access log) and backend 5xx" = {
        stat    = "Sum"
        metrics = [for kind, a in local.log_alarms : [local.namespace, a.metric] if a.source != "authorizer"]
      }
      "Refused requests per auth mode" = {
        stat    = "Sum"
        metrics = [for k, f in local.rate_filters : [local.namespace, f.metric] if endswith(k, ":denied")]
      }
      "Lambda errors and throttles" = {
        stat = "Sum"
        metrics = concat(
          [for k, f in var.functions : ["AWS/Lambda", "Errors", "FunctionName", f.function_name]],
          [for k, f in var.functions : ["AWS/Lambda", "Throttles", "FunctionName", f.function_name]],
        )
      }
      "Lambda duration p90 (ms)" = {
        stat    = "p90"
        metrics = [for k, f in var.functions : ["AWS/Lambda", "Duration", "FunctionName", f.function_name]]
      }
      "DynamoDB throttles and system errors" = {
        stat = "Sum"
        metrics = concat(
          [for k, t in var.tables : ["AWS/DynamoDB", "ReadThrottleEvents", "TableName", t.table_name]],
          [for k, t in var.tables : ["AWS/DynamoDB", "WriteThrottleEvents", "TableName", t.table_name]],
          [for k, t in var.tables : ["AWS/DynamoDB", "SystemErrors", "TableName", t.table_name]],
        )
      }
      "DynamoDB consumed capacity" = {
        stat = "Sum"
        metrics = concat(
          [for k, t in var.tables : ["AWS/DynamoDB", "ConsumedReadCapacityUnits", "TableName", t.table_name]],
          [for k, t in var.tables : ["AWS/DynamoDB", "ConsumedWriteCapacityUnits", "TableName", t.table_name]],
        )
      }
      "Cognito sign-ins, refreshes and throttles" = {
        stat = "Sum"
        metrics = flatten([
          for name, id in var.user_pool.clients : [
            ["AWS/Cognito", "SignInSuccesses", "UserPool", var.user_pool.id, "UserPoolClient", id],
            ["AWS/Cognito", "TokenRefreshSuccesses", "UserPool", var.user_pool.id, "UserPoolClient", id],
            ["AWS/Cognito", "SignInThrottles", "UserPool", var.user_pool.id, "UserPoolClient", id],
            ["AWS/Cognito", "TokenRefreshThrottles", "UserPool", var.user_pool.id, "UserPoolClient", id],
          ]
        ])
      }
    } : title => spec
  }

  decision_queries = {
    "Authorizer decisions by outcome and reason" = "SOURCE '${local.authz_group}' | filter message = \"authorizer decision\" | stats count(*) as decisions by decision, reason | sort decisions desc"
    "Authorizer decisions per minute by outcome" = "SOURCE '${local.authz_group}' | filter message = \"authorizer decision\" | stats count(*) by decision, bin(1m)"
  }

  dashboard_widgets = concat(
    [
      {
        type = "text", x = 0, y = 0, width = 24, height = 2
        properties = {
          markdown = "## ${var.name_prefix}: API ${var.api.name}, stage ${var.api.stage}\nEvery alarm's description links its runbook section: ${var.runbook_url}"
        }
      },
      {
        type = "alarm", x = 0, y = 2, width = 24, height = 4
        properties = {
          title = "Alarms"
          alarms = concat(
            [aws_cloudwatch_composite_alarm.failing_closed.arn],
            [for a in aws_cloudwatch_metric_alarm.log : a.arn],
            [for a in aws_cloudwatch_metric_alarm.rate : a.arn],
            [for a in aws_cloudwatch_metric_alarm.metric : a.arn],
          )
        }
      },
    ],
    [
      for i, title in keys(local.decision_queries) : {
        type       = "log", x = 12 * i, y = 6, width = 12, height = 6
        properties = { title = title, query = local.decision_queries[title], region = local.region, view = i == 0 ? "table" : "timeSeries" }
      }
    ],
    [
      for i, title in keys(local.metric_widget) : {
        type = "metric", x = 8 * (i % 3), y = 12 + 6 * floor(i / 3), width = 8, height = 6
        properties = {
          title   = title
          region  = local.region
          stat    = local.metric_widget[title].stat
          period  = 60
          view    = "timeSeries"
          metrics = local.metric_widget[title].metrics
        }
      }
    ],
  )
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name_prefix
  dashboard_body = jsonencode({ widgets = local.dashboard_widgets })
}
