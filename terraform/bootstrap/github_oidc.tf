# GitHub Actions' OIDC identity provider: one per account. If the account already has one for
# token.actions.githubusercontent.com, import it instead of creating it (README.md, "Existing provider").
# No thumbprint: AWS validates GitHub's certificate against its own trusted CA store.
resource "aws_iam_openid_connect_provider" "github" {
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}
