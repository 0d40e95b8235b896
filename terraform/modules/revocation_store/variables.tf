variable "table_name" {
  type        = string
  description = "Name of the revocation table (one record per user whose tokens were revoked)."

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,255}$", var.table_name))
    error_message = "table_name must be 3-255 characters of letters, digits, '_', '-' or '.'."
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
