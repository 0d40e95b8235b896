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

variable "github_repository_id" {
  type        = string
  description = "The repository's numeric id (gh api repos/<owner>/<name> --jq .id). It survives renames and cannot be reused by another repository, so the trust pins it instead of trusting the name alone."

  validation {
    condition     = can(regex("^[1-9][0-9]{0,19}$", var.github_repository_id))
    error_message = "github_repository_id must be the repository's numeric id, e.g. \"123456789\" (gh api repos/<owner>/<name> --jq .id)."
  }
}

variable "github_owner_id" {
  type        = string
  description = "The numeric id of the repository's owner, user or organisation (gh api repos/<owner>/<name> --jq .owner.id). Pinned through the customised OIDC subject (IAM has no condition key for it)."

  validation {
    condition     = can(regex("^[1-9][0-9]{0,19}$", var.github_owner_id))
    error_message = "github_owner_id must be the owner's numeric id, e.g. \"987654\" (gh api repos/<owner>/<name> --jq .owner.id)."
  }
}

variable "github_subject_format" {
  type        = string
  description = "The OIDC sub the roles expect: \"ids\" (default) needs the repository's subject template include_claim_keys = [repository_owner_id, repository_id, context, job_workflow_ref] (the gh_commands output sets it) and pins owner id, repository id, environment and workflow in sub itself; \"default\" accepts GitHub's default repo:<owner>/<name>:environment:<env> (weaker: the owner id is then not checked)."
  default     = "ids"

  validation {
    condition     = contains(["ids", "default"], var.github_subject_format)
    error_message = "github_subject_format must be \"ids\" (the customised subject, recommended) or \"default\" (GitHub's default subject)."
  }
}

variable "github_workflow" {
  type        = string
  description = "The reusable workflow that assumes the deploy roles, as a path in the repository. The trust pins the job_workflow_ref claim to it (and to the default branch for applies), so no other workflow of the repository can assume the roles."
  default     = ".github/workflows/terraform.yml"

  validation {
    condition     = can(regex("^\\.github/workflows/[A-Za-z0-9._-]+\\.ya?ml$", var.github_workflow))
    error_message = "github_workflow must be a workflow file path such as \".github/workflows/terraform.yml\"."
  }
}

variable "github_default_branch" {
  type        = string
  description = "The branch whose pushes deploy (deploy.yml runs on it). Apply roles accept only workflow runs of this branch; plan roles also accept pull-request merge refs (refs/pull/<n>/merge)."
  default     = "main"

  validation {
    condition     = can(regex("^[A-Za-z0-9._/-]{1,255}$", var.github_default_branch)) && !strcontains(var.github_default_branch, "*")
    error_message = "github_default_branch must be a branch name such as \"main\" (no wildcards)."
  }
}

variable "environments" {
  type = map(object({
    github_plan_environment   = optional(string)
    github_apply_environment  = optional(string)
    github_verify_environment = optional(string)
  }))
  description = <<-EOT
    Environments deployed to this account, keyed by name (dev, staging, prod). Each gets a plan role
    (read-only, assumable only from the GitHub environment `<env>-plan`), an apply role (assumable
    only from the GitHub environment `<env>`) and a verify role (`make verify` after the apply,
    assumable only from the GitHub environment `<env>-verify`). The apply role may manage only
    resources named with the environment's prefix: name_prefix in terraform/envs/<env>/config.json
    (default fga-<env>), the file the environment's stack reads too.
  EOT

  validation {
    condition     = length(var.environments) > 0 && alltrue([for k in keys(var.environments) : contains(["dev", "staging", "prod"], k)])
    error_message = "environments must name one or more of dev, staging, prod (the real environments under terraform/envs/); local needs no bootstrap."
  }

  validation {
    condition = alltrue([
      for e in values(var.environments) : alltrue([
        for name in compact([e.github_plan_environment, e.github_apply_environment, e.github_verify_environment]) : can(regex("^[A-Za-z0-9._-]{1,255}$", name))
      ])
    ])
    error_message = "GitHub environment names may only use letters, digits, '.', '_' and '-' here."
  }

  validation {
    condition = alltrue([
      for k, e in var.environments : length(distinct([
        coalesce(e.github_plan_environment, "${k}-plan"),
        coalesce(e.github_apply_environment, k),
        coalesce(e.github_verify_environment, "${k}-verify"),
      ])) == 3
    ])
    error_message = "An environment's plan, apply and verify roles need three different GitHub environments: the environment claim is what keeps one job from assuming another job's role (defaults: <env>-plan, <env>, <env>-verify)."
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

variable "saved_plan_days" {
  type        = number
  description = "Days a saved plan (<state key>.plans/*, from the pipeline's plan job) is kept in the state bucket. It is applied minutes after it is made; it embeds the state, so keep this short."
  default     = 2

  validation {
    condition     = var.saved_plan_days >= 1 && var.saved_plan_days <= 7 && floor(var.saved_plan_days) == var.saved_plan_days
    error_message = "saved_plan_days must be a whole number of days from 1 to 7."
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
