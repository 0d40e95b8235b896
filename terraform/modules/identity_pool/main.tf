locals {
  # The identity pool's name for an OIDC provider is its issuer URL without the scheme.
  oidc_provider_names = { for k, p in var.oidc_providers : k => replace(p.issuer_url, "/^https?:\\/\\//", "") }
  # Every app client of the user pool whose ID tokens this pool accepts: one provider entry and one
  # role mapping (identical rules) each.
  user_pool_client_ids = concat([var.user_pool.client_id], var.user_pool.extra_client_ids)
}

resource "aws_iam_openid_connect_provider" "this" {
  for_each = var.oidc_providers

  url             = each.value.issuer_url
  client_id_list  = each.value.client_ids
  thumbprint_list = each.value.thumbprints
  tags            = var.tags
}

resource "aws_cognito_identity_pool" "this" {
  identity_pool_name               = var.name
  allow_unauthenticated_identities = var.allow_unauthenticated_identities
  allow_classic_flow               = false

  dynamic "cognito_identity_providers" {
    for_each = local.user_pool_client_ids
    content {
      provider_name = var.user_pool.endpoint
      client_id     = cognito_identity_providers.value
      # Cognito checks with the user pool that the ID token was not revoked (user signed out/disabled).
      server_side_token_check = true
    }
  }

  openid_connect_provider_arns = [for k in sort(keys(var.oidc_providers)) : aws_iam_openid_connect_provider.this[k].arn]

  tags = var.tags
}

resource "aws_cognito_identity_pool_roles_attachment" "this" {
  identity_pool_id = aws_cognito_identity_pool.this.id

  roles = {
    authenticated = aws_iam_role.default_authenticated.arn
  }

  # User-pool users: the role of their group with the lowest precedence, which Cognito puts in the ID
  # token's cognito:preferred_role. Rules (default): one rule per group role, "cognito:preferred_role
  # Equals <role ARN>" -> that role. Only the preferred role's rule can match, and GetCredentialsForIdentity
  # grants a CustomRoleArn only for the role of a matching rule ("Using rule-based mapping to assign
  # roles to users"), so no caller can act as another of its groups; a user in no group matches no
  # rule and, with Deny, gets no credentials. Token (option): cognito:preferred_role by default, but
  # a caller may pick any role of its cognito:roles with CustomRoleArn.
  # https://docs.aws.amazon.com/cognito/latest/developerguide/role-based-access-control.html
  dynamic "role_mapping" {
    for_each = toset(local.user_pool_client_ids)
    content {
      identity_provider         = "${var.user_pool.endpoint}:${role_mapping.value}"
      type                      = var.user_pool_role_mapping
      ambiguous_role_resolution = "Deny"

      dynamic "mapping_rule" {
        for_each = var.user_pool_role_mapping == "Rules" ? aws_iam_role.group : {}
        content {
          claim      = "cognito:preferred_role"
          match_type = "Equals"
          value      = mapping_rule.value.arn
          role_arn   = mapping_rule.value.arn
        }
      }
    }
  }

  # External OIDC users: rules on their token's claims; no match means no credentials.
  dynamic "role_mapping" {
    for_each = var.oidc_providers
    content {
      identity_provider         = local.oidc_provider_names[role_mapping.key]
      type                      = "Rules"
      ambiguous_role_resolution = "Deny"

      dynamic "mapping_rule" {
        for_each = length(role_mapping.value.rules) > 0 ? role_mapping.value.rules : [{ claim = "aud", match_type = "Equals", value = role_mapping.value.client_ids[0] }]
        content {
          claim      = mapping_rule.value.claim
          match_type = mapping_rule.value.match_type
          value      = mapping_rule.value.value
          role_arn   = aws_iam_role.group[role_mapping.value.group].arn
        }
      }
    }
  }
}
