# IAM documents are keyed statement maps (key = Sid) rendered with jsonencode, so tests can read them
# under a mocked provider.
locals {
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "LambdaService"
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
    }]
  })

  base_statements = merge(
    {
      WriteOwnLogs = {
        actions    = ["logs:CreateLogStream", "logs:PutLogEvents"]
        resources  = ["${local.log_group_arn}:*"]
        conditions = []
      }
    },
    # X-Ray segment APIs have no resource-level permissions, hence "*".
    var.tracing ? { XRay = { actions = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources = ["*"], conditions = [] } } : {},
    var.kms_key_arn == null ? {} : { DecryptEnvironment = { actions = ["kms:Decrypt"], resources = [var.kms_key_arn], conditions = [] } },
  )

  statements = merge(local.base_statements, var.policy_statements)

  role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      for sid, s in local.statements : merge(
        { Sid = sid, Effect = "Allow", Action = s.actions, Resource = s.resources },
        length(s.conditions) == 0 ? {} : {
          Condition = { for test in distinct([for c in s.conditions : c.test]) : test => {
            for c in s.conditions : c.variable => c.values if c.test == test
          } }
        },
      )
    ]
  })
}

resource "aws_iam_role" "this" {
  name               = substr("${var.name}-fn", 0, 64)
  assume_role_policy = local.assume_role_policy
  tags               = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = "function"
  role   = aws_iam_role.this.id
  policy = local.role_policy
}
