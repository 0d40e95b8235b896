# A real environment: dev, staging and prod use this same file (the directory names the environment).
# Everything that differs per environment is in config.json beside it; the access model (groups,
# handlers, OAuth scopes, routes) is policy_templates/access_model.json, the same for every
# environment. Backend settings come from -backend-config (see docs/deploying.md):
#   terraform -chdir=terraform/envs/<env> init -backend-config=bucket=<state bucket> \
#     -backend-config=key=fga/<env>.tfstate -backend-config=region=<region>
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
  access = jsondecode(file("${path.module}/../../../policy_templates/access_model.json"))
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

  settings         = local.config
  access           = local.access
  lambda_build_dir = "${path.module}/../../../build/lambda"
  templates_dir    = "${path.module}/../../../policy_templates"
}
