variable "name" {
  type        = string
  description = "Name of the REST API."
}

variable "stage_name" {
  type        = string
  description = "Stage name: the first path segment of every URL and part of every execute-api ARN."

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,128}$", var.stage_name))
    error_message = "stage_name must be 1-128 letters, digits, '_' or '-'."
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
  description = "Routes keyed by a stable name: path (\"/petstore/v1/pets/{id}\"), HTTP method or ANY, auth mode (iam | user_pool | lambda), handler (a key of var.handlers) and, for user_pool routes, the OAuth scopes an access token must carry."

  validation {
    condition     = alltrue([for k in keys(var.routes) : can(regex("^[A-Za-z0-9_-]{1,90}$", k))])
    error_message = "Route names must be 1-90 letters, digits, '_' or '-' (they name Lambda permission statements)."
  }

  validation {
    condition     = alltrue([for r in values(var.routes) : contains(["iam", "user_pool", "lambda"], r.auth)])
    error_message = "Every route's auth must be one of: iam (SigV4 with identity-pool credentials), user_pool (Cognito user-pool authorizer), lambda (the JWT Lambda authorizer)."
  }

  validation {
    condition     = alltrue([for r in values(var.routes) : contains(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "ANY"], r.method)])
    error_message = "Every route's method must be GET, POST, PUT, PATCH, DELETE, HEAD or ANY (OPTIONS is generated for CORS)."
  }

  validation {
    condition     = alltrue([for r in values(var.routes) : can(regex("^/([A-Za-z0-9._~-]+|\\{[A-Za-z0-9_]+\\+?\\})(/([A-Za-z0-9._~-]+|\\{[A-Za-z0-9_]+\\+?\\}))*$", r.path)) && length(split("/", r.path)) <= 7])
    error_message = "Every route's path must look like /a/b/{param} or /a/{proxy+}: no trailing slash, at most 6 segments."
  }

  validation {
    condition     = alltrue([for r in values(var.routes) : r.auth == "user_pool" || length(r.scopes) == 0])
    error_message = "scopes can only be set on user_pool routes (API Gateway checks them against the access token)."
  }

  validation {
    condition     = alltrue([for r in values(var.routes) : contains(keys(var.handlers), r.handler)])
    error_message = "Every route's handler must be a key of var.handlers (the backend functions)."
  }

  validation {
    condition     = var.lambda_authorizer != null || alltrue([for r in values(var.routes) : r.auth != "lambda"])
    error_message = "Routes with auth = \"lambda\" need var.lambda_authorizer."
  }

  validation {
    condition     = length(var.user_pool_arns) > 0 || alltrue([for r in values(var.routes) : r.auth != "user_pool"])
    error_message = "Routes with auth = \"user_pool\" need at least one entry in var.user_pool_arns."
  }

  validation {
    condition     = length(distinct([for r in values(var.routes) : "${r.method} ${r.path}"])) == length(var.routes)
    error_message = "Two routes have the same method and path; each method+path must appear once."
  }
}

variable "handlers" {
  type = map(object({
    function_name = string
    invoke_arn    = string
  }))
  description = "Backend Lambda functions keyed by the handler name routes refer to."
}

variable "lambda_authorizer" {
  type = object({
    function_name                  = string
    invoke_arn                     = string
    result_ttl_seconds             = optional(number, 300)
    identity_validation_expression = optional(string)
  })
  description = "The TOKEN Lambda authorizer used by lambda routes. API Gateway caches its answer per token (and stage) for result_ttl_seconds without looking at the token's exp (0 disables the cache; 3600 is the maximum)."
  default     = null

  validation {
    condition     = var.lambda_authorizer == null || (try(var.lambda_authorizer.result_ttl_seconds, 0) >= 0 && try(var.lambda_authorizer.result_ttl_seconds, 0) <= 3600 && floor(try(var.lambda_authorizer.result_ttl_seconds, 0)) == try(var.lambda_authorizer.result_ttl_seconds, 0))
    error_message = "lambda_authorizer.result_ttl_seconds must be a whole number of seconds from 0 (no cache) to 3600 (API Gateway's maximum)."
  }
}

variable "user_pool_arns" {
  type        = list(string)
  description = "User pools the COGNITO_USER_POOLS authorizer accepts tokens from."
  default     = []
}

variable "cors_allow_origin" {
  type        = string
  description = "The one origin browsers may call the API from (Access-Control-Allow-Origin), e.g. https://app.example.com. \"*\" is refused: the API takes credentials."

  validation {
    condition     = var.cors_allow_origin != "*" && can(regex("^https?://[^/]+$", var.cors_allow_origin))
    error_message = "cors_allow_origin must be a single origin like https://app.example.com (no path, not \"*\")."
  }
}

variable "throttling" {
  type = object({
    burst_limit = optional(number, 100)
    rate_limit  = optional(number, 50)
  })
  description = "Stage-wide throttling (requests per second and burst)."
  default     = {}
}

variable "execution_logging_level" {
  type        = string
  description = "API Gateway execution logging: OFF, ERROR or INFO. Needs the account-level CloudWatch role (terraform/bootstrap sets it). Full request/response data tracing is never enabled: it would log tokens."
  default     = "ERROR"

  validation {
    condition     = contains(["OFF", "ERROR", "INFO"], var.execution_logging_level)
    error_message = "execution_logging_level must be OFF, ERROR or INFO."
  }
}

variable "access_log_retention_days" {
  type        = number
  description = "Retention of the access log group."
  default     = 365
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key for the access log group; null for the service key."
  default     = null
}

variable "web_acl_arn" {
  type        = string
  description = "WAFv2 web ACL to associate with the stage; null for none."
  default     = null
}

variable "tags" {
  type        = map(string)
  description = "Tags for every taggable resource."
  default     = {}
}
