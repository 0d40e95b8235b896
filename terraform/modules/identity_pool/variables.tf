variable "name" {
  type        = string
  description = "Name of the identity pool and prefix of its IAM roles."

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,40}$", var.name))
    error_message = "name must be 1-40 letters, digits, '_' or '-' (it prefixes IAM role names, which are limited to 64 characters)."
  }
}

variable "user_pool" {
  type = object({
    endpoint         = string
    client_id        = string
    extra_client_ids = optional(list(string), [])
  })
  description = "The user pool provider: its endpoint (cognito-idp.<region>.amazonaws.com/<pool id>) and the app client whose ID tokens are accepted; extra_client_ids: further app clients of the same pool (e.g. the verification client of `make verify`) whose ID tokens are accepted and mapped to roles by exactly the same rules."

  validation {
    condition     = !contains(var.user_pool.extra_client_ids, var.user_pool.client_id) && length(distinct(var.user_pool.extra_client_ids)) == length(var.user_pool.extra_client_ids)
    error_message = "user_pool.extra_client_ids must not repeat a client id or list user_pool.client_id again: each app client is one provider entry and one role mapping."
  }
}

variable "allow_unauthenticated_identities" {
  type        = bool
  description = "Guest (unauthenticated) identities. Must stay false: every route of this product requires a signed-in user, so the module has no unauthenticated role and refuses true."
  default     = false

  validation {
    condition     = !var.allow_unauthenticated_identities
    error_message = "Guest (unauthenticated) identities are not supported by this product: every route requires a signed-in user. Leave allow_unauthenticated_identities = false."
  }
}

variable "group_policies" {
  type = map(object({
    policy = string
  }))
  description = "One IAM role per user-pool group, keyed by group name; policy is the rendered policy_templates/<group>.json.tftpl document."

  validation {
    condition     = alltrue([for g in values(var.group_policies) : can(jsondecode(g.policy).Statement)])
    error_message = "Every group_policies[*].policy must be an IAM policy JSON document with a Statement."
  }
}

variable "user_pool_role_mapping" {
  type        = string
  description = "How user-pool users are mapped to roles. \"Rules\" (default, strict): one rule per group role on cognito:preferred_role, so a user gets only the role of its lowest-precedence group, the group the Lambda authorizer applies, and a user in no group gets no credentials. \"Token\": cognito:preferred_role by default, but a user in several groups may name any of its groups' roles as CustomRoleArn and act as that group in iam mode (a user in no group gets the deny-all default role)."
  default     = "Rules"

  validation {
    condition     = contains(["Rules", "Token"], var.user_pool_role_mapping)
    error_message = "user_pool_role_mapping must be \"Rules\" (the default: only the preferred role) or \"Token\" (callers may choose among their own groups' roles with CustomRoleArn)."
  }

  validation {
    condition     = var.user_pool_role_mapping != "Rules" || length(var.group_policies) <= 25
    error_message = "Rules mapping needs one rule per group and Cognito allows 25 rules per identity provider: with more than 25 groups, request a quota increase first or use \"Token\"."
  }
}

variable "oidc_providers" {
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
  description = "External OpenID Connect providers (e.g. Google) federated into the identity pool, keyed by name. Their users get the role of `group` through a Rules mapping: by default the rule `aud Equals <first client id>`; give `rules` to map on other claims. Users no rule matches are denied."
  default     = {}

  validation {
    condition     = alltrue([for p in values(var.oidc_providers) : can(regex("^https://", p.issuer_url)) && length(p.client_ids) > 0])
    error_message = "oidc_providers[*] needs an issuer_url (https://...) and at least one client id."
  }

  validation {
    condition     = alltrue([for p in values(var.oidc_providers) : contains(keys(var.group_policies), p.group)])
    error_message = "oidc_providers[*].group must name a group of group_policies (its role is what the provider's users get)."
  }

  validation {
    condition = alltrue(flatten([
      for p in values(var.oidc_providers) : [for r in p.rules : contains(["Equals", "Contains", "StartsWith", "NotEqual"], r.match_type)]
    ]))
    error_message = "oidc_providers[*].rules[*].match_type must be Equals, Contains, StartsWith or NotEqual."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags for every taggable resource."
  default     = {}
}
