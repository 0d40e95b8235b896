"""The change-feed client's rules, without an emulator: when a kept value may be used, what counts
as the feed's answer, and how a request's observation reaches the code it calls."""

from __future__ import annotations

import json
import threading

import pytest

from local.core import changes
from local.core.changes import Generation, Versioned

G1 = Generation("a", 1)
G2 = Generation("a", 2)
OTHER = Generation("b", 0)


def test_a_value_is_used_only_under_the_generation_it_was_read_under() -> None:
    kept: Versioned[str, str] = Versioned()
    assert kept.get("k", G1) is None
    kept.put("k", "read at 1", G1)
    assert kept.get("k", G1) == "read at 1"
    assert kept.get("k", G2) is None  # something changed: read again
    assert kept.get("k", G1) is None  # and the old value is gone for good


def test_a_value_read_under_an_older_generation_is_not_kept() -> None:
    """A slow reader that observed generation 1 must not file its value under 2, which another
    request has already seen: the value may predate the change that made 2."""
    kept: Versioned[str, str] = Versioned()
    assert kept.get("k", G2) is None
    kept.put("k", "read after observing 1", G1)
    assert kept.get("k", G2) is None
    assert kept.get("k", G1) is None  # an older observation never serves a kept value either


def test_a_restarted_emulator_supersedes_whatever_it_counted_before() -> None:
    kept: Versioned[str, str] = Versioned()
    kept.put("k", "old instance", G2)
    assert OTHER.supersedes(G2)
    assert kept.get("k", OTHER) is None
    kept.put("k", "new instance", OTHER)
    assert kept.get("k", OTHER) == "new instance"


def test_without_a_generation_nothing_is_kept() -> None:
    kept: Versioned[str, str] = Versioned()
    kept.put("k", "v", None)
    assert kept.get("k", None) is None
    kept.put("k", "v", G1)
    assert kept.get("k", None) is None


def test_supersedes_is_strict_within_an_instance() -> None:
    assert G2.supersedes(G1)
    assert not G1.supersedes(G2)
    assert not G1.supersedes(Generation("a", 1))


def _answer(status: str, body: bytes) -> bytes:
    return f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n\r\n".encode() + body


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (_answer("200 OK", b'{"instance": "x", "generation": 3}'), (200, Generation("x", 3))),
        (_answer("404 NOT FOUND", b"<Error/>"), (404, None)),
        (_answer("200 OK", b'{"instance": "x"}'), (200, None)),
        (_answer("200 OK", b'{"instance": "x", "generation": 3, "more": 1}'), (200, None)),
        (_answer("200 OK", b'{"instance": "", "generation": 3}'), (200, None)),
        (_answer("200 OK", b'{"instance": "x", "generation": -1}'), (200, None)),
        (_answer("200 OK", b'{"instance": "x", "generation": true}'), (200, None)),
        (_answer("200 OK", b'{"instance": "x", "generation": 1.5}'), (200, None)),
        (_answer("200 OK", b"not json"), (200, None)),
        (b"garbage", (None, None)),
        (b"", (None, None)),
    ],
)
def test_only_the_feeds_exact_answer_is_a_generation(
    raw: bytes, expected: tuple[int | None, Generation | None]
) -> None:
    assert changes._parse_answer(raw) == expected


def test_the_feed_needs_the_emulators_http_url() -> None:
    with pytest.raises(ValueError, match="http://"):
        changes.ChangeFeed("https://127.0.0.1:4566")
    assert changes.ChangeFeed("http://127.0.0.1:4566/").url == "http://127.0.0.1:4566"


def test_an_observation_reaches_only_code_asking_about_the_same_emulator() -> None:
    url = "http://127.0.0.1:4566"
    assert changes.observed(url) == (False, None)
    with changes.observing(url + "/", G1):
        assert changes.observed(url) == (True, G1)
        assert changes.observed("http://127.0.0.1:4567") == (False, None)
        seen: list[tuple[bool, Generation | None]] = []
        worker = threading.Thread(target=lambda: seen.append(changes.observed(url)))
        worker.start()
        worker.join()
        assert seen == [(False, None)]  # another thread is another request
    with changes.observing(url, None):  # a server without the feed: observed, nothing to keep
        assert changes.observed(url) == (True, None)
    assert changes.observed(url) == (False, None)


def test_generation_is_json_shaped_like_the_emulators_answer() -> None:
    """The client parses what the server module writes (the two sides share CHANGES_PATH only)."""
    from local.emulator import changes as server  # noqa: PLC0415

    raw = server.answer()
    status, generation = changes._parse_answer(raw)
    assert status == 200
    assert generation == Generation(server.instance(), server.generation())
    body = raw.partition(b"\r\n\r\n")[2]
    assert json.loads(body) == {"instance": server.instance(), "generation": server.generation()}
    assert f"Content-Length: {len(body)}".encode() in raw
