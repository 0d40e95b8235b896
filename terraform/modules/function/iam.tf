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
    # The stack's key also protects its tables and log groups, so the role may not use it freely:
    # only as Lambda decrypting this function's own environment (Lambda encrypts it with the
    # encryption context aws:lambda:FunctionArn) and as DynamoDB reading the tables listed in
    # encrypted_tables (context aws:dynamodb:tableName / subscriberId).
    var.kms_key_arn == null ? {} : {
      DecryptEnvironment = {
        actions   = ["kms:Decrypt"]
        resources = [var.kms_key_arn]
        conditions = [
          { test = "StringEquals", variable = "kms:ViaService", values = ["lambda.${local.region}.amazonaws.com"] },
          { test = "StringEquals", variable = "kms:EncryptionContext:aws:lambda:FunctionArn", values = [local.function_arn] },
        ]
      }
    },
    var.kms_key_arn == null || length(var.encrypted_tables) == 0 ? {} : {
      DecryptTablesViaDynamoDB = {
        actions   = ["kms:Decrypt"]
        resources = [var.kms_key_arn]
        conditions = [
          { test = "StringEquals", variable = "kms:ViaService", values = ["dynamodb.${local.region}.amazonaws.com"] },
          { test = "StringEquals", variable = "kms:EncryptionContext:aws:dynamodb:subscriberId", values = [local.account_id] },
          { test = "StringEquals", variable = "kms:EncryptionContext:aws:dynamodb:tableName", values = var.encrypted_tables },
        ]
      }
    },
  )

  dead_letter_statements = var.dead_letter_queue_arn == null ? {} : {
    SendToDeadLetterQueue = { actions = ["sqs:SendMessage"], resources = [var.dead_letter_queue_arn], conditions = [] }
  }

  statements = merge(local.base_statements, local.dead_letter_statements, var.policy_statements)

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
