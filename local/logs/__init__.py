"""CloudWatch Logs: filter patterns, metric filters that publish metrics, saved queries, log shipping."""
