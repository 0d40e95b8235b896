# The composed stack under a mocked provider: the access model's invariants and the input validations.
mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

# Known ARNs, so plans can show which statements name which table and what invokes what.
override_resource {
  target          = module.revocations.aws_dynamodb_table.this
  override_during = plan
  values          = { arn = "arn:aws:dynamodb:us-east-1:123456789012:table/fga-dev-revocations" }
}

override_resource {
  target          = module.policy_store.aws_dynamodb_table.this
  override_during = plan
  values          = { arn = "arn:aws:dynamodb:us-east-1:123456789012:table/fga-dev-policies" }
}

override_resource {
  target          = module.revocation_feed.aws_lambda_function.this
  override_during = plan
  values          = { arn = "arn:aws:lambda:us-east-1:123456789012:function:fga-dev-revocation-feed" }
}

override_resource {
  target          = aws_cloudwatch_event_rule.admin_actions
  override_during = plan
  values          = { arn = "arn:aws:events:us-east-1:123456789012:rule/fga-dev-revocation-admin-actions" }
}

override_resource {
  target          = aws_sqs_queue.revocation_feed_dlq
  override_during = plan
  values          = { arn = "arn:aws:sqs:us-east-1:123456789012:fga-dev-revocation-feed-dlq" }
}

override_resource {
  target          = module.records.aws_dynamodb_table.this
  override_during = plan
  values          = { arn = "arn:aws:dynamodb:us-east-1:123456789012:table/fga-dev-records" }
}

variables {
  # The real access model, the same file every env root reads.
  access           = jsondecode(file("../../policy_templates/access_model.json"))
  lambda_build_dir = "tests/fixtures"
  templates_dir    = "../../policy_templates"
  settings = {
    environment       = "dev"
    cors_allow_origin = "https://app.example.com"
    user_pool         = { domain_prefix = "fga-test-auth" }
    external_providers = {
      google = { issuer_url = "https://accounts.google.com", client_ids = ["g-client"], group = "google-users" }
    }
  }
}

# One plan for every run that sets no variables of its own and expects no failure: each run block is
# a whole plan (the AWS provider's schema, the graph walk), and these share the file's variables.
# Each group of assertions keeps the name of the run it was.
run "with_the_files_variables" {
  command = plan

  # --- every_group_enforces_exactly_its_rendered_template ---
  assert {
    condition = alltrue([
      for g in keys(var.access.groups) : jsondecode(output.enforced_policies[g].iam_role) == jsondecode(templatefile("../../policy_templates/${g}.json.tftpl", {
        api_arn     = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/dev"
        region      = "us-east-1"
        account_id  = "123456789012"
        api_id      = "a1b2c3d4e5"
        stage       = "dev"
        environment = "dev"
      }))
    ])
    error_message = "A group's IAM role policy differs from its rendered template."
  }

  assert {
    condition     = alltrue([for g, p in output.enforced_policies : p.iam_role == p.policy_table])
    error_message = "The IAM role (iam mode) and the policy-table item (lambda mode) of a group must hold the same document."
  }

  # --- every_group_gets_its_role_mapping_and_policy_item ---
  assert {
    condition     = sort(keys(output.group_role_arns)) == sort(keys(var.access.groups))
    error_message = "Every group of the access model needs its IAM role (iam mode)."
  }

  assert {
    condition = alltrue([
      for g, v in var.access.groups : module.user_pool.groups[g].role_arn == output.group_role_arns[g] && module.user_pool.groups[g].precedence == v.precedence
    ])
    error_message = "Every user-pool group must carry its role and the model's precedence: Cognito puts them in cognito:roles / cognito:preferred_role, which the identity pool maps."
  }

  assert {
    condition = sort(keys(module.policy_store.documents)) == sort(concat(
      keys(var.access.groups), [for name, c in var.access.machine_clients : "client:${name}" if c.policy.template != null]
    ))
    error_message = "Every group of the access model, and every machine client with a template of its own (as client:<name>), needs its policy-table item (lambda mode); nothing else has one."
  }

  # --- method_authorization_matches_route_mode ---
  assert {
    condition = alltrue([
      for k, r in var.access.routes : output.methods[k].authorization == { iam = "AWS_IAM", user_pool = "COGNITO_USER_POOLS", lambda = "CUSTOM" }[r.auth]
    ])
    error_message = "A method's authorization does not match its route's mode."
  }

  # --- real_environments_get_deletion_protection_by_default ---
  assert {
    condition     = output.policy_table == "fga-dev-policies"
    error_message = "Resources are named after the environment."
  }

  assert {
    condition     = output.deletion_protection
    error_message = "Outside local, stateful resources must be protected unless the env says otherwise."
  }

  # --- oauth_scopes_come_from_the_access_model ---
  assert {
    condition = (
      toset(module.user_pool.resource_server_scopes) == toset([for s in keys(var.access.oauth.scopes) : "${var.access.oauth.resource_server}/${s}"])
    )
    error_message = "The resource server must declare exactly the model's scopes."
  }

  assert {
    condition = toset(module.user_pool.client_oauth_scopes["web"]) == toset(concat(
      var.access.oauth.oidc_scopes, [for s in keys(var.access.oauth.scopes) : "${var.access.oauth.resource_server}/${s}"]
    ))
    error_message = "The web client may request the model's OIDC scopes and every resource-server scope."
  }

  assert {
    condition = alltrue([
      for name, c in var.access.machine_clients : toset(module.user_pool.client_oauth_scopes[name]) == toset([for s in c.scopes : "${var.access.oauth.resource_server}/${s}"])
    ])
    error_message = "Each machine client may request exactly the scopes the model lists for it."
  }

  # --- every_machine_client_gets_a_confidential_client_and_its_policy ---
  assert {
    condition     = length(var.access.machine_clients) >= 2 && sort(keys(output.machine_clients)) == sort(keys(var.access.machine_clients))
    error_message = "Every machine client of the model gets an app client (and the demo model has at least two)."
  }

  assert {
    condition = alltrue([
      for name in keys(var.access.machine_clients) : contains(keys(module.user_pool.client_ids), name)
    ])
    error_message = "Every machine client needs its own app client."
  }

  assert {
    condition = alltrue([
      for name, c in var.access.machine_clients : output.machine_clients[name].policy_key == (c.policy.template != null ? "client:${name}" : c.policy.group)
    ])
    error_message = "A client with its own template is governed by the item client:<name>; a group-governed one by that group's item."
  }

  assert {
    condition = alltrue([
      for name, c in var.access.machine_clients : jsondecode(output.client_policies["client:${name}"]) == jsondecode(templatefile("../../policy_templates/clients/${name}.json.tftpl", {
        api_arn     = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/dev"
        region      = "us-east-1"
        account_id  = "123456789012"
        api_id      = "a1b2c3d4e5"
        stage       = "dev"
        environment = "dev"
      })) if c.policy.template != null
    ])
    error_message = "A machine client's policy item must hold exactly its rendered template."
  }

  assert {
    condition = sort([for v in values(jsondecode(local.authorizer_machine_clients)) : v.policy]) == sort([
      for name, c in var.access.machine_clients : c.policy.template != null ? "client:${name}" : c.policy.group
    ])
    error_message = "The authorizer must learn every declared machine client's policy key (MACHINE_CLIENTS)."
  }

  assert {
    condition = alltrue([
      for id, v in jsondecode(local.authorizer_machine_clients) : contains([for name, c in output.machine_clients : c.client_id], id) && contains([for name, c in output.machine_clients : jsonencode(c.scopes)], jsonencode(v.scopes))
    ])
    error_message = "MACHINE_CLIENTS is keyed by the machine clients' app client ids and carries their scopes."
  }

  # --- authorizer_cache_defaults ---
  assert {
    condition     = var.settings.authorizer.result_ttl_seconds == 30 && var.settings.authorizer.policy_cache_seconds == 60 && var.settings.authorizer.revocation_check_seconds == 2
    error_message = "The documented defaults (docs/architecture.md, Authorizer cache window) are 30 s (API Gateway), 60 s (policy cache) and 2 s (revocation record)."
  }

  assert {
    condition     = module.authorizer.environment.REVOCATION_CHECK_SECONDS == "2" && module.authorizer.environment.REVOCATION_TABLE == output.revocation_table
    error_message = "The authorizer must be told the revocation table and how long it may trust a record it read."
  }

  # --- revocation_table_is_read_only_for_the_authorizer_and_written_only_by_the_feeds ---
  assert {
    condition = [
      for s in jsondecode(module.authorizer.role_policy).Statement : s.Action if contains(s.Resource, module.revocations.table_arn)
    ] == [["dynamodb:GetItem"]]
    error_message = "The authorizer may only dynamodb:GetItem the revocation table."
  }

  assert {
    condition = alltrue([
      for fn in [module.signout, module.revocation_feed] : [
        for s in jsondecode(fn.role_policy).Statement : s.Action if contains(s.Resource, module.revocations.table_arn)
      ] == [["dynamodb:GetItem", "dynamodb:PutItem"]]
    ])
    error_message = "The sign-out and the feed may read-then-write (GetItem, conditional PutItem) the revocation table, nothing else."
  }

  assert {
    condition = alltrue([
      for fn in values(module.backend) : length([
        for s in jsondecode(fn.role_policy).Statement : s if contains(s.Resource, module.revocations.table_arn)
      ]) == 0
    ])
    error_message = "The backends must not touch the revocation table."
  }

  assert {
    condition     = module.revocations.ttl_attribute == "expires_at" && output.revocation_table == "fga-dev-revocations"
    error_message = "Every environment declares <prefix>-revocations with its TTL attribute."
  }

  # --- admin_actions_reach_the_feed_through_eventbridge ---
  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.admin_actions.event_pattern) == {
      source        = ["aws.cognito-idp"]
      "detail-type" = ["AWS API Call via CloudTrail"]
      detail = {
        eventSource       = ["cognito-idp.amazonaws.com"]
        eventName         = ["AdminUserGlobalSignOut", "AdminDisableUser", "AdminDeleteUser", "AdminRemoveUserFromGroup", "AdminAddUserToGroup"]
        requestParameters = { userPoolId = ["us-east-1_TEST"] }
        errorCode         = [{ exists = false }]
      }
    }
    error_message = "The rule must match exactly the five successful admin calls on this user pool."
  }

  assert {
    condition     = aws_cloudwatch_event_target.admin_actions.arn == module.revocation_feed.arn && aws_lambda_permission.admin_actions.source_arn == aws_cloudwatch_event_rule.admin_actions.arn && aws_lambda_permission.admin_actions.principal == "events.amazonaws.com"
    error_message = "Only this rule may invoke the feed (SourceArn)."
  }

  assert {
    condition     = module.revocation_feed.role_policy != null && strcontains(module.revocation_feed.role_policy, "arn:aws:sqs:us-east-1:123456789012:fga-dev-revocation-feed-dlq") && aws_sqs_queue.revocation_feed_dlq.sqs_managed_sse_enabled
    error_message = "Events the feed failed to record after Lambda's retries must land in its encrypted dead-letter queue."
  }

  assert {
    condition     = module.revocation_feed.environment.REST_API_ID == "a1b2c3d4e5" && module.revocation_feed.environment.STAGE_NAME == "dev" && module.revocation_feed.environment.TOKEN_LIFETIME_SECONDS == "3630" && module.revocation_feed.environment.REVOCATION_CHECK_SECONDS == "2"
    error_message = "The feed flushes this stage's authorizer cache and remembers a revocation for the longest token lifetime + skew."
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.signout_flush.policy).Statement[0].Resource == "arn:aws:apigateway:us-east-1::/restapis/a1b2c3d4e5/stages/dev/cache/authorizers"
    error_message = "The sign-out may flush this stage's authorizer cache and nothing else."
  }

  # --- signout_is_an_endpoint_of_the_api_but_not_a_route_of_the_access_model ---
  assert {
    condition = (
      output.methods["session-signout"].authorization == "COGNITO_USER_POOLS"
      && output.methods["session-signout"].method == "POST"
      && toset(output.methods["session-signout"].scopes) == toset(["aws.cognito.signin.user.admin", "openid"])
      && !contains(keys(var.access.routes), "session-signout")
    )
    error_message = "POST /session/signout: Cognito user-pool authorizer with an access token (openid or aws.cognito.signin.user.admin), declared by the stack, not the access model."
  }

  # --- the_authorizer_reads_the_issuers_jwks_by_default ---
  assert {
    condition     = module.authorizer.environment.JWKS_URL == "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TEST/.well-known/jwks.json" && !contains(keys(module.authorizer.environment), "LOCAL_JWKS")
    error_message = "Outside local the authorizer's JWKS_URL is <issuer>/.well-known/jwks.json and LOCAL_JWKS is not set."
  }

  # --- web_client_writes_only_names_by_default ---
  assert {
    condition     = toset(local.web_client_write_attributes) == toset(["given_name", "family_name"])
    error_message = "Without self sign-up the web client may write only given_name and family_name (never email, sub or the verified flags)."
  }

  assert {
    condition     = toset(local.web_client_read_attributes) == toset(["email", "email_verified", "given_name", "family_name"])
    error_message = "The web client reads only what the tokens and the backend use."
  }
}

run "local_turns_deletion_protection_off" {
  command = plan
  variables {
    settings = merge(var.settings, { environment = "local" })
  }

  assert {
    condition     = !output.deletion_protection
    error_message = "The throwaway local environment needs no deletion protection."
  }
}

run "explicit_false_turns_it_off" {
  command = plan
  variables {
    settings = merge(var.settings, { deletion_protection = false })
  }

  assert {
    condition     = !output.deletion_protection
    error_message = "deletion_protection = false must win over the environment default."
  }
}

run "name_prefix_and_stage_name_reach_every_name" {
  command = plan
  variables {
    settings = merge(var.settings, { name_prefix = "acme-dev", stage_name = "v1" })
  }

  assert {
    condition     = output.policy_table == "acme-dev-policies" && output.records_table == "acme-dev-records"
    error_message = "settings.name_prefix must name the tables (the bootstrap's deploy roles are scoped to it)."
  }

  assert {
    condition     = alltrue([for f in values(output.functions) : startswith(f, "acme-dev-")])
    error_message = "settings.name_prefix must name every function."
  }

  assert {
    condition     = output.stage_name == "v1"
    error_message = "settings.stage_name must name the API stage."
  }

  assert {
    condition     = alltrue([for g, p in output.group_policies : strcontains(jsonencode(p), "a1b2c3d4e5/v1/")])
    error_message = "The rendered policies must be bound to settings.stage_name."
  }
}

run "verification_names_the_machine_clients_and_their_token_endpoint" {
  command = plan
  variables {
    settings = merge(var.settings, { verification = { enabled = true } })
  }

  assert {
    condition     = output.verification.machine_clients == { for name, c in output.machine_clients : name => c.client_id }
    error_message = "make verify calls as the declared machine clients: the verification output names their client ids (never a secret)."
  }

  assert {
    condition     = output.verification.token_endpoint == "https://fga-test-auth.auth.us-east-1.amazoncognito.com/oauth2/token"
    error_message = "The machine callers' tokens come from the token endpoint of the pool's domain."
  }

  assert {
    condition     = !strcontains(jsonencode(output.verification), "secret")
    error_message = "No secret in the verification output."
  }
}

run "rejects_machine_client_without_its_template" {
  command = plan
  variables {
    access = merge(var.access, {
      machine_clients = { auditor = { scopes = ["news.read"], policy = { template = "auditor" } } }
    })
  }
  expect_failures = [var.access]
}

run "rejects_machine_client_with_two_policies" {
  command = plan
  variables {
    access = merge(var.access, {
      machine_clients = { reporter = { scopes = ["news.read"], policy = { template = "reporter", group = "admin" } } }
    })
  }
  expect_failures = [var.access]
}

run "rejects_machine_client_of_an_unknown_group" {
  command = plan
  variables {
    access = merge(var.access, {
      machine_clients = { partner = { scopes = ["news.read"], policy = { group = "nobody" } } }
    })
  }
  expect_failures = [var.access]
}

run "rejects_machine_client_with_an_undeclared_scope" {
  command = plan
  variables {
    access = merge(var.access, {
      machine_clients = { partner = { scopes = ["billing.read"], policy = { group = "admin" } } }
    })
  }
  expect_failures = [var.access]
}

run "rejects_machine_client_without_scopes" {
  command = plan
  variables {
    access = merge(var.access, {
      machine_clients = { partner = { scopes = [], policy = { group = "admin" } } }
    })
  }
  expect_failures = [var.access]
}

run "rejects_machine_client_named_web" {
  command = plan
  variables {
    access = merge(var.access, {
      machine_clients = { web = { scopes = ["news.read"], policy = { group = "admin" } } }
    })
  }
  expect_failures = [var.access]
}

run "rejects_machine_client_named_verify" {
  command = plan
  variables {
    access = merge(var.access, {
      machine_clients = { verify = { scopes = ["news.read"], policy = { group = "admin" } } }
    })
  }
  expect_failures = [var.access]
}

run "machine_clients_are_optional" {
  command = plan
  variables {
    access = { for k, v in var.access : k => v if k != "machine_clients" }
  }

  assert {
    condition     = length(output.machine_clients) == 0 && jsondecode(local.authorizer_machine_clients) == {}
    error_message = "A model without machine_clients deploys none (and the authorizer accepts no machine token)."
  }
}

run "rejects_machine_clients_without_a_domain" {
  command = plan
  variables {
    settings = merge(var.settings, { user_pool = {} })
  }
  expect_failures = [var.settings]
}

run "no_domain_is_fine_without_machine_clients" {
  command = plan
  variables {
    access   = merge(var.access, { machine_clients = {} })
    settings = merge(var.settings, { user_pool = {} })
  }
}

run "rejects_the_old_confidential_client_setting" {
  command = plan
  variables {
    settings = merge(var.settings, { user_pool = { domain_prefix = "fga-test-auth", confidential_client = true } })
  }
  expect_failures = [var.settings]
}

run "rejects_group_without_template" {
  command = plan
  variables {
    access = merge(var.access, { machine_clients = {}, groups = { auditors = { precedence = 5 } } })
  }
  expect_failures = [var.access]
}

run "rejects_duplicate_precedence" {
  command = plan
  variables {
    access = merge(var.access, {
      machine_clients = {}
      groups = {
        admin     = { precedence = 1 }
        cip-users = { precedence = 1 }
      }
    })
  }
  expect_failures = [var.access]
}

run "rejects_bad_group_name" {
  command = plan
  variables {
    access = merge(var.access, { machine_clients = {}, groups = { "bad group" = { precedence = 1 } } })
  }
  expect_failures = [var.access]
}

run "rejects_undeclared_route_scope" {
  command = plan
  variables {
    access = merge(var.access, {
      routes = { cup = { path = "/cup", method = "GET", auth = "user_pool", handler = "profiles", scopes = ["api/billing.read"] } }
    })
  }
  expect_failures = [var.access]
}

run "rejects_bad_environment_name" {
  command = plan
  variables {
    settings = merge(var.settings, { environment = "production" })
  }
  expect_failures = [var.settings]
}

run "rejects_external_provider_for_unknown_group" {
  command = plan
  variables {
    settings = merge(var.settings, {
      external_providers = { google = { issuer_url = "https://accounts.google.com", client_ids = ["g"], group = "nobody" } }
    })
  }
  expect_failures = [var.settings]
}

run "rejects_bad_architecture" {
  command = plan
  variables {
    settings = merge(var.settings, { lambda_architecture = "sparc" })
  }
  expect_failures = [var.settings]
}

run "rejects_bad_name_prefix" {
  command = plan
  variables {
    settings = merge(var.settings, { name_prefix = "Bad_Prefix" })
  }
  expect_failures = [var.settings]
}

run "rejects_bad_token_use" {
  command = plan
  variables {
    settings = merge(var.settings, { authorizer = { token_use = "refresh" } })
  }
  expect_failures = [var.settings]
}

run "rejects_unknown_user_pool_role_mapping" {
  command = plan
  variables {
    settings = merge(var.settings, { identity_pool = { user_pool_role_mapping = "Union" } })
  }
  expect_failures = [var.settings]
}

run "token_user_pool_role_mapping_is_accepted" {
  command = plan
  variables {
    settings = merge(var.settings, { identity_pool = { user_pool_role_mapping = "Token" } })
  }
}

run "strict_authorizer_cache_settings_are_accepted" {
  command = plan
  variables {
    settings = merge(var.settings, { authorizer = { result_ttl_seconds = 0, policy_cache_seconds = 0 } })
  }

  assert {
    condition     = var.settings.authorizer.result_ttl_seconds == 0 && var.settings.authorizer.policy_cache_seconds == 0
    error_message = "0 (no cache) must be a valid value for both authorizer caches: it is the strict setting."
  }
}

run "rejects_revocation_check_over_five_minutes" {
  command = plan
  variables {
    settings = merge(var.settings, { authorizer = { revocation_check_seconds = 301 } })
  }
  expect_failures = [var.settings]
}

run "rejects_fractional_revocation_check" {
  command = plan
  variables {
    settings = merge(var.settings, { authorizer = { revocation_check_seconds = 2.5 } })
  }
  expect_failures = [var.settings]
}

run "revocation_check_zero_is_accepted" {
  command = plan
  variables {
    settings = merge(var.settings, { authorizer = { revocation_check_seconds = 0 } })
  }

  assert {
    condition     = module.authorizer.environment.REVOCATION_CHECK_SECONDS == "0"
    error_message = "0 (read the revocation record on every decision) must be a valid value."
  }
}

run "rejects_result_ttl_above_api_gateway_maximum" {
  command = plan
  variables {
    settings = merge(var.settings, { authorizer = { result_ttl_seconds = 3601 } })
  }
  expect_failures = [var.settings]
}

run "rejects_fractional_result_ttl" {
  command = plan
  variables {
    settings = merge(var.settings, { authorizer = { result_ttl_seconds = 1.5 } })
  }
  expect_failures = [var.settings]
}

run "rejects_negative_policy_cache" {
  command = plan
  variables {
    settings = merge(var.settings, { authorizer = { policy_cache_seconds = -1 } })
  }
  expect_failures = [var.settings]
}

run "rejects_policy_cache_over_an_hour" {
  command = plan
  variables {
    settings = merge(var.settings, { authorizer = { policy_cache_seconds = 86400 } })
  }
  expect_failures = [var.settings]
}

run "local_jwks_origin_is_a_loopback_origin_in_local_only" {
  command = plan
  variables {
    settings = merge(var.settings, { environment = "local", authorizer = { jwks_origin = "http://127.0.0.1:4566" } })
  }

  assert {
    condition     = module.authorizer.environment.JWKS_URL == "http://127.0.0.1:4566/us-east-1_TEST/.well-known/jwks.json" && module.authorizer.environment.LOCAL_JWKS == "true"
    error_message = "In local, jwks_origin names the emulator's JWKS and sets LOCAL_JWKS (the function then admits a loopback JWKS_URL)."
  }
}

run "rejects_jwks_origin_outside_local" {
  command = plan
  variables {
    settings = merge(var.settings, { authorizer = { jwks_origin = "http://127.0.0.1:4566" } })
  }
  expect_failures = [var.settings]
}

run "rejects_a_jwks_origin_that_is_not_loopback" {
  command = plan
  variables {
    settings = merge(var.settings, { environment = "local", authorizer = { jwks_origin = "https://keys.example.com" } })
  }
  expect_failures = [var.settings]
}

run "self_sign_up_lets_the_web_client_write_the_required_attributes" {
  command = plan
  variables {
    settings = merge(var.settings, { user_pool = { domain_prefix = "fga-test-auth", self_sign_up = true, custom_attributes = { tier = {} } } })
  }

  assert {
    condition     = toset(local.web_client_write_attributes) == toset(["given_name", "family_name", "email"])
    error_message = "SignUp writes the required attributes through the client, so with self sign-up they must be writable."
  }

  assert {
    condition     = contains(local.web_client_read_attributes, "custom:tier") && !contains(local.web_client_write_attributes, "custom:tier")
    error_message = "Declared custom attributes are readable, not writable, by the web client."
  }
}

run "verification_is_off_by_default" {
  command = plan

  override_resource {
    target          = module.user_pool.aws_cognito_user_pool_client.this["web"]
    override_during = plan
    values          = { id = "webclientid" }
  }

  assert {
    condition     = !contains(keys(module.user_pool.client_ids), "verify") && output.verification == null
    error_message = "Without settings.verification.enabled there is no verification client and nothing to verify with."
  }

  assert {
    condition     = local.token_client_ids == ["webclientid"]
    error_message = "Without verification the Lambda authorizer accepts the web client's tokens only."
  }
}

run "verification_adds_a_locked_down_client_and_nothing_to_the_web_client" {
  command = plan

  override_resource {
    target          = module.user_pool.aws_cognito_user_pool_client.this["web"]
    override_during = plan
    values          = { id = "webclientid" }
  }

  override_resource {
    target          = module.user_pool.aws_cognito_user_pool_client.this["verify"]
    override_during = plan
    values          = { id = "verifyclientid" }
  }
  variables {
    settings = merge(var.settings, { verification = { enabled = true, writes = true } })
  }

  assert {
    condition = (
      toset(module.user_pool.client_auth_flows["verify"].explicit_auth_flows) == toset(["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]) &&
      length(module.user_pool.client_auth_flows["verify"].oauth_flows) == 0 &&
      !module.user_pool.client_auth_flows["verify"].oauth_enabled &&
      length(module.user_pool.client_oauth_scopes["verify"]) == 0
    )
    error_message = "The verification client signs in only through AdminInitiateAuth (IAM-authorized): no user password flow, no SRP, no hosted UI, no OAuth scope."
  }

  assert {
    condition     = toset(module.user_pool.client_auth_flows["web"].explicit_auth_flows) == toset(["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    error_message = "Verification must not add a password flow to the web client."
  }

  assert {
    condition     = toset(local.token_client_ids) == toset(["webclientid", "verifyclientid"])
    error_message = "The Lambda authorizer must accept the verification client's tokens (and still the web client's), or lambda cells cannot be verified."
  }

  assert {
    condition     = output.verification.verification_client_id == "verifyclientid" && output.verification.user_pool_client_id == "webclientid" && output.verification.writes
    error_message = "The verification output names both clients and says whether writes are allowed."
  }
}

run "rejects_verification_writes_without_verification" {
  command = plan
  variables {
    settings = merge(var.settings, { verification = { writes = true } })
  }

  expect_failures = [var.settings]
}
