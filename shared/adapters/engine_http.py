"""A lean keep-alive HTTP/1.1 client for the search engine, under the official clients.

Every answered search makes one request to the engine, so the engine client's HTTP layer sits
on the search service's hot path. opensearch-py's default connection (aiohttp's client) spent
about as much CPU per query as the rest of the service: a session request builds a URL object,
a timeout, a request and a response object, a payload, a stream reader and several futures
per call. This one writes the request head and body in one write on a pooled connection and
parses the answer with httptools (llhttp, the parser uvicorn uses): per request one future and
one timer.

It is deliberately small: plain HTTP to the engine's address (no TLS, proxies or compression;
`engine_client` keeps the clients' default connections for those), responses framed by
Content-Length or chunked encoding, one request at a time per connection.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Mapping
from typing import NamedTuple, cast

import httptools


class EngineHttpError(ConnectionError):
    """The connection failed before a whole answer arrived (refused, reset, garbled)."""


class HttpAnswer(NamedTuple):
    """One answer (a named tuple: one is made per request, faster than a frozen dataclass)."""

    status: int
    headers: Mapping[str, str]  # names lower-cased; a repeated header keeps its last value
    body: bytes
    warnings: tuple[str, ...] = ()  # every `Warning` header, in order


class _Connection(asyncio.Protocol):
    """One keep-alive connection; `request` is awaited by one caller at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[HttpAnswer] | None = None
        self._head_only = False
        self._headers: dict[str, str] = {}
        self._warnings: list[str] = []
        self._body: list[bytes] = []

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(EngineHttpError(f"unreadable answer from the engine: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(EngineHttpError(f"the engine closed the connection: {exc or 'EOF'}"))

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        if key == "warning":
            self._warnings.append(text)
        self._headers[key] = text

    def on_headers_complete(self) -> None:
        if self._head_only:  # a HEAD answer announces a body it never sends
            self._complete(reusable=False)

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        if not self._head_only:
            self._complete(reusable=self._parser.should_keep_alive())

    # requests
    def send(self, head: bytes, body: bytes | None, head_only: bool) -> asyncio.Future[HttpAnswer]:
        assert self.transport is not None and self._waiter is None
        self._waiter = asyncio.get_running_loop().create_future()
        self._head_only = head_only
        self._headers, self._warnings, self._body = {}, [], []
        self.transport.write(head + body if body else head)
        return self._waiter

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _complete(self, reusable: bool) -> None:
        waiter, self._waiter = self._waiter, None
        if not reusable:
            self.close()
        if waiter is not None and not waiter.done():
            body = self._body[0] if len(self._body) == 1 else b"".join(self._body)
            answer = HttpAnswer(
                self._parser.get_status_code(), self._headers, body, tuple(self._warnings)
            )
            waiter.set_result(answer)

    def _fail(self, exc: Exception) -> None:
        waiter, self._waiter = self._waiter, None
        self.close()
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)


class HttpPool:
    """Up to `size` keep-alive connections to one host; a caller beyond them waits its turn.

    The slots are a plain counter and a queue of waiters rather than an asyncio semaphore:
    a free slot and an idle connection are taken without another coroutine, on the path of
    every request."""

    def __init__(self, host: str, port: int, size: int, headers: Mapping[str, str]) -> None:
        self._address = (host, port)
        self._idle: deque[_Connection] = deque()
        self._closed = False
        self._free = size
        self._waiting: deque[asyncio.Future[None]] = deque()
        authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        fixed = {"host": authority, **{k.lower(): v for k, v in headers.items()}}
        self._fixed = fixed
        self._fixed_block = "".join(f"{k}: {v}\r\n" for k, v in fixed.items())

    async def request(
        self,
        method: str,
        target: str,
        body: bytes | None,
        timeout: float,
        headers: Mapping[str, str] | None = None,
    ) -> HttpAnswer:
        """`method target` with `body`; raises TimeoutError past `timeout` seconds and
        EngineHttpError when the connection fails."""
        block = self._fixed_block
        if headers:
            extra = {k.lower(): v for k, v in headers.items()}
            block = "".join(f"{k}: {v}\r\n" for k, v in {**self._fixed, **extra}.items())
        length = f"content-length: {len(body)}\r\n" if body else ""
        if not body and method in {"POST", "PUT", "PATCH"}:
            length = "content-length: 0\r\n"
        head = f"{method} {target} HTTP/1.1\r\n{block}{length}\r\n".encode("latin-1")
        if self._free > 0:
            self._free -= 1
        else:
            await self._slot()
        try:
            connection = self._idle_connection() or await self._open()
            waiter = connection.send(head, body, head_only=method == "HEAD")
            timer = asyncio.get_running_loop().call_later(timeout, _expire, waiter)
            try:
                answer = await waiter
            except BaseException:
                connection.close()  # a late answer must not reach the next request
                raise
            finally:
                timer.cancel()
            if self._closed:
                connection.close()
            elif not connection.closed:
                self._idle.append(connection)
            return answer
        finally:
            self._release()

    async def _slot(self) -> None:
        """Wait until a request in flight hands its slot over."""
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self._release()  # handed a slot just as the caller gave up: pass it on
            else:
                with contextlib.suppress(ValueError):  # _release may have dropped it already
                    self._waiting.remove(waiter)
            raise

    def _release(self) -> None:
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot goes straight to the next caller
                return
        self._free += 1

    def _idle_connection(self) -> _Connection | None:
        while self._idle:
            connection = self._idle.pop()
            if not connection.closed and not _closing(connection):
                return connection
        return None

    async def _open(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            _, connection = await loop.create_connection(_Connection, *self._address)
        except OSError as exc:
            raise EngineHttpError(f"cannot reach the engine at {self._address}: {exc}") from exc
        return connection

    def close(self) -> None:
        """Closes the idle connections now and each busy one when its answer is in."""
        self._closed = True
        while self._idle:
            self._idle.pop().close()


def _closing(connection: _Connection) -> bool:
    return connection.transport is None or connection.transport.is_closing()


def _expire(waiter: asyncio.Future[HttpAnswer]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError("the engine did not answer in time"))
