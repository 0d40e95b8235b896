# Logs Insights saved queries for the questions an on-call asks first (the console lists them under
# "<prefix>/"). Field names are the authorizer's decision log and the stage's access-log format.
locals {
  fail_closed_reasons = "\"policy_table_unavailable\", \"jwks_unavailable\", \"key_not_rs256\", \"malformed_policy_item\", \"ambiguous_precedence\", \"policy_outside_api\", \"policy_too_large\", \"revocation_store_unavailable\""

  queries = {
    "who-was-denied-and-why" = {
      groups = [local.authz_group]
      query  = <<-EOT
        fields @timestamp, decision, reason, sub, groups, group, route, request_id
        | filter message = "authorizer decision" and decision != "allow"
        | sort @timestamp desc
        | limit 500
      EOT
    }
    "decisions-by-group" = {
      groups = [local.authz_group]
      query  = <<-EOT
        filter message = "authorizer decision"
        | stats count(*) as decisions by group, decision
        | sort decisions desc
      EOT
    }
    "fail-closed-decisions" = {
      groups = [local.authz_group]
      query  = <<-EOT
        fields @timestamp, decision, reason, level, message, sub, route
        | filter reason in [${local.fail_closed_reasons}] or reason like /^internal_error_/ or level = "ERROR"
        | stats count(*) as decisions by reason, message, bin(1m)
      EOT
    }
    "forged-token-probes" = {
      groups = [local.authz_group]
      query  = <<-EOT
        filter message = "authorizer decision" and reason in ["bad_signature", "unknown_kid", "algorithm_not_allowed", "missing_kid"]
        | stats count(*) as refused by reason, route, bin(5m)
      EOT
    }
    "gateway-errors" = {
      groups = [var.api.access_log_group]
      query  = <<-EOT
        fields @timestamp, status, httpMethod, resourcePath, ip, principalId, cognitoIdentityId, authorizerError, authorizeError, authenticateError, errorMessage, integrationError
        | filter status like /^[45]/
        | sort @timestamp desc
        | limit 500
      EOT
    }
    "backend-5xx" = {
      groups = [for f in values(local.backends) : f.log_group_name]
      query  = <<-EOT
        fields @timestamp, @log, method, resource, status, error
        | filter message = "request" and status >= 500
        | sort @timestamp desc
        | limit 200
      EOT
    }
  }
}

resource "aws_cloudwatch_query_definition" "this" {
  for_each = local.queries

  name            = "${var.name_prefix}/${each.key}"
  log_group_names = each.value.groups
  query_string    = trimspace(each.value.query)
}
