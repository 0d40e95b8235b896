variable "environment" {
  type        = string
  description = "Environment name: local, dev, staging or prod. Names resources and picks safe defaults (deletion protection off only for local)."

  validation {
    condition     = contains(["local", "dev", "staging", "prod"], var.environment)
    error_message = "environment must be one of: local, dev, staging, prod."
  }
}

variable "name_prefix" {
  type        = string
  description = "Prefix of every resource name; defaults to fga-<environment>."
  default     = null

  validation {
    condition     = var.name_prefix == null || can(regex("^[a-z][a-z0-9-]{1,20}$", coalesce(var.name_prefix, "x")))
    error_message = "name_prefix must be 2-21 lowercase letters, digits or '-', starting with a letter."
  }
}

variable "stage_name" {
  type        = string
  description = "API stage name; defaults to the environment name."
  default     = null
}

variable "lambda_zip_dir" {
  type        = string
  description = "Directory holding authorizer.zip and backend.zip built by `make build` for lambda_architecture (build/lambda/<arch>)."
}

variable "lambda_architecture" {
  type        = string
  description = "Lambda instruction set: arm64 (Graviton, cheaper) or x86_64 (local: the emulator runs the code on this machine)."
  default     = "arm64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.lambda_architecture)
    error_message = "lambda_architecture must be x86_64 or arm64."
  }
}

variable "templates_dir" {
  type        = string
  description = "Directory with one <group>.json.tftpl IAM policy template per group."
}

variable "groups" {
  type = map(object({
    precedence  = number
    description = optional(string, "")
  }))
  description = "User-pool groups keyed by name. Each needs policy_templates/<name>.json.tftpl. A user in several groups gets the policy of the one with the lowest precedence (in both iam and lambda modes), so precedences must be unique."

  validation {
    condition     = alltrue([for g in keys(var.groups) : fileexists("${var.templates_dir}/${g}.json.tftpl")])
    error_message = "Every group needs a policy template: create policy_templates/<group>.json.tftpl for each group in config.json (or remove the group)."
  }

  validation {
    condition     = length(distinct([for g in values(var.groups) : g.precedence])) == length(var.groups)
    error_message = "Group precedences must be unique: the lowest precedence decides a multi-group user's policy, and a tie would be ambiguous."
  }

  validation {
    condition     = alltrue([for g in keys(var.groups) : can(regex("^[A-Za-z0-9_-]{1,40}$", g))])
    error_message = "Group names must be 1-40 letters, digits, '_' or '-' (they name IAM roles and template files)."
  }
}

variable "routes" {
  type = map(object({
    path    = string
    method  = string
    auth    = string
    handler = string
    scopes  = optional(list(string), [])
  }))
  description = "API routes keyed by a stable name: path, method (or ANY), auth mode (iam | user_pool | lambda), handler (profiles | pets | news) and, for user_pool routes, required OAuth scopes."

  validation {
    condition     = alltrue([for r in values(var.routes) : contains(["iam", "user_pool", "lambda"], r.auth)])
    error_message = "Every route's auth must be one of: iam, user_pool, lambda."
  }

  validation {
    condition     = alltrue([for r in values(var.routes) : contains(["profiles", "pets", "news"], r.handler)])
    error_message = "Every route's handler must be one of the backend functions: profiles, pets, news."
  }
}

variable "user_pool" {
  type = object({
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
    confidential_client = optional(bool, false)
  })
  description = "User pool options (scenario S6). Safe defaults: email sign-in, 12+ character passwords, optional TOTP MFA, recovery by verified email, admin-only sign-up, and email as a required attribute. allow_password_auth enables USER_PASSWORD_AUTH on the web client (the local stack's demo sign-in; keep it off in real environments, SRP is the default)."
  default     = {}
}

variable "deletion_protection" {
  type        = bool
  description = "Deletion protection of the stateful resources (user pool, policy and records tables). null (default) means on everywhere except the throwaway local environment; set false explicitly to turn it off."
  default     = null
}

variable "external_providers" {
  type = map(object({
    issuer_url  = string
    client_ids  = list(string)
    group       = string
    thumbprints = optional(list(string), [])
    rules = optional(list(object({
      claim      = string
      match_type = string
      value      = string
    })), [])
  }))
  description = "External OIDC IdPs (e.g. Google, https://accounts.google.com) federated into the identity pool; their users get the role of `group`."
  default     = {}

  validation {
    condition     = alltrue([for p in values(var.external_providers) : contains(keys(var.groups), p.group)])
    error_message = "external_providers[*].group must name a group declared in groups."
  }
}

variable "identity_pool" {
  type = object({
    user_pool_role_mapping = optional(string, "Rules")
  })
  description = "Identity-pool settings: user_pool_role_mapping, how user-pool users get their iam-mode role. \"Rules\" (default, strict): only the role of the lowest-precedence group, the group the Lambda authorizer applies; a user in no group gets no credentials. \"Token\" (option): a user in several groups may pick any of its groups' roles with CustomRoleArn and act as that group in iam mode. docs/architecture.md, \"Multi-group rule\"."
  default     = {}

  validation {
    condition     = contains(["Rules", "Token"], var.identity_pool.user_pool_role_mapping)
    error_message = "identity_pool.user_pool_role_mapping must be \"Rules\" (default: only the preferred role) or \"Token\" (callers may choose among their own groups' roles with CustomRoleArn)."
  }
}

variable "cors_allow_origin" {
  type        = string
  description = "The origin of the web app allowed to call the API (e.g. https://app.example.com)."
}

variable "authorizer" {
  type = object({
    token_use            = optional(string, "access")
    result_ttl_seconds   = optional(number, 300)
    policy_cache_seconds = optional(number, 60)
    jwks_cache_seconds   = optional(number, 3600)
    jwks_origin          = optional(string)
  })
  description = "Lambda authorizer settings: token_use (access or id); result_ttl_seconds, how long API Gateway caches the authorizer's answer per token (0 = no cache, at most 3600; it never looks at the token's exp); policy_cache_seconds, how long the function caches a group's policy item (0 = read on every decision); jwks_cache_seconds; jwks_origin, the scheme+host serving <pool id>/.well-known/jwks.json when it is not the issuer's (the local emulator). The windows these bound: docs/architecture.md, \"Authorizer cache window\"."
  default     = {}

  validation {
    condition     = contains(["access", "id"], var.authorizer.token_use)
    error_message = "authorizer.token_use must be \"access\" or \"id\"."
  }

  validation {
    condition     = var.authorizer.result_ttl_seconds >= 0 && var.authorizer.result_ttl_seconds <= 3600 && floor(var.authorizer.result_ttl_seconds) == var.authorizer.result_ttl_seconds
    error_message = "authorizer.result_ttl_seconds must be a whole number of seconds from 0 (no cache: the authorizer runs on every request) to 3600 (API Gateway's maximum); 300 is the default."
  }

  validation {
    condition     = var.authorizer.policy_cache_seconds >= 0 && var.authorizer.policy_cache_seconds <= 3600 && floor(var.authorizer.policy_cache_seconds) == var.authorizer.policy_cache_seconds
    error_message = "authorizer.policy_cache_seconds must be a whole number of seconds from 0 (read the policy table on every decision) to 3600; 60 is the default."
  }

  validation {
    condition     = var.authorizer.jwks_cache_seconds >= 1 && var.authorizer.jwks_cache_seconds <= 86400 && floor(var.authorizer.jwks_cache_seconds) == var.authorizer.jwks_cache_seconds
    error_message = "authorizer.jwks_cache_seconds must be a whole number of seconds from 1 to 86400 (3600 is the default)."
  }
}

variable "throttling" {
  type = object({
    burst_limit = optional(number, 100)
    rate_limit  = optional(number, 50)
  })
  description = "Stage-wide API throttling."
  default     = {}
}

variable "execution_logging_level" {
  type        = string
  description = "API Gateway execution logging level (OFF, ERROR, INFO); needs the account CloudWatch role set by terraform/bootstrap."
  default     = "ERROR"
}

variable "log_retention_days" {
  type        = number
  description = "Retention of every log group (Lambda and API access logs)."
  default     = 365
}

variable "web_acl_arn" {
  type        = string
  description = "Optional WAFv2 web ACL for the API stage."
  default     = null
}

variable "tags" {
  type        = map(string)
  description = "Extra tags for every resource."
  default     = {}
}
