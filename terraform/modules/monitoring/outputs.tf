output "topic_arn" {
  description = "ARN of the KMS-encrypted SNS topic every alarm notifies (ALARM and OK)."
  value       = aws_sns_topic.alarms.arn
}

output "namespace" {
  description = "CloudWatch namespace of the metrics the log metric filters publish (FGA/<prefix>)."
  value       = local.namespace
}

output "alarm_names" {
  description = "Every alarm's name keyed by its catalog key: kind, kind:<function|table|client|mode> for per-resource alarms, and the composite's key."
  value = merge(
    { for k, a in aws_cloudwatch_metric_alarm.metric : k => a.alarm_name },
    { for k, a in aws_cloudwatch_metric_alarm.log : k => a.alarm_name },
    { for k, a in aws_cloudwatch_metric_alarm.rate : k => a.alarm_name },
    { (local.catalog.composite_alarm.key) = aws_cloudwatch_composite_alarm.failing_closed.alarm_name },
  )
}

output "alarms" {
  description = "Every alarm keyed like alarm_names: name, and for alarms on one metric its namespace, metric, dimensions and threshold (rate and composite alarms: dimensions {} and namespace, metric, threshold as applicable)."
  value = merge(
    { for k, a in aws_cloudwatch_metric_alarm.metric : k => { name = a.alarm_name, namespace = a.namespace, metric = a.metric_name, dimensions = a.dimensions, threshold = a.threshold } },
    { for k, a in aws_cloudwatch_metric_alarm.log : k => { name = a.alarm_name, namespace = a.namespace, metric = a.metric_name, dimensions = tomap({}), threshold = a.threshold } },
    { for k, a in aws_cloudwatch_metric_alarm.rate : k => { name = a.alarm_name, namespace = local.namespace, metric = null, dimensions = tomap({}), threshold = a.threshold } },
    { (local.catalog.composite_alarm.key) = { name = aws_cloudwatch_composite_alarm.failing_closed.alarm_name, namespace = null, metric = null, dimensions = tomap({}), threshold = null } },
  )
}

output "subscriptions" {
  description = "The topic's subscriptions: name => {protocol, endpoint}."
  value       = { for k, s in aws_sns_topic_subscription.this : k => { protocol = s.protocol, endpoint = s.endpoint } }
}

output "composite_alarm_name" {
  description = "The alarm to page on: the access boundary is failing closed."
  value       = aws_cloudwatch_composite_alarm.failing_closed.alarm_name
}

output "metric_filters" {
  description = "Each log metric filter: log group, pattern and the metric it counts."
  value = merge(
    { for k, f in aws_cloudwatch_log_metric_filter.this : k => { log_group = f.log_group_name, pattern = f.pattern, metric = local.log_metric_filters[k].metric } },
    { for k, f in aws_cloudwatch_log_metric_filter.rate : "denial_rate:${k}" => { log_group = f.log_group_name, pattern = f.pattern, metric = local.rate_filters[k].metric } },
  )
}

output "dashboard_name" {
  description = "Name of the environment's CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "query_definitions" {
  description = "Saved Logs Insights queries: name => id."
  value       = { for k, q in aws_cloudwatch_query_definition.this : q.name => q.query_definition_id }
}
