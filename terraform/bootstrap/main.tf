data "aws_partition" "current" {}

locals {
  partition         = data.aws_partition.current.partition
  state_bucket_name = coalesce(var.state_bucket_name, "fga-tfstate-${var.account_id}-${var.region}")
  log_bucket_name   = "${substr(local.state_bucket_name, 0, 58)}-logs"
  account_root      = "arn:${local.partition}:iam::${var.account_id}:root"
  # The account's API Gateway logging role (apigateway.tf).
  apigateway_logs_role_name = "fga-apigateway-cloudwatch-logs"

  # Per environment: the state object and its S3-native lock object (use_lockfile = true).
  state_keys = { for env in keys(var.environments) : env => "${var.state_key_prefix}/${env}.tfstate" }

  # Per environment: the prefix of its resource names, read from the same config.json the
  # environment's root passes to the stack (name_prefix, default fga-<env>), so the deploy roles are
  # scoped to exactly the names the stack creates.
  name_prefixes = {
    for env in keys(var.environments) : env => coalesce(try(jsondecode(file("${path.module}/../envs/${env}/config.json")).name_prefix, null), "fga-${env}")
  }
}

# One customer-managed key for the state: rotation on, usable only by this account's principals
# whose IAM policies allow it (the deploy roles below, administrators).
data "aws_iam_policy_document" "state_key" {
  # A key policy's Resource "*" is the key itself, and this statement is AWS's default key policy: it
  # delegates access to IAM policies of the account (the deploy roles get only Encrypt/Decrypt).
  # checkov:skip=CKV_AWS_109:Key policy: "*" is this key; access is delegated to the account's IAM policies.
  # checkov:skip=CKV_AWS_111:Key policy: "*" is this key; access is delegated to the account's IAM policies.
  # checkov:skip=CKV_AWS_356:Key policy: "*" is this key; access is delegated to the account's IAM policies.
  statement {
    sid       = "AccountAdministersThroughIam"
    actions   = ["kms:*"]
    resources = ["*"] # in a key policy, "*" is this key

    principals {
      type        = "AWS"
      identifiers = [local.account_root]
    }
  }
}

resource "aws_kms_key" "state" {
  description             = "Terraform state of ${var.github_repository} (${join(", ", sort(keys(var.environments)))})"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.state_key.json
}

resource "aws_kms_alias" "state" {
  name          = "alias/fga-tfstate"
  target_key_id = aws_kms_key.state.key_id
}
