"""A reader's search request → a SearchQuery: validation, quoted phrases, filters, paging."""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, timezone

from services.search.analysis import Analyzer
from shared.errors import ServiceError
from shared.ports.search import MAX_PAGE_SIZE, SearchQuery, SortOrder
from shared.sanitize import clean_text

MAX_QUERY_CHARS = 200
MAX_PAGE = 100
DEFAULT_PAGE_SIZE = 10
KST = timezone(timedelta(hours=9))
QUOTED = re.compile(r'"([^"]+)"|“([^”]+)”')
BOARD_SLUG = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
POST_PARAMS = ("q", "from", "to", "sort", "page", "size")
SORTS = {order.value: order for order in SortOrder}


def _bad(field: str, message: str) -> ServiceError:
    return ServiceError(
        400, "invalid_query", message, [{"field": field, "message": message, "type": "value"}]
    )


def _int(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _bad(name, f"{name} must be a whole number") from None
    if not low <= value <= high:
        raise _bad(name, f"{name} must be between {low} and {high}")
    return value


def _day(params: Mapping[str, str], name: str) -> date | None:
    raw = params.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise _bad(name, f"{name} must be a date like 2026-09-02") from None


def parse_query(
    params: Mapping[str, str], analyzer: Analyzer, sections: Mapping[str, str]
) -> SearchQuery:
    text = clean_text(params.get("q", "")).strip()  # NFC, no control characters
    if not text:
        raise _bad("q", "type something to search for")
    if len(text) > MAX_QUERY_CHARS:
        raise _bad("q", f"a query is at most {MAX_QUERY_CHARS} characters")
    phrase_texts: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    if '"' in text or "“" in text:
        phrase_texts = tuple(a or b for a, b in QUOTED.findall(text))
        phrases = tuple(p for p in (analyzer.query(t).parts for t in phrase_texts) if p)
        text_words = QUOTED.sub(lambda m: " " + (m.group(1) or m.group(2)) + " ", text)
    else:
        text_words = text  # most queries quote nothing
    analyzed = analyzer.query(text_words)
    if not analyzed.parts and not phrases:
        raise _bad("q", "the query has no searchable words")
    section = params.get("section") or None
    if section is not None and section not in sections:
        raise _bad("section", f"section must be one of {sorted(sections)}")
    sort = SORTS.get(params.get("sort") or SortOrder.RELEVANCE.value)
    if sort is None:
        raise _bad("sort", "sort must be relevance or latest")
    first, last = _day(params, "from"), _day(params, "to")
    if first and last and first > last:
        raise _bad("from", "from must not be after to")
    # A bigger page than MAX_PAGE_SIZE is served capped, not refused.
    size = min(_int(params, "size", DEFAULT_PAGE_SIZE, 1, 10_000), MAX_PAGE_SIZE)
    page = _int(params, "page", 1, 1, MAX_PAGE)
    return SearchQuery(
        text=text,
        terms=analyzed.parts,
        compounds=analyzed.compounds,
        phrases=phrases,
        phrase_texts=phrase_texts,
        section=section,
        byline=(params.get("byline") or "").strip() or None,
        published_from=datetime.combine(first, time(), KST) if first else None,
        published_to=datetime.combine(last + timedelta(days=1), time(), KST) if last else None,
        sort=sort,
        offset=(page - 1) * size,
        size=size,
    )


def parse_post_query(params: Mapping[str, str], analyzer: Analyzer) -> SearchQuery:
    """A search of board posts: the article rules for q, dates, sort and paging; `board`
    (a board slug) and `author` (a nickname) filter. Boards are boards' configuration, so an
    unknown but well-formed board finds nothing rather than failing."""
    query = parse_query({k: params[k] for k in POST_PARAMS if k in params}, analyzer, {})
    board = params.get("board") or None
    if board is not None and not BOARD_SLUG.match(board):
        raise _bad("board", "board must be a board slug such as free or notice")
    author = unicodedata.normalize("NFC", params.get("author") or "").strip() or None
    return dataclasses.replace(query, section=board, byline=author)
