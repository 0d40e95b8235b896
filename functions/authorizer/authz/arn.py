"""The method ARN API Gateway sends, the API/stage prefix every returned Resource must stay under,
and IAM-style wildcard matching (used only to log whether the returned policy allows this route).

methodArn: `arn:<partition>:execute-api:<region>:<account>:<api-id>/<stage>/<VERB>/<path...>`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

_METHOD_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):execute-api:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"(?P<api>[A-Za-z0-9]+)/(?P<stage>[A-Za-z0-9_-]+)/(?P<verb>[A-Z]+|\*)(?P<path>/[^\s]*)?$"
)


class BadMethodArn(ValueError):
    """The event's methodArn is not an execute-api method ARN."""


class MethodArn(NamedTuple):
    partition: str
    region: str
    account: str
    api_id: str
    stage: str
    verb: str
    path: str
    arn: str
    api_prefix: str  # `arn:...:<api-id>/<stage>/`: every Resource the authorizer returns starts with it

    @property
    def route(self) -> str:
        """`GET /petstore/v1/pets`, for logs."""
        return f"{self.verb} {self.path}"


def parse_method_arn(value: object) -> MethodArn:
    if not isinstance(value, str) or len(value) > 2048:
        raise BadMethodArn("methodArn missing or too long")
    return _parse(value)


@lru_cache(maxsize=1024)  # a container sees few distinct routes; errors are not cached
def _parse(value: str) -> MethodArn:
    match = _METHOD_ARN.match(value)
    if not match:
        raise BadMethodArn("methodArn is not an execute-api method ARN")
    partition, region, account = match["partition"], match["region"], match["account"]
    api_id, stage = match["api"], match["stage"]
    return MethodArn(
        partition=partition,
        region=region,
        account=account,
        api_id=api_id,
        stage=stage,
        verb=match["verb"],
        path=match["path"] or "/",
        arn=value,
        api_prefix=f"arn:{partition}:execute-api:{region}:{account}:{api_id}/{stage}/",
    )


def outside_prefix(resources: list[str], prefix: str) -> list[str]:
    """Resources that do not lie under `prefix` (a wildcard before the prefix's end counts as outside)."""
    return [r for r in resources if not r.startswith(prefix)]


@lru_cache(maxsize=512)
def _pattern(resource: str) -> re.Pattern[str]:
    """IAM's `*` (any run of characters) and `?` (one character) as a regex that cannot backtrack
    without bound: a caller controls the method ARN (the request path is in it), and `.*` per star
    took seconds for `/*/a/*/a/*/a/*/b` against a 463-character ARN (issue 22). Every `*` but the
    last becomes an atomic group `(?>.*?<text up to the next star>)`: the leftmost place where
    that text fits, never retried (as CPython's fnmatch does). That place is always right: the
    text between two stars has a fixed length and a star accepts anything, so an earlier place
    leaves more for the rest. A match costs O(len(arn) x len(resource)). (tools/iam_wildcards.py
    is the same idea for the project's IAM evaluator; this package imports nothing of the repo.)"""
    runs = ["".join("." if ch == "?" else re.escape(ch) for ch in run) for run in resource.split("*")]
    if len(runs) == 1:
        return re.compile(runs[0], re.DOTALL)
    first, *middle, last = runs
    groups = "".join(f"(?>.*?{run})" for run in middle)
    return re.compile(f"{first}{groups}.*{last}", re.DOTALL)


def resource_matches(resource: str, arn: str) -> bool:
    return _pattern(resource).fullmatch(arn) is not None
