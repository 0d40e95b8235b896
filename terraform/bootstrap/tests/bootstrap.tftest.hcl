# Plan/apply-level tests with a mocked provider (no AWS account): who may assume the deploy roles,
# how the state bucket is protected, and that bad inputs are refused. Run by tests/policy/test_bootstrap.py.
mock_provider "aws" {
  mock_resource "aws_iam_openid_connect_provider" {
    defaults = {
      arn = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"
    }
  }
  mock_resource "aws_s3_bucket" {
    defaults = {
      arn = "arn:aws:s3:::fga-tfstate-111111111111-us-east-1"
    }
  }
  mock_resource "aws_kms_key" {
    defaults = {
      arn = "arn:aws:kms:us-east-1:111111111111:key/00000000-0000-0000-0000-000000000000"
    }
  }
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

# The API Gateway account settings validate the role ARN they are given.
override_resource {
  target = aws_iam_role.apigateway_cloudwatch
  values = {
    arn = "arn:aws:iam::111111111111:role/fga-apigateway-cloudwatch-logs"
  }
}

variables {
  account_id           = "111111111111"
  region               = "us-east-1"
  github_repository    = "acme/cognito-fine-grained-access"
  github_repository_id = "123456789"
  github_owner_id      = "987654"
  environments = {
    dev  = {}
    prod = { github_apply_environment = "production" }
  }
}

run "roles_trust_only_this_repository_in_one_github_environment" {
  command = apply

  assert {
    condition     = toset(keys(aws_iam_role.deploy)) == toset(["dev-plan", "dev-apply", "dev-verify", "prod-plan", "prod-apply", "prod-verify"])
    error_message = "Each environment needs exactly a plan, an apply and a verify role."
  }

  assert {
    condition = alltrue([
      for key, env in {
        "dev-plan"    = "dev-plan"
        "dev-apply"   = "dev"
        "dev-verify"  = "dev-verify"
        "prod-plan"   = "prod-plan"
        "prod-apply"  = "production"
        "prod-verify" = "prod-verify"
      } : jsondecode(aws_iam_role.deploy[key].assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:environment"] == env
    ])
    error_message = "A deploy role's trust must pin the environment claim to its GitHub environment."
  }

  assert {
    condition = jsondecode(aws_iam_role.deploy["prod-apply"].assume_role_policy).Statement[0].Condition == {
      StringEquals = {
        "token.actions.githubusercontent.com:aud"              = "sts.amazonaws.com"
        "token.actions.githubusercontent.com:repository_id"    = "123456789"
        "token.actions.githubusercontent.com:environment"      = "production"
        "token.actions.githubusercontent.com:ref"              = "refs/heads/main"
        "token.actions.githubusercontent.com:job_workflow_ref" = "acme/cognito-fine-grained-access/.github/workflows/terraform.yml@refs/heads/main"
        "token.actions.githubusercontent.com:sub"              = "repository_owner_id:987654:repository_id:123456789:environment:production:job_workflow_ref:acme/cognito-fine-grained-access/.github/workflows/terraform.yml@refs/heads/main"
      }
    }
    error_message = "The apply role trusts exactly: this repository id (and owner id, in sub), its GitHub environment, the reusable workflow, and the default branch; exact matches only."
  }

  assert {
    condition = jsondecode(aws_iam_role.deploy["dev-plan"].assume_role_policy).Statement[0].Condition == {
      StringEquals = {
        "token.actions.githubusercontent.com:aud"           = "sts.amazonaws.com"
        "token.actions.githubusercontent.com:repository_id" = "123456789"
        "token.actions.githubusercontent.com:environment"   = "dev-plan"
      }
      StringLike = {
        "token.actions.githubusercontent.com:ref" = ["refs/heads/main", "refs/pull/*/merge"]
        "token.actions.githubusercontent.com:job_workflow_ref" = [
          "acme/cognito-fine-grained-access/.github/workflows/terraform.yml@refs/heads/main",
          "acme/cognito-fine-grained-access/.github/workflows/terraform.yml@refs/pull/*/merge",
        ]
        "token.actions.githubusercontent.com:sub" = [
          "repository_owner_id:987654:repository_id:123456789:environment:dev-plan:job_workflow_ref:acme/cognito-fine-grained-access/.github/workflows/terraform.yml@refs/heads/main",
          "repository_owner_id:987654:repository_id:123456789:environment:dev-plan:job_workflow_ref:acme/cognito-fine-grained-access/.github/workflows/terraform.yml@refs/pull/*/merge",
        ]
      }
    }
    error_message = "The plan role trusts this repository id, its plan environment and the reusable workflow, from the default branch or a pull-request merge ref."
  }

  assert {
    condition = alltrue([
      for role in values(aws_iam_role.deploy) : (
        length(jsondecode(role.assume_role_policy).Statement) == 1 &&
        jsondecode(role.assume_role_policy).Statement[0].Action == "sts:AssumeRoleWithWebIdentity" &&
        jsondecode(role.assume_role_policy).Statement[0].Principal.Federated == aws_iam_openid_connect_provider.github.arn &&
        length(setsubtract(keys(jsondecode(role.assume_role_policy).Statement[0].Condition), ["StringEquals", "StringLike"])) == 0
      )
    ])
    error_message = "Trust: one statement, web identity from GitHub's provider, positive string conditions only (no IfExists, no negations)."
  }

  assert {
    condition     = output.github_subject_claim_keys == ["repository_owner_id", "repository_id", "context", "job_workflow_ref"] && startswith(output.gh_commands[0], "gh api -X PUT repos/acme/cognito-fine-grained-access/actions/oidc/customization/sub -F use_default=false -f 'include_claim_keys[]=repository_owner_id'")
    error_message = "The bootstrap must print the subject template the trust expects, in the order of the sub it pins."
  }

  assert {
    condition     = alltrue([for role in values(aws_iam_role.deploy) : startswith(role.name, "fga-github-")])
    error_message = "Deploy role names must stay outside the environments' fga-<env>- prefix."
  }

  assert {
    condition     = aws_s3_bucket.state.bucket == "fga-tfstate-111111111111-us-east-1"
    error_message = "Default state bucket name is fga-tfstate-<account>-<region>."
  }

  assert {
    condition     = aws_s3_bucket_versioning.state.versioning_configuration[0].status == "Enabled"
    error_message = "The state bucket must be versioned."
  }

  assert {
    condition = (
      aws_s3_bucket_public_access_block.state.block_public_acls &&
      aws_s3_bucket_public_access_block.state.block_public_policy &&
      aws_s3_bucket_public_access_block.state.ignore_public_acls &&
      aws_s3_bucket_public_access_block.state.restrict_public_buckets
    )
    error_message = "All public access to the state bucket must be blocked."
  }

  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.state.rule).apply_server_side_encryption_by_default).sse_algorithm == "aws:kms"
    error_message = "The state must be encrypted with the state KMS key."
  }

  assert {
    condition = anytrue([
      for s in data.aws_iam_policy_document.state_bucket.statement : (
        s.effect == "Deny" && contains(s.actions, "s3:PutObject") &&
        anytrue([for c in s.condition : c.test == "StringNotEquals" && c.variable == "s3:x-amz-server-side-encryption" && toset(c.values) == toset(["aws:kms"])]) &&
        anytrue([for c in s.condition : c.test == "Null" && c.variable == "s3:x-amz-server-side-encryption" && toset(c.values) == toset(["false"])])
      )
    ])
    error_message = "The state bucket must refuse writes that ask for other than SSE-KMS (backend encrypt = true means AES256) and accept writes without the header."
  }

  assert {
    condition     = aws_kms_key.state.enable_key_rotation
    error_message = "The state key must rotate."
  }

  assert {
    condition     = aws_api_gateway_account.this.cloudwatch_role_arn == aws_iam_role.apigateway_cloudwatch.arn
    error_message = "API Gateway's account settings need the CloudWatch role, or stages with logging are refused on apply."
  }

  assert {
    condition = (
      length(data.aws_iam_policy_document.apigateway_trust.statement) == 1 &&
      toset(one(data.aws_iam_policy_document.apigateway_trust.statement[0].principals).identifiers) == toset(["apigateway.amazonaws.com"]) &&
      aws_iam_role_policy_attachment.apigateway_cloudwatch.policy_arn == "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
    )
    error_message = "The logging role is assumed by API Gateway and holds only AmazonAPIGatewayPushToCloudWatchLogs."
  }

  assert {
    condition = alltrue([
      for env in ["dev", "prod"] : anytrue([
        for s in data.aws_iam_policy_document.apply[env].statement : (
          s.effect == "Deny" && contains(s.actions, "iam:*") &&
          contains(s.resources, "arn:aws:iam::111111111111:role/fga-apigateway-cloudwatch-logs") &&
          contains(s.resources, "arn:aws:iam::111111111111:role/fga-github-*")
        )
      ])
    ])
    error_message = "Apply roles must be denied every IAM action on the deploy roles and the account's API Gateway logging role."
  }

  assert {
    condition     = output.state_keys == { dev = "fga/dev.tfstate", prod = "fga/prod.tfstate" }
    error_message = "State keys must match the Makefile's TF_STATE_KEY default fga/<env>.tfstate."
  }

  assert {
    condition     = output.github_environment_variables["production"].AWS_APPLY_ROLE_ARN == aws_iam_role.deploy["prod-apply"].arn
    error_message = "The apply role ARN belongs to the apply GitHub environment."
  }
}

run "rejects_an_invalid_account_id" {
  command = plan

  variables {
    account_id = "1234"
  }

  expect_failures = [var.account_id]
}

run "rejects_environments_that_are_not_real" {
  command = plan

  variables {
    environments = { local = {} }
  }

  expect_failures = [var.environments]
}

run "rejects_a_repository_that_is_not_owner_slash_name" {
  command = plan

  variables {
    github_repository = "https://github.com/acme/repo"
  }

  expect_failures = [var.github_repository]
}

run "rejects_short_state_version_retention" {
  command = plan

  variables {
    noncurrent_version_days = 7
  }

  expect_failures = [var.noncurrent_version_days]
}

# One plan for every run that sets no variables of its own and expects no failure: each run block is
# a whole plan (the AWS provider's schema, the graph walk), and these share the file's variables.
# Each group of assertions keeps the name of the run it was.
run "with_the_files_variables" {
  command = plan

  # --- plan_role_reads_configuration_but_no_user_data ---
  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.plan["dev"].statement : alltrue([
        for a in s.actions : !can(regex("^cognito-idp:(List\\*|ListUsers)", a)) && a != "cognito-idp:*" && a != "dynamodb:*"
      ])
    ])
    error_message = "The plan role (assumable from any branch) must not list user-pool users."
  }

  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.plan["dev"].statement : toset(s.resources) == toset(["arn:aws:dynamodb:us-east-1:111111111111:table/fga-dev-policies"])
      if anytrue([for a in s.actions : can(regex("^dynamodb:(GetItem|Get\\*|BatchGetItem|Query|Scan)$", a))])
    ])
    error_message = "The plan role may read items of the policy table only (Terraform manages those), never the records table."
  }

  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.plan["dev"].statement : alltrue([
        for a in s.actions : !can(regex("^sqs:(\\*|Receive|Delete|Purge|Send)", a)) && !can(regex("^events:(\\*|Put|Delete)", a))
      ])
    ])
    error_message = "The plan role reads the revocation feed's rule and queue configuration, never the dead letters (user ids) and never writes."
  }

  assert {
    condition = alltrue([
      for sid in ["ManageEventRules", "ManageQueues"] : anytrue([
        for s in data.aws_iam_policy_document.apply["dev"].statement : s.sid == sid && alltrue([
          for r in s.resources : can(regex("^arn:aws:(events:us-east-1:111111111111:rule/|sqs:us-east-1:111111111111:)fga-dev-\\*$", r))
        ])
      ])
    ])
    error_message = "The apply role manages only the environment's own EventBridge rules and SQS queues (terraform/stack/revocation.tf)."
  }

  assert {
    condition = length([
      for s in data.aws_iam_policy_document.plan["dev"].statement : s
      if contains(s.actions, "kms:Decrypt") && anytrue([
        for c in s.condition : c.variable == "kms:ViaService" && toset(c.values) == toset(["dynamodb.us-east-1.amazonaws.com", "lambda.us-east-1.amazonaws.com"])
        ]) && anytrue([
        for c in s.condition : c.variable == "aws:ResourceTag/fga:environment" && toset(c.values) == toset(["dev"])
      ])
    ]) == 1
    error_message = "The plan role needs kms:Decrypt on its environment's key through DynamoDB and Lambda (encrypted items and function environment), and only there."
  }

  assert {
    condition = alltrue([
      for action in ["cognito-idp:DescribeUserPoolDomain", "logs:DescribeLogGroups"] : anytrue([
        for s in data.aws_iam_policy_document.plan["dev"].statement : contains(s.actions, action) && toset(s.resources) == toset(["*"])
      ])
    ])
    error_message = "Actions without resource-level permissions must be granted on \"*\" or they are never allowed."
  }

  assert {
    condition = alltrue([
      for action in ["cognito-identity:SetIdentityPoolRoles", "logs:DescribeLogGroups"] : anytrue([
        for s in data.aws_iam_policy_document.apply["dev"].statement : contains(s.actions, action) && toset(s.resources) == toset(["*"])
      ])
    ])
    error_message = "The apply role's actions without resource-level permissions must be granted on \"*\"."
  }

  assert {
    condition = anytrue([
      for s in data.aws_iam_policy_document.apply["dev"].statement : contains(s.actions, "kms:TagResource") && anytrue([
        for c in s.condition : c.variable == "aws:ResourceTag/fga:environment" && toset(c.values) == toset(["dev"])
      ])
    ])
    error_message = "The apply role must be able to change tags of its environment's existing key (the request names only the changed tags)."
  }

  # --- saved_plans_go_to_the_state_bucket_not_to_artifacts ---
  assert {
    condition = anytrue([
      for s in data.aws_iam_policy_document.state_access["dev-plan"].statement : s.sid == "StoreSavedPlans" && toset(s.actions) == toset(["s3:PutObject"]) && toset(s.resources) == toset(["arn:aws:s3:::fga-tfstate-111111111111-us-east-1/fga/dev.tfstate.plans/*"])
    ])
    error_message = "The plan role stores its saved plan next to its own state, nowhere else."
  }

  assert {
    condition     = !anytrue([for s in data.aws_iam_policy_document.state_access["dev-apply"].statement : s.sid == "StoreSavedPlans"])
    error_message = "Only the plan role writes saved plans."
  }

  assert {
    condition = anytrue([
      for r in aws_s3_bucket_lifecycle_configuration.state.rule : r.id == "expire-saved-plans-dev" && try(one(r.filter).prefix, "") == "fga/dev.tfstate.plans/" && try(one(r.expiration).days, 0) == 2
    ])
    error_message = "Saved plans expire after saved_plan_days."
  }

  # --- the_verify_role_may_touch_only_its_environments_pools_and_records ---
  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.verify["dev"].statement : alltrue([
        for a in s.actions : can(regex("^(cognito-idp:(Admin[A-Za-z]+|ListUsers|DescribeUserPoolClient)|cognito-identity:DeleteIdentities|dynamodb:(PutItem|DeleteItem|GetItem|Query)|kms:Decrypt)$", a))
      ])
    ])
    error_message = "The verify role gets named Cognito admin actions, DescribeUserPoolClient (the machine clients' secrets), DeleteIdentities, item-level DynamoDB actions and kms:Decrypt only: no wildcards, no IAM, no state, no table management, no client creation."
  }

  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.verify["dev"].statement : (
        toset(s.resources) == toset(["arn:aws:cognito-idp:us-east-1:111111111111:userpool/*"]) &&
        anytrue([for c in s.condition : c.test == "StringEquals" && c.variable == "aws:ResourceTag/fga:environment" && toset(c.values) == toset(["dev"])])
      ) if anytrue([for a in s.actions : startswith(a, "cognito-idp:")])
    ])
    error_message = "Cognito admin calls only on the user pool tagged with this environment."
  }

  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.verify["dev"].statement : (
        anytrue([for c in s.condition : c.variable == "aws:ResourceTag/fga:environment" && toset(c.values) == toset(["dev"])])
      ) if anytrue([for a in s.actions : startswith(a, "cognito-identity:") || startswith(a, "kms:")])
    ])
    error_message = "Identity deletion and the key only where they carry this environment's tag."
  }

  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.verify["dev"].statement : (
        toset(s.resources) == toset(["arn:aws:dynamodb:us-east-1:111111111111:table/fga-dev-records"]) &&
        anytrue([for c in s.condition : c.test == "ForAllValues:StringLike" && c.variable == "dynamodb:LeadingKeys" && toset(c.values) == toset(["pets", "news", "sub#*", "identity#*"])])
      ) if anytrue([for a in s.actions : startswith(a, "dynamodb:")])
    ])
    error_message = "DynamoDB only on the records table, only on the partitions its items and its users' records live in (never the policy table)."
  }

  assert {
    condition = length([
      for s in data.aws_iam_policy_document.verify["dev"].statement : s
      if contains(s.actions, "kms:Decrypt") && anytrue([
        for c in s.condition : c.variable == "kms:ViaService" && toset(c.values) == toset(["dynamodb.us-east-1.amazonaws.com"])
        ]) && anytrue([
        for c in s.condition : c.variable == "kms:EncryptionContext:aws:dynamodb:tableName" && toset(c.values) == toset(["fga-dev-records"])
      ])
    ]) == 1
    error_message = "The key only through DynamoDB, for the records table."
  }

  assert {
    condition = !anytrue([
      for s in data.aws_iam_policy_document.verify["prod"].statement : anytrue([for r in s.resources : strcontains(r, "fga-dev")])
    ])
    error_message = "prod's verify role names nothing of dev."
  }

  # --- deploy_roles_cover_the_monitoring_of_their_environment_only ---
  assert {
    condition = alltrue([
      for action in ["cloudwatch:PutMetricAlarm", "cloudwatch:PutCompositeAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:PutDashboard"] : anytrue([
        for s in data.aws_iam_policy_document.apply["dev"].statement : contains(s.actions, action) && toset(s.resources) == toset(["arn:aws:cloudwatch:us-east-1:111111111111:alarm:fga-dev-*", "arn:aws:cloudwatch::111111111111:dashboard/fga-dev"])
      ])
    ])
    error_message = "The apply role manages the environment's alarms and dashboard, named after its prefix, and no others."
  }

  assert {
    condition = alltrue([
      for action in ["sns:CreateTopic", "sns:Subscribe", "sns:Unsubscribe"] : anytrue([
        for s in data.aws_iam_policy_document.apply["dev"].statement : contains(s.actions, action) && toset(s.resources) == toset(["arn:aws:sns:us-east-1:111111111111:fga-dev-*", "arn:aws:sns:us-east-1:111111111111:fga-dev-*:*"])
      ])
    ])
    error_message = "The apply role manages the environment's alarm topic and its subscriptions only."
  }

  assert {
    condition = anytrue([
      for s in data.aws_iam_policy_document.apply["dev"].statement : contains(s.actions, "logs:PutMetricFilter") && toset(s.resources) == toset(["arn:aws:logs:us-east-1:111111111111:log-group:/aws/*/fga-dev*"])
    ])
    error_message = "Metric filters go only on the environment's own log groups."
  }

  assert {
    condition = alltrue(concat(
      [for action in ["logs:PutQueryDefinition", "logs:DeleteQueryDefinition", "logs:DescribeQueryDefinitions"] : anytrue([for s in data.aws_iam_policy_document.apply["dev"].statement : contains(s.actions, action) && toset(s.resources) == toset(["*"])])],
      [anytrue([for s in data.aws_iam_policy_document.plan["dev"].statement : contains(s.actions, "logs:DescribeQueryDefinitions") && toset(s.resources) == toset(["*"])])],
    ))
    error_message = "Saved queries have no resource-level permissions: they must be granted on \"*\"."
  }

  assert {
    condition = alltrue([
      for action in ["cloudwatch:DescribeAlarms", "cloudwatch:GetDashboard", "logs:DescribeMetricFilters", "sns:GetTopicAttributes", "sns:GetSubscriptionAttributes"] : anytrue([
        for s in data.aws_iam_policy_document.plan["dev"].statement : contains(s.actions, action)
      ])
    ])
    error_message = "The plan role must read what the monitoring module manages."
  }

  assert {
    condition = alltrue(flatten([
      for s in data.aws_iam_policy_document.plan["dev"].statement : [
        for a in s.actions : !can(regex("^(cloudwatch:(Put|Delete|Set)|sns:(Create|Delete|Set|Subscribe|Unsubscribe|Publish)|logs:(Put|Delete))", a))
      ]
    ]))
    error_message = "The plan role (assumable from any branch) must not change alarms, topics or filters."
  }
}

run "default_subject_format_still_pins_the_claims_iam_checks" {
  command = apply

  variables {
    github_subject_format = "default"
  }

  assert {
    condition = jsondecode(aws_iam_role.deploy["dev-apply"].assume_role_policy).Statement[0].Condition.StringEquals == {
      "token.actions.githubusercontent.com:aud"              = "sts.amazonaws.com"
      "token.actions.githubusercontent.com:repository_id"    = "123456789"
      "token.actions.githubusercontent.com:environment"      = "dev"
      "token.actions.githubusercontent.com:ref"              = "refs/heads/main"
      "token.actions.githubusercontent.com:job_workflow_ref" = "acme/cognito-fine-grained-access/.github/workflows/terraform.yml@refs/heads/main"
      "token.actions.githubusercontent.com:sub"              = "repo:acme/cognito-fine-grained-access:environment:dev"
    }
    error_message = "With GitHub's default subject, sub is repo:<owner>/<name>:environment:<env> and the claim keys still pin repository id, environment, workflow and branch."
  }

  assert {
    condition     = jsondecode(aws_iam_role.deploy["dev-plan"].assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == "repo:acme/cognito-fine-grained-access:environment:dev-plan" && output.github_subject_claim_keys == null && !anytrue([for c in output.gh_commands : strcontains(c, "customization/sub")])
    error_message = "The default subject format needs no subject template."
  }
}

run "rejects_a_repository_id_that_is_not_a_number" {
  command = plan

  variables {
    github_repository_id = "acme/repo"
  }

  expect_failures = [var.github_repository_id]
}

run "rejects_an_owner_id_that_is_not_a_number" {
  command = plan

  variables {
    github_owner_id = "acme"
  }

  expect_failures = [var.github_owner_id]
}

run "rejects_a_wildcard_default_branch" {
  command = plan

  variables {
    github_default_branch = "*"
  }

  expect_failures = [var.github_default_branch]
}

run "rejects_a_workflow_outside_github_workflows" {
  command = plan

  variables {
    github_workflow = "ci/terraform.yml"
  }

  expect_failures = [var.github_workflow]
}

run "the_verify_role_trusts_only_the_verify_job_on_the_default_branch" {
  command = apply

  assert {
    condition = jsondecode(aws_iam_role.deploy["prod-verify"].assume_role_policy).Statement[0] == {
      Sid       = "GitHubEnvironmentVerify"
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = aws_iam_openid_connect_provider.github.arn }
      Condition = {
        StringEquals = {
          "token.actions.githubusercontent.com:aud"              = "sts.amazonaws.com"
          "token.actions.githubusercontent.com:repository_id"    = "123456789"
          "token.actions.githubusercontent.com:environment"      = "prod-verify"
          "token.actions.githubusercontent.com:ref"              = "refs/heads/main"
          "token.actions.githubusercontent.com:job_workflow_ref" = "acme/cognito-fine-grained-access/.github/workflows/terraform.yml@refs/heads/main"
          "token.actions.githubusercontent.com:sub"              = "repository_owner_id:987654:repository_id:123456789:environment:prod-verify:job_workflow_ref:acme/cognito-fine-grained-access/.github/workflows/terraform.yml@refs/heads/main"
        }
      }
    }
    error_message = "The verify role trusts exactly: this repository id (and owner id, in sub), the GitHub environment <env>-verify, the reusable workflow, the default branch; exact matches only."
  }

  assert {
    condition     = !contains(keys(aws_iam_role_policy.state_access), "dev-verify") && !contains(keys(aws_iam_role_policy.state_access), "prod-verify") && contains(keys(aws_iam_role_policy.state_access), "dev-apply")
    error_message = "The verify role reads no state (the apply job hands it the deployment's description)."
  }

  assert {
    condition     = output.verify_role_arns == { dev = aws_iam_role.deploy["dev-verify"].arn, prod = aws_iam_role.deploy["prod-verify"].arn }
    error_message = "The bootstrap prints each environment's verify role."
  }

  assert {
    condition = output.github_environment_variables["dev-verify"] == {
      AWS_REGION          = "us-east-1"
      AWS_VERIFY_ROLE_ARN = aws_iam_role.deploy["dev-verify"].arn
    }
    error_message = "The GitHub environment <env>-verify gets the region and the verify role, not the state bucket."
  }

  assert {
    condition = (
      contains(output.gh_commands, "gh variable set AWS_VERIFY_ROLE_ARN --env dev-verify --body ${aws_iam_role.deploy["dev-verify"].arn}") &&
      !anytrue([for c in output.gh_commands : startswith(c, "gh variable set TF_STATE_BUCKET --env dev-verify")])
    )
    error_message = "gh_commands set the verify role on <env>-verify and no state bucket there."
  }
}

run "rejects_one_github_environment_for_two_roles" {
  command = plan

  variables {
    environments = { dev = { github_verify_environment = "dev" } }
  }

  expect_failures = [var.environments]
}

