# Alarms on what the stack writes to its logs: metric filters on the authorizer's decision log, the
# backends' request logs and the stage's access log, an alarm per filtered metric, the denial rate of
# each auth mode, and the composite alarm an on-call rota pages on.

resource "aws_cloudwatch_log_metric_filter" "this" {
  for_each = local.log_metric_filters

  name           = "${var.name_prefix}-${replace(each.key, ":", "-")}"
  log_group_name = each.value.log_group
  pattern        = each.value.pattern

  metric_transformation {
    name      = each.value.metric
    namespace = local.namespace
    value     = "1"
  }
}

resource "aws_cloudwatch_metric_alarm" "log" {
  for_each = local.log_alarms

  alarm_name          = "${var.name_prefix}-${each.key}"
  alarm_description   = "${local.catalog.log_alarms[each.key].summary} Runbook: ${local.description[each.key]}"
  namespace           = local.namespace
  metric_name         = each.value.metric
  statistic           = each.value.statistic
  comparison_operator = each.value.comparison
  threshold           = each.value.threshold
  period              = each.value.period
  evaluation_periods  = each.value.evaluation_periods
  datapoints_to_alarm = each.value.datapoints_to_alarm
  treat_missing_data  = each.value.treat_missing_data
  actions_enabled     = each.value.actions_enabled
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags

  depends_on = [aws_cloudwatch_log_metric_filter.this]
}

# --- denial rate per auth mode ------------------------------------------------------------------

locals {
  rate = local.catalog.rate_alarms.denial_rate

  # A route is recognised in the access log by its resource path and verb; an ANY route by its path
  # (its CORS preflight, OPTIONS, is a method of its own and not the mode's).
  route_clause = {
    for k, r in var.routes : k => upper(r.method) == "ANY" ? "($.resourcePath = \"${r.path}\" && $.httpMethod != \"OPTIONS\")" : "($.resourcePath = \"${r.path}\" && $.httpMethod = \"${upper(r.method)}\")"
  }
  modes = sort(distinct([for r in values(var.routes) : r.auth]))
  mode_routes = {
    for mode in local.modes : mode => join(" || ", [for k, r in var.routes : local.route_clause[k] if r.auth == mode])
  }
  denied_statuses = join(" || ", [for s in local.rate.denied_statuses : "$.status = \"${s}\""])

  rate_filters = merge([
    for mode in local.modes : {
      "${mode}:requests" = {
        mode    = mode
        metric  = "${local.rate.denominator_metric}-${mode}"
        pattern = "{ ${local.mode_routes[mode]} }"
      }
      "${mode}:denied" = {
        mode    = mode
        metric  = "${local.rate.numerator_metric}-${mode}"
        pattern = "{ (${local.denied_statuses}) && (${local.mode_routes[mode]}) }"
      }
    }
  ]...)

  rate_alarms = {
    for mode in local.modes : "denial_rate:${mode}" => {
      mode                = mode
      threshold           = coalesce(try(var.alarms["denial_rate:${mode}"].threshold, null), try(var.alarms.denial_rate.threshold, null), local.rate.threshold)
      period              = coalesce(try(var.alarms["denial_rate:${mode}"].period, null), try(var.alarms.denial_rate.period, null), local.rate.period)
      evaluation_periods  = coalesce(try(var.alarms["denial_rate:${mode}"].evaluation_periods, null), try(var.alarms.denial_rate.evaluation_periods, null), local.rate.evaluation_periods)
      datapoints_to_alarm = coalesce(try(var.alarms["denial_rate:${mode}"].datapoints_to_alarm, null), try(var.alarms.denial_rate.datapoints_to_alarm, null), local.rate.datapoints_to_alarm)
      actions_enabled     = coalesce(try(var.alarms["denial_rate:${mode}"].actions_enabled, null), try(var.alarms.denial_rate.actions_enabled, null), true)
    }
  }
}

resource "aws_cloudwatch_log_metric_filter" "rate" {
  for_each = local.rate_filters

  name           = "${var.name_prefix}-denial-rate-${replace(each.key, ":", "-")}"
  log_group_name = var.api.access_log_group
  pattern        = each.value.pattern

  metric_transformation {
    name      = each.value.metric
    namespace = local.namespace
    value     = "1"
    # Every access-log line of the minute reports 0 when it is not a match, so the rate has a
    # denominator and a numerator for the same minutes.
    default_value = 0
  }

  lifecycle {
    precondition {
      condition     = length(each.value.pattern) <= 1024
      error_message = "The ${each.key} filter pattern of the ${each.value.mode} routes is longer than the 1024 characters CloudWatch Logs accepts: too many routes in one auth mode for one pattern."
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "rate" {
  for_each = local.rate_alarms

  alarm_name          = "${var.name_prefix}-${replace(each.key, ":", "-")}"
  alarm_description   = "${local.rate.summary} Auth mode: ${each.value.mode}. Runbook: ${local.description.denial_rate}"
  comparison_operator = local.rate.comparison
  threshold           = each.value.threshold
  evaluation_periods  = each.value.evaluation_periods
  datapoints_to_alarm = each.value.datapoints_to_alarm
  treat_missing_data  = local.rate.treat_missing_data
  actions_enabled     = each.value.actions_enabled
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags

  metric_query {
    id          = "rate"
    label       = "Share of ${each.value.mode} requests refused (401/403)"
    expression  = "IF(requests >= ${local.rate.minimum_requests}, denied / requests, 0)"
    return_data = true
  }

  metric_query {
    id = "denied"
    metric {
      namespace   = local.namespace
      metric_name = local.rate_filters["${each.value.mode}:denied"].metric
      stat        = "Sum"
      period      = each.value.period
    }
  }

  metric_query {
    id = "requests"
    metric {
      namespace   = local.namespace
      metric_name = local.rate_filters["${each.value.mode}:requests"].metric
      stat        = "Sum"
      period      = each.value.period
    }
  }

  depends_on = [aws_cloudwatch_log_metric_filter.rate]
}

# --- the page ---------------------------------------------------------------------------------

resource "aws_cloudwatch_composite_alarm" "failing_closed" {
  alarm_name        = "${var.name_prefix}-${local.catalog.composite_alarm.key}"
  alarm_description = "${local.catalog.composite_alarm.summary} Runbook: ${local.description[local.catalog.composite_alarm.key]}"
  alarm_rule = join(" OR ", [
    for kind, a in local.log_alarms : "ALARM(\"${aws_cloudwatch_metric_alarm.log[kind].alarm_name}\")" if a.fail_closed
  ])
  actions_enabled           = coalesce(try(var.alarms[local.catalog.composite_alarm.key].actions_enabled, null), true)
  alarm_actions             = local.alarm_actions
  ok_actions                = local.alarm_actions
  insufficient_data_actions = []
  tags                      = var.tags
}
