variable "name" {
  type        = string
  description = "Function name."

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.name))
    error_message = "name must be 1-64 letters, digits, '_' or '-'."
  }
}

variable "description" {
  type        = string
  description = "What the function does."
  default     = ""
}

variable "zip_path" {
  type        = string
  description = "Path of the deployment zip built by `make build` (build/lambda/<arch>/<code>.zip). Terraform only reads it."

  validation {
    condition     = fileexists(var.zip_path)
    error_message = "The Lambda zip does not exist: run `make build ENV=<env>` first (it writes build/lambda/<arch>/*.zip)."
  }
}

variable "handler" {
  type        = string
  description = "module.function entry point inside the zip."
}

variable "architecture" {
  type        = string
  description = "Instruction set the zip was built for: x86_64 or arm64."
  default     = "arm64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64 (and match the zip: make build builds for the env's lambda_architecture)."
  }
}

variable "memory_mb" {
  type        = number
  description = "Memory in MB (CPU scales with it)."
  default     = 256
}

variable "timeout_seconds" {
  type        = number
  description = "Timeout in seconds. API Gateway gives up after 29 s, so more is pointless for API handlers."
  default     = 10

  validation {
    condition     = var.timeout_seconds >= 1 && var.timeout_seconds <= 29
    error_message = "timeout_seconds must be between 1 and 29 (API Gateway's integration timeout)."
  }
}

variable "reserved_concurrency" {
  type        = number
  description = "Reserved concurrency; -1 for none (the account pool)."
  default     = -1
}

variable "environment" {
  type        = map(string)
  description = "Environment variables. Never secrets: they are readable by anyone who can read the function configuration."
  default     = {}
}

variable "policy_statements" {
  type = map(object({
    actions   = list(string)
    resources = list(string)
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))
  description = "Extra IAM statements for the function's role, keyed by Sid. Scope resources to ARNs; '*' is rejected."
  default     = {}

  validation {
    condition     = alltrue([for sid in keys(var.policy_statements) : can(regex("^[A-Za-z0-9]+$", sid))])
    error_message = "policy_statements keys become IAM Sids: letters and digits only."
  }

  validation {
    condition     = length(setintersection(keys(var.policy_statements), ["WriteOwnLogs", "XRay", "DecryptEnvironment", "DecryptTablesViaDynamoDB", "SendToDeadLetterQueue"])) == 0
    error_message = "WriteOwnLogs, XRay, DecryptEnvironment, DecryptTablesViaDynamoDB and SendToDeadLetterQueue are the module's own statements and cannot be replaced: choose another key."
  }

  validation {
    condition     = alltrue([for s in values(var.policy_statements) : length([for a in s.actions : a if startswith(lower(a), "kms:")]) == 0])
    error_message = "policy_statements may not grant kms: actions: the module grants kms:Decrypt itself, scoped by encryption context (kms_key_arn, encrypted_tables)."
  }

  validation {
    condition     = alltrue(flatten([for s in values(var.policy_statements) : [for r in s.resources : r != "*"]]))
    error_message = "policy_statements must name resource ARNs; \"*\" is not allowed."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the function's log group."
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, ...)."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key for the log group and the environment variables; null for AWS-managed keys. The role may decrypt with it only its own environment (encryption context aws:lambda:FunctionArn, via Lambda) and the encrypted_tables (via DynamoDB)."
  default     = null
}

variable "encrypted_tables" {
  type        = list(string)
  description = "Names of the DynamoDB tables encrypted with kms_key_arn that the function reads or writes: the role may kms:Decrypt through DynamoDB for these tables only (encryption context aws:dynamodb:tableName)."
  default     = []

  validation {
    condition     = alltrue([for t in var.encrypted_tables : can(regex("^[A-Za-z0-9_.-]{3,255}$", t))])
    error_message = "encrypted_tables must hold DynamoDB table names (3-255 letters, digits, '_', '.' or '-'), not ARNs."
  }

  validation {
    condition     = length(var.encrypted_tables) == 0 || var.kms_key_arn != null
    error_message = "encrypted_tables needs kms_key_arn: tables encrypted with an AWS-managed key need no KMS permission."
  }
}

variable "tracing" {
  type        = bool
  description = "X-Ray active tracing."
  default     = true
}

variable "dead_letter_queue_arn" {
  type        = string
  description = "SQS queue that receives asynchronous invocations that failed every retry (EventBridge, S3, ...); the role may sqs:SendMessage to it. null: none (a synchronously invoked function returns its errors to the caller)."
  default     = null

  validation {
    condition     = var.dead_letter_queue_arn == null || can(regex("^arn:aws[a-z-]*:sqs:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,80}$", coalesce(var.dead_letter_queue_arn, "x")))
    error_message = "dead_letter_queue_arn must be an SQS queue ARN (arn:aws:sqs:<region>:<account>:<name>)."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags for every taggable resource."
  default     = {}
}
