"""SearchIndex: the search projection's port (filled in by the search service's issue)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class SearchHit:
    doc_id: str
    score: float
    source: Mapping[str, Any]
    highlights: Mapping[str, Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchQuery:
    text: str
    filters: Mapping[str, Any] = field(default_factory=dict)
    sort: str = "relevance"
    offset: int = 0
    size: int = 10


@dataclass(frozen=True)
class SearchResults:
    total: int
    hits: Sequence[SearchHit]


@runtime_checkable
class SearchIndex(Protocol):
    async def ensure(self) -> None:
        """Create the index (mappings and Korean analysis) if it does not exist."""
        ...

    async def upsert(self, doc_id: str, doc: Mapping[str, Any]) -> None: ...

    async def delete(self, doc_id: str) -> None: ...

    async def refresh(self) -> None:
        """Make every write so far visible to search."""
        ...

    async def search(self, query: SearchQuery) -> SearchResults: ...

    async def suggest(self, prefix: str, size: int = 8) -> list[str]: ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...
