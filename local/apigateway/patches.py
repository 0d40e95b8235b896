"""Patches of moto's API Gateway, applied by `local.emulator.apply_patches()`.

FlushStageAuthorizersCache (`DELETE /restapis/{restapi_id}/stages/{stage_name}/cache/authorizers`,
API reference): moto has no route for it. Here it answers as AWS does, 202 with an empty body (the
flush is asynchronous on AWS; here it is done before the answer), NotFoundException for an unknown
API or stage, and the local gateway drops every cached authorizer result of that stage
(`local.apigateway.flushes`, read by `TokenAuthorizers`).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlparse

from moto.apigateway import urls as apigateway_urls
from moto.apigateway.responses import APIGatewayResponse

from local.apigateway import flushes

FLUSH_PATH = re.compile(r"/restapis/(?P<api>[^/]+)/stages/(?P<stage>[^/]+)/cache/authorizers/?$")


def flush_stage_authorizers_cache(
    request: Any, full_url: str, headers: Any
) -> tuple[int, dict[str, str], str]:
    match = FLUSH_PATH.search(urlparse(full_url).path)
    if match is None or request.method != "DELETE":
        return 404, {"Content-Type": "application/json"}, '{"message": "Not Found"}'
    api_id, stage = unquote(match.group("api")), unquote(match.group("stage"))
    response = APIGatewayResponse()
    response.setup_class(request, full_url, headers)
    response.backend.get_stage(api_id, stage)  # NotFoundException for an unknown API or stage
    flushes.flush(api_id, stage)
    return 202, {}, ""


def apply() -> None:
    """Install the route (called once, from `local.emulator.apply_patches`)."""
    apigateway_urls.url_paths[
        "{0}/restapis/(?P<function_id>[^/]+)/stages/(?P<stage_name>[^/]+)/cache/authorizers/?$"
    ] = flush_stage_authorizers_cache
