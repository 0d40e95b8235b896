"""What a live run sends for a contract cell and how it reads the answer (tools/live/probes.py)."""

from __future__ import annotations

import json

import pytest
import requests

from tools import config
from tools.live import probes
from tools.matrix import ALLOW, FORBIDDEN, UNAUTHORIZED

ROUTES = config.load("local").routes


def _response(status: int, headers: dict[str, str] | None = None, body: object = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers or {})
    response._content = json.dumps(body).encode() if body is not None else b""
    return response


class Fixtures:
    def __init__(self) -> None:
        self.made: list[str] = []

    def __call__(self, maker: str) -> str:
        self.made.append(maker)
        return {"pet_fixture": "fgaverify-run-1", "news_fixture": "20300101T000000Z-0123abcd"}[maker]


@pytest.mark.parametrize(("method"), ["PUT", "DELETE", "PATCH", "POST"])
def test_an_item_write_names_the_runs_own_pet(method: str) -> None:
    made = Fixtures()
    planned = probes.plan(ROUTES["pets-v1-item"], method, writes=True, fixture=made)
    assert planned.request is not None
    assert planned.request.path == "/petstore/v1/pets/fgaverify-run-1"
    assert made.made == ["pet_fixture"]


def test_a_collection_delete_is_narrowed_to_the_runs_own_news_item() -> None:
    made = Fixtures()
    planned = probes.plan(ROUTES["news-delete"], "DELETE", writes=True, fixture=made)
    assert planned.request is not None
    assert planned.request.path == "/news?id=20300101T000000Z-0123abcd"
    assert made.made == ["news_fixture"]


def test_reads_aim_at_nothing_of_the_run_and_writes_carry_the_example_body() -> None:
    made = Fixtures()
    read = probes.plan(ROUTES["pets-v1-item"], "GET", writes=True, fixture=made).request
    assert read is not None
    assert read.path == "/petstore/v1/pets/1"
    assert read.body is None
    post = probes.plan(ROUTES["cup-post"], "POST", writes=True, fixture=made).request
    assert post is not None
    assert post.body == dict(ROUTES["cup-post"].example_body or {})
    assert made.made == []


@pytest.mark.parametrize(
    ("route", "method"), [("news-delete", "DELETE"), ("cip-post", "POST"), ("pets-v1", "PATCH")]
)
def test_with_writes_off_no_write_is_sent_and_the_cell_says_why(route: str, method: str) -> None:
    made = Fixtures()
    planned = probes.plan(ROUTES[route], method, writes=False, fixture=made)
    assert planned.request is None
    assert "writes are off" in planned.skipped
    assert made.made == []
    assert probes.plan(ROUTES["news-get"], "GET", writes=False, fixture=made).request is not None


def test_the_pets_example_body_is_a_valid_pet() -> None:
    """A POST probe must be able to succeed: the handler takes exactly type and price."""
    body = ROUTES["pets-v1"].example_body or {}
    assert set(body) == {"type", "price"}


def test_denials_must_be_exact() -> None:
    route = ROUTES["news-get"]
    assert probes.matches(FORBIDDEN, route, "GET", _response(403))
    assert not probes.matches(FORBIDDEN, route, "GET", _response(401))
    assert not probes.matches(FORBIDDEN, route, "GET", _response(200))
    assert probes.matches(UNAUTHORIZED, route, "GET", _response(401))
    assert not probes.matches(UNAUTHORIZED, route, "GET", _response(403))


def test_allow_is_a_2xx_or_the_handlers_405_for_a_verb_an_any_route_does_not_serve() -> None:
    any_route, plain = ROUTES["pets-v1"], ROUTES["news-get"]
    assert probes.matches(ALLOW, plain, "GET", _response(200))
    assert probes.matches(ALLOW, any_route, "PATCH", _response(405, {"Allow": "GET, POST"}))
    # a 405 proves nothing on a route with one verb, or without the handler's Allow header,
    # or when the Allow header lists the verb (then the handler should have served it)
    assert not probes.matches(ALLOW, plain, "GET", _response(405, {"Allow": "DELETE"}))
    assert not probes.matches(ALLOW, any_route, "PATCH", _response(405))
    assert not probes.matches(ALLOW, any_route, "POST", _response(405, {"Allow": "GET, POST"}))
    for status in (400, 401, 403, 404, 500):
        assert not probes.matches(ALLOW, any_route, "GET", _response(status, {"Allow": "GET"}))


def test_a_created_pet_is_read_from_a_2xx_post_of_the_collection_only() -> None:
    created = _response(200, body={"pet": {"id": "abc"}, "message": "success"})
    assert probes.created_id(ROUTES["pets-v1"], "POST", created) == "abc"
    assert probes.created_id(ROUTES["pets-v1"], "POST", _response(403, body={"message": "x"})) is None
    assert probes.created_id(ROUTES["pets-v1-item"], "PUT", created) is None
    assert probes.created_id(ROUTES["cup-post"], "POST", created) is None
