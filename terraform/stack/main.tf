data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  prefix     = coalesce(var.name_prefix, "fga-${var.environment}")
  stage_name = coalesce(var.stage_name, var.environment)
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  # Stateful resources are protected everywhere but the throwaway local environment, unless the env
  # says otherwise explicitly.
  deletion_protection = var.deletion_protection == null ? var.environment != "local" : var.deletion_protection
  tags                = merge({ "fga:environment" = var.environment, "fga:managed-by" = "terraform" }, var.tags)

  # The backend functions: one code base (backend.zip), one function per handler, each allowed only
  # its own partitions of the records table (dynamodb:LeadingKeys).
  backends = {
    profiles = {
      handler      = "profiles.handler"
      description  = "Per-caller profile records (S1-S3): keyed by the verified identity only."
      actions      = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
      leading_keys = ["identity#*", "sub#*"]
    }
    pets = {
      handler      = "pets.handler"
      description  = "Pet store (S4)."
      actions      = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query"]
      leading_keys = ["pets"]
    }
    news = {
      handler      = "news.handler"
      description  = "News (S5): anyone with a policy for GET reads, admins delete."
      actions      = ["dynamodb:Query", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"]
      leading_keys = ["news"]
    }
  }
}

# One customer-managed key per environment for tables, log groups and Lambda environment variables.
locals {
  kms_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministers"
        Effect    = "Allow"
        Principal = { AWS = "arn:${data.aws_partition.current.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*" # in a key policy, "*" is the key itself
      },
      {
        Sid       = "CloudWatchLogsEncrypts"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.amazonaws.com" }
        Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = {
          ArnLike = { "kms:EncryptionContext:aws:logs:arn" = "arn:${data.aws_partition.current.partition}:logs:${local.region}:${local.account_id}:log-group:*" }
        }
      },
    ]
  })
}

resource "aws_kms_key" "this" {
  description             = "${local.prefix}: DynamoDB tables, log groups and Lambda environment"
  enable_key_rotation     = true
  deletion_window_in_days = var.environment == "local" ? 7 : 30
  policy                  = local.kms_policy
  tags                    = local.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${local.prefix}"
  target_key_id = aws_kms_key.this.key_id
}
