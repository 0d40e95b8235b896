"""Match a request path and verb to a deployed resource and method, the way REST APIs do.

Contract (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-settings-method-request.html#api-gateway-proxy-resource):
* path segments are matched against the resource tree; at each level a literal segment beats a
  ``{param}`` segment, which beats a greedy ``{proxy+}`` (which needs at least one segment and
  swallows the rest, slashes included); when a more specific branch cannot match the remaining
  segments at all, the next one is tried;
* the verb is looked up on the matched resource, falling back to its ``ANY`` method; a resource
  without that verb does not fall through to another resource;
* no match means API Gateway's 403 ``Missing Authentication Token`` (the caller decides that).

Segments are percent-decoded after splitting (``%2F`` stays inside its segment); empty segments
(double or trailing slashes) are ignored.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from local.apigateway.api_model import Method, Resource

__all__ = ["Match", "Router", "split_path"]


@dataclass(frozen=True)
class Match:
    resource: Resource
    method: Method
    path_parameters: Mapping[str, str]


@dataclass
class _Node:
    resource: Resource | None = None
    literals: dict[str, _Node] = field(default_factory=dict)
    param: tuple[str, _Node] | None = None
    greedy: tuple[str, _Node] | None = None


def split_path(raw_path: str) -> list[str]:
    """Decoded, non-empty segments of a raw (percent-encoded) path."""
    return [urllib.parse.unquote(s) for s in raw_path.split("/") if s]


class Router:
    def __init__(self, resources: Iterable[Resource]) -> None:
        self._root = _Node()
        for resource in resources:
            node = self._root
            for part in [p for p in resource.path.split("/") if p]:
                node = self._child(node, part)
            node.resource = resource

    @staticmethod
    def _child(node: _Node, part: str) -> _Node:
        if part.startswith("{") and part.endswith("+}"):
            if node.greedy is None:
                node.greedy = (part[1:-2], _Node())
            return node.greedy[1]
        if part.startswith("{") and part.endswith("}"):
            if node.param is None:
                node.param = (part[1:-1], _Node())
            return node.param[1]
        return node.literals.setdefault(part, _Node())

    def _walk(self, node: _Node, segments: list[str], i: int, params: dict[str, str]) -> _Node | None:
        if i == len(segments):
            return node if node.resource is not None else None
        literal = node.literals.get(segments[i])
        if literal is not None and (found := self._walk(literal, segments, i + 1, params)) is not None:
            return found
        if node.param is not None:
            name, child = node.param
            params[name] = segments[i]
            if (found := self._walk(child, segments, i + 1, params)) is not None:
                return found
            del params[name]
        if node.greedy is not None and node.greedy[1].resource is not None:
            name, child = node.greedy
            params[name] = "/".join(segments[i:])
            return child
        return None

    def resolve(self, raw_path: str) -> tuple[Resource, dict[str, str]] | None:
        """The resource a path maps to (whatever its methods), with its path parameters."""
        params: dict[str, str] = {}
        node = self._walk(self._root, split_path(raw_path), 0, params)
        if node is None or node.resource is None:
            return None
        return node.resource, params

    def match(self, http_method: str, raw_path: str) -> Match | None:
        found = self.resolve(raw_path)
        if found is None:
            return None
        resource, params = found
        method = resource.methods.get(http_method.upper()) or resource.methods.get("ANY")
        if method is None:
            return None
        return Match(resource=resource, method=method, path_parameters=params)
