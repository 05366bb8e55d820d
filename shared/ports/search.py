"""SearchIndex: the search projection's port, for the embedded index and Elasticsearch/OpenSearch.

Documents arrive already analysed: the search service turns text into Korean tokens (Kiwi)
once, and both adapters store and match those same tokens with BM25, so the embedded index
ranks like the engine. An adapter may also analyse raw text itself (the engine's nori option);
then it reads the raw `text` fields and ignores the token fields.

Writes are versioned: a document is stored only if its version is newer than the stored one,
and a retraction leaves a tombstone with its version, so an older version replayed late never
brings an article back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple, Protocol, runtime_checkable

# Searchable fields and their weights (BM25 scores are summed over fields).
# `<field>` holds the raw text, `<field>_t` its decompounded tokens, `<field>_c` whole compounds.
FIELD_WEIGHTS: Mapping[str, float] = {"headline": 3.0, "subhead": 2.0, "tags": 2.0, "body": 1.0}
STORED_FIELDS = (
    "article_id", "version", "headline", "subhead", "body", "byline", "section", "tags",
    "published_at", "updated_at",
)  # fmt: skip
# What a search hit carries back (the API's hit fields and the snippet's text): an engine is
# asked for these alone, since everything it returns is transferred and parsed per query.
HIT_FIELDS = ("headline", "subhead", "body", "section", "byline", "published_at")
MAX_PAGE_SIZE = 50
# Autocomplete fields: keys matched by prefix, and jamo bigrams that find candidates for slips.
SUGGEST_KEYS = "suggest_keys"
SUGGEST_GRAMS = "suggest_grams"


class SortOrder(StrEnum):
    RELEVANCE = "relevance"
    LATEST = "latest"


@dataclass(frozen=True)
class IndexDocument:
    """One article as the index stores it: raw fields, their tokens, filters and dates."""

    doc_id: str
    version: int
    fields: Mapping[str, Any]  # STORED_FIELDS plus `<field>_t` / `<field>_c` token strings


@dataclass(frozen=True)
class SearchQuery:
    """A parsed reader query: raw text, its tokens, quoted phrases, filters, page."""

    text: str
    terms: tuple[str, ...]
    compounds: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()  # token sequences that must appear in order
    phrase_texts: tuple[str, ...] = ()  # the same phrases as typed (for raw-text analysis)
    section: str | None = None
    byline: str | None = None
    published_from: datetime | None = None
    published_to: datetime | None = None
    sort: SortOrder = SortOrder.RELEVANCE
    offset: int = 0
    size: int = 10


@dataclass(frozen=True)
class SuggestQuery:
    prefixes: tuple[str, ...]  # any key starting with one of these matches
    grams: tuple[str, ...] = ()  # candidates for slips: documents sharing the most grams
    size: int = 8


@dataclass(frozen=True)
class SuggestResults:
    matches: Sequence[SearchHit]  # prefix matches, newest first
    candidates: Sequence[SearchHit]  # by shared grams, best first (the caller verifies them)


class SearchHit(NamedTuple):
    """One found document (a named tuple: a page makes ten of them per query, and a tuple is
    made several times faster than a frozen dataclass)."""

    doc_id: str
    score: float
    source: Mapping[str, Any]


@dataclass(frozen=True)
class SearchResults:
    total: int
    hits: Sequence[SearchHit]
    facets: Mapping[str, Mapping[str, int]] = field(default_factory=dict)


@runtime_checkable
class SearchIndex(Protocol):
    async def ensure(self) -> None:
        """Create the index (a versioned physical index behind the alias) if missing."""
        ...

    async def generation(self) -> str | None:
        """The generation (physical index) the alias points at; None before `ensure`."""
        ...

    async def create_generation(self, generation: str) -> None:
        """Create an empty generation beside the live one (for a rebuild)."""
        ...

    async def activate(self, generation: str) -> None:
        """Point the alias at `generation`, atomically: a query sees the old or the new."""
        ...

    async def drop_generation(self, generation: str) -> None:
        """Delete a generation the alias no longer points at."""
        ...

    async def upsert(self, doc: IndexDocument, generation: str | None = None) -> bool:
        """Store `doc` unless a newer-or-equal version is stored; True when it was applied.
        `generation`: write to that generation instead of the alias's."""
        ...

    async def retract(self, doc_id: str, version: int, generation: str | None = None) -> bool:
        """Remove the document from results (a tombstone at `version`); True when applied."""
        ...

    async def count(self, generation: str | None = None) -> int:
        """How many live documents the generation (default: the alias's) holds."""
        ...

    async def refresh(self, generation: str | None = None) -> None:
        """Make every write so far visible to search (in `generation`, default the alias's)."""
        ...

    async def search(self, query: SearchQuery) -> SearchResults:
        """Matching documents (facets: `section` and `month` counts over all matches)."""
        ...

    async def suggest(self, query: SuggestQuery) -> SuggestResults:
        """Live documents whose keys start with a prefix, and gram candidates."""
        ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...
