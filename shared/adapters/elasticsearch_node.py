"""elastic-transport's `node_class` over the lean engine HTTP pool (engine_http), for the
official Elasticsearch client: the counterpart of opensearch_connection.LeanConnection.

The client keeps everything above the node (API methods, retries, node pool, serialisation,
its error classes); only the HTTP exchange underneath is replaced, through the extension
point elastic-transport offers for it.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from elastic_transport import (
    ApiResponseMeta,
    BaseAsyncNode,
    ConnectionError,
    ConnectionTimeout,
    HttpHeaders,
    NodeConfig,
)
from elastic_transport._models import DEFAULT, DefaultType
from elastic_transport._node import NodeApiResponse

from shared.adapters.engine_http import EngineHttpError, HttpPool

NO_TIMEOUT = 24 * 3600.0  # elastic-transport's `None`: wait as long as it takes


class LeanNode(BaseAsyncNode):
    _CLIENT_META_HTTP_CLIENT: ClassVar[tuple[str, str]] = ("sn", "1")

    def __init__(self, config: NodeConfig) -> None:
        if config.scheme != "http" or config.http_compress or config.path_prefix:
            raise ValueError("LeanNode speaks plain HTTP without compression or a path prefix")
        super().__init__(config)
        self._pool = HttpPool(config.host, config.port, config.connections_per_node, {})

    async def perform_request(  # type: ignore[override]
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: HttpHeaders | None = None,
        request_timeout: DefaultType | float | None = DEFAULT,
    ) -> NodeApiResponse:
        request_headers = self.headers.copy()
        if headers:
            request_headers.update(headers)
        timeout = self.config.request_timeout if request_timeout is DEFAULT else request_timeout
        wait = NO_TIMEOUT if timeout is None else float(timeout)
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            answer = await self._pool.request(method, target, body, wait, request_headers)
        except TimeoutError as exc:
            error: Exception = ConnectionTimeout("Connection timed out during request", (exc,))
            self._log_request(method, target, request_headers, body, exception=error)
            raise error from None
        except EngineHttpError as exc:
            error = ConnectionError(str(exc), (exc,))
            self._log_request(method, target, request_headers, body, exception=error)
            raise error from None
        meta = ApiResponseMeta(
            node=self.config, duration=loop.time() - started, http_version="1.1",
            status=answer.status, headers=HttpHeaders(answer.headers),
        )  # fmt: skip
        self._log_request(method, target, request_headers, body, meta=meta, response=answer.body)
        return NodeApiResponse(meta, answer.body)

    async def close(self) -> None:  # type: ignore[override]
        self._pool.close()
