"""One small async client over the Elasticsearch REST API, for Elasticsearch or OpenSearch.

The official `elasticsearch` client refuses to talk to OpenSearch and `opensearch-py` is
OpenSearch's own, so configuration picks one; both receive the same query DSL and index
bodies, and this module only bridges their calling conventions (`body=` versus keyword
arguments, `from` versus `from_`) and their conflict errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit

import orjson

# Connections kept to the engine per process (the clients' default, 10, queues a busy service).
CONNECTIONS = 64


class VersionConflictError(Exception):
    """The engine kept a newer (or equal) external version of the document."""


class EngineClient(Protocol):
    async def create_index(self, name: str, body: Mapping[str, Any]) -> None: ...

    async def delete_index(self, name: str) -> None: ...

    async def alias_targets(self, alias: str) -> list[str]: ...

    async def update_aliases(self, actions: list[Mapping[str, Any]]) -> None: ...

    async def index(
        self, index: str, doc_id: str, document: Mapping[str, Any], version: int, alias: bool
    ) -> None: ...

    async def search(
        self, index: str, body: Mapping[str, Any] | bytes, filter_path: str | None = None
    ) -> Mapping[str, Any]:
        """`body`: the query DSL, or already serialised as JSON."""
        ...

    async def refresh(self, index: str) -> None: ...

    async def count(self, index: str, query: Mapping[str, Any]) -> int: ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...


def _orjson_serializer() -> Any:
    """opensearch-py's JSON serializer with orjson underneath (responses carry article text)."""
    from opensearchpy.serializer import JSONSerializer

    class OrjsonSerializer(JSONSerializer):
        def loads(self, s: str | bytes) -> Any:
            return orjson.loads(s)

        def dumps(self, data: Any) -> str | bytes:
            if isinstance(data, (str, bytes)):  # already serialised (a search body)
                return data
            return orjson.dumps(data).decode()

    return OrjsonSerializer()


def lean_http(url: str) -> bool:
    """Whether the lean connection (engine_http: opensearch-py's LeanConnection,
    elastic-transport's LeanNode) can carry the engine's traffic: plain HTTP without
    credentials. TLS, credentials or a path prefix keep the client's own connection."""
    parts = urlsplit(url)
    return parts.scheme == "http" and not parts.username and parts.path in {"", "/"}


class OpenSearchClient:
    def __init__(self, url: str) -> None:
        from opensearchpy import AsyncOpenSearch

        options: dict[str, Any] = {}
        if lean_http(url):
            from shared.adapters.opensearch_connection import LeanConnection

            options["connection_class"] = LeanConnection
        self._client = AsyncOpenSearch(
            hosts=[url], timeout=30, maxsize=CONNECTIONS, serializer=_orjson_serializer(),
            **options,
        )  # fmt: skip

    async def create_index(self, name: str, body: Mapping[str, Any]) -> None:
        from opensearchpy.exceptions import RequestError

        try:
            await self._client.indices.create(index=name, body=dict(body))
        except RequestError as exc:
            if "resource_already_exists_exception" not in str(exc):
                raise

    async def delete_index(self, name: str) -> None:
        await self._client.indices.delete(index=name, ignore_unavailable=True)

    async def alias_targets(self, alias: str) -> list[str]:
        from opensearchpy.exceptions import NotFoundError

        try:
            found = await self._client.indices.get_alias(name=alias)
        except NotFoundError:
            return []
        return sorted(found)

    async def update_aliases(self, actions: list[Mapping[str, Any]]) -> None:
        await self._client.indices.update_aliases(body={"actions": actions})

    async def index(
        self, index: str, doc_id: str, document: Mapping[str, Any], version: int, alias: bool
    ) -> None:
        from opensearchpy.exceptions import ConflictError

        try:
            await self._client.index(
                index=index, id=doc_id, body=dict(document), version=version,
                version_type="external", require_alias="true" if alias else "false",
            )  # fmt: skip
        except ConflictError as exc:
            raise VersionConflictError(doc_id) from exc

    async def search(
        self, index: str, body: Mapping[str, Any] | bytes, filter_path: str | None = None
    ) -> Mapping[str, Any]:
        # Serialised bytes go to the engine as they are (the serializer passes them through).
        result: Mapping[str, Any] = await self._client.search(
            index=index, body=body if isinstance(body, bytes) else dict(body),
            filter_path=filter_path,
        )  # fmt: skip
        return result

    async def refresh(self, index: str) -> None:
        await self._client.indices.refresh(index=index)

    async def count(self, index: str, query: Mapping[str, Any]) -> int:
        result = await self._client.count(index=index, body={"query": dict(query)})
        return int(result["count"])

    async def ping(self) -> bool:
        try:
            return bool(await self._client.ping())
        except Exception:
            return False

    async def close(self) -> None:
        await self._client.close()


class ElasticsearchClient:
    def __init__(self, url: str) -> None:
        from elasticsearch import AsyncElasticsearch

        options: dict[str, Any] = {}
        if lean_http(url):
            from shared.adapters.elasticsearch_node import LeanNode

            options["node_class"] = LeanNode
        self._client = AsyncElasticsearch(
            url, request_timeout=30, connections_per_node=CONNECTIONS, **options
        )

    async def create_index(self, name: str, body: Mapping[str, Any]) -> None:
        from elasticsearch import BadRequestError

        try:
            await self._client.indices.create(index=name, **body)
        except BadRequestError as exc:
            if "resource_already_exists_exception" not in str(exc):
                raise

    async def delete_index(self, name: str) -> None:
        await self._client.indices.delete(index=name, ignore_unavailable=True)

    async def alias_targets(self, alias: str) -> list[str]:
        from elasticsearch import NotFoundError

        try:
            found = await self._client.indices.get_alias(name=alias)
        except NotFoundError:
            return []
        return sorted(found.body)

    async def update_aliases(self, actions: list[Mapping[str, Any]]) -> None:
        await self._client.indices.update_aliases(actions=[dict(a) for a in actions])

    async def index(
        self, index: str, doc_id: str, document: Mapping[str, Any], version: int, alias: bool
    ) -> None:
        from elasticsearch import ConflictError

        try:
            await self._client.index(
                index=index, id=doc_id, document=dict(document), version=version,
                version_type="external", require_alias=alias,
            )  # fmt: skip
        except ConflictError as exc:
            raise VersionConflictError(doc_id) from exc

    async def search(
        self, index: str, body: Mapping[str, Any] | bytes, filter_path: str | None = None
    ) -> Mapping[str, Any]:
        # The official client takes the body's fields as arguments (it serialises them itself).
        fields: Mapping[str, Any] = orjson.loads(body) if isinstance(body, bytes) else body
        arguments = {("from_" if key == "from" else key): value for key, value in fields.items()}
        result = await self._client.search(index=index, filter_path=filter_path, **arguments)
        return dict(result.body)

    async def refresh(self, index: str) -> None:
        await self._client.indices.refresh(index=index)

    async def count(self, index: str, query: Mapping[str, Any]) -> int:
        result = await self._client.count(index=index, query=dict(query))
        return int(result["count"])

    async def ping(self) -> bool:
        try:
            return bool(await self._client.ping())
        except Exception:
            return False

    async def close(self) -> None:
        await self._client.close()


def engine_client(engine: str, url: str) -> EngineClient:
    """The client for `engine` ("opensearch" or "elasticsearch")."""
    if engine == "opensearch":
        return OpenSearchClient(url)
    if engine == "elasticsearch":
        return ElasticsearchClient(url)
    raise ValueError(f"no engine client for {engine!r}")
