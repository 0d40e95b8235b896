# Alarms on the metrics AWS publishes for the stack's resources, with the statistics, periods and
# datapoints of CloudWatch's "Recommended alarms" (catalog.json), one per kind and resource.
resource "aws_cloudwatch_metric_alarm" "metric" {
  for_each = local.metric_alarms

  alarm_name          = "${var.name_prefix}-${replace(each.key, ":", "-")}"
  alarm_description   = "${local.catalog.metric_alarms[each.value.kind].summary} Runbook: ${local.description[each.value.kind]}"
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  extended_statistic  = each.value.extended_statistic
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
}
