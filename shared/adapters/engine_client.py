"""One small async client over the Elasticsearch REST API, for Elasticsearch or OpenSearch.

The official `elasticsearch` client refuses to talk to OpenSearch and `opensearch-py` is
OpenSearch's own, so configuration picks one; both receive the same query DSL and index
bodies, and this module only bridges their calling conventions (`body=` versus keyword
arguments, `from` versus `from_`) and their conflict errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote, urlencode, urlsplit

import orjson

if TYPE_CHECKING:
    from shared.adapters.opensearch_connection import LeanConnection

# Connections kept to the engine per process (the clients' default, 10, queues a busy service).
CONNECTIONS = 64
SEARCH_TARGETS = 64  # search URLs kept written (one per index and filter_path)


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
        self._searches: LeanConnection | None = None
        if lean_http(url):
            from shared.adapters.opensearch_connection import LeanConnection

            options["connection_class"] = LeanConnection
            # Searches (the service's hot path) go straight to a lean connection of their own;
            # everything else, and a search the lean path could not reach, through the client.
            parts = urlsplit(url)
            self._searches = LeanConnection(
                host=parts.hostname or "localhost", port=parts.port or 9200, timeout=30,
                maxsize=CONNECTIONS,
            )  # fmt: skip
        self._client = AsyncOpenSearch(
            hosts=[url], timeout=30, maxsize=CONNECTIONS, serializer=_orjson_serializer(),
            **options,
        )  # fmt: skip
        self._search_targets: dict[tuple[str, str | None], tuple[str, str]] = {}

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
        if self._searches is not None and isinstance(body, bytes):
            from opensearchpy.exceptions import ConnectionError as UnreachableError
            from opensearchpy.exceptions import ConnectionTimeout

            target = self._search_targets.get((index, filter_path))
            if target is None:
                target = self._search_target(index, filter_path)
            try:
                found: Mapping[str, Any] = await self._searches.post_json(*target, body)
                return found
            except ConnectionTimeout:
                raise  # the client would not retry a timeout either
            except UnreachableError:
                pass  # the client's transport retries and reports it as it always does
        # Serialised bytes go to the engine as they are (the serializer passes them through).
        result: Mapping[str, Any] = await self._client.search(
            index=index, body=body if isinstance(body, bytes) else dict(body),
            filter_path=filter_path,
        )  # fmt: skip
        return result

    def _search_target(self, index: str, filter_path: str | None) -> tuple[str, str]:
        """`/<index>/_search` and its query string, as the client's `search` would write them."""
        path = f"/{quote(index, safe=',*')}/_search"
        target = path, urlencode({"filter_path": filter_path}) if filter_path else ""
        if len(self._search_targets) < SEARCH_TARGETS:
            self._search_targets[(index, filter_path)] = target
        return target

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
        if self._searches is not None:
            await self._searches.close()
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
