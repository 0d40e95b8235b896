locals {
  auto_verified_attributes = contains(var.sign_in_attributes, "email") || contains(var.required_attributes, "email") ? ["email"] : []
}

resource "aws_cognito_user_pool" "this" {
  name                     = var.name
  username_attributes      = length(var.sign_in_attributes) > 0 ? var.sign_in_attributes : null
  auto_verified_attributes = local.auto_verified_attributes
  mfa_configuration        = var.mfa
  deletion_protection      = var.deletion_protection ? "ACTIVE" : "INACTIVE"

  username_configuration {
    case_sensitive = false
  }

  password_policy {
    minimum_length                   = var.password_policy.minimum_length
    require_lowercase                = var.password_policy.require_lowercase
    require_uppercase                = var.password_policy.require_uppercase
    require_numbers                  = var.password_policy.require_numbers
    require_symbols                  = var.password_policy.require_symbols
    temporary_password_validity_days = var.password_policy.temporary_password_validity_days
  }

  dynamic "software_token_mfa_configuration" {
    for_each = var.mfa == "OFF" ? [] : [1]
    content {
      enabled = true
    }
  }

  admin_create_user_config {
    allow_admin_create_user_only = !var.self_sign_up
  }

  account_recovery_setting {
    recovery_mechanism {
      name     = "verified_email"
      priority = 1
    }
  }

  email_configuration {
    email_sending_account  = var.email.sending_account
    source_arn             = var.email.source_arn
    from_email_address     = var.email.from_address
    reply_to_email_address = var.email.reply_to_email_address
  }

  verification_message_template {
    default_email_option = "CONFIRM_WITH_CODE"
  }

  # A changed email stays unapplied (the old, verified one remains in force and in tokens) until the
  # user confirms the new address with the code Cognito sends to it. Cognito accepts only
  # auto-verified attributes here.
  dynamic "user_attribute_update_settings" {
    for_each = var.verify_attribute_changes && length(local.auto_verified_attributes) > 0 ? [1] : []
    content {
      attributes_require_verification_before_update = local.auto_verified_attributes
    }
  }

  dynamic "schema" {
    for_each = toset(var.required_attributes)
    content {
      name                = schema.value
      attribute_data_type = "String"
      mutable             = true
      required            = true

      # Cognito's own constraints for standard attributes; anything else reads back differently and
      # plans a replacement of the pool.
      string_attribute_constraints {
        min_length = 0
        max_length = 2048
      }
    }
  }

  dynamic "schema" {
    for_each = var.custom_attributes
    content {
      name                = schema.key
      attribute_data_type = schema.value.type
      mutable             = schema.value.mutable
      required            = false

      dynamic "string_attribute_constraints" {
        for_each = schema.value.type == "String" ? [1] : []
        content {
          min_length = schema.value.min_length
          max_length = schema.value.max_length
        }
      }

      dynamic "number_attribute_constraints" {
        for_each = schema.value.type == "Number" ? [1] : []
        content {
          min_value = schema.value.min_length
          max_value = schema.value.max_length
        }
      }
    }
  }

  tags = var.tags
}

resource "aws_cognito_user_pool_domain" "this" {
  for_each = var.domain_prefix == null ? {} : { hosted_ui = var.domain_prefix }

  domain       = each.value
  user_pool_id = aws_cognito_user_pool.this.id
}

resource "aws_cognito_resource_server" "this" {
  for_each = var.resource_server == null ? {} : { api = var.resource_server }

  user_pool_id = aws_cognito_user_pool.this.id
  identifier   = each.value.identifier
  name         = coalesce(each.value.name, each.value.identifier)

  dynamic "scope" {
    for_each = each.value.scopes
    content {
      scope_name        = scope.key
      scope_description = scope.value
    }
  }
}

resource "aws_cognito_user_pool_client" "this" {
  for_each = var.clients

  name         = "${var.name}-${each.key}"
  user_pool_id = aws_cognito_user_pool.this.id

  generate_secret                      = each.value.generate_secret
  allowed_oauth_flows_user_pool_client = length(each.value.allowed_oauth_flows) > 0
  allowed_oauth_flows                  = each.value.allowed_oauth_flows
  allowed_oauth_scopes                 = each.value.allowed_oauth_scopes
  explicit_auth_flows                  = each.value.explicit_auth_flows
  supported_identity_providers         = ["COGNITO"]
  callback_urls                        = each.value.callback_urls
  logout_urls                          = each.value.logout_urls
  read_attributes                      = each.value.read_attributes
  write_attributes                     = each.value.write_attributes

  prevent_user_existence_errors = "ENABLED"
  enable_token_revocation       = true

  access_token_validity  = each.value.access_token_validity_minutes
  id_token_validity      = each.value.id_token_validity_minutes
  refresh_token_validity = each.value.refresh_token_validity_days

  token_validity_units {
    access_token  = "minutes"
    id_token      = "minutes"
    refresh_token = "days"
  }

  # Custom scopes only exist once the resource server does.
  depends_on = [aws_cognito_resource_server.this]
}
