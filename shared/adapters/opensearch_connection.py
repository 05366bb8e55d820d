"""opensearch-py's `connection_class` over the lean engine HTTP pool (engine_http).

The official client keeps everything it does above the connection (its API methods, the
transport's retries and dead-node handling, serialisation, the error classes its callers
catch); only the HTTP exchange underneath is replaced, through the extension point the client
offers for it. Answers come back as bytes; the orjson serializer reads them as they are.

`post_json` is the one exchange the search service makes per answered query: a serialised
search body posted and the JSON answer parsed, through the same pool and with the same error
classes, but without the client's per-call machinery above the connection (the API method's
parameter handling, the transport's argument resolution, retry bookkeeping and serializer
lookup), which cost the service about as much CPU as the HTTP exchange itself.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import urlencode

import orjson
from opensearchpy import AsyncConnection
from opensearchpy.exceptions import (
    ConnectionError,
    ConnectionTimeout,
    ImproperlyConfigured,
    SerializationError,
)

from shared.adapters.engine_http import EngineHttpError, HttpAnswer, HttpPool

logger = logging.getLogger("opensearch")
QUERY_STRINGS = 256  # query strings kept encoded (a service sends the same few params)


class LeanConnection(AsyncConnection):
    # The signatures are opensearch-py's: the transport calls them positionally.
    def __init__(  # noqa: PLR0917
        self,
        host: str = "localhost",
        port: int | None = None,
        url_prefix: str = "",
        timeout: int = 10,
        use_ssl: bool = False,
        maxsize: int | None = 10,
        headers: Mapping[str, str] | None = None,
        http_compress: bool | None = None,
        opaque_id: str | None = None,
        loop: Any = None,
        **kwargs: Any,
    ) -> None:
        if use_ssl or kwargs.get("scheme") == "https" or http_compress or kwargs.get("http_auth"):
            raise ImproperlyConfigured("LeanConnection speaks plain HTTP without credentials")
        kwargs = {k: v for k, v in kwargs.items() if k not in {"http_auth", "scheme"}}
        self.headers: dict[str, str] = {}
        super().__init__(
            host=host, port=port, url_prefix=url_prefix, timeout=timeout, use_ssl=False,
            headers=dict(headers or {}), http_compress=False, opaque_id=opaque_id, **kwargs,
        )  # fmt: skip
        self.headers.setdefault("connection", "keep-alive")
        self._pool = HttpPool(self.hostname, int(self.port), maxsize or 10, self.headers)
        self._query_strings: dict[tuple[tuple[str, Any], ...], str] = {}

    def _target(self, url: str, params: Mapping[str, Any] | None) -> str:
        if not params:
            return self.url_prefix + url
        key = tuple(params.items())
        try:
            query = self._query_strings[key]
        except (KeyError, TypeError):
            query = urlencode(params)
            if len(self._query_strings) < QUERY_STRINGS:
                # An unhashable parameter value is simply not kept.
                with contextlib.suppress(TypeError):
                    self._query_strings[key] = query
        return f"{self.url_prefix}{url}?{query}"

    async def perform_request(  # noqa: PLR0917
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None = None,
        body: bytes | None = None,
        timeout: float | None = None,
        ignore: Collection[int] = (),
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, Mapping[str, str], Any]:
        target = self._target(url, params)
        wait = timeout if timeout is not None else self.timeout
        answer = await self._exchange(method, target, url, body, wait=wait, headers=headers)
        content_type = answer.headers.get("content-type", "")
        data: bytes | str = answer.body
        if not content_type.startswith("application/json"):
            data = answer.body.decode("utf-8", "surrogatepass")
        if not (200 <= answer.status < 300) and answer.status not in ignore:
            self._fail(method, target, url, body, answer)
        if logger.isEnabledFor(logging.INFO):
            self.log_request_success(
                method, target, url, body, answer.status, answer.body.decode(), 0.0
            )
        return answer.status, answer.headers, data

    async def post_json(self, url: str, query: str, body: bytes) -> Any:
        """`POST url?query` with a JSON `body`; the answer's JSON, parsed. `query` is already
        URL-encoded. Raises what `perform_request` raises (ConnectionError, ConnectionTimeout,
        the TransportError subclass of an error status); no retries."""
        target = f"{self.url_prefix}{url}?{query}" if query else self.url_prefix + url
        answer = await self._exchange("POST", target, url, body, wait=self.timeout)
        if not 200 <= answer.status < 300:
            self._fail("POST", target, url, body, answer)
        if logger.isEnabledFor(logging.INFO):
            self.log_request_success(
                "POST", target, url, body, answer.status, answer.body.decode(), 0.0
            )
        try:
            return orjson.loads(answer.body)
        except orjson.JSONDecodeError as exc:
            raise SerializationError(answer.body[:200], exc) from exc

    async def _exchange(
        self,
        method: str,
        target: str,
        url: str,
        body: bytes | None,
        *,
        wait: float,
        headers: Mapping[str, str] | None = None,
    ) -> HttpAnswer:
        try:
            answer = await self._pool.request(method, target, body, wait, headers)
        except TimeoutError as exc:
            self.log_request_fail(method, target, url, body, wait, exception=exc)
            raise ConnectionTimeout("TIMEOUT", str(exc), exc) from exc
        except EngineHttpError as exc:
            self.log_request_fail(method, target, url, body, 0.0, exception=exc)
            raise ConnectionError("N/A", str(exc), exc) from exc
        if answer.warnings:
            self._raise_warnings(answer.warnings)
        return answer

    def _fail(
        self, method: str, target: str, url: str, body: bytes | None, answer: HttpAnswer
    ) -> None:
        """Raises the client's error for an error status (NotFoundError, RequestError...)."""
        text = answer.body.decode("utf-8", "surrogatepass")
        self.log_request_fail(
            method, target, url, body, 0.0, status_code=answer.status, response=text
        )
        self._raise_error(answer.status, text, answer.headers.get("content-type") or None)

    async def close(self) -> None:
        self._pool.close()
