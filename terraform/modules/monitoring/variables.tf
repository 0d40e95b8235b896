variable "name_prefix" {
  type        = string
  description = "Prefix of every name (alarms, metric filters, topic, dashboard, saved queries) and of the log metrics' namespace (FGA/<prefix>): the stack's name prefix."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must be 2-21 lowercase letters, digits or '-', starting with a letter (the stack's name prefix)."
  }
}

variable "api" {
  type = object({
    name             = string
    stage            = string
    access_log_group = string
  })
  description = "The REST API watched: its name and stage (the ApiName and Stage dimensions of AWS/ApiGateway) and the stage's access log group (JSON lines with status, resourcePath, httpMethod and authorizerError)."
}

variable "routes" {
  type = map(object({
    path   = string
    method = string
    auth   = string
  }))
  description = "The API's routes (the access model's routes map; other attributes are ignored): one denial-rate signal per auth mode that has routes, built from the access log's resourcePath and httpMethod."

  validation {
    condition     = alltrue([for r in values(var.routes) : contains(["iam", "user_pool", "lambda"], r.auth)])
    error_message = "routes[*].auth must be iam, user_pool or lambda."
  }
}

variable "functions" {
  type = map(object({
    function_name        = string
    log_group_name       = string
    timeout_seconds      = number
    reserved_concurrency = optional(number, -1)
    role                 = string
  }))
  description = "Lambda functions keyed by a stable name (authorizer, profiles, ...): Errors, Throttles, Duration p90 (against timeout_seconds) and ConcurrentExecutions (against reserved_concurrency, or the account quota when -1) alarms for each. role \"authorizer\" (exactly one: its log group carries the decision log the log alarms read) or \"backend\" (handlers whose request log counts 5xx answers)."

  validation {
    condition     = alltrue([for f in values(var.functions) : contains(["authorizer", "backend"], f.role)])
    error_message = "functions[*].role must be \"authorizer\" or \"backend\"."
  }

  validation {
    condition     = length([for f in values(var.functions) : f if f.role == "authorizer"]) == 1
    error_message = "functions must hold exactly one function with role = \"authorizer\": the decision log the fail-closed and forged-token alarms read."
  }

  validation {
    condition     = alltrue([for f in values(var.functions) : f.timeout_seconds >= 1 && f.timeout_seconds <= 900])
    error_message = "functions[*].timeout_seconds must be 1-900 (Lambda's limits): the duration alarm is a fraction of it."
  }
}

variable "tables" {
  type = map(object({
    table_name = string
  }))
  description = "DynamoDB tables keyed by a stable name (policies, records, ...): ReadThrottleEvents, WriteThrottleEvents and SystemErrors alarms for each. A new table is one more entry."
}

variable "queues" {
  type = map(object({
    queue_name = string
  }))
  default     = {}
  description = "Dead-letter SQS queues keyed by a stable name (revocation_feed_dlq, ...): an ApproximateNumberOfMessagesVisible alarm for each (any message is an event a function gave up on). {} for none."
}

variable "user_pool" {
  type = object({
    id                 = string
    clients            = map(string)
    identity_providers = optional(list(string), [])
  })
  description = "The Cognito user pool: its id, the app clients people sign in through (name => client id: SignInThrottles and TokenRefreshThrottles per client) and the identity providers federated into the user pool itself (FederationThrottles per client and provider; external IdPs federated into the identity pool instead emit no user-pool federation metrics)."
}

variable "kms_key_arn" {
  type        = string
  description = "Customer-managed KMS key that encrypts the alarm topic. Its key policy must let cloudwatch.amazonaws.com use it (kms:GenerateDataKey*, kms:Decrypt), or alarms cannot publish to the encrypted topic."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>): the alarm topic is always encrypted."
  }
}

variable "subscriptions" {
  type = map(object({
    protocol = string
    endpoint = string
  }))
  description = "Who hears the alarms, keyed by a stable name: protocol \"email\" (endpoint: an address; the subscription stays pending until its owner confirms it) or \"https\" (endpoint: an https:// URL that confirms the subscription, e.g. a paging service's SNS integration). {} for none: the alarms still change state and show on the dashboard."
  default     = {}

  validation {
    condition     = alltrue([for s in values(var.subscriptions) : contains(["email", "https"], s.protocol)])
    error_message = "subscriptions[*].protocol must be \"email\" or \"https\" (plain http would send alarm contents in clear text)."
  }

  validation {
    condition = alltrue([
      for s in values(var.subscriptions) : s.protocol == "email" ? can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", s.endpoint)) : can(regex("^https://[^\\s]+$", s.endpoint))
    ])
    error_message = "subscriptions[*].endpoint must be an email address for protocol email, an https:// URL for protocol https."
  }
}

variable "expects_traffic" {
  type        = bool
  description = "Whether the stage always serves requests (production-like): adds the api_no_traffic alarm, which fires after 10 minutes without a single request."
  default     = true
}

variable "alarms" {
  type = map(object({
    threshold           = optional(number)
    period              = optional(number)
    evaluation_periods  = optional(number)
    datapoints_to_alarm = optional(number)
    actions_enabled     = optional(bool)
  }))
  description = "Per-environment overrides of the catalog's starting points, keyed by alarm kind (every instance: \"lambda_errors\") or by one alarm (\"lambda_errors:authorizer\", \"denial_rate:lambda\"); the second wins. actions_enabled = false keeps the alarm evaluating and on the dashboard but silences its notifications."
  default     = {}

  validation {
    condition = alltrue([
      for k in keys(var.alarms) : contains(keys(merge(local.catalog.metric_alarms, local.catalog.log_alarms, local.catalog.rate_alarms, { (local.catalog.composite_alarm.key) = {} })), split(":", k)[0])
    ])
    error_message = "alarms keys must be an alarm kind of terraform/modules/monitoring/catalog.json (api_5xx, lambda_errors, fail_closed_jwks, denial_rate, ...), optionally followed by :<function, table, client or auth mode>."
  }

  validation {
    condition = alltrue([
      for o in values(var.alarms) : (o.period == null ? true : contains([10, 30, 60, 120, 180, 240, 300, 600, 900, 1800, 3600], o.period)) && (o.evaluation_periods == null ? true : o.evaluation_periods >= 1) && (o.datapoints_to_alarm == null ? true : o.datapoints_to_alarm >= 1)
    ])
    error_message = "alarms overrides: period must be 10, 30 or a multiple of 60 up to 3600 seconds; evaluation_periods and datapoints_to_alarm at least 1."
  }
}

variable "account_concurrency_quota" {
  type        = number
  description = "The account's regional Lambda concurrency quota (1000 by default): the concurrency alarm of a function without reserved concurrency fires at 90% of it."
  default     = 1000
}

variable "runbook_url" {
  type        = string
  description = "Where people read docs/operations.md (e.g. https://github.com/<org>/<repo>/blob/main/docs/operations.md): every alarm's description ends with <runbook_url>#<its kind>."
  default     = "docs/operations.md"
}

variable "tags" {
  type        = map(string)
  description = "Tags for every taggable resource."
  default     = {}
}
