data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  environment = var.settings.environment
  prefix      = coalesce(var.settings.name_prefix, "fga-${local.environment}")
  stage_name  = coalesce(var.settings.stage_name, local.environment)
  account_id  = data.aws_caller_identity.current.account_id
  region      = data.aws_region.current.name
  # Stateful resources are protected everywhere but the throwaway local environment, unless the env
  # says otherwise explicitly.
  deletion_protection = var.settings.deletion_protection == null ? local.environment != "local" : var.settings.deletion_protection
  tags                = merge({ "fga:environment" = local.environment, "fga:managed-by" = "terraform" }, var.settings.tags)
  user_pool           = var.settings.user_pool
  authorizer          = var.settings.authorizer
  lambda_zip_dir      = "${var.lambda_build_dir}/${var.settings.lambda_architecture}"
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
      {
        # CloudWatch alarms publish to the encrypted alarm topic (terraform/modules/monitoring).
        Sid       = "CloudWatchAlarmsPublish"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
        }
      },
    ]
  })
}

resource "aws_kms_key" "this" {
  description             = "${local.prefix}: DynamoDB tables, log groups, Lambda environment and the alarm topic"
  enable_key_rotation     = true
  deletion_window_in_days = local.environment == "local" ? 7 : 30
  policy                  = local.kms_policy
  tags                    = local.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${local.prefix}"
  target_key_id = aws_kms_key.this.key_id
}
