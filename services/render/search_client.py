"""Render asks the search service over HTTP (GET /api/search, /api/search/suggest), never its index.

Embedded, the search API is in this very process: with no URL configured the client calls the
address the request came in on (the socket's own address, not the Host header a proxy sets).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp
from aiohttp import web

SEARCH_PARAMS = ("q", "section", "from", "to", "sort", "page", "size")


class SearchError(Exception):
    """The search API refused the query (a 4xx: the reader can fix it) or is unreachable."""

    def __init__(self, message: str, status: int | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field

    @property
    def unavailable(self) -> bool:
        """Not the reader's fault: unreachable, failing, or no search API at that address."""
        return self.status is None or self.status >= 500 or self.status in (404, 405)


@dataclass(frozen=True)
class SearchHit:
    article_id: str
    headline: str
    snippet: str  # escaped text with <mark> around matches, as the API sends it
    section: str | None
    byline: str | None
    published_at: datetime | None


@dataclass(frozen=True)
class SearchResults:
    total: int
    page: int
    size: int
    hits: list[SearchHit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


def own_address(request: web.Request) -> str:
    """http://host:port of the socket this request arrived on (this process)."""
    transport = request.transport
    sockname = transport.get_extra_info("sockname") if transport is not None else None
    if not sockname:
        return f"http://{request.host}"
    host, port = str(sockname[0]), int(sockname[1])
    if host in {"0.0.0.0", "::"}:
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _hit(raw: Mapping[str, Any]) -> SearchHit:
    published = raw.get("published_at")
    return SearchHit(
        article_id=str(raw.get("article_id", "")),
        headline=str(raw.get("headline") or ""),
        snippet=str(raw.get("snippet") or ""),
        section=raw.get("section"),
        byline=raw.get("byline"),
        published_at=datetime.fromisoformat(published) if isinstance(published, str) else None,
    )


class SearchClient:
    def __init__(self, base_url: str = "", timeout_s: float = 5.0) -> None:
        self._base = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    def base_for(self, request: web.Request) -> str:
        return self._base or own_address(request)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _get(self, url: str, params: Mapping[str, str]) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.get(url, params=params) as response:
                body = await response.json(content_type=None)
                if response.status >= 400:
                    error = body.get("error", {}) if isinstance(body, dict) else {}
                    details = error.get("details") or [{}]
                    where = details[0].get("field") if isinstance(details, list) else None
                    raise SearchError(
                        str(error.get("message", response.reason)), response.status, where
                    )
                return body
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            raise SearchError(f"search is unreachable: {exc}") from exc

    async def search(self, base: str, params: Mapping[str, str]) -> SearchResults:
        wanted = {k: params[k] for k in SEARCH_PARAMS if params.get(k)}
        body = await self._get(f"{base}/api/search", wanted)
        return SearchResults(
            total=int(body.get("total", 0)),
            page=int(body.get("page", 1)),
            size=int(body.get("size", 10)),
            hits=[_hit(h) for h in body.get("hits", [])],
            facets={k: dict(v) for k, v in (body.get("facets") or {}).items()},
        )

    async def suggest(self, base: str, typed: str) -> list[dict[str, str]]:
        body = await self._get(f"{base}/api/search/suggest", {"q": typed})
        return [
            {"article_id": str(s["article_id"]), "headline": str(s["headline"])}
            for s in body.get("suggestions", [])
        ]
