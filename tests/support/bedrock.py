"""A loopback Bedrock Runtime: an HTTP server on 127.0.0.1 answering like the service, for the
real boto3/botocore client (``endpoint_url=server.url``).

Answers are queued with :meth:`BedrockServer.reply` (status, headers, body) and served in
order; every request received is kept in :attr:`BedrockServer.requests`. The streamed
operations answer in ``application/vnd.amazon.eventstream`` framing, written by
:func:`event_stream`: each message is a prelude (total and header lengths, CRC32), typed
headers (``:event-type``, ``:message-type``...), a JSON payload and a CRC32 of the whole
message, the format botocore's ``EventStreamBuffer`` parses.

The bodies follow the AWS API reference of each operation (Converse, ConverseStream,
InvokeModel, InvokeModelWithResponseStream) and the invocation metrics Bedrock adds to the
last chunk of an ``invoke_model_with_response_stream`` answer.
"""

from __future__ import annotations

import base64
import json
import struct
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = [
    "EVENTSTREAM",
    "BedrockServer",
    "Reply",
    "chunk_event",
    "client",
    "converse_body",
    "error",
    "event",
    "event_stream",
    "exception_event",
    "serve",
]

EVENTSTREAM = "application/vnd.amazon.eventstream"


# -- the event-stream framing ----------------------------------------------------------------
def _header(name: str, value: str) -> bytes:
    """One string header: name length, name, type 7 (string), value length, value."""
    n, v = name.encode(), value.encode()
    return struct.pack(">B", len(n)) + n + b"\x07" + struct.pack(">H", len(v)) + v


def message(headers: dict[str, str], payload: bytes) -> bytes:
    """One event-stream message, with its prelude and message CRC32s."""
    head = b"".join(_header(k, v) for k, v in headers.items())
    prelude = struct.pack(">II", 12 + len(head) + len(payload) + 4, len(head))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    body = prelude + head + payload
    return body + struct.pack(">I", zlib.crc32(body))


def event(kind: str, payload: dict[str, Any]) -> bytes:
    """An event of the stream (``contentBlockDelta``, ``metadata``, ``chunk``...)."""
    headers = {":event-type": kind, ":content-type": "application/json", ":message-type": "event"}
    return message(headers, json.dumps(payload).encode())


def chunk_event(payload: dict[str, Any]) -> bytes:
    """An invoke_model_with_response_stream chunk: the model's JSON, base64 in ``bytes``."""
    return event("chunk", {"bytes": base64.b64encode(json.dumps(payload).encode()).decode()})


def exception_event(kind: str, text: str) -> bytes:
    """An error inside the stream (``throttlingException``...), raised by botocore."""
    headers = {":exception-type": kind, ":content-type": "application/json",
               ":message-type": "exception"}  # fmt: skip
    return message(headers, json.dumps({"message": text}).encode())


def event_stream(*events: bytes) -> Reply:
    return Reply(200, {"Content-Type": EVENTSTREAM}, b"".join(events))


# -- answers ---------------------------------------------------------------------------------
@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


def json_reply(body: dict[str, Any], headers: dict[str, str] | None = None) -> Reply:
    return Reply(200, {"Content-Type": "application/json", **(headers or {})},
                 json.dumps(body).encode())  # fmt: skip


def converse_body(text: str, usage: Any) -> dict[str, Any]:
    """A Converse answer; ``usage`` None leaves the field out."""
    body: dict[str, Any] = {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": "end_turn",
        "metrics": {"latencyMs": 412},
    }
    if usage is not None:
        body["usage"] = usage
    return body


def error(status: int, kind: str, text: str) -> Reply:
    """An API error as the service sends it (``x-amzn-ErrorType``, a JSON message)."""
    headers = {"Content-Type": "application/json", "x-amzn-ErrorType": f"{kind}:http://internal"}
    return Reply(status, headers, json.dumps({"message": text}).encode())


# -- the server ------------------------------------------------------------------------------
@dataclass
class BedrockServer:
    url: str
    replies: list[Reply] = field(default_factory=list)
    requests: list[tuple[str, bytes]] = field(default_factory=list)
    """(path, body) of every request received."""

    def reply(self, *replies: Reply) -> None:
        self.replies.extend(replies)


def _handler(server: BedrockServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            server.requests.append((self.path, body))
            answer = server.replies.pop(0) if server.replies else error(500, "NoReply", "none")
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.send_header("x-amzn-RequestId", "tokenprint-test-0001")
            self.end_headers()
            self.wfile.write(answer.body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


def serve() -> Iterator[BedrockServer]:
    """A running loopback server (a generator for a pytest fixture)."""
    state = BedrockServer("")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


def client(url: str, region: str = "us-east-1") -> Any:
    """A real boto3 ``bedrock-runtime`` client on the loopback server, dummy credentials, no
    retries (a throttled answer reaches the caller at once)."""
    import boto3
    from botocore.config import Config

    config = Config(retries={"max_attempts": 0, "mode": "standard"})
    return boto3.client("bedrock-runtime", region_name=region, endpoint_url=url, config=config,
                        aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip


# -- decoding, editing, and a client on a mock transport (tests/support/sdk_matrix.py) --------
def is_event_stream(body: bytes) -> bool:
    """True when ``body`` is event-stream messages (the first prelude's CRC holds)."""
    if len(body) < 16:
        return False
    total, _, crc = struct.unpack(">III", body[:12])
    return bool(total <= len(body) and crc == zlib.crc32(body[:8]))


def messages(body: bytes) -> Iterator[tuple[dict[str, str], bytes]]:
    """The (string headers, payload) of each message of an event stream."""
    at = 0
    while at < len(body):
        total, head_len = struct.unpack(">II", body[at : at + 8])
        head, headers = body[at + 12 : at + 12 + head_len], {}
        i = 0
        while i < len(head):
            n = head[i]
            name = head[i + 1 : i + 1 + n].decode()
            (size,) = struct.unpack(">H", head[i + 2 + n : i + 4 + n])
            headers[name] = head[i + 4 + n : i + 4 + n + size].decode()
            i += 4 + n + size
        yield headers, body[at + 12 + head_len : at + total - 4]
        at += total


def edit_events(body: bytes, edit: Any) -> bytes:
    """The stream with ``edit(dict) -> dict`` applied to each JSON payload (inside a chunk's
    base64 ``bytes`` too), re-framed with fresh CRCs."""
    out = []
    for headers, payload in messages(body):
        data = edit(json.loads(payload))
        inner = data.get("bytes") if headers.get(":event-type") == "chunk" else None
        if isinstance(inner, str):
            edited = json.dumps(edit(json.loads(base64.b64decode(inner)))).encode()
            data["bytes"] = base64.b64encode(edited).decode()
        out.append(message(headers, json.dumps(data).encode()))
    return b"".join(out)


def mock_client(transport: Any, region: str = "us-east-1") -> Any:
    """A real boto3 ``bedrock-runtime`` client whose requests an ``httpx`` transport answers:
    botocore's ``before-send`` event hands over the signed request, and the transport's
    response goes back to botocore's parsers (event streams included, chunk by chunk)."""
    import httpx
    from botocore.awsrequest import AWSResponse

    class Raw:
        """What botocore reads of an HTTP response: ``stream()`` (parsed answers, event
        streams) and ``read(amt)`` (``invoke_model``'s ``StreamingBody``)."""

        def __init__(self, response: Any) -> None:
            self.response = response
            self.at = 0

        def stream(self, **_: Any) -> Iterator[bytes]:
            if self.response.is_stream_consumed:  # a whole body (content=): already read
                yield self.response.content
            else:  # a streamed body (a connection reset midway): chunk by chunk
                yield from self.response.iter_raw()

        def read(self, amt: int | None = None) -> bytes:
            data = self.response.read()
            chunk = data[self.at :] if amt is None else data[self.at : self.at + amt]
            self.at += len(chunk)
            return bytes(chunk)

        def close(self) -> None:
            self.response.close()

    def send(request: Any, **_: Any) -> Any:
        body = request.body if isinstance(request.body, bytes) else (request.body or b"")
        sent = httpx.Request(request.method, request.url, headers=dict(request.headers.items()),
                             content=body)  # fmt: skip
        response = transport.handle_request(sent)
        return AWSResponse(request.url, response.status_code, dict(response.headers.items()),
                           Raw(response))  # fmt: skip

    bedrock = client("http://bedrock.test", region)
    bedrock.meta.events.register("before-send.bedrock-runtime", send)
    return bedrock
