# The local environment: the whole stack applied against the embedded emulator (make up / make test).
# State is local and throwaway: the emulator keeps everything in memory, so each run starts fresh.
terraform {
  required_version = ">= 1.9.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100.0, < 6.0.0"
    }
  }

  backend "local" {}
}

variable "emulator_url" {
  type        = string
  description = "Base URL of the embedded AWS emulator started by `python -m local up` (http://127.0.0.1:<port>)."

  validation {
    condition     = can(regex("^http://(127\\.0\\.0\\.1|localhost):[0-9]+$", var.emulator_url))
    error_message = "emulator_url must be the loopback URL the local stack printed, e.g. http://127.0.0.1:4566 (no trailing slash)."
  }
}

variable "local_idp_issuer" {
  type        = string
  description = "Issuer URL of the local OIDC IdP the emulator runs (the handle's oidc_issuer): https and without a port, as IAM OIDC providers require."

  validation {
    condition     = can(regex("^https://[^/:]+/", var.local_idp_issuer))
    error_message = "local_idp_issuer must be the https URL the local stack printed, e.g. https://127.0.0.1/_local/oidc/4566."
  }
}

variable "console_origin" {
  type        = string
  description = "Origin of the local browser console (http://localhost:<port>) that `python -m local up` serves: it becomes the API's CORS origin and gets a callback (<origin>/callback) and sign-out (<origin>/) URL on the web client. null: config.json's cors_allow_origin and URLs only."
  default     = null

  validation {
    condition     = var.console_origin == null || can(regex("^http://localhost:[0-9]+$", var.console_origin))
    error_message = "console_origin must be http://localhost:<port> (no trailing slash): Cognito accepts plain-http callback URLs only on localhost."
  }
}

locals {
  config = jsondecode(file("${path.module}/config.json"))
  access = jsondecode(file("${path.module}/../../../policy_templates/access_model.json"))

  # The console's origin goes through the same settings a real environment uses for its web app:
  # a callback and sign-out URL on the web client here, the API's CORS origin below.
  user_pool = var.console_origin == null ? local.config.user_pool : merge(local.config.user_pool, {
    callback_urls = concat(local.config.user_pool.callback_urls, ["${var.console_origin}/callback"])
    logout_urls   = concat(local.config.user_pool.logout_urls, ["${var.console_origin}/"])
  })
}

provider "aws" {
  region                      = local.config.region
  access_key                  = "test"
  secret_key                  = "test"
  allowed_account_ids         = [local.config.account_id]
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true

  # moto serves buckets by path, not by virtual host.
  s3_use_path_style = true

  endpoints {
    apigateway      = var.emulator_url
    cloudtrail      = var.emulator_url
    cloudwatch      = var.emulator_url
    cloudwatchlogs  = var.emulator_url
    cognitoidentity = var.emulator_url
    cognitoidp      = var.emulator_url
    dynamodb        = var.emulator_url
    events          = var.emulator_url
    iam             = var.emulator_url
    kms             = var.emulator_url
    lambda          = var.emulator_url
    s3              = var.emulator_url
    sns             = var.emulator_url
    sqs             = var.emulator_url
    sts             = var.emulator_url
    wafv2           = var.emulator_url
  }
}

module "stack" {
  source = "../../stack"

  # config.json, plus what only the running stack knows.
  settings = merge(local.config, {
    cors_allow_origin = coalesce(var.console_origin, local.config.cors_allow_origin)
    user_pool         = local.user_pool
    # moto serves each pool's keys at <emulator>/<pool id>/.well-known/jwks.json while tokens keep the
    # real-looking https://cognito-idp.<region>.amazonaws.com/<pool id> issuer.
    authorizer = merge(try(local.config.authorizer, {}), { jwks_origin = var.emulator_url })
    # The local OIDC issuer (served by the emulator) stands in for Google: registered exactly like the
    # real provider is in dev/prod, as an IAM OIDC provider federated into the identity pool.
    external_providers = merge(try(local.config.external_providers, {}), {
      local-idp = merge(local.config.local_idp, { issuer_url = var.local_idp_issuer })
    })
  })
  access           = local.access
  lambda_build_dir = "${path.module}/../../../build/lambda"
  templates_dir    = "${path.module}/../../../policy_templates"
}
