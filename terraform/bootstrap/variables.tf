variable "account_id" {
  type        = string
  description = "The AWS account to bootstrap (12 digits). The provider refuses any other account."

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be the 12-digit AWS account id, e.g. \"111111111111\"."
  }
}

variable "region" {
  type        = string
  description = "Region of the state bucket and of the environments deployed to this account."

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.region))
    error_message = "region must be an AWS region name such as \"us-east-1\"."
  }
}

variable "github_repository" {
  type        = string
  description = "The GitHub repository allowed to assume the deploy roles, as owner/name."

  validation {
    condition     = can(regex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$", var.github_repository))
    error_message = "github_repository must be \"owner/name\" exactly as GitHub spells it, e.g. \"acme/cognito-fine-grained-access\"."
  }
}

variable "environments" {
  type = map(object({
    github_plan_environment  = optional(string)
    github_apply_environment = optional(string)
  }))
  description = <<-EOT
    Environments deployed to this account, keyed by name (dev, staging, prod). Each gets a plan role
    (read-only, assumable only from the GitHub environment `<env>-plan`) and an apply role (assumable
    only from the GitHub environment `<env>`). The apply role may manage only resources named with the
    environment's prefix: name_prefix in terraform/envs/<env>/config.json (default fga-<env>), the
    file the environment's stack reads too.
  EOT

  validation {
    condition     = length(var.environments) > 0 && alltrue([for k in keys(var.environments) : contains(["dev", "staging", "prod"], k)])
    error_message = "environments must name one or more of dev, staging, prod (the real environments under terraform/envs/); local needs no bootstrap."
  }

  validation {
    condition = alltrue([
      for e in values(var.environments) : alltrue([
        for name in compact([e.github_plan_environment, e.github_apply_environment]) : can(regex("^[A-Za-z0-9._-]{1,255}$", name))
      ])
    ])
    error_message = "GitHub environment names may only use letters, digits, '.', '_' and '-' here."
  }
}

variable "state_bucket_name" {
  type        = string
  description = "Name of the Terraform state bucket; default fga-tfstate-<account_id>-<region> (globally unique by construction)."
  default     = null

  validation {
    condition     = var.state_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", coalesce(var.state_bucket_name, "xxx")))
    error_message = "state_bucket_name must be a valid S3 bucket name: 3-63 lowercase letters, digits, '.' or '-'."
  }
}

variable "state_key_prefix" {
  type        = string
  description = "Prefix of the state objects: environment <env> keeps its state at <prefix>/<env>.tfstate (the Makefile's TF_STATE_KEY default)."
  default     = "fga"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9/_-]*[a-z0-9]$", var.state_key_prefix))
    error_message = "state_key_prefix must be lowercase letters, digits, '/', '_' or '-', e.g. \"fga\"."
  }
}

variable "noncurrent_version_days" {
  type        = number
  description = "Days a replaced state version is kept before it expires (versions are the state's undo history)."
  default     = 90

  validation {
    condition     = var.noncurrent_version_days >= 30
    error_message = "Keep replaced state versions at least 30 days (noncurrent_version_days >= 30)."
  }
}

variable "access_log_days" {
  type        = number
  description = "Days the state bucket's S3 server access logs are kept."
  default     = 365

  validation {
    condition     = var.access_log_days >= 90
    error_message = "Keep state access logs at least 90 days (access_log_days >= 90)."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource of the bootstrap."
  default     = {}
}
