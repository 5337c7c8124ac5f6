"""The narrator against a real chat-completions server on loopback."""

import json
import socket
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from fitcoach.coach import Recommendation, performance_series, recommend, weekly_summary
from fitcoach.narrator.client import answer_question, grounding_numbers, narrate_week
from tests.coach.coach_factories import activity

START = date(2024, 1, 1)
API_KEY = "sk-test-secret"
PROSE = "Form is fine: keep your long ride on Sunday and rest on Monday."


class FakeChatServer(ThreadingHTTPServer):
    """Speaks just enough of /v1/chat/completions; ``mode`` picks how it misbehaves."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ChatHandler)
        self.mode = "ok"
        self.requests: list[dict[str, Any]] = []
        self.release = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The client hung up on a slow answer: expected, not worth a traceback.
        pass


class ChatHandler(BaseHTTPRequestHandler):
    server: FakeChatServer

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(
            {"path": self.path, "headers": dict(self.headers), "body": body}
        )
        mode = self.server.mode
        if mode == "slow":
            self.server.release.wait(timeout=10)
        if mode == "http_error":
            self._send(500, b'{"error": "overloaded"}')
        elif mode == "malformed":
            self._send(200, b'{"choices": [ {"message": ')
        elif mode == "no_choices":
            self._send(200, json.dumps({"id": "x", "choices": []}).encode())
        elif mode == "empty_content":
            self._send(200, json.dumps({"choices": [{"message": {"content": " "}}]}).encode())
        else:
            answer = {"choices": [{"message": {"role": "assistant", "content": PROSE}}]}
            self._send(200, json.dumps(answer).encode())

    def _send(self, status: int, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[FakeChatServer]:
    srv = FakeChatServer()
    thread = threading.Thread(target=srv.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield srv
    srv.release.set()
    srv.shutdown()
    srv.server_close()
    thread.join(timeout=5)


@pytest.fixture
def facts() -> tuple[dict[str, Any], tuple[Recommendation, ...]]:
    loads = [0.0, 150.0, 100.0, 0.0, 200.0, 150.0, 100.0] * 10 + [0.0]
    series = performance_series(loads, START)
    today = series.end
    acts = [activity("Ride", 3600, today, distance=30000)]
    week = weekly_summary(acts, [80.0], week_of=today)
    numbers: dict[str, Any] = grounding_numbers(series, today=today, week=week)
    return numbers, recommend(series, today=today)


def test_without_a_base_url_the_rules_speak(facts: Any) -> None:
    numbers, recs = facts
    result = narrate_week(numbers, recs, base_url=None, model="m")
    assert result.source == "rules"
    assert result.note is not None and "no language model" in result.note
    assert recs[0].title in result.text
    assert result.grounding["numbers"]["ctl"] == numbers["ctl"]


def test_the_narrator_writes_the_week_from_the_numbers_only(
    server: FakeChatServer, facts: Any
) -> None:
    numbers, recs = facts
    sneaky = {**numbers, "athlete_id": 12345, "access_token": "tok", "firstname": "Ann", "id": 9}
    result = narrate_week(sneaky, recs, base_url=server.url, model="coach-7b", api_key=API_KEY)
    assert (result.source, result.text, result.note) == ("narrator", PROSE, None)
    (request,) = server.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == f"Bearer {API_KEY}"
    assert request["body"]["model"] == "coach-7b"
    prompt = json.dumps(request["body"]["messages"])
    assert API_KEY not in prompt
    for leaked in ("12345", "athlete_id", "access_token", "Ann", '"id"'):
        assert leaked not in prompt
    user = request["body"]["messages"][-1]["content"]
    sent = json.loads(user.split("\n", 1)[1].rsplit("\n\n", 1)[0])
    assert sent == result.grounding
    assert sent["numbers"]["ctl"] == numbers["ctl"]
    assert sent["numbers"]["week_all_load"] == 80.0
    assert [f["kind"] for f in sent["findings"]] == [r.kind.value for r in recs]


def test_a_base_url_ending_in_v1_is_not_doubled(server: FakeChatServer, facts: Any) -> None:
    numbers, recs = facts
    result = narrate_week(numbers, recs, base_url=server.url + "/v1/", model="m")
    assert result.source == "narrator"
    assert server.requests[0]["path"] == "/v1/chat/completions"
    assert "Authorization" not in server.requests[0]["headers"]


def test_answering_a_question(server: FakeChatServer, facts: Any) -> None:
    numbers, recs = facts
    result = answer_question(
        "Should I race on Saturday?", numbers, recs, base_url=server.url, model="m"
    )
    assert result.source == "narrator"
    assert "Should I race on Saturday?" in server.requests[0]["body"]["messages"][-1]["content"]


def test_an_empty_question_gets_the_rules(server: FakeChatServer, facts: Any) -> None:
    numbers, recs = facts
    result = answer_question("   ", numbers, recs, base_url=server.url, model="m")
    assert result.source == "rules"
    assert server.requests == []


@pytest.mark.parametrize(
    ("mode", "note"),
    [
        ("http_error", "answered HTTP 500"),
        ("malformed", "malformed"),
        ("no_choices", "malformed: no choices"),
        ("empty_content", "malformed: no message content"),
    ],
)
def test_a_failing_narrator_falls_back_to_the_rules(
    server: FakeChatServer, facts: Any, mode: str, note: str
) -> None:
    numbers, recs = facts
    server.mode = mode
    for result in (
        narrate_week(numbers, recs, base_url=server.url, model="m"),
        answer_question("How am I doing?", numbers, recs, base_url=server.url, model="m"),
    ):
        assert result.source == "rules"
        assert result.note is not None and note in result.note
        assert recs[0].text in result.text


def test_a_slow_narrator_times_out_to_the_rules(server: FakeChatServer, facts: Any) -> None:
    numbers, recs = facts
    server.mode = "slow"
    result = narrate_week(numbers, recs, base_url=server.url, model="m", timeout_s=0.2)
    assert result.source == "rules"
    assert result.note == "Written by the rule engine: the narrator timed out after 0.2 s."


def test_an_unreachable_or_invalid_narrator_falls_back(facts: Any) -> None:
    numbers, recs = facts
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    for url in (f"http://127.0.0.1:{closed_port}", "not a url", "ftp://127.0.0.1"):
        result = narrate_week(numbers, recs, base_url=url, model="m", timeout_s=2)
        assert result.source == "rules"
        assert result.note is not None and "could not be reached" in result.note
