"""Route matching: precedence, path parameters, {proxy+}, ANY, and what does not match."""

from __future__ import annotations

import pytest

from local.apigateway.api_model import Method, Resource
from local.apigateway.router import Router


def method(verb: str) -> Method:
    return Method(
        http_method=verb,
        authorization_type="NONE",
        authorizer_id=None,
        authorization_scopes=(),
        api_key_required=False,
        integration=None,
    )


def resource(path: str, *verbs: str) -> Resource:
    return Resource(id=path, path=path, methods={v: method(v) for v in verbs})


ROUTER = Router(
    [
        resource("/"),
        resource("/petstore"),
        resource("/petstore/v1"),
        resource("/petstore/v1/pets", "ANY"),
        resource("/petstore/v1/pets/{id}", "ANY"),
        resource("/petstore/v1/pets/mine", "GET"),
        resource("/petstore/v2"),
        resource("/petstore/v2/status", "GET"),
        resource("/files"),
        resource("/files/{proxy+}", "GET", "PUT"),
        resource("/files/readme", "GET"),
        resource("/users/{user}/orders/{order}", "GET"),
        resource("/cip", "GET", "POST", "OPTIONS"),
    ]
)


@pytest.mark.parametrize(
    ("verb", "path", "resource_path", "params"),
    [
        ("GET", "/cip", "/cip", {}),
        ("POST", "/cip", "/cip", {}),
        ("GET", "/cip/", "/cip", {}),  # a trailing slash is ignored
        ("DELETE", "/petstore/v1/pets", "/petstore/v1/pets", {}),  # ANY takes every verb
        ("PATCH", "/petstore/v1/pets/42", "/petstore/v1/pets/{id}", {"id": "42"}),
        ("GET", "/petstore/v1/pets/mine", "/petstore/v1/pets/mine", {}),  # literal beats {param}
        ("POST", "/petstore/v1/pets/mine", None, None),  # ...and does not fall back to {id} for POST
        ("GET", "/files/readme", "/files/readme", {}),  # literal beats {proxy+}
        ("GET", "/files/a/b/c.txt", "/files/{proxy+}", {"proxy": "a/b/c.txt"}),
        ("PUT", "/files/x", "/files/{proxy+}", {"proxy": "x"}),
        ("GET", "/files", None, None),  # {proxy+} needs at least one segment; /files has no GET
        ("GET", "/users/u1/orders/o%2F2", "/users/{user}/orders/{order}", {"user": "u1", "order": "o/2"}),
        ("GET", "/users/u%20one/orders/7", "/users/{user}/orders/{order}", {"user": "u one", "order": "7"}),
    ],
)
def test_matches(verb: str, path: str, resource_path: str | None, params: dict[str, str] | None) -> None:
    match = ROUTER.match(verb, path)
    if resource_path is None:
        assert match is None
        return
    assert match is not None
    assert match.resource.path == resource_path
    assert dict(match.path_parameters) == params


@pytest.mark.parametrize(
    ("verb", "path"),
    [
        ("GET", "/unknown"),
        ("DELETE", "/cip"),  # resource exists, verb does not
        ("GET", "/petstore/v2/pets"),
        ("GET", "/petstore"),  # resource without methods
        ("GET", "/"),
        ("GET", "/users/u1/orders"),
    ],
)
def test_unknown_path_or_verb_does_not_match(verb: str, path: str) -> None:
    assert ROUTER.match(verb, path) is None


def test_param_branch_is_tried_when_literal_branch_cannot_match() -> None:
    router = Router([resource("/a/{x}/c", "GET"), resource("/a/b", "GET")])
    match = router.match("GET", "/a/b/c")
    assert match is not None
    assert match.resource.path == "/a/{x}/c"
    assert match.path_parameters == {"x": "b"}


def test_exact_verb_beats_any() -> None:
    router = Router([Resource(id="r", path="/x", methods={"ANY": method("ANY"), "GET": method("GET")})])
    match = router.match("GET", "/x")
    assert match is not None
    assert match.method.http_method == "GET"
    other = router.match("POST", "/x")
    assert other is not None
    assert other.method.http_method == "ANY"


def test_root_proxy_catches_everything_below_root() -> None:
    router = Router([resource("/", "GET"), resource("/{proxy+}", "ANY")])
    root = router.match("GET", "/")
    assert root is not None
    assert root.resource.path == "/"
    deep = router.match("POST", "/x/y")
    assert deep is not None
    assert deep.path_parameters == {"proxy": "x/y"}
