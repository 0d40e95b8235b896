variable "access" {
  type = object({
    groups = map(object({
      precedence  = number
      description = optional(string, "")
    }))
    machine_clients = optional(map(object({
      description = optional(string, "")
      scopes      = list(string)
      policy = object({
        template = optional(string)
        group    = optional(string)
      })
    })), {})
    handlers = map(object({
      entry_point   = string
      description   = string
      table_actions = list(string)
      leading_keys  = list(string)
    }))
    oauth = object({
      resource_server = string
      oidc_scopes     = list(string)
      scopes = map(object({
        description = string
      }))
    })
    routes = map(object({
      path    = string
      method  = string
      auth    = string
      handler = string
      scopes  = optional(list(string), [])
    }))
  })
  description = <<-EOT
    The access model, policy_templates/access_model.json, the same for every environment: user-pool
    groups keyed by name (each needs policy_templates/<name>.json.tftpl; the lowest precedence wins
    for a user in several groups), the machine clients keyed by name (a confidential app client each,
    client-credentials grant: the resource-server scopes it may request and the policy governing it
    in lambda mode, {template = "<its name>"} for policy_templates/clients/<name>.json.tftpl or
    {group = "<group>"} for that group's), the backend handlers (Lambda entry point and the records-table
    actions and partitions each may use), the OAuth scopes (the web client's OIDC scopes and the
    resource server's own scopes) and the API routes (path, method, auth mode, handler, scopes).
    Routes are validated by the api module.
  EOT

  validation {
    condition     = alltrue([for g in keys(var.access.groups) : fileexists("${var.templates_dir}/${g}.json.tftpl")])
    error_message = "Every group needs a policy template: create policy_templates/<group>.json.tftpl for each group in policy_templates/access_model.json (or remove the group)."
  }

  validation {
    condition     = length(distinct([for g in values(var.access.groups) : g.precedence])) == length(var.access.groups)
    error_message = "Group precedences must be unique: the lowest precedence decides a multi-group user's policy, and a tie would be ambiguous."
  }

  validation {
    condition     = alltrue([for g in keys(var.access.groups) : can(regex("^[A-Za-z0-9_-]{1,40}$", g))])
    error_message = "Group names must be 1-40 letters, digits, '_' or '-' (they name IAM roles and template files)."
  }

  validation {
    condition     = alltrue([for c in keys(var.access.machine_clients) : can(regex("^[a-z][a-z0-9-]{0,30}$", c)) && !contains(["web", "verify"], c)])
    error_message = "Machine client names must be 1-31 lowercase letters, digits or '-' starting with a letter, and not \"web\" or \"verify\" (the web and verification clients' keys): they name the app client <prefix>-<name> and the template policy_templates/clients/<name>.json.tftpl."
  }

  validation {
    condition = alltrue([
      for c in values(var.access.machine_clients) : length(c.scopes) > 0 && length(distinct(c.scopes)) == length(c.scopes) && alltrue([for s in c.scopes : contains(keys(var.access.oauth.scopes), s)])
    ])
    error_message = "Every machine client lists at least one scope, each once, and each a key of oauth.scopes (written without the resource server's prefix): the client-credentials grant issues only the resource server's scopes."
  }

  validation {
    condition = alltrue([
      for name, c in var.access.machine_clients : (c.policy.template == null) != (c.policy.group == null)
    ])
    error_message = "A machine client's policy is exactly one of {\"template\": \"<its name>\"} (its own template) or {\"group\": \"<group>\"} (that group's policy)."
  }

  validation {
    condition = alltrue([
      for name, c in var.access.machine_clients : c.policy.template == null || (c.policy.template == name && fileexists("${var.templates_dir}/clients/${name}.json.tftpl"))
    ])
    error_message = "A machine client governed by a template of its own needs {\"template\": \"<its name>\"} and the file policy_templates/clients/<its name>.json.tftpl."
  }

  validation {
    condition = alltrue([
      for c in values(var.access.machine_clients) : c.policy.group == null || contains(keys(var.access.groups), coalesce(c.policy.group, "-"))
    ])
    error_message = "A machine client's policy.group must name a group declared in policy_templates/access_model.json."
  }

  validation {
    condition     = alltrue([for h in keys(var.access.handlers) : can(regex("^[a-z][a-z0-9-]{0,20}$", h))])
    error_message = "Handler names must be 1-21 lowercase letters, digits or '-' starting with a letter (they name the Lambda functions <prefix>-<handler>)."
  }

  validation {
    condition = alltrue(flatten([
      for r in values(var.access.routes) : [
        for s in r.scopes : contains(concat(var.access.oauth.oidc_scopes, [for k in keys(var.access.oauth.scopes) : "${var.access.oauth.resource_server}/${k}"]), s)
      ]
    ]))
    error_message = "A route's scopes must be declared in access_model.json: one of oauth.oidc_scopes, or <oauth.resource_server>/<a key of oauth.scopes>."
  }
}

variable "settings" {
  type = object({
    environment         = string
    name_prefix         = optional(string)
    stage_name          = optional(string)
    lambda_architecture = optional(string, "arm64")
    cors_allow_origin   = string
    deletion_protection = optional(bool)
    user_pool = optional(object({
      sign_in_attributes            = optional(list(string), ["email"])
      mfa                           = optional(string, "OPTIONAL")
      self_sign_up                  = optional(bool, false)
      required_attributes           = optional(list(string), ["email"])
      allow_password_auth           = optional(bool, false)
      domain_prefix                 = optional(string)
      callback_urls                 = optional(list(string), [])
      logout_urls                   = optional(list(string), [])
      access_token_validity_minutes = optional(number, 60)
      id_token_validity_minutes     = optional(number, 60)
      refresh_token_validity_days   = optional(number, 30)
      password_policy = optional(object({
        minimum_length                   = optional(number, 12)
        require_lowercase                = optional(bool, true)
        require_uppercase                = optional(bool, true)
        require_numbers                  = optional(bool, true)
        require_symbols                  = optional(bool, true)
        temporary_password_validity_days = optional(number, 3)
      }), {})
      email = optional(object({
        sending_account        = optional(string, "COGNITO_DEFAULT")
        source_arn             = optional(string)
        from_address           = optional(string)
        reply_to_email_address = optional(string)
      }), {})
      custom_attributes = optional(map(object({
        type       = optional(string, "String")
        mutable    = optional(bool, true)
        min_length = optional(number, 0)
        max_length = optional(number, 256)
      })), {})
      # Replaced by the access model's machine_clients; kept only so that a config.json still
      # setting it fails with a message instead of being dropped silently.
      confidential_client = optional(bool)
    }), {})
    external_providers = optional(map(object({
      issuer_url  = string
      client_ids  = list(string)
      group       = string
      thumbprints = optional(list(string), [])
      rules = optional(list(object({
        claim      = string
        match_type = string
        value      = string
      })), [])
    })), {})
    authorizer = optional(object({
      token_use                = optional(string, "access")
      result_ttl_seconds       = optional(number, 30)
      policy_cache_seconds     = optional(number, 60)
      jwks_cache_seconds       = optional(number, 3600)
      revocation_check_seconds = optional(number, 2)
      jwks_origin              = optional(string)
    }), {})
    throttling = optional(object({
      burst_limit = optional(number, 100)
      rate_limit  = optional(number, 50)
    }), {})
    identity_pool = optional(object({
      user_pool_role_mapping = optional(string, "Rules")
    }), {})
    monitoring = optional(object({
      subscriptions = optional(map(object({
        protocol = string
        endpoint = string
      })), {})
      expects_traffic = optional(bool)
      alarms = optional(map(object({
        threshold           = optional(number)
        period              = optional(number)
        evaluation_periods  = optional(number)
        datapoints_to_alarm = optional(number)
        actions_enabled     = optional(bool)
      })), {})
      account_concurrency_quota = optional(number, 1000)
      runbook_url               = optional(string, "docs/operations.md")
    }), {})
    verification = optional(object({
      enabled = optional(bool, false)
      writes  = optional(bool, false)
    }), {})
    execution_logging_level = optional(string, "ERROR")
    log_retention_days      = optional(number, 365)
    web_acl_arn             = optional(string)
    tags                    = optional(map(string), {})
  })
  description = "What differs per environment: terraform/envs/<env>/config.json, decoded by the env root and passed whole. Required: environment (local, dev, staging or prod) and cors_allow_origin (the web app's origin); every other attribute is optional with a safe default (README: the settings table). Keys the type does not declare (region and account_id, for the provider) are ignored here; tools/config.py refuses unknown keys."

  validation {
    condition     = contains(["local", "dev", "staging", "prod"], var.settings.environment)
    error_message = "environment must be one of: local, dev, staging, prod."
  }

  validation {
    condition     = var.settings.name_prefix == null || can(regex("^[a-z][a-z0-9-]{1,20}$", coalesce(var.settings.name_prefix, "x")))
    error_message = "name_prefix must be 2-21 lowercase letters, digits or '-', starting with a letter (and equal the bootstrap's prefix for this environment, which reads the same config.json)."
  }

  validation {
    condition     = contains(["Rules", "Token"], var.settings.identity_pool.user_pool_role_mapping)
    error_message = "identity_pool.user_pool_role_mapping must be \"Rules\" (default: only the preferred role, the group the Lambda authorizer applies; a user in no group gets no credentials) or \"Token\" (callers may choose among their own groups' roles with CustomRoleArn; docs/architecture.md, \"Multi-group rule\")."
  }

  validation {
    condition     = length(var.access.machine_clients) == 0 || var.settings.user_pool.domain_prefix != null
    error_message = "The access model declares machine_clients, whose tokens come from the token endpoint of the user pool's domain: set user_pool.domain_prefix in this environment's config.json."
  }

  validation {
    condition     = var.settings.user_pool.confidential_client == null
    error_message = "user_pool.confidential_client is gone: declare each machine caller under machine_clients in policy_templates/access_model.json (every environment then gets one confidential client per entry) and remove the setting."
  }

  validation {
    condition     = !var.settings.verification.writes || var.settings.verification.enabled
    error_message = "verification.writes needs verification.enabled = true (writes are what `make verify` sends; without the verification client nothing runs). Set both, or neither."
  }

  validation {
    condition     = contains(["x86_64", "arm64"], var.settings.lambda_architecture)
    error_message = "lambda_architecture must be x86_64 or arm64."
  }

  validation {
    condition     = contains(["access", "id"], var.settings.authorizer.token_use)
    error_message = "authorizer.token_use must be \"access\" or \"id\"."
  }

  validation {
    condition     = alltrue([for p in values(var.settings.external_providers) : contains(keys(var.access.groups), p.group)])
    error_message = "external_providers[*].group must name a group declared in policy_templates/access_model.json."
  }

  validation {
    condition     = var.settings.authorizer.result_ttl_seconds >= 0 && var.settings.authorizer.result_ttl_seconds <= 3600 && floor(var.settings.authorizer.result_ttl_seconds) == var.settings.authorizer.result_ttl_seconds
    error_message = "authorizer.result_ttl_seconds must be a whole number of seconds from 0 (no cache: the authorizer runs on every request) to 3600 (API Gateway's maximum); 30 is the default (a revoked token is refused within it plus revocation_check_seconds: docs/architecture.md, \"Revocation\")."
  }

  validation {
    condition     = var.settings.authorizer.policy_cache_seconds >= 0 && var.settings.authorizer.policy_cache_seconds <= 3600 && floor(var.settings.authorizer.policy_cache_seconds) == var.settings.authorizer.policy_cache_seconds
    error_message = "authorizer.policy_cache_seconds must be a whole number of seconds from 0 (read the policy table on every decision) to 3600; 60 is the default."
  }

  validation {
    condition     = var.settings.authorizer.revocation_check_seconds >= 0 && var.settings.authorizer.revocation_check_seconds <= 300 && floor(var.settings.authorizer.revocation_check_seconds) == var.settings.authorizer.revocation_check_seconds
    error_message = "authorizer.revocation_check_seconds must be a whole number of seconds from 0 (read the revocation record on every decision) to 300 (a revocation must still mean \"within seconds\"); 2 is the default (above 10 the sign-out and the feed do not flush API Gateway's cache: docs/architecture.md, \"Revocation\")."
  }

  validation {
    condition = alltrue([
      for sub in values(var.settings.monitoring.subscriptions) : sub.protocol == "email" ? can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", sub.endpoint)) : sub.protocol == "https" && can(regex("^https://[^\\s]+$", sub.endpoint))
    ])
    error_message = "monitoring.subscriptions: each is {\"protocol\": \"email\", \"endpoint\": <an address>} or {\"protocol\": \"https\", \"endpoint\": <an https:// URL>}; {} for none."
  }

  validation {
    condition = alltrue([
      for key in keys(var.settings.monitoring.alarms) : contains(local.alarm_kinds, split(":", key)[0])
    ])
    error_message = "monitoring.alarms keys must be an alarm kind of terraform/modules/monitoring/catalog.json (e.g. \"api_5xx\", \"lambda_errors\", \"fail_closed_jwks\", \"denial_rate\"), optionally :<function, table, client or auth mode> (\"lambda_errors:authorizer\"); docs/operations.md lists them."
  }

  validation {
    condition     = var.settings.monitoring.account_concurrency_quota >= 1 && floor(var.settings.monitoring.account_concurrency_quota) == var.settings.monitoring.account_concurrency_quota
    error_message = "monitoring.account_concurrency_quota must be the account's regional Lambda concurrency quota, a whole number (1000 unless AWS raised it)."
  }

  validation {
    condition     = length(var.settings.monitoring.runbook_url) > 0 && !strcontains(var.settings.monitoring.runbook_url, "#")
    error_message = "monitoring.runbook_url must be where people read docs/operations.md, without a #fragment (each alarm appends #<its kind>)."
  }

  validation {
    condition     = var.settings.authorizer.jwks_origin == null || (var.settings.environment == "local" && can(regex("^http://(127\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}|localhost|\\[::1\\]):[0-9]{1,5}$", coalesce(var.settings.authorizer.jwks_origin, "x"))))
    error_message = "authorizer.jwks_origin is for the local environment only (its emulator serves the keys at another address than the issuer): leave it unset in dev, staging and prod, where the authorizer reads <issuer>/.well-known/jwks.json; in local it must be a loopback origin such as http://127.0.0.1:4566 (no path, no trailing slash)."
  }

  validation {
    condition     = var.settings.authorizer.jwks_cache_seconds >= 1 && var.settings.authorizer.jwks_cache_seconds <= 86400 && floor(var.settings.authorizer.jwks_cache_seconds) == var.settings.authorizer.jwks_cache_seconds
    error_message = "authorizer.jwks_cache_seconds must be a whole number of seconds from 1 to 86400 (3600 is the default)."
  }
}

variable "lambda_build_dir" {
  type        = string
  description = "Directory of the Lambda zips `make build` writes, one subdirectory per architecture (build/lambda): the stack deploys <dir>/<settings.lambda_architecture>/{authorizer,backend,revocation}.zip."
}

variable "templates_dir" {
  type        = string
  description = "Directory with one <group>.json.tftpl IAM policy template per group (policy_templates/)."
}
