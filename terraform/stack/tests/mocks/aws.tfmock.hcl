# The AWS provider as the stack's test files mock it (mock_provider "aws" { source = "./tests/mocks" }):
# plan-time values for the attributes the stack and its assertions read.
mock_data "aws_region" {
  defaults = { name = "us-east-1" }
}
mock_data "aws_caller_identity" {
  defaults = { account_id = "123456789012" }
}
mock_data "aws_partition" {
  defaults = { partition = "aws" }
}
mock_resource "aws_api_gateway_rest_api" {
  defaults = {
    id               = "a1b2c3d4e5"
    root_resource_id = "rootid0000"
    execution_arn    = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5"
  }
}
mock_resource "aws_cognito_user_pool" {
  defaults = {
    id       = "us-east-1_TEST"
    arn      = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_TEST"
    endpoint = "cognito-idp.us-east-1.amazonaws.com/us-east-1_TEST"
  }
}
mock_resource "aws_cognito_identity_pool" {
  defaults = { id = "us-east-1:00000000-0000-0000-0000-000000000000" }
}
mock_resource "aws_kms_key" {
  defaults = { arn = "arn:aws:kms:us-east-1:123456789012:key/mock" }
}
mock_resource "aws_iam_role" {
  defaults = { arn = "arn:aws:iam::123456789012:role/mock" }
}
mock_resource "aws_sns_topic" {
  defaults = { arn = "arn:aws:sns:us-east-1:123456789012:fga-dev-alarms" }
}
mock_resource "aws_cloudwatch_metric_alarm" {
  defaults = { arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:mock" }
}
mock_resource "aws_cloudwatch_composite_alarm" {
  defaults = { arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:mock-composite" }
}

# Distinct app client ids, so that MACHINE_CLIENTS (keyed by client id) is known at plan time.
override_resource {
  target          = module.user_pool.aws_cognito_user_pool_client.this["web"]
  override_during = plan
  values          = { id = "webclientid000000000000000" }
}

override_resource {
  target          = module.user_pool.aws_cognito_user_pool_client.this["reporter"]
  override_during = plan
  values          = { id = "reporterclientid0000000000" }
}

override_resource {
  target          = module.user_pool.aws_cognito_user_pool_client.this["partner"]
  override_during = plan
  values          = { id = "partnerclientid00000000000" }
}
