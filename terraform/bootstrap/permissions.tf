# What each deploy role may do to its environment's resources (named <name_prefix>-*, fga-<env> by
# default). Services and names follow terraform/stack: Cognito user and identity pools, API Gateway
# REST API + stage (+ optional WAF association), Lambda, DynamoDB, CloudWatch Logs, KMS, IAM roles,
# and the monitoring (CloudWatch alarms and dashboard, log metric filters and saved queries, the SNS
# alarm topic), the revocation feed's EventBridge rule and its dead-letter SQS queue.
locals {
  arn = {
    for env, e in var.environments : env => {
      prefix         = local.name_prefixes[env]
      user_pools     = "arn:${local.partition}:cognito-idp:${var.region}:${var.account_id}:userpool/*"
      identity_pools = "arn:${local.partition}:cognito-identity:${var.region}:${var.account_id}:identitypool/*"
      apis = [
        "arn:${local.partition}:apigateway:${var.region}::/restapis",
        "arn:${local.partition}:apigateway:${var.region}::/restapis/*",
        "arn:${local.partition}:apigateway:${var.region}::/tags/*",
      ]
      stages    = "arn:${local.partition}:apigateway:${var.region}::/restapis/*/stages/*"
      functions = "arn:${local.partition}:lambda:${var.region}:${var.account_id}:function:${local.name_prefixes[env]}-*"
      tables    = "arn:${local.partition}:dynamodb:${var.region}:${var.account_id}:table/${local.name_prefixes[env]}-*"
      # The only table whose items are Terraform resources (terraform/stack: <prefix>-policies).
      policy_table = "arn:${local.partition}:dynamodb:${var.region}:${var.account_id}:table/${local.name_prefixes[env]}-policies"
      # The table of the callers' records (make verify's items and its users' records go there).
      records_table = "arn:${local.partition}:dynamodb:${var.region}:${var.account_id}:table/${local.name_prefixes[env]}-records"
      log_groups    = "arn:${local.partition}:logs:${var.region}:${var.account_id}:log-group:/aws/*/${local.name_prefixes[env]}*"
      keys          = "arn:${local.partition}:kms:${var.region}:${var.account_id}:key/*"
      aliases       = "arn:${local.partition}:kms:${var.region}:${var.account_id}:alias/${local.name_prefixes[env]}*"
      roles         = "arn:${local.partition}:iam::${var.account_id}:role/${local.name_prefixes[env]}-*"
      policies      = "arn:${local.partition}:iam::${var.account_id}:policy/${local.name_prefixes[env]}-*"
      oidc          = "arn:${local.partition}:iam::${var.account_id}:oidc-provider/*"
      web_acls      = "arn:${local.partition}:wafv2:${var.region}:${var.account_id}:regional/webacl/*/*"
      alarms        = "arn:${local.partition}:cloudwatch:${var.region}:${var.account_id}:alarm:${local.name_prefixes[env]}-*"
      dashboard     = "arn:${local.partition}:cloudwatch::${var.account_id}:dashboard/${local.name_prefixes[env]}"
      # The alarm topic and its subscriptions (<topic ARN>:<id>).
      topics = [
        "arn:${local.partition}:sns:${var.region}:${var.account_id}:${local.name_prefixes[env]}-*",
        "arn:${local.partition}:sns:${var.region}:${var.account_id}:${local.name_prefixes[env]}-*:*",
      ]
      # The revocation feed (terraform/stack/revocation.tf): a rule on the default bus, a queue.
      event_rules = "arn:${local.partition}:events:${var.region}:${var.account_id}:rule/${local.name_prefixes[env]}-*"
      queues      = "arn:${local.partition}:sqs:${var.region}:${var.account_id}:${local.name_prefixes[env]}-*"
    }
  }
}

# --- plan: read what the stack manages, nothing else -------------------------------------------
# The plan role is assumable from any branch (its GitHub environment has no reviewers), so it reads
# configuration only: no user listing (cognito-idp:ListUsers*), no records-table items.

data "aws_iam_policy_document" "plan" {
  for_each = var.environments

  statement {
    sid = "ReadUserPools"
    # Describe*/Get* cover the pool, clients, groups, resource server and MFA configuration; the
    # List* family is left out on purpose: ListUsers/ListUsersInGroup would expose every user.
    actions   = ["cognito-idp:Describe*", "cognito-idp:Get*", "cognito-idp:ListTagsForResource"]
    resources = [local.arn[each.key].user_pools]
  }

  statement {
    sid = "ReadIdentityPools"
    actions = [
      "cognito-identity:DescribeIdentityPool",
      "cognito-identity:GetIdentityPoolRoles",
      "cognito-identity:GetPrincipalTagAttributeMap",
      "cognito-identity:ListTagsForResource",
    ]
    resources = [local.arn[each.key].identity_pools]
  }

  statement {
    sid       = "ReadApi"
    actions   = ["apigateway:GET"]
    resources = local.arn[each.key].apis
  }

  statement {
    sid       = "ReadFunctions"
    actions   = ["lambda:Get*", "lambda:List*"]
    resources = [local.arn[each.key].functions]
  }

  statement {
    sid       = "ReadTables"
    actions   = ["dynamodb:Describe*", "dynamodb:ListTagsOfResource"]
    resources = [local.arn[each.key].tables]
  }

  statement {
    # The policy store's items are Terraform resources (aws_dynamodb_table_item); the records table's
    # items (user profiles) are not, so the plan role cannot read them.
    sid       = "ReadPolicyItems"
    actions   = ["dynamodb:GetItem"]
    resources = [local.arn[each.key].policy_table]
  }

  statement {
    sid       = "ReadLogGroups"
    actions   = ["logs:ListTagsForResource", "logs:ListTagsLogGroup"]
    resources = [local.arn[each.key].log_groups]
  }

  statement {
    sid       = "ReadKeys"
    actions   = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"]
    resources = [local.arn[each.key].keys]
  }

  statement {
    # The stack encrypts its tables and the functions' environment with its own key. Reading an item
    # of a table under a customer managed key needs kms:Decrypt by the caller, and Lambda shows a
    # function's environment only to callers who may use its key
    # (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-encryption.html): without
    # this, refreshing the policy items fails and the functions' variables read back empty. Only
    # this environment's key, and only through those two services.
    sid       = "DecryptThroughTheStacksServices"
    actions   = ["kms:Decrypt"]
    resources = [local.arn[each.key].keys]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/fga:environment"
      values   = [each.key]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["dynamodb.${var.region}.amazonaws.com", "lambda.${var.region}.amazonaws.com"]
    }
  }

  statement {
    sid = "ReadRolesAndProviders"
    actions = [
      "iam:GetRole",
      "iam:GetRolePolicy",
      "iam:ListRolePolicies",
      "iam:ListAttachedRolePolicies",
      "iam:ListRoleTags",
      "iam:GetPolicy",
      "iam:GetPolicyVersion",
      "iam:ListPolicyVersions",
      "iam:GetOpenIDConnectProvider",
      "iam:ListOpenIDConnectProviderTags",
    ]
    resources = [local.arn[each.key].roles, local.arn[each.key].policies, local.arn[each.key].oidc]
  }

  statement {
    sid       = "ReadWebAclAssociation"
    actions   = ["wafv2:GetWebACL", "wafv2:GetWebACLForResource"]
    resources = [local.arn[each.key].web_acls, local.arn[each.key].stages]
  }

  statement {
    sid       = "ReadEventRules"
    actions   = ["events:DescribeRule", "events:ListTargetsByRule", "events:ListTagsForResource"]
    resources = [local.arn[each.key].event_rules]
  }

  statement {
    # Attributes and tags only: sqs:ReceiveMessage (the dead letters) is not granted.
    sid       = "ReadQueues"
    actions   = ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ListQueueTags"]
    resources = [local.arn[each.key].queues]
  }

  statement {
    sid       = "ReadAlarmsAndDashboard"
    actions   = ["cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource", "cloudwatch:GetDashboard"]
    resources = [local.arn[each.key].alarms, local.arn[each.key].dashboard]
  }

  statement {
    sid       = "ReadMetricFilters"
    actions   = ["logs:DescribeMetricFilters"]
    resources = [local.arn[each.key].log_groups]
  }

  statement {
    sid       = "ReadAlarmTopic"
    actions   = ["sns:GetTopicAttributes", "sns:ListTagsForResource", "sns:GetSubscriptionAttributes"]
    resources = local.arn[each.key].topics
  }

  statement {
    sid = "ListAccountLevel"
    # None of these supports resource-level permissions (Service Authorization Reference): a Resource
    # other than "*" never matches them. DescribeUserPoolDomain reads the hosted-UI domain.
    actions = [
      "cognito-idp:ListUserPools",
      "cognito-idp:DescribeUserPoolDomain",
      "cognito-identity:ListIdentityPools",
      "kms:ListAliases",
      "logs:DescribeLogGroups",
      "logs:DescribeQueryDefinitions",
    ]
    resources = ["*"]
  }
}

# --- apply: manage the environment's resources -------------------------------------------------

data "aws_iam_policy_document" "apply" {
  for_each = var.environments

  statement {
    sid       = "ManageUserPools"
    actions   = ["cognito-idp:*"]
    resources = [local.arn[each.key].user_pools]
  }

  statement {
    sid = "CreateAccountLevel"
    actions = [
      "cognito-idp:CreateUserPool",
      "cognito-idp:ListUserPools",
      "cognito-idp:DescribeUserPoolDomain",
      "cognito-idp:CreateUserPoolDomain",
      "cognito-idp:UpdateUserPoolDomain",
      "cognito-idp:DeleteUserPoolDomain",
      "cognito-identity:CreateIdentityPool",
      "cognito-identity:ListIdentityPools",
      # Maps roles into an identity pool; only this environment's roles can be passed (PassRole below).
      "cognito-identity:SetIdentityPoolRoles",
      "kms:CreateKey",
      "kms:ListAliases",
      "logs:DescribeLogGroups",
      # Logs Insights saved queries (the monitoring module's aws_cloudwatch_query_definition).
      "logs:DescribeQueryDefinitions",
      "logs:PutQueryDefinition",
      "logs:DeleteQueryDefinition",
    ]
    resources = ["*"] # no resource-level permissions for these actions

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [var.region]
    }
  }

  statement {
    sid = "ManageIdentityPools"
    actions = [
      "cognito-identity:DescribeIdentityPool",
      "cognito-identity:UpdateIdentityPool",
      "cognito-identity:DeleteIdentityPool",
      "cognito-identity:GetIdentityPoolRoles",
      "cognito-identity:GetPrincipalTagAttributeMap",
      "cognito-identity:TagResource",
      "cognito-identity:UntagResource",
      "cognito-identity:ListTagsForResource",
    ]
    resources = [local.arn[each.key].identity_pools]
  }

  statement {
    sid       = "ManageApi"
    actions   = ["apigateway:GET", "apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"]
    resources = local.arn[each.key].apis
  }

  statement {
    sid       = "AssociateWebAcl"
    actions   = ["apigateway:SetWebACL", "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL", "wafv2:GetWebACL", "wafv2:GetWebACLForResource"]
    resources = [local.arn[each.key].web_acls, local.arn[each.key].stages]
  }

  statement {
    sid       = "ManageFunctions"
    actions   = ["lambda:*"]
    resources = [local.arn[each.key].functions]
  }

  statement {
    sid       = "ManageTables"
    actions   = ["dynamodb:*"]
    resources = [local.arn[each.key].tables]
  }

  statement {
    sid = "ManageEventRules"
    actions = [
      "events:PutRule",
      "events:DeleteRule",
      "events:DescribeRule",
      "events:EnableRule",
      "events:DisableRule",
      "events:PutTargets",
      "events:RemoveTargets",
      "events:ListTargetsByRule",
      "events:TagResource",
      "events:UntagResource",
      "events:ListTagsForResource",
    ]
    resources = [local.arn[each.key].event_rules]
  }

  statement {
    sid = "ManageQueues"
    actions = [
      "sqs:CreateQueue",
      "sqs:DeleteQueue",
      "sqs:GetQueueAttributes",
      "sqs:SetQueueAttributes",
      "sqs:GetQueueUrl",
      "sqs:TagQueue",
      "sqs:UntagQueue",
      "sqs:ListQueueTags",
    ]
    resources = [local.arn[each.key].queues]
  }

  statement {
    sid = "ManageLogGroups"
    actions = [
      "logs:CreateLogGroup",
      "logs:DeleteLogGroup",
      "logs:PutRetentionPolicy",
      "logs:DeleteRetentionPolicy",
      "logs:AssociateKmsKey",
      "logs:DisassociateKmsKey",
      "logs:TagResource",
      "logs:UntagResource",
      "logs:TagLogGroup",
      "logs:UntagLogGroup",
      "logs:ListTagsForResource",
      "logs:ListTagsLogGroup",
    ]
    resources = [local.arn[each.key].log_groups]
  }

  statement {
    sid = "ManageMetricFilters"
    actions = [
      "logs:PutMetricFilter",
      "logs:DeleteMetricFilter",
      "logs:DescribeMetricFilters",
    ]
    resources = [local.arn[each.key].log_groups]
  }

  statement {
    sid = "ManageAlarmsAndDashboard"
    actions = [
      "cloudwatch:PutMetricAlarm",
      "cloudwatch:PutCompositeAlarm",
      "cloudwatch:DeleteAlarms",
      "cloudwatch:DescribeAlarms",
      "cloudwatch:TagResource",
      "cloudwatch:UntagResource",
      "cloudwatch:ListTagsForResource",
      "cloudwatch:PutDashboard",
      "cloudwatch:GetDashboard",
      "cloudwatch:DeleteDashboards",
    ]
    resources = [local.arn[each.key].alarms, local.arn[each.key].dashboard]
  }

  statement {
    sid = "ManageAlarmTopic"
    actions = [
      "sns:CreateTopic",
      "sns:DeleteTopic",
      "sns:GetTopicAttributes",
      "sns:SetTopicAttributes",
      "sns:TagResource",
      "sns:UntagResource",
      "sns:ListTagsForResource",
      "sns:Subscribe",
      "sns:Unsubscribe",
      "sns:GetSubscriptionAttributes",
      "sns:SetSubscriptionAttributes",
    ]
    resources = local.arn[each.key].topics
  }

  statement {
    sid = "ManageOwnKeys"
    actions = [
      "kms:DescribeKey",
      "kms:GetKeyPolicy",
      "kms:PutKeyPolicy",
      "kms:GetKeyRotationStatus",
      "kms:EnableKeyRotation",
      "kms:UpdateKeyDescription",
      "kms:ScheduleKeyDeletion",
      "kms:CancelKeyDeletion",
      "kms:ListResourceTags",
      # Tag changes on an existing key: the request carries only the changed tags, so
      # aws:RequestTag/fga:environment (TagNewKeys) is absent from it.
      "kms:TagResource",
      "kms:UntagResource",
      "kms:CreateGrant",
      "kms:ListGrants",
      "kms:Encrypt",
      "kms:Decrypt",
      "kms:GenerateDataKey*",
    ]
    resources = [local.arn[each.key].keys]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/fga:environment"
      values   = [each.key]
    }
  }

  statement {
    sid       = "TagNewKeys"
    actions   = ["kms:TagResource"]
    resources = [local.arn[each.key].keys]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/fga:environment"
      values   = [each.key]
    }
  }

  statement {
    sid       = "ManageOwnAliases"
    actions   = ["kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"]
    resources = [local.arn[each.key].aliases, local.arn[each.key].keys]
  }

  statement {
    sid = "ManageOwnRoles"
    actions = [
      "iam:CreateRole",
      "iam:DeleteRole",
      "iam:GetRole",
      "iam:UpdateRole",
      "iam:UpdateRoleDescription",
      "iam:UpdateAssumeRolePolicy",
      "iam:TagRole",
      "iam:UntagRole",
      "iam:ListRoleTags",
      "iam:PutRolePolicy",
      "iam:GetRolePolicy",
      "iam:DeleteRolePolicy",
      "iam:ListRolePolicies",
      "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole",
    ]
    resources = [local.arn[each.key].roles]
  }

  statement {
    sid       = "AttachOnlyOwnPolicies"
    actions   = ["iam:AttachRolePolicy", "iam:DetachRolePolicy"]
    resources = [local.arn[each.key].roles]

    condition {
      test     = "ArnLike"
      variable = "iam:PolicyARN"
      values   = [local.arn[each.key].policies]
    }
  }

  statement {
    sid       = "PassOwnRolesToTheStack"
    actions   = ["iam:PassRole"]
    resources = [local.arn[each.key].roles]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["lambda.amazonaws.com", "cognito-identity.amazonaws.com", "cognito-idp.amazonaws.com", "apigateway.amazonaws.com"]
    }
  }

  statement {
    sid = "ManageFederatedProviders"
    actions = [
      "iam:CreateOpenIDConnectProvider",
      "iam:DeleteOpenIDConnectProvider",
      "iam:GetOpenIDConnectProvider",
      "iam:UpdateOpenIDConnectProviderThumbprint",
      "iam:AddClientIDToOpenIDConnectProvider",
      "iam:RemoveClientIDFromOpenIDConnectProvider",
      "iam:TagOpenIDConnectProvider",
      "iam:UntagOpenIDConnectProvider",
      "iam:ListOpenIDConnectProviderTags",
    ]
    resources = [local.arn[each.key].oidc]
  }

  statement {
    sid     = "NeverTouchThePipelineIdentity"
    effect  = "Deny"
    actions = ["iam:*"]
    resources = [
      aws_iam_openid_connect_provider.github.arn,
      "arn:${local.partition}:iam::${var.account_id}:role/fga-github-*",
      "arn:${local.partition}:iam::${var.account_id}:role/${local.apigateway_logs_role_name}",
    ]
  }
}

locals {
  # The records table's partitions: those the access model's handlers may use (their leading_keys),
  # the same file the stack builds the backend functions' grants from.
  access_model       = jsondecode(file("${path.module}/../../policy_templates/access_model.json"))
  records_partitions = sort(distinct(flatten([for h in values(local.access_model.handlers) : h.leading_keys])))
}

# --- verify: `make verify` after the apply (tools/live; docs/deploying.md, "Verifying an environment")
# It creates users of its own in the environment's user pool, signs them in through the verification
# client, calls the API as they would (and as the declared machine clients), and removes them, their
# identity-pool identities and what they stored. Every grant names this environment's resources: the pools by their fga:environment
# tag (their ids are random), the records table by name. No state, no IAM, no other table.

data "aws_iam_policy_document" "verify" {
  for_each = var.environments

  statement {
    sid = "ManageItsOwnUsers"
    # ListUsers finds the leftovers of a killed run (the code filters on the run's name prefix and
    # asks for email, sub and nickname only); AdminUpdateUserAttributes keeps a user's identity id
    # in its nickname for that sweep; AdminInitiateAuth/AdminRespondToAuthChallenge sign in through
    # the verification client (which allows nothing else).
    actions = [
      "cognito-idp:AdminCreateUser",
      "cognito-idp:AdminSetUserPassword",
      "cognito-idp:AdminAddUserToGroup",
      "cognito-idp:AdminUpdateUserAttributes",
      "cognito-idp:AdminInitiateAuth",
      "cognito-idp:AdminRespondToAuthChallenge",
      "cognito-idp:AdminDeleteUser",
      "cognito-idp:ListUsers",
    ]
    resources = [local.arn[each.key].user_pools]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/fga:environment"
      values   = [each.key]
    }
  }

  statement {
    sid = "ReadTheMachineClients"
    # The machine callers of the contract call as the environment's declared machine clients: their
    # secrets are read with DescribeUserPoolClient, as a deployed service reads its own (the
    # verification output names their client ids). Read only: no client is created or changed.
    actions   = ["cognito-idp:DescribeUserPoolClient"]
    resources = [local.arn[each.key].user_pools]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/fga:environment"
      values   = [each.key]
    }
  }

  statement {
    sid       = "RemoveItsUsersIdentities"
    actions   = ["cognito-identity:DeleteIdentities"]
    resources = [local.arn[each.key].identity_pools]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/fga:environment"
      values   = [each.key]
    }
  }

  statement {
    sid = "ItsItemsAndItsUsersRecords"
    # Put/Delete the items its write probes aim at and delete the records its users stored (their
    # profiles, the items they created); Query finds its own items (a key range, or a filter on
    # its run attribute) and Get checks they are gone. The code deletes only with a condition that
    # the item is the run's or keys it owns; IAM can narrow to the backend's partitions only.
    actions   = ["dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:Query"]
    resources = [local.arn[each.key].records_table]

    condition {
      test     = "ForAllValues:StringLike"
      variable = "dynamodb:LeadingKeys"
      values   = local.records_partitions
    }
  }

  statement {
    # The records table is encrypted with the environment's key: DynamoDB uses it on the caller's
    # behalf (the same grant the backend functions have), for that table only.
    sid       = "DecryptTheRecordsTableThroughDynamoDB"
    actions   = ["kms:Decrypt"]
    resources = [local.arn[each.key].keys]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/fga:environment"
      values   = [each.key]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["dynamodb.${var.region}.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:aws:dynamodb:tableName"
      values   = ["${local.name_prefixes[each.key]}-records"]
    }
  }
}

resource "aws_iam_role_policy" "verify" {
  for_each = var.environments

  name   = "verify-${each.key}"
  role   = aws_iam_role.deploy["${each.key}-verify"].id
  policy = data.aws_iam_policy_document.verify[each.key].json
}

resource "aws_iam_role_policy" "plan" {
  for_each = var.environments

  name   = "read-${each.key}"
  role   = aws_iam_role.deploy["${each.key}-plan"].id
  policy = data.aws_iam_policy_document.plan[each.key].json
}

resource "aws_iam_role_policy" "apply" {
  for_each = var.environments

  name   = "manage-${each.key}"
  role   = aws_iam_role.deploy["${each.key}-apply"].id
  policy = data.aws_iam_policy_document.apply[each.key].json
}
