mock_provider "aws" {
  override_during = plan
}

variables {
  name          = "fga-test"
  domain_prefix = "fga-test-auth"
  resource_server = {
    identifier = "api"
    scopes     = { "news.read" = "Read news" }
  }
  clients = {
    web = { callback_urls = ["https://app.example.com/callback", "http://localhost:3000/callback"] }
  }
  groups = {
    admin = { precedence = 1, role_arn = "arn:aws:iam::123456789012:role/admin" }
    vets  = { precedence = 10, description = "Vets" }
  }
}

# One plan for every run that sets no variables of its own and expects no failure: each run block is
# a whole plan (the AWS provider's schema, the graph walk), and these share the file's variables.
# Each group of assertions keeps the name of the run it was.
run "with_the_files_variables" {
  command = plan

  # --- safe_defaults ---
  assert {
    condition     = aws_cognito_user_pool.this.mfa_configuration == "OPTIONAL" && aws_cognito_user_pool.this.software_token_mfa_configuration[0].enabled
    error_message = "MFA must default to OPTIONAL with TOTP."
  }

  assert {
    condition     = aws_cognito_user_pool.this.admin_create_user_config[0].allow_admin_create_user_only
    error_message = "Self sign-up must be off by default."
  }

  assert {
    condition     = aws_cognito_user_pool.this.deletion_protection == "ACTIVE"
    error_message = "Deletion protection must be on by default."
  }

  assert {
    condition     = aws_cognito_user_pool.this.password_policy[0].minimum_length == 12 && aws_cognito_user_pool.this.password_policy[0].require_symbols
    error_message = "The default password policy must be strong."
  }

  assert {
    condition     = one(aws_cognito_user_pool.this.account_recovery_setting[0].recovery_mechanism).name == "verified_email"
    error_message = "Account recovery must go through a verified email."
  }

  assert {
    condition     = aws_cognito_user_pool.this.username_attributes == toset(["email"])
    error_message = "Users must sign in with their email by default."
  }

  assert {
    condition     = aws_cognito_user_pool.this.user_attribute_update_settings[0].attributes_require_verification_before_update == toset(["email"])
    error_message = "A changed email must stay unapplied until the user verifies the new address."
  }

  # --- public_client_uses_code_flow_without_secret ---
  assert {
    condition     = !aws_cognito_user_pool_client.this["web"].generate_secret
    error_message = "The web client is public: no secret."
  }

  assert {
    condition     = aws_cognito_user_pool_client.this["web"].allowed_oauth_flows == toset(["code"]) && aws_cognito_user_pool_client.this["web"].enable_token_revocation
    error_message = "The web client uses the authorization code flow with revocable tokens."
  }

  assert {
    condition     = !contains(tolist(aws_cognito_user_pool_client.this["web"].explicit_auth_flows), "ALLOW_USER_PASSWORD_AUTH")
    error_message = "Plain password auth must be off by default (SRP only)."
  }

  # --- groups_carry_precedence_and_role ---
  assert {
    condition     = aws_cognito_user_group.this["admin"].role_arn == "arn:aws:iam::123456789012:role/admin" && aws_cognito_user_group.this["admin"].precedence == 1
    error_message = "A group must carry its role ARN and precedence (they make cognito:preferred_role)."
  }

  assert {
    condition     = aws_cognito_user_group.this["vets"].role_arn == null
    error_message = "A group without a role gets none."
  }

  assert {
    condition     = length(aws_cognito_resource_server.this) == 1 && length(aws_cognito_user_pool_domain.this) == 1
    error_message = "The resource server and hosted UI domain must be created when configured."
  }
}

run "rejects_bad_mfa" {
  command = plan
  variables {
    mfa = "SMS"
  }
  expect_failures = [var.mfa]
}

run "rejects_short_passwords" {
  command = plan
  variables {
    password_policy = { minimum_length = 6 }
  }
  expect_failures = [var.password_policy]
}

run "rejects_developer_email_without_ses_identity" {
  command = plan
  variables {
    email = { sending_account = "DEVELOPER" }
  }
  expect_failures = [var.email]
}

run "rejects_plain_http_callbacks" {
  command = plan
  variables {
    clients = { web = { callback_urls = ["http://app.example.com/callback"] } }
  }
  expect_failures = [var.clients]
}

run "rejects_client_credentials_on_public_client" {
  command = plan
  variables {
    clients = { svc = { allowed_oauth_flows = ["client_credentials"] } }
  }
  expect_failures = [var.clients]
}

run "rejects_unknown_oauth_flow" {
  command = plan
  variables {
    clients = { web = { allowed_oauth_flows = ["password"] } }
  }
  expect_failures = [var.clients]
}

run "rejects_out_of_range_token_validity" {
  command = plan
  variables {
    clients = { web = { access_token_validity_minutes = 2880 } }
  }
  expect_failures = [var.clients]
}

run "rejects_bad_domain_prefix" {
  command = plan
  variables {
    domain_prefix = "Bad_Prefix"
  }
  expect_failures = [var.domain_prefix]
}

run "rejects_bad_sign_in_attribute" {
  command = plan
  variables {
    sign_in_attributes = ["nickname"]
  }
  expect_failures = [var.sign_in_attributes]
}

run "rejects_bad_custom_attribute_type" {
  command = plan
  variables {
    custom_attributes = { tier = { type = "Boolean" } }
  }
  expect_failures = [var.custom_attributes]
}

run "rejects_bad_name" {
  command = plan
  variables {
    name = "bad name"
  }
  expect_failures = [var.name]
}

run "rejects_reserved_words_in_domain_prefix" {
  command = plan
  variables {
    domain_prefix = "my-cognito-app"
  }
  expect_failures = [var.domain_prefix]
}

run "verification_before_update_can_be_turned_off_explicitly" {
  command = plan
  variables {
    verify_attribute_changes = false
  }

  assert {
    condition     = length(aws_cognito_user_pool.this.user_attribute_update_settings) == 0
    error_message = "verify_attribute_changes = false turns the setting off."
  }
}

run "client_attribute_permissions_are_passed_through" {
  command = plan
  variables {
    clients = {
      web = {
        callback_urls    = ["https://app.example.com/callback"]
        read_attributes  = ["email", "email_verified", "given_name"]
        write_attributes = ["given_name"]
      }
    }
  }

  assert {
    condition     = aws_cognito_user_pool_client.this["web"].write_attributes == toset(["given_name"]) && aws_cognito_user_pool_client.this["web"].read_attributes == toset(["email", "email_verified", "given_name"])
    error_message = "read_attributes and write_attributes must reach the client."
  }
}

run "rejects_a_client_writing_verified_flags" {
  command = plan
  variables {
    clients = { web = { read_attributes = ["email", "email_verified"], write_attributes = ["email", "email_verified"] } }
  }
  expect_failures = [var.clients]
}

run "rejects_an_empty_attribute_list" {
  command = plan
  variables {
    clients = { web = { write_attributes = [] } }
  }
  expect_failures = [var.clients]
}

run "rejects_writing_what_the_client_cannot_read" {
  command = plan
  variables {
    clients = { web = { read_attributes = ["email"], write_attributes = ["given_name"] } }
  }
  expect_failures = [var.clients]
}
