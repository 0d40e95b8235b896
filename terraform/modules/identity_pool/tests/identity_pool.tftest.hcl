mock_provider "aws" {
  override_during = plan

  mock_resource "aws_cognito_identity_pool" {
    defaults = { id = "eu-west-1:00000000-0000-0000-0000-000000000000" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mock" }
  }
  mock_resource "aws_iam_openid_connect_provider" {
    defaults = { arn = "arn:aws:iam::123456789012:oidc-provider/accounts.google.com" }
  }
}

# Distinct ARNs per group role, so the rule assertions can tell the roles apart.
override_resource {
  target          = aws_iam_role.group["admin"]
  override_during = plan
  values          = { arn = "arn:aws:iam::123456789012:role/fga-test-group-admin" }
}

override_resource {
  target          = aws_iam_role.group["google-users"]
  override_during = plan
  values          = { arn = "arn:aws:iam::123456789012:role/fga-test-group-google-users" }
}

variables {
  name = "fga-test"
  user_pool = {
    endpoint  = "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc"
    client_id = "client123"
  }
  group_policies = {
    admin        = { policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"execute-api:Invoke\",\"Resource\":\"arn:aws:execute-api:eu-west-1:123456789012:abc/dev/GET/news\"}]}" }
    google-users = { policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"execute-api:Invoke\",\"Resource\":\"arn:aws:execute-api:eu-west-1:123456789012:abc/dev/GET/google\"}]}" }
  }
  oidc_providers = {
    google = { issuer_url = "https://accounts.google.com", client_ids = ["g-client"], group = "google-users" }
  }
}

# One plan for every run that sets no variables of its own and expects no failure: each run block is
# a whole plan (the AWS provider's schema, the graph walk), and these share the file's variables.
# Each group of assertions keeps the name of the run it was.
run "with_the_files_variables" {
  command = plan

  # --- no_guest_access_and_server_side_token_check ---
  assert {
    condition     = !aws_cognito_identity_pool.this.allow_unauthenticated_identities && !aws_cognito_identity_pool.this.allow_classic_flow
    error_message = "No unauthenticated identities and no classic flow."
  }

  assert {
    condition     = one(aws_cognito_identity_pool.this.cognito_identity_providers).server_side_token_check
    error_message = "The identity pool must check user-pool tokens server side."
  }

  # --- default_authenticated_role_denies_everything ---
  assert {
    condition = jsondecode(aws_iam_role_policy.default_authenticated.policy).Statement == [
      { Sid = "DenyEverything", Effect = "Deny", Action = "*", Resource = "*" }
    ]
    error_message = "The default authenticated role must deny everything and allow nothing."
  }

  assert {
    condition     = aws_cognito_identity_pool_roles_attachment.this.roles["authenticated"] == aws_iam_role.default_authenticated.arn
    error_message = "The deny-all role must be the pool's authenticated role."
  }

  # --- trust_policies_are_conditioned_on_aud_and_amr ---
  assert {
    condition = alltrue([
      for r in concat([aws_iam_role.default_authenticated], values(aws_iam_role.group)) :
      jsondecode(r.assume_role_policy).Statement[0].Condition.StringEquals["cognito-identity.amazonaws.com:aud"] == "eu-west-1:00000000-0000-0000-0000-000000000000"
      && jsondecode(r.assume_role_policy).Statement[0].Condition["ForAnyValue:StringLike"]["cognito-identity.amazonaws.com:amr"] == "authenticated"
      && jsondecode(r.assume_role_policy).Statement[0].Action == "sts:AssumeRoleWithWebIdentity"
    ])
    error_message = "Every role's trust must require this pool (aud) and an authenticated identity (amr)."
  }

  # --- group_roles_carry_their_rendered_policy ---
  assert {
    condition     = alltrue([for g, p in var.group_policies : jsondecode(aws_iam_role_policy.group[g].policy) == jsondecode(p.policy)])
    error_message = "Each group's role policy must be exactly its rendered template."
  }

  # --- role_mappings_deny_when_ambiguous ---
  assert {
    condition     = alltrue([for m in aws_cognito_identity_pool_roles_attachment.this.role_mapping : m.ambiguous_role_resolution == "Deny"])
    error_message = "Ambiguous role resolution must be Deny for every provider."
  }

  assert {
    condition = one([
      for m in aws_cognito_identity_pool_roles_attachment.this.role_mapping : m.type if m.identity_provider == "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc:client123"
    ]) == "Rules"
    error_message = "User-pool users are mapped by rules on cognito:preferred_role by default."
  }

  assert {
    condition = one([
      for m in aws_cognito_identity_pool_roles_attachment.this.role_mapping : m.type if m.identity_provider == "accounts.google.com"
    ]) == "Rules"
    error_message = "External OIDC users are mapped by rules, keyed by the issuer without scheme."
  }

  assert {
    condition = one(flatten([
      for m in aws_cognito_identity_pool_roles_attachment.this.role_mapping : [for r in m.mapping_rule : "${r.claim} ${r.match_type} ${r.value}"] if m.identity_provider == "accounts.google.com"
    ])) == "aud Equals g-client"
    error_message = "The default rule maps the provider's own client (aud) to the group's role."
  }

  # --- user_pool_users_get_only_their_preferred_role_by_default ---
  # One rule per group role: "cognito:preferred_role Equals <the role's ARN>" gives that role, so the
  # only rule a token can match is its preferred role's; nothing else (CustomRoleArn included) can
  # hand out another role, and a token without a preferred role matches nothing and is denied.
  assert {
    condition = toset(flatten([
      for m in aws_cognito_identity_pool_roles_attachment.this.role_mapping : [
        for r in m.mapping_rule : "${r.claim} ${r.match_type} ${r.value} -> ${r.role_arn}"
      ] if m.identity_provider == "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc:client123"
      ])) == toset([
      "cognito:preferred_role Equals arn:aws:iam::123456789012:role/fga-test-group-admin -> arn:aws:iam::123456789012:role/fga-test-group-admin",
      "cognito:preferred_role Equals arn:aws:iam::123456789012:role/fga-test-group-google-users -> arn:aws:iam::123456789012:role/fga-test-group-google-users",
    ])
    error_message = "Each group role needs exactly one rule: cognito:preferred_role Equals its ARN -> that role."
  }

  assert {
    condition = one([
      for m in aws_cognito_identity_pool_roles_attachment.this.role_mapping : m.ambiguous_role_resolution
      if m.identity_provider == "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc:client123"
    ]) == "Deny"
    error_message = "A user-pool token that matches no rule (no group) must get no credentials."
  }
}

run "token_option_maps_user_pool_users_by_token" {
  command = plan
  variables {
    user_pool_role_mapping = "Token"
  }

  assert {
    condition = one([
      for m in aws_cognito_identity_pool_roles_attachment.this.role_mapping : "${m.type} ${m.ambiguous_role_resolution} ${length(m.mapping_rule)}"
      if m.identity_provider == "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc:client123"
    ]) == "Token Deny 0"
    error_message = "The Token option maps user-pool users from cognito:preferred_role / cognito:roles, with no rules."
  }

  assert {
    condition = one([
      for m in aws_cognito_identity_pool_roles_attachment.this.role_mapping : m.type if m.identity_provider == "accounts.google.com"
    ]) == "Rules"
    error_message = "External OIDC users stay on rules whatever the user-pool mapping is."
  }
}

run "rejects_unknown_user_pool_role_mapping" {
  command = plan
  variables {
    user_pool_role_mapping = "Union"
  }
  expect_failures = [var.user_pool_role_mapping]
}

run "rejects_guest_access" {
  command = plan
  variables {
    allow_unauthenticated_identities = true
  }
  expect_failures = [var.allow_unauthenticated_identities]
}

run "rejects_policy_without_statement" {
  command = plan
  variables {
    group_policies = { admin = { policy = "{\"Version\":\"2012-10-17\"}" } }
  }
  expect_failures = [var.group_policies]
}

run "rejects_bad_rule_match_type" {
  command = plan
  variables {
    oidc_providers = {
      google = {
        issuer_url = "https://accounts.google.com", client_ids = ["g"], group = "google-users"
        rules      = [{ claim = "email", match_type = "Regex", value = ".*" }]
      }
    }
  }
  expect_failures = [var.oidc_providers]
}

run "rejects_provider_without_clients" {
  command = plan
  variables {
    oidc_providers = { google = { issuer_url = "https://accounts.google.com", client_ids = [], group = "google-users" } }
  }
  expect_failures = [var.oidc_providers]
}

run "rejects_long_name" {
  command = plan
  variables {
    name = "a-name-that-is-far-too-long-for-iam-role-prefixes"
  }
  expect_failures = [var.name]
}

run "rejects_plain_http_issuer" {
  command = plan
  variables {
    oidc_providers = { google = { issuer_url = "http://accounts.google.com", client_ids = ["g"], group = "google-users" } }
  }
  expect_failures = [var.oidc_providers]
}

run "rejects_provider_mapped_to_unknown_group" {
  command = plan
  variables {
    oidc_providers = { google = { issuer_url = "https://accounts.google.com", client_ids = ["g"], group = "nobody" } }
  }
  expect_failures = [var.oidc_providers]
}

run "an_extra_client_gets_a_provider_entry_and_the_same_rules" {
  command = plan

  variables {
    user_pool = {
      endpoint         = "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc"
      client_id        = "client123"
      extra_client_ids = ["verify456"]
    }
  }

  assert {
    condition = toset([for p in aws_cognito_identity_pool.this.cognito_identity_providers : "${p.provider_name}:${p.client_id}:${p.server_side_token_check}"]) == toset([
      "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc:client123:true",
      "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc:verify456:true",
    ])
    error_message = "Each accepted app client is one provider entry of the pool, checked server side."
  }

  assert {
    condition = length(distinct([
      for m in aws_cognito_identity_pool_roles_attachment.this.role_mapping : jsonencode({
        type = m.type, ambiguous = m.ambiguous_role_resolution, rules = [for r in m.mapping_rule : [r.claim, r.match_type, r.value, r.role_arn]]
      }) if startswith(m.identity_provider, "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc:")
    ])) == 1 && length([for m in aws_cognito_identity_pool_roles_attachment.this.role_mapping : m if m.identity_provider == "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc:verify456"]) == 1
    error_message = "The extra client's users must be mapped by exactly the web client's rules: a verification through it sees what the web client's users get."
  }
}

run "rejects_an_extra_client_that_repeats_the_main_one" {
  command = plan

  variables {
    user_pool = {
      endpoint         = "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc"
      client_id        = "client123"
      extra_client_ids = ["client123"]
    }
  }

  expect_failures = [var.user_pool]
}
