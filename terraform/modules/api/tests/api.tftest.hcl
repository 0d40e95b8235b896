# Plan-level checks of the api module with a mocked AWS provider (no account, no emulator).
mock_provider "aws" {
  override_during = plan

  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_resource "aws_api_gateway_rest_api" {
    defaults = {
      id               = "a1b2c3d4e5"
      root_resource_id = "rootid0000"
      execution_arn    = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5"
    }
  }
}

variables {
  name       = "test-api"
  stage_name = "dev"
  routes = {
    cip-get     = { path = "/cip", method = "GET", auth = "iam", handler = "profiles" }
    cup-post    = { path = "/cup", method = "POST", auth = "user_pool", handler = "profiles" }
    cup-email   = { path = "/cup/email", method = "GET", auth = "user_pool", handler = "profiles", scopes = ["email"] }
    pets-item   = { path = "/petstore/v1/pets/{id}", method = "ANY", auth = "lambda", handler = "pets" }
    news-delete = { path = "/news", method = "DELETE", auth = "lambda", handler = "news" }
    deep-proxy  = { path = "/a/b/c/d/e/{proxy+}", method = "GET", auth = "lambda", handler = "news" }
  }
  handlers = {
    profiles = { function_name = "fn-profiles", invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:fn-profiles/invocations" }
    pets     = { function_name = "fn-pets", invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:fn-pets/invocations" }
    news     = { function_name = "fn-news", invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:fn-news/invocations" }
  }
  lambda_authorizer = {
    function_name      = "fn-authorizer"
    invoke_arn         = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:fn-authorizer/invocations"
    result_ttl_seconds = 120
  }
  user_pool_arns    = ["arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_abc"]
  cors_allow_origin = "https://app.example.com"
}

# One plan for every run that sets no variables of its own and expects no failure: each run block is
# a whole plan (the AWS provider's schema, the graph walk), and these share the file's variables.
# Each group of assertions keeps the name of the run it was.
run "with_the_files_variables" {
  command = plan

  # --- methods_follow_their_routes_auth_mode ---
  assert {
    condition = alltrue([
      for k, r in var.routes : aws_api_gateway_method.route[k].authorization == { iam = "AWS_IAM", user_pool = "COGNITO_USER_POOLS", lambda = "CUSTOM" }[r.auth]
    ])
    error_message = "A method's authorization type does not match its route's auth mode."
  }

  assert {
    condition     = alltrue([for k, r in var.routes : aws_api_gateway_method.route[k].http_method == r.method])
    error_message = "A method's HTTP verb does not match its route."
  }

  assert {
    condition     = aws_api_gateway_method.route["cup-email"].authorization_scopes == toset(["email"])
    error_message = "The scoped user_pool route must require its OAuth scope."
  }

  assert {
    condition     = aws_api_gateway_method.route["cup-post"].authorization_scopes == null
    error_message = "A user_pool route without scopes must not require any (then API Gateway accepts ID tokens)."
  }

  assert {
    condition     = aws_api_gateway_method.route["cip-get"].authorizer_id == null
    error_message = "iam routes use AWS_IAM, not an authorizer."
  }

  # --- only_cors_preflight_is_unauthenticated ---
  assert {
    condition     = alltrue([for m in aws_api_gateway_method.route : m.authorization != "NONE"])
    error_message = "Every route method must require authorization."
  }

  assert {
    condition     = alltrue([for m in aws_api_gateway_method.options : m.http_method == "OPTIONS" && m.authorization == "NONE"])
    error_message = "Only the generated OPTIONS methods may be unauthenticated."
  }

  assert {
    condition     = length(aws_api_gateway_method.options) == length(distinct([for r in values(var.routes) : r.path]))
    error_message = "Every routed path needs exactly one CORS preflight method."
  }

  assert {
    condition     = aws_api_gateway_integration_response.options["/petstore/v1/pets/{id}"].response_parameters["method.response.header.Access-Control-Allow-Methods"] == "'DELETE,GET,HEAD,PATCH,POST,PUT,OPTIONS'"
    error_message = "An ANY route must advertise every verb in its preflight."
  }

  # --- resource_tree_is_built_level_by_level ---
  assert {
    condition     = aws_api_gateway_resource.level6["/a/b/c/d/e/{proxy+}"].path_part == "{proxy+}"
    error_message = "A six-level path must be created at level 6."
  }

  assert {
    condition     = aws_api_gateway_resource.level1["/petstore"].parent_id == "rootid0000"
    error_message = "First-level resources hang off the API root."
  }

  assert {
    condition     = length(aws_api_gateway_resource.level4) == 2 && contains(keys(aws_api_gateway_resource.level4), "/petstore/v1/pets/{id}")
    error_message = "Intermediate path segments must each get one resource."
  }

  # --- lambda_permissions_are_scoped_with_source_arn ---
  assert {
    condition     = alltrue([for p in aws_lambda_permission.route : startswith(p.source_arn, "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/dev/")])
    error_message = "Every route permission must be bound to this API and stage."
  }

  assert {
    condition     = aws_lambda_permission.route["pets-item"].source_arn == "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/dev/*/petstore/v1/pets/*"
    error_message = "ANY and path parameters become wildcards, nothing wider."
  }

  assert {
    condition     = aws_lambda_permission.route["news-delete"].source_arn == "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/dev/DELETE/news"
    error_message = "A plain route's permission names its verb and path."
  }

  assert {
    condition     = length(aws_lambda_permission.authorizer) == 1
    error_message = "The Lambda authorizer needs its own scoped permission."
  }

  # --- authorizers_and_gateway_responses ---
  assert {
    condition     = aws_api_gateway_authorizer.lambda["lambda"].type == "TOKEN" && aws_api_gateway_authorizer.lambda["lambda"].authorizer_result_ttl_in_seconds == 120
    error_message = "The Lambda authorizer is a TOKEN authorizer with the configured cache TTL."
  }

  assert {
    condition     = aws_api_gateway_authorizer.lambda["lambda"].identity_source == "method.request.header.Authorization"
    error_message = "The Lambda authorizer reads the Authorization header."
  }

  assert {
    condition     = aws_api_gateway_authorizer.user_pool["user_pool"].type == "COGNITO_USER_POOLS"
    error_message = "user_pool routes use a COGNITO_USER_POOLS authorizer."
  }

  assert {
    condition = alltrue([
      for t in ["UNAUTHORIZED", "ACCESS_DENIED", "MISSING_AUTHENTICATION_TOKEN", "DEFAULT_4XX", "DEFAULT_5XX"] :
      aws_api_gateway_gateway_response.cors[t].response_parameters["gatewayresponse.header.Access-Control-Allow-Origin"] == "'https://app.example.com'"
    ])
    error_message = "Gateway responses (401/403 and every other 4xx/5xx through DEFAULT_4XX/DEFAULT_5XX) must carry the CORS origin header, or a browser cannot read a refusal."
  }

  # --- stage_logs_throttles_and_traces ---
  assert {
    condition     = aws_api_gateway_stage.this.xray_tracing_enabled
    error_message = "X-Ray tracing must be on."
  }

  assert {
    condition     = strcontains(aws_api_gateway_stage.this.access_log_settings[0].format, "$context.authorizer.error") && strcontains(aws_api_gateway_stage.this.access_log_settings[0].format, "$context.identity.cognitoIdentityId")
    error_message = "Access logs must include the authorizer error and the Cognito identity id."
  }

  assert {
    condition     = aws_api_gateway_method_settings.all.settings[0].throttling_rate_limit == 50 && !aws_api_gateway_method_settings.all.settings[0].data_trace_enabled
    error_message = "Throttling on, data tracing (which would log tokens) off."
  }
}

run "rejects_unknown_auth_mode" {
  command = plan
  variables {
    routes = { bad = { path = "/x", method = "GET", auth = "apikey", handler = "news" } }
  }
  expect_failures = [var.routes]
}

run "rejects_unknown_method" {
  command = plan
  variables {
    routes = { bad = { path = "/x", method = "FETCH", auth = "iam", handler = "news" } }
  }
  expect_failures = [var.routes]
}

run "rejects_bad_path" {
  command = plan
  variables {
    routes = { bad = { path = "x/", method = "GET", auth = "iam", handler = "news" } }
  }
  expect_failures = [var.routes]
}

run "rejects_scopes_outside_user_pool" {
  command = plan
  variables {
    routes = { bad = { path = "/x", method = "GET", auth = "lambda", handler = "news", scopes = ["email"] } }
  }
  expect_failures = [var.routes]
}

run "rejects_unknown_handler" {
  command = plan
  variables {
    routes = { bad = { path = "/x", method = "GET", auth = "iam", handler = "billing" } }
  }
  expect_failures = [var.routes]
}

run "rejects_lambda_route_without_authorizer" {
  command = plan
  variables {
    lambda_authorizer = null
  }
  expect_failures = [var.routes]
}

run "rejects_user_pool_route_without_pool" {
  command = plan
  variables {
    user_pool_arns = []
  }
  expect_failures = [var.routes]
}

run "rejects_duplicate_method_and_path" {
  command = plan
  variables {
    routes = {
      one = { path = "/x", method = "GET", auth = "iam", handler = "news" }
      two = { path = "/x", method = "GET", auth = "lambda", handler = "news" }
    }
  }
  expect_failures = [var.routes]
}

run "rejects_wildcard_cors_origin" {
  command = plan
  variables {
    cors_allow_origin = "*"
  }
  expect_failures = [var.cors_allow_origin]
}

run "rejects_bad_authorizer_ttl" {
  command = plan
  variables {
    lambda_authorizer = {
      function_name      = "fn"
      invoke_arn         = "arn:x"
      result_ttl_seconds = 7200
    }
  }
  expect_failures = [var.lambda_authorizer]
}

run "rejects_bad_stage_name" {
  command = plan
  variables {
    stage_name = "dev stage"
  }
  expect_failures = [var.stage_name]
}

run "rejects_bad_logging_level" {
  command = plan
  variables {
    execution_logging_level = "DEBUG"
  }
  expect_failures = [var.execution_logging_level]
}

run "rejects_bad_route_name" {
  command = plan
  variables {
    routes = { "bad route" = { path = "/x", method = "GET", auth = "iam", handler = "news" } }
  }
  expect_failures = [var.routes]
}

run "rejects_fractional_authorizer_ttl" {
  command = plan
  variables {
    lambda_authorizer = {
      function_name      = "fn"
      invoke_arn         = "arn:x"
      result_ttl_seconds = 0.5
    }
  }
  expect_failures = [var.lambda_authorizer]
}

run "authorizer_ttl_zero_turns_caching_off" {
  command = plan
  variables {
    lambda_authorizer = {
      function_name      = "fn"
      invoke_arn         = "arn:x"
      result_ttl_seconds = 0
    }
  }

  assert {
    condition     = aws_api_gateway_authorizer.lambda["lambda"].authorizer_result_ttl_in_seconds == 0
    error_message = "result_ttl_seconds = 0 must reach the authorizer (API Gateway then caches nothing)."
  }
}
