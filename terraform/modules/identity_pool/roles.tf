# Trust shared by every role the identity pool hands out: only this identity pool, only authenticated
# identities (the amr claim of Cognito's OpenID token), only through AssumeRoleWithWebIdentity.
data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "CognitoIdentityAuthenticated"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = ["cognito-identity.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "cognito-identity.amazonaws.com:aud"
      values   = [aws_cognito_identity_pool.this.id]
    }

    condition {
      test     = "ForAnyValue:StringLike"
      variable = "cognito-identity.amazonaws.com:amr"
      values   = ["authenticated"]
    }
  }
}

# The default authenticated role: what a signed-in user gets when no mapping applies. It can do nothing.
data "aws_iam_policy_document" "deny_all" {
  statement {
    sid       = "DenyEverything"
    effect    = "Deny"
    actions   = ["*"]
    resources = ["*"]
  }
}

resource "aws_iam_role" "default_authenticated" {
  name                 = "${var.name}-authenticated-default"
  description          = "Default authenticated role of ${var.name}: denies everything."
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = 3600
  tags                 = var.tags
}

resource "aws_iam_role_policy" "default_authenticated" {
  name   = "deny-all"
  role   = aws_iam_role.default_authenticated.id
  policy = data.aws_iam_policy_document.deny_all.json
}

resource "aws_iam_role" "group" {
  for_each = var.group_policies

  name                 = substr("${var.name}-group-${each.key}", 0, 64)
  description          = "Role of user-pool group ${each.key} (identity pool ${var.name})."
  assume_role_policy   = data.aws_iam_policy_document.trust.json
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
