"""A local OpenAI-compatible server (chat completions, SSE streaming) for the real openai client."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import gevent
from gevent.event import Event
from gevent.pool import Pool
from gevent.pywsgi import WSGIServer


class OpenAIStub:
    """Behaviour is set per test: mode, chunks, delays, the classification it returns."""

    def __init__(self) -> None:
        # ok | slow | 429 | 500 | hang | drop | garbage | empty | misshapen | not_object
        self.mode = "ok"
        self.chunks: list[str] = ["Hello", "! You can ", "freeze your card ", "in the app."]
        self.chunk_delay = 0.0
        self.hang_seconds = 30.0
        # hold_before(i): the stream stops before chunk i until release(); holding is set then.
        self.hold_at: int | None = None
        self.holding = Event()
        self._released = Event()
        self.classification: dict[str, Any] | str | None = None  # None -> HTTP 500
        self.requests: list[dict[str, Any]] = []
        self.status_calls = 0
        # Handlers in a pool of the server's own: stop() ends them (a "hang" request too).
        self.wsgi = WSGIServer(("127.0.0.1", 0), self._app, log=None, error_log=None, spawn=Pool())
        self.wsgi.start()
        self.base_url = f"http://127.0.0.1:{self.wsgi.server_port}/v1"

    def stop(self) -> None:
        self.release()
        self.wsgi.stop(timeout=1)

    def hold_before(self, index: int) -> None:
        """Streams stop before chunk ``index`` until release(): an event a test controls
        stands for "the next chunk has not come yet", instead of a delay it must outrun."""
        self.hold_at = index
        self.holding.clear()
        self._released = Event()

    def release(self) -> None:
        self._released.set()

    # ---- WSGI ------------------------------------------------------------------------------

    def _app(self, environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length) or b"{}")
        self.requests.append(body)
        if environ["PATH_INFO"] != "/v1/chat/completions":
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return iter([b'{"error": {"message": "not found"}}'])
        if "response_format" in body:
            return self._classify(start_response)
        if self.mode in ("429", "500"):
            self.status_calls += 1
            status = "429 Too Many Requests" if self.mode == "429" else "500 Internal Server Error"
            start_response(status, [("Content-Type", "application/json")])
            return iter([json.dumps({"error": {"message": self.mode, "type": "stub"}}).encode()])
        if self.mode == "hang":
            gevent.sleep(self.hang_seconds)
        start_response("200 OK", [("Content-Type", "text/event-stream")])
        return self._stream()

    def _classify(self, start_response: Any) -> Iterator[bytes]:
        if self.mode == "misshapen":  # valid JSON, not a chat completion
            start_response("200 OK", [("Content-Type", "application/json")])
            return iter([b'{"choices": [{"index": 0}]}'])
        if self.classification is None:
            start_response("500 Internal Server Error", [("Content-Type", "application/json")])
            return iter([b'{"error": {"message": "no classifier"}}'])
        content = (
            self.classification
            if isinstance(self.classification, str)
            else json.dumps(self.classification)
        )
        start_response("200 OK", [("Content-Type", "application/json")])
        return iter([json.dumps(_completion(content)).encode()])

    def _stream(self) -> Iterator[bytes]:
        for i, text in enumerate(self.chunks):
            if self.mode == "garbage" and i == 1:
                yield b"data: {this is not json\n\n"
                return
            if self.mode == "misshapen" and i == 1:  # valid JSON, content not text
                yield _sse(_chunk({"content": 42}))
                return
            if self.mode == "not_object" and i == 1:
                yield b"data: [1, 2]\n\n"
                return
            if self.mode == "drop" and i == 2:
                raise ConnectionResetError("stub drops the stream")
            if i == self.hold_at:
                self.holding.set()
                while not self._released.wait(timeout=0.2):
                    # An SSE comment, which the client skips: its read timeout does not fire
                    # while the chunk is held, and no chunk arrives.
                    yield b": held\n\n"
            if self.mode == "slow" or self.chunk_delay:
                gevent.sleep(self.chunk_delay or 0.2)
            content = "" if self.mode == "empty" else text
            yield _sse(_chunk({"content": content}))
        yield _sse(_chunk({}, finish="stop"))
        yield _sse(
            {
                "id": "chatcmpl-stub",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": "stub-model",
                "choices": [],
                "usage": {"prompt_tokens": 42, "completion_tokens": 7, "total_tokens": 49},
            }
        )
        yield b"data: [DONE]\n\n"


def _sse(obj: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(obj)}\n\n".encode()


def _chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": "stub-model",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def _completion(content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "stub-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }
