variable "table_name" {
  type        = string
  description = "Name of the DynamoDB table holding one policy document per group."

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,255}$", var.table_name))
    error_message = "table_name must be 3-255 characters of letters, digits, '_', '-' or '.'."
  }
}

variable "group_policies" {
  type = map(object({
    precedence = number
    policy     = string
  }))
  description = "Policy item per group, keyed by group name: its precedence (the multi-group rule) and the rendered policy document."

  validation {
    condition     = alltrue([for g in values(var.group_policies) : can(jsondecode(g.policy).Statement)])
    error_message = "Every group_policies[*].policy must be an IAM policy JSON document with a Statement."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "Customer-managed KMS key for table encryption; null uses the AWS-owned key."
  default     = null
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse DeleteTable. Keep true outside throwaway environments."
  default     = true
}

variable "tags" {
  type        = map(string)
  description = "Tags for the table."
  default     = {}
}
