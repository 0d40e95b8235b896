data "aws_region" "current" {}

# The alarm kinds, their AWS-recommended starting points and the log patterns: one file that Python
# reads too (tools/monitoring.py), so settings validation, docs checks and the log-signal tests see
# exactly what is deployed.
locals {
  catalog   = jsondecode(file("${path.module}/catalog.json"))
  region    = data.aws_region.current.name
  namespace = "FGA/${var.name_prefix}"

  authorizer = one([for k, f in var.functions : k if f.role == "authorizer"])
  backends   = { for k, f in var.functions : k => f if f.role == "backend" }

  # What each scope's alarms are about: instance key => dimensions (and what thresholds derive from).
  scopes = {
    api = { "" = { ApiName = var.api.name, Stage = var.api.stage } }
    function = {
      for k, f in var.functions : k => { FunctionName = f.function_name }
    }
    table = {
      for k, t in var.tables : k => { TableName = t.table_name }
    }
    queue = {
      for k, q in var.queues : k => { QueueName = q.queue_name }
    }
    user_pool_client = {
      for k, id in var.user_pool.clients : k => { UserPool = var.user_pool.id, UserPoolClient = id }
    }
    user_pool_identity_provider = {
      for pair in setproduct(keys(var.user_pool.clients), var.user_pool.identity_providers) : "${pair[0]}.${pair[1]}" => {
        UserPool = var.user_pool.id, UserPoolClient = var.user_pool.clients[pair[0]], IdentityProvider = pair[1]
      }
    }
  }

  # Thresholds the catalog states as a fraction of something per function.
  function_limits = {
    for k, f in var.functions : k => {
      timeout_ms  = f.timeout_seconds * 1000
      concurrency = f.reserved_concurrency > 0 ? f.reserved_concurrency : var.account_concurrency_quota
    }
  }

  # kind (+ ":" + instance, when the scope has named instances) => the alarm, every attribute set:
  # the catalog's starting point under the environment's overrides (the kind's, then the one alarm's).
  metric_alarms = merge([
    for kind, a in local.catalog.metric_alarms : {
      for instance, dimensions in local.scopes[a.scope] : (instance == "" ? kind : "${kind}:${instance}") => {
        kind               = kind
        namespace          = a.namespace
        metric             = a.metric
        dimensions         = dimensions
        statistic          = try(a.statistic, null)
        extended_statistic = try(a.extended_statistic, null)
        comparison         = a.comparison
        treat_missing_data = a.treat_missing_data
        threshold = coalesce(
          try(var.alarms["${kind}:${instance}"].threshold, null),
          try(var.alarms[kind].threshold, null),
          try(a.threshold_fraction_of_timeout * local.function_limits[instance].timeout_ms, null),
          try(floor(a.threshold_fraction_of_concurrency * local.function_limits[instance].concurrency), null),
          try(a.threshold, null),
        )
        period              = coalesce(try(var.alarms["${kind}:${instance}"].period, null), try(var.alarms[kind].period, null), a.period)
        evaluation_periods  = coalesce(try(var.alarms["${kind}:${instance}"].evaluation_periods, null), try(var.alarms[kind].evaluation_periods, null), a.evaluation_periods)
        datapoints_to_alarm = coalesce(try(var.alarms["${kind}:${instance}"].datapoints_to_alarm, null), try(var.alarms[kind].datapoints_to_alarm, null), a.datapoints_to_alarm)
        actions_enabled     = coalesce(try(var.alarms["${kind}:${instance}"].actions_enabled, null), try(var.alarms[kind].actions_enabled, null), true)
      }
    } if !try(a.expects_traffic, false) || var.expects_traffic
  ]...)

  log_alarms = {
    for kind, a in local.catalog.log_alarms : kind => {
      kind                = kind
      source              = a.source
      pattern             = a.pattern
      metric              = a.metric
      fail_closed         = a.fail_closed
      statistic           = a.statistic
      comparison          = a.comparison
      treat_missing_data  = a.treat_missing_data
      threshold           = coalesce(try(var.alarms[kind].threshold, null), a.threshold)
      period              = coalesce(try(var.alarms[kind].period, null), a.period)
      evaluation_periods  = coalesce(try(var.alarms[kind].evaluation_periods, null), a.evaluation_periods)
      datapoints_to_alarm = coalesce(try(var.alarms[kind].datapoints_to_alarm, null), a.datapoints_to_alarm)
      actions_enabled     = coalesce(try(var.alarms[kind].actions_enabled, null), true)
    }
  }

  # Log groups each log source is written to.
  source_groups = {
    authorizer = { "" = var.functions[local.authorizer].log_group_name }
    backend    = { for k, f in local.backends : k => f.log_group_name }
    access     = { "" = var.api.access_log_group }
  }

  # One metric filter per log alarm and log group of its source (backend alarms read every handler).
  log_metric_filters = merge([
    for kind, a in local.log_alarms : {
      for instance, group in local.source_groups[a.source] : (instance == "" ? kind : "${kind}:${instance}") => {
        log_group = group
        pattern   = a.pattern
        metric    = a.metric
      }
    }
  ]...)

  alarm_actions = [aws_sns_topic.alarms.arn]
  description   = { for kind in concat(keys(local.catalog.metric_alarms), keys(local.catalog.log_alarms), keys(local.catalog.rate_alarms), [local.catalog.composite_alarm.key]) : kind => "${var.runbook_url}#${kind}" }
}
