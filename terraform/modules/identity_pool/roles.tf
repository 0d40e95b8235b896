# IAM documents are keyed statement maps (key = Sid) rendered with jsonencode, so tests can read them
# under a mocked provider.
locals {
  # Trust shared by every role the identity pool hands out: only this identity pool, only
  # authenticated identities (the amr claim of Cognito's OpenID token), only through
  # AssumeRoleWithWebIdentity.
  trust_statements = {
    CognitoIdentityAuthenticated = {
      Effect    = "Allow"
      Principal = { Federated = "cognito-identity.amazonaws.com" }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals             = { "cognito-identity.amazonaws.com:aud" = aws_cognito_identity_pool.this.id }
        "ForAnyValue:StringLike" = { "cognito-identity.amazonaws.com:amr" = "authenticated" }
      }
    }
  }
  trust_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [for sid, s in local.trust_statements : merge({ Sid = sid }, s)]
  })

  # The default authenticated role: what a signed-in user gets when no mapping applies. It can do
  # nothing.
  deny_all_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Sid = "DenyEverything", Effect = "Deny", Action = "*", Resource = "*" }]
  })
}

resource "aws_iam_role" "default_authenticated" {
  name                 = "${var.name}-authenticated-default"
  description          = "Default authenticated role of ${var.name}: denies everything."
  assume_role_policy   = local.trust_policy
  max_session_duration = 3600
  tags                 = var.tags
}

resource "aws_iam_role_policy" "default_authenticated" {
  name   = "deny-all"
  role   = aws_iam_role.default_authenticated.id
  policy = local.deny_all_policy
}

resource "aws_iam_role" "group" {
  for_each = var.group_policies

  name                 = substr("${var.name}-group-${each.key}", 0, 64)
  description          = "Role of user-pool group ${each.key} (identity pool ${var.name})."
  assume_role_policy   = local.trust_policy
  max_session_duration = 3600
  tags                 = merge(var.tags, { "fga:group" = each.key })
}

resource "aws_iam_role_policy" "group" {
  for_each = var.group_policies

  name = "group-${each.key}"
  role = aws_iam_role.group[each.key].id
  # The rendered template itself, normalised: the same document the policy store holds.
  policy = jsonencode(jsondecode(each.value.policy))
}
