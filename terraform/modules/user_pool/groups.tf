resource "aws_cognito_user_group" "this" {
  for_each = var.groups

  name         = each.key
  user_pool_id = aws_cognito_user_pool.this.id
  description  = each.value.description
  precedence   = each.value.precedence
  # Cognito puts the role of each of the user's groups in cognito:roles and the role of the group with
  # the lowest precedence in cognito:preferred_role; the identity pool's Token mapping reads them.
  role_arn = each.value.role_arn
}
