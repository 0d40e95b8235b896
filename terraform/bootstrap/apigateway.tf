# API Gateway writes a REST API's execution and access logs to CloudWatch Logs through one IAM role
# set in the account's API Gateway settings (per region). Without it, a stage with logging (the
# stack's access log and execution_logging_level = ERROR) is refused on apply: "CloudWatch Logs role
# ARN must be set in account settings to enable logging".
# https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html
# The name is outside every environment's fga-<env>- prefix and the apply roles are denied IAM
# actions on it (permissions.tf), so only this bootstrap changes it.
data "aws_iam_policy_document" "apigateway_trust" {
  statement {
    sid     = "ApiGatewayService"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "apigateway_cloudwatch" {
  name                 = local.apigateway_logs_role_name
  description          = "API Gateway (account settings, ${var.region}) pushes REST API execution and access logs to CloudWatch Logs."
  assume_role_policy   = data.aws_iam_policy_document.apigateway_trust.json
  max_session_duration = 3600
}

resource "aws_iam_role_policy_attachment" "apigateway_cloudwatch" {
  role       = aws_iam_role.apigateway_cloudwatch.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "this" {
  cloudwatch_role_arn = aws_iam_role.apigateway_cloudwatch.arn

  depends_on = [aws_iam_role_policy_attachment.apigateway_cloudwatch]
}
