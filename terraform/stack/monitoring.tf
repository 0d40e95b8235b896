# Operations as code: the alarms, topic, dashboard and saved queries of this environment
# (terraform/modules/monitoring; the runbook is docs/operations.md).
locals {
  monitoring = var.settings.monitoring

  # The authorizer signals every 401 by raising "Unauthorized", which Lambda counts in Errors: its
  # errors alarm starts at 10 a minute rather than the backends' 1 (docs/operations.md, lambda_errors).
  # The environment's own overrides (settings.monitoring.alarms) come on top.
  monitoring_alarms = merge({ "lambda_errors:authorizer" = { threshold = 10 } }, local.monitoring.alarms)

  # What settings.monitoring.alarms keys may name (validated in variables.tf, and by tools/config.py).
  monitoring_catalog = jsondecode(file("${path.module}/../modules/monitoring/catalog.json"))
  alarm_kinds = concat(
    keys(local.monitoring_catalog.metric_alarms),
    keys(local.monitoring_catalog.log_alarms),
    keys(local.monitoring_catalog.rate_alarms),
    [local.monitoring_catalog.composite_alarm.key],
  )
}

module "monitoring" {
  source = "../modules/monitoring"

  name_prefix = local.prefix
  # Names known at plan time where the resource is slow to create (the stage comes last, after every
  # function): the alarms are created alongside the rest instead of after it.
  api = {
    name             = module.api.name
    stage            = local.stage_name
    access_log_group = module.api.access_log_group_name
  }
  routes = var.access.routes

  functions = merge(
    {
      authorizer = {
        function_name        = local.function_names.authorizer
        log_group_name       = module.authorizer.log_group_name
        timeout_seconds      = module.authorizer.timeout_seconds
        reserved_concurrency = module.authorizer.reserved_concurrency
        role                 = "authorizer"
      }
    },
    {
      for k, f in module.backend : k => {
        function_name        = local.function_names[k]
        log_group_name       = f.log_group_name
        timeout_seconds      = f.timeout_seconds
        reserved_concurrency = f.reserved_concurrency
        role                 = "backend"
      }
    },
    # The revocation writers (revocation.tf): their request logs count 5xx answers like a backend's.
    {
      for k, f in { signout  = module.signout, revocation_feed = module.revocation_feed } : k => {
        function_name        = f.function_name
        log_group_name       = f.log_group_name
        timeout_seconds      = f.timeout_seconds
        reserved_concurrency = f.reserved_concurrency
        role                 = "backend"
      }
    },
  )

  # One entry per DynamoDB table of the stack: a new table is one more entry here.
  tables = {
    policies    = { table_name = module.policy_store.table_name }
    records     = { table_name = module.records.table_name }
    revocations = { table_name = module.revocations.table_name }
  }

  # Dead-letter queues: a message is an event a function gave up on (revocation.tf).
  queues = {
    revocation_feed_dlq = { queue_name = aws_sqs_queue.revocation_feed_dlq.name }
  }

  user_pool = {
    id = module.user_pool.id
    # Only the client people sign in and refresh tokens through: the machine client's
    # client-credentials grants are neither sign-ins nor refreshes.
    clients = { web = module.user_pool.client_ids["web"] }
  }

  kms_key_arn               = aws_kms_key.this.arn
  subscriptions             = local.monitoring.subscriptions
  expects_traffic           = coalesce(local.monitoring.expects_traffic, contains(["staging", "prod"], local.environment))
  alarms                    = local.monitoring_alarms
  account_concurrency_quota = local.monitoring.account_concurrency_quota
  runbook_url               = local.monitoring.runbook_url
  tags                      = local.tags
}
