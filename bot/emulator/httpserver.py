"""A minimal HTTP/1.1 server on asyncio streams (keep-alive, Content-Length or chunked)."""

from __future__ import annotations

import asyncio
import contextlib
import email.message
import email.utils
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .schema import UploadedFile

MAX_BODY = 64 * 1024 * 1024


class HttpParseError(Exception):
    """The client sent something that is not valid HTTP/1.1 for this server."""


@dataclass
class HttpRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpResponse:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any) -> HttpResponse:
        return cls(status, json.dumps(payload, ensure_ascii=False).encode())


Handler = Callable[[HttpRequest], Awaitable[HttpResponse]]


class HttpServer:
    """Serves ``handler`` on ``host:port`` inside the running event loop."""

    def __init__(self, handler: Handler, host: str = "127.0.0.1", port: int = 0) -> None:
        self._handler = handler
        self._host = host
        self._port = port
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("server is not running")
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self._host, self._port)

    async def close(self) -> None:
        if self._server is None:
            return
        self._server.close()
        # Python 3.11's wait_closed() does not wait for open connections (e.g. a pending
        # long poll), so cancel them explicitly.
        tasks = list(self._connections)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._serve_requests(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client hung up or sent garbage: nothing left to answer
        except asyncio.CancelledError:
            # Only close() cancels connections. Ending normally keeps asyncio's stream
            # callback from logging the cancellation as an error.
            pass
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _serve_requests(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        while True:
            try:
                request = await read_request(reader)
            except HttpParseError as exc:
                await _write(writer, HttpResponse(400, str(exc).encode(), "text/plain"), False)
                return
            if request is None:
                return
            keep_alive = request.headers.get("connection", "").lower() != "close"
            response = await self._handler(request)
            await _write(writer, response, keep_alive)
            if not keep_alive:
                return


async def read_request(reader: asyncio.StreamReader) -> HttpRequest | None:
    """Read one request; ``None`` when the client closed the connection cleanly."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise HttpParseError("incomplete request head") from None
        return None
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise HttpParseError(f"bad request line {lines[0]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, sep, value = line.partition(":")
            if not sep:
                raise HttpParseError(f"bad header line {line!r}")
            headers[name.strip().lower()] = value.strip()
    body = await _read_body(reader, headers)
    url = urlsplit(parts[1])
    return HttpRequest(parts[0].upper(), url.path, url.query, headers, body)


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        chunks: list[bytes] = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return b"".join(chunks)
            chunks.append(await reader.readexactly(size + 2))
            chunks[-1] = chunks[-1][:-2]
    length = int(headers.get("content-length", "0") or 0)
    if length > MAX_BODY:
        raise HttpParseError("body too large")
    return await reader.readexactly(length) if length else b""


async def _write(writer: asyncio.StreamWriter, response: HttpResponse, keep_alive: bool) -> None:
    reason = HTTPStatus(response.status).phrase
    headers = {
        "Content-Type": response.content_type,
        "Content-Length": str(len(response.body)),
        "Connection": "keep-alive" if keep_alive else "close",
        **response.headers,
    }
    head = f"HTTP/1.1 {response.status} {reason}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    writer.write(head.encode("latin-1") + response.body)
    await writer.drain()


# --- request bodies ----------------------------------------------------------------------


def decode_form(request: HttpRequest) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    """Query-string, urlencoded, multipart or JSON parameters → (fields, file parts)."""
    fields = dict(parse_qsl(request.query, keep_blank_values=True))
    files: dict[str, UploadedFile] = {}
    ctype = _header_params(request.headers.get("content-type", ""))
    kind = ctype.get_content_type()
    if not request.body:
        return fields, files
    if kind == "application/x-www-form-urlencoded":
        fields.update(parse_qsl(request.body.decode(), keep_blank_values=True))
    elif kind == "multipart/form-data":
        boundary = ctype.get_param("boundary")
        if not isinstance(boundary, str):
            raise HttpParseError("multipart body without boundary")
        _parse_multipart(request.body, boundary.encode("latin-1"), fields, files)
    elif kind == "application/json":
        # Telegram also accepts JSON bodies; re-encode values the way form fields arrive.
        payload = json.loads(request.body)
        if not isinstance(payload, dict):
            raise HttpParseError("JSON body must be an object")
        fields.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in payload.items()})
    else:
        raise HttpParseError(f"unsupported content type {kind!r}")
    return fields, files


def _header_params(value: str) -> email.message.Message:
    msg = email.message.Message()
    msg["Content-Type"] = value or "application/octet-stream"
    return msg


def _parse_multipart(
    body: bytes, boundary: bytes, fields: dict[str, str], files: dict[str, UploadedFile]
) -> None:
    delimiter = b"\r\n--" + boundary
    sections = (b"\r\n" + body).split(delimiter)
    if len(sections) < 3 or not sections[-1].startswith(b"--"):
        raise HttpParseError("malformed multipart body")
    for section in sections[1:-1]:
        head, sep, data = section.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not sep:
            raise HttpParseError("multipart part without headers")
        part = email.message.Message()
        for line in head.decode("utf-8").split("\r\n"):
            name, _, value = line.partition(":")
            part[name.strip()] = value.strip()
        raw_name = part.get_param("name", header="content-disposition")
        if raw_name is None:
            raise HttpParseError("multipart part without a name")
        name = email.utils.collapse_rfc2231_value(raw_name)
        filename = part.get_filename()
        if filename is None:
            fields[name] = data.decode("utf-8")
        else:
            content_type = part.get_content_type() if "content-type" in part else ""
            files[name] = UploadedFile(filename, content_type or "application/octet-stream", data)
