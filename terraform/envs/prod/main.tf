# The prod environment. Backend settings come from -backend-config (see docs/deploying.md):
#   terraform -chdir=terraform/envs/prod init -backend-config=bucket=<state bucket> \
#     -backend-config=key=fga/prod.tfstate -backend-config=region=<region>
terraform {
  required_version = ">= 1.9.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100.0, < 6.0.0"
    }
  }

  backend "s3" {
    # No `encrypt = true`: without a kms_key_id it makes Terraform send `x-amz-server-side-encryption:
    # AES256` on every write, replacing the bucket's default SSE-KMS with the state key (bootstrap)
    # by SSE-S3. Without it, the state and its lock get the bucket default; the bucket refuses AES256.
    use_lockfile = true
  }
}

locals {
  config = jsondecode(file("${path.module}/config.json"))
}

provider "aws" {
  region = local.config.region
  # Refuse to touch any account but the one this environment belongs to.
  allowed_account_ids = [local.config.account_id]

  default_tags {
    tags = {
      "fga:environment" = local.config.environment
      "fga:repository"  = "cognito-fine-grained-access"
    }
  }
}

module "stack" {
  source = "../../stack"

  environment         = local.config.environment
  lambda_architecture = local.config.lambda_architecture
  lambda_zip_dir      = "${path.module}/../../../build/lambda/${local.config.lambda_architecture}"
  templates_dir       = "${path.module}/../../../policy_templates"
  cors_allow_origin   = local.config.cors_allow_origin
  deletion_protection = try(local.config.deletion_protection, null)
  user_pool           = local.config.user_pool
  groups              = local.config.groups
  routes              = local.config.routes
  external_providers  = local.config.external_providers
  identity_pool       = try(local.config.identity_pool, {})
}
