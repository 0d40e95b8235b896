variable "name" {
  type        = string
  description = "Name of the user pool; also the prefix of its app clients."

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,100}$", var.name))
    error_message = "name must be 1-100 characters of letters, digits, '_' or '-' (e.g. \"fga-dev\")."
  }
}

variable "sign_in_attributes" {
  type        = list(string)
  description = "Attributes users sign in with instead of a username: [\"email\"] (default), [\"phone_number\"], both, or [] for plain usernames."
  default     = ["email"]

  validation {
    condition     = alltrue([for a in var.sign_in_attributes : contains(["email", "phone_number"], a)])
    error_message = "sign_in_attributes may only contain \"email\" and/or \"phone_number\"."
  }
}

variable "password_policy" {
  type = object({
    minimum_length                   = optional(number, 12)
    require_lowercase                = optional(bool, true)
    require_uppercase                = optional(bool, true)
    require_numbers                  = optional(bool, true)
    require_symbols                  = optional(bool, true)
    temporary_password_validity_days = optional(number, 3)
  })
  description = "Password policy. The defaults follow current NIST-style guidance for a shared pool: 12+ characters, all classes."
  default     = {}

  validation {
    condition     = var.password_policy.minimum_length >= 8 && var.password_policy.minimum_length <= 99
    error_message = "password_policy.minimum_length must be between 8 and 99 (12 or more is recommended)."
  }
}

variable "mfa" {
  type        = string
  description = "MFA configuration: OFF, OPTIONAL (users may enrol a TOTP app; default) or ON (every user must)."
  default     = "OPTIONAL"

  validation {
    condition     = contains(["OFF", "OPTIONAL", "ON"], var.mfa)
    error_message = "mfa must be one of OFF, OPTIONAL, ON."
  }
}

variable "self_sign_up" {
  type        = bool
  description = "Allow users to sign themselves up. Off by default: an administrator creates users."
  default     = false
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse to delete the user pool (and its users) through the API. Keep true outside throwaway environments."
  default     = true
}

variable "email" {
  type = object({
    sending_account        = optional(string, "COGNITO_DEFAULT")
    source_arn             = optional(string)
    from_address           = optional(string)
    reply_to_email_address = optional(string)
  })
  description = "Email sender: COGNITO_DEFAULT (limited daily quota, fine for dev) or DEVELOPER with an SES identity ARN."
  default     = {}

  validation {
    condition = contains(["COGNITO_DEFAULT", "DEVELOPER"], var.email.sending_account) && (
      var.email.sending_account == "COGNITO_DEFAULT" || var.email.source_arn != null
    )
    error_message = "email.sending_account must be COGNITO_DEFAULT, or DEVELOPER together with email.source_arn (a verified SES identity ARN)."
  }
}

variable "custom_attributes" {
  type = map(object({
    type       = optional(string, "String")
    mutable    = optional(bool, true)
    min_length = optional(number, 0)
    max_length = optional(number, 256)
  }))
  description = "Custom attributes keyed by name (exposed as custom:<name>)."
  default     = {}

  validation {
    condition     = alltrue([for a in values(var.custom_attributes) : contains(["String", "Number"], a.type)])
    error_message = "custom_attributes[*].type must be String or Number."
  }
}

variable "required_attributes" {
  type        = list(string)
  description = "Standard attributes every user must have at sign-up (besides the sign-in attribute)."
  default     = ["email"]
}

variable "domain_prefix" {
  type        = string
  description = "Hosted UI domain prefix (<prefix>.auth.<region>.amazoncognito.com); null for no hosted UI."
  default     = null

  validation {
    condition     = var.domain_prefix == null || (can(regex("^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", coalesce(var.domain_prefix, "x"))) && !can(regex("aws|amazon|cognito", coalesce(var.domain_prefix, "x"))))
    error_message = "domain_prefix must be lowercase letters, digits and hyphens, not starting or ending with a hyphen, and must not contain \"aws\", \"amazon\" or \"cognito\"."
  }
}

variable "resource_server" {
  type = object({
    identifier = string
    name       = optional(string)
    scopes     = map(string)
  })
  description = "OAuth resource server for custom scopes: identifier (e.g. \"api\") and scope name => description."
  default     = null
}

variable "clients" {
  type = map(object({
    generate_secret               = optional(bool, false)
    allowed_oauth_flows           = optional(list(string), ["code"])
    allowed_oauth_scopes          = optional(list(string), ["openid", "email", "profile"])
    explicit_auth_flows           = optional(list(string), ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    callback_urls                 = optional(list(string), [])
    logout_urls                   = optional(list(string), [])
    access_token_validity_minutes = optional(number, 60)
    id_token_validity_minutes     = optional(number, 60)
    refresh_token_validity_days   = optional(number, 30)
    read_attributes               = optional(list(string))
    write_attributes              = optional(list(string))
  }))
  description = "App clients keyed by name. Public clients (no secret) for browsers and mobile apps use the code flow with PKCE; a confidential client (generate_secret) may use client_credentials with custom scopes."

  validation {
    condition = alltrue([
      for c in values(var.clients) : alltrue([for f in c.allowed_oauth_flows : contains(["code", "implicit", "client_credentials"], f)])
    ])
    error_message = "clients[*].allowed_oauth_flows may contain only code, implicit, client_credentials."
  }

  validation {
    condition     = alltrue([for c in values(var.clients) : !contains(c.allowed_oauth_flows, "client_credentials") || c.generate_secret])
    error_message = "A client using client_credentials must be confidential: set generate_secret = true."
  }

  validation {
    condition = alltrue(flatten([
      for c in values(var.clients) : [for u in c.callback_urls : can(regex("^https://", u)) || can(regex("^http://localhost(:[0-9]+)?/", u))]
    ]))
    error_message = "Callback URLs must use https:// (http:// is allowed only for localhost)."
  }

  validation {
    condition = alltrue([
      for c in values(var.clients) : c.access_token_validity_minutes >= 5 && c.access_token_validity_minutes <= 1440 && c.id_token_validity_minutes >= 5 && c.id_token_validity_minutes <= 1440
    ])
    error_message = "Access and ID token validity must be between 5 and 1440 minutes."
  }

  validation {
    condition = alltrue([
      for c in values(var.clients) : (c.read_attributes == null || length(coalesce(c.read_attributes, ["x"])) > 0) && (c.write_attributes == null || length(coalesce(c.write_attributes, ["x"])) > 0)
    ])
    error_message = "clients[*].read_attributes and write_attributes must list at least one attribute, or be left out (null: Cognito's default, every standard attribute). An empty list would mean Cognito's default too."
  }

  validation {
    condition = alltrue([
      for c in values(var.clients) : length(setintersection(coalesce(c.write_attributes, []), ["sub", "email_verified", "phone_number_verified"])) == 0
    ])
    error_message = "clients[*].write_attributes may not contain sub, email_verified or phone_number_verified: only Cognito (after verification) or an administrator sets them."
  }

  validation {
    condition = alltrue([
      for c in values(var.clients) : c.read_attributes == null || length(setsubtract(coalesce(c.write_attributes, []), coalesce(c.read_attributes, []))) == 0
    ])
    error_message = "clients[*].write_attributes must be a subset of read_attributes: a client should not write what it cannot read back."
  }
}

variable "verify_attribute_changes" {
  type        = bool
  description = "Keep a changed email (when it is auto-verified) unapplied until the user confirms the new address (UserAttributeUpdateSettings). On by default: turning it off lets a user put an unverified address in their tokens; the backend then ignores it (email_verified is false), but other consumers of the token may not."
  default     = true
}

variable "groups" {
  type = map(object({
    precedence  = number
    description = optional(string, "")
    role_arn    = optional(string)
  }))
  description = "User-pool groups keyed by name. Lower precedence wins when a user is in several groups (it decides cognito:preferred_role)."
  default     = {}
}

variable "tags" {
  type        = map(string)
  description = "Tags for every taggable resource."
  default     = {}
}
