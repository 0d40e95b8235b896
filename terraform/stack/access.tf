# The access model: one rendered policy document per group feeds both enforcement points, the group's
# IAM role (iam mode) and its item in the policy table (lambda mode). Nobody writes a policy twice.
locals {
  template_vars = {
    api_arn     = module.api.stage_arn_prefix
    region      = local.region
    account_id  = local.account_id
    api_id      = module.api.id
    stage       = local.stage_name
    environment = local.environment
  }

  # The resource server's scopes as clients request them (<identifier>/<scope>): the web client may
  # request all of them, each machine client only those the model lists for it.
  resource_server_scopes = [for name in sort(keys(var.access.oauth.scopes)) : "${var.access.oauth.resource_server}/${name}"]

  # `make verify` (settings.verification): its own app client, accepted wherever the web client's
  # tokens are (the Lambda authorizer's ALLOWED_CLIENT_IDS, the identity pool), only when enabled.
  verification               = var.settings.verification
  verification_clients       = local.verification.enabled ? ["verify"] : []
  verification_token_minutes = 15
  # The app clients whose access tokens the Lambda authorizer accepts (ALLOWED_CLIENT_IDS).
  token_client_ids = [for name in concat(["web"], local.verification_clients) : module.user_pool.client_ids[name]]

  group_policies = {
    for g in keys(var.access.groups) : g => templatefile("${var.templates_dir}/${g}.json.tftpl", local.template_vars)
  }

  # Machine clients (client-credentials grant). In lambda mode each is governed by one policy-table
  # item: its own rendered template under "client:<name>" (no group can be named so: group names have
  # no ':'), or the item of the group the model names. The authorizer gets the mapping client id ->
  # {policy key, scopes} (MACHINE_CLIENTS, functions.tf).
  machine_clients = {
    for name, c in var.access.machine_clients : name => {
      scopes     = [for s in c.scopes : "${var.access.oauth.resource_server}/${s}"]
      policy_key = c.policy.template != null ? "client:${name}" : c.policy.group
    }
  }
  client_policies = {
    for name, c in var.access.machine_clients : "client:${name}" => templatefile("${var.templates_dir}/clients/${name}.json.tftpl", local.template_vars) if c.policy.template != null
  }

  # What the web client may read and write of a user's own attributes. It reads what the backend
  # and the tokens use (plus the pool's declared custom attributes); it writes only the names, and
  # the required attributes when users sign themselves up (SignUp writes them through the client).
  # Never sub or the *_verified flags; a changed email waits for verification (user_pool module).
  web_client_read_attributes = distinct(concat(
    ["email", "email_verified", "given_name", "family_name"],
    local.user_pool.required_attributes,
    [for name in keys(local.user_pool.custom_attributes) : "custom:${name}"],
  ))
  web_client_write_attributes = distinct(concat(
    ["given_name", "family_name"],
    local.user_pool.self_sign_up ? local.user_pool.required_attributes : [],
  ))
}

module "user_pool" {
  source = "../modules/user_pool"

  name                = local.prefix
  sign_in_attributes  = local.user_pool.sign_in_attributes
  mfa                 = local.user_pool.mfa
  self_sign_up        = local.user_pool.self_sign_up
  deletion_protection = local.deletion_protection
  password_policy     = local.user_pool.password_policy
  email               = local.user_pool.email
  custom_attributes   = local.user_pool.custom_attributes
  required_attributes = local.user_pool.required_attributes
  domain_prefix       = local.user_pool.domain_prefix

  resource_server = {
    identifier = var.access.oauth.resource_server
    name       = "${local.prefix}-${var.access.oauth.resource_server}"
    scopes     = { for name, scope in var.access.oauth.scopes : name => scope.description }
  }

  clients = merge(
    {
      web = {
        # Public SPA/mobile client: no secret, authorization code flow (with PKCE on the client side).
        allowed_oauth_flows  = ["code"]
        allowed_oauth_scopes = concat(var.access.oauth.oidc_scopes, local.resource_server_scopes)
        explicit_auth_flows = concat(
          ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
          local.user_pool.allow_password_auth ? ["ALLOW_USER_PASSWORD_AUTH"] : [],
        )
        callback_urls                 = local.user_pool.callback_urls
        logout_urls                   = local.user_pool.logout_urls
        read_attributes               = local.web_client_read_attributes
        write_attributes              = local.web_client_write_attributes
        access_token_validity_minutes = local.user_pool.access_token_validity_minutes
        id_token_validity_minutes     = local.user_pool.id_token_validity_minutes
        refresh_token_validity_days   = local.user_pool.refresh_token_validity_days
      }
    },
    local.verification.enabled ? {
      verify = {
        # The client `make verify` signs its ephemeral users in with (docs/deploying.md, "Verifying
        # an environment"): admin-initiated password sign-in only. AdminInitiateAuth needs AWS
        # credentials allowed cognito-idp:AdminInitiateAuth on this pool (the verify role), so no
        # browser, app or end user can use this client; no hosted UI, no OAuth flow or scope,
        # short-lived tokens. The web client keeps its own flows: no password flow is added to it.
        allowed_oauth_flows           = []
        allowed_oauth_scopes          = []
        explicit_auth_flows           = ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
        read_attributes               = local.web_client_read_attributes
        write_attributes              = ["given_name"] # Cognito needs one; nothing reads it for identity
        access_token_validity_minutes = local.verification_token_minutes
        id_token_validity_minutes     = local.verification_token_minutes
        refresh_token_validity_days   = 1
      }
    } : {},
    {
      # One confidential client per machine client of the model: client_credentials with its own
      # resource-server scopes only. Cognito generates the secret (docs/deploying.md, "Machine
      # clients": where it lives and how a service reads it).
      for name, c in local.machine_clients : name => {
        generate_secret               = true
        allowed_oauth_flows           = ["client_credentials"]
        allowed_oauth_scopes          = c.scopes
        explicit_auth_flows           = ["ALLOW_REFRESH_TOKEN_AUTH"]
        access_token_validity_minutes = local.user_pool.access_token_validity_minutes
      }
    },
  )

  groups = {
    for g, v in var.access.groups : g => {
      precedence  = v.precedence
      description = v.description
      role_arn    = module.identity_pool.group_role_arns[g]
    }
  }

  tags = local.tags
}

module "identity_pool" {
  source = "../modules/identity_pool"

  name = local.prefix
  user_pool = {
    endpoint  = module.user_pool.endpoint
    client_id = module.user_pool.client_ids["web"]
    # The verification client's ID tokens get credentials too, mapped by the same rules: iam-mode
    # cells are verified the way the web client's users get their roles.
    extra_client_ids = [for name in local.verification_clients : module.user_pool.client_ids[name]]
  }
  group_policies         = { for g, doc in local.group_policies : g => { policy = doc } }
  user_pool_role_mapping = var.settings.identity_pool.user_pool_role_mapping
  oidc_providers         = var.settings.external_providers
  tags                   = local.tags
}

module "policy_store" {
  source = "../modules/policy_store"

  table_name = "${local.prefix}-policies"
  group_policies = merge(
    { for g, doc in local.group_policies : g => { precedence = var.access.groups[g].precedence, policy = doc } },
    # A machine client's own item: one policy, so its precedence decides nothing (0).
    { for key, doc in local.client_policies : key => { precedence = 0, policy = doc } },
  )
  kms_key_arn         = aws_kms_key.this.arn
  deletion_protection = local.deletion_protection
  tags                = local.tags
}

module "records" {
  source = "../modules/data_table"

  table_name          = "${local.prefix}-records"
  kms_key_arn         = aws_kms_key.this.arn
  deletion_protection = local.deletion_protection
  tags                = local.tags
}
