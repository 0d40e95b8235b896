# The bootstrap is its own root: apply it once per AWS account, before any environment, with an
# administrator's credentials. It starts with local state (see README.md for moving it to S3).
terraform {
  required_version = ">= 1.9.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100.0, < 6.0.0"
    }
  }
}

provider "aws" {
  region = var.region
  # Refuse to touch any other account than the one named in the variables.
  allowed_account_ids = [var.account_id]

  default_tags {
    tags = merge(var.tags, {
      "fga:managed-by" = "terraform/bootstrap"
      "fga:repository" = var.github_repository
    })
  }
}
