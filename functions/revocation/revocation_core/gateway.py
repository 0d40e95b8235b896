"""API Gateway's authorizer result cache: flush a stage's, so a revocation is not outlived by it.

FlushStageAuthorizersCache (`DELETE /restapis/{id}/stages/{stage}/cache/authorizers`, IAM action
`apigateway:DELETE` on that path) empties every authorizer's cache of the stage: each caller's next
request invokes the authorizer again. It is a control-plane call, answered 202 (the flush is
asynchronous), under the account's shared control-plane quota (docs/architecture.md, "Revocation",
has the figures and the cost for everyone else). It is never retried here: when it fails, the
answer says so and the result cache's TTL bounds the revocation instead.
"""

from __future__ import annotations

from revocation_core import aws
from revocation_core.logs import log


def flush_authorizers(rest_api_id: str, stage: str) -> bool:
    """True when API Gateway accepted the flush; False (logged at WARNING) otherwise."""
    if not rest_api_id or not stage:
        log("WARNING", "authorizer cache not flushed", reason="no API or stage to flush")
        return False
    try:
        aws.client("apigateway").flush_stage_authorizers_cache(restApiId=rest_api_id, stageName=stage)
    except Exception as exc:
        log(
            "WARNING",
            "authorizer cache not flushed",
            reason=aws.error_code(exc),
            rest_api_id=rest_api_id,
            stage=stage,
        )
        return False
    return True
