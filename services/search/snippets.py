"""Snippets: the best window of an article's text, matches in <mark>, the rest escaped.

Matches are found by looking for the query's tokens in the text itself (case-insensitive),
not by analysing every hit's body again: a token such as 포항 is marked inside 포항시는, which
is what a reader expects, and the cost stays a regular-expression scan per hit. One-syllable
tokens are not marked on their own (배 would light up every 배터리).

A page of hits shares one query, so the pattern is built once per query (`marker`) and each
hit costs one scan; snippets run on the service's hot path, ten per answered search.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from functools import lru_cache

WINDOW = 120
MAX_SCANNED = 4000  # characters of a body looked at: the lead holds the best window


@lru_cache(maxsize=1024)
def _pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    usable = sorted({t for t in terms if len(t) >= 2 or t.isascii()}, key=len, reverse=True)
    if not usable:
        return None
    # Hangul has no case: a pattern without cased letters matches the same without the flag,
    # and scans faster.
    cased = any(t.lower() != t.upper() for t in usable)
    return re.compile("|".join(re.escape(t) for t in usable), re.IGNORECASE if cased else 0)


def marker(terms: Iterable[str]) -> re.Pattern[str] | None:
    """The pattern that finds the query's tokens in a text (None: nothing to mark)."""
    return _pattern(tuple(sorted(set(terms))))


def spans(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    pattern = marker(terms)
    return [] if pattern is None else [m.span() for m in pattern.finditer(text)]


def _one_line(text: str) -> str:
    """`text` on one line with single spaces (a body's line breaks become spaces)."""
    flat = text.replace("\n", " ")
    # `plain_text` leaves single spaces and line breaks; anything else takes the slow path.
    if "  " in flat or "\t" in flat or "\r" in flat:
        return " ".join(flat.split())
    return flat.strip()


def _needs_escaping(text: str) -> bool:
    return "&" in text or "<" in text or ">" in text or '"' in text or "'" in text


def _best_window(text: str, found: list[tuple[int, int]], width: int) -> tuple[int, int]:
    """The window of `width` holding the most matches (two pointers over the sorted spans)."""
    if not found:
        return 0, min(len(text), width)
    if found[-1][1] <= found[0][0] + width:
        best_start = found[0][0]  # every match fits in one window (the usual page of hits)
    else:
        best_start, best_count, last = found[0][0], 0, 0
        for first, (start, _) in enumerate(found):
            last = max(last, first)
            while last + 1 < len(found) and found[last + 1][1] <= start + width:
                last += 1
            if last - first + 1 > best_count:
                best_start, best_count = start, last - first + 1
    start = max(0, best_start - width // 4)
    return start, min(len(text), start + width)


def snippet(text: str, terms: Iterable[str] | re.Pattern[str] | None, width: int = WINDOW) -> str:
    """HTML: a window of `text` around the densest matches, each match wrapped in <mark>.
    `terms`: the query's tokens, or the pattern `marker` made of them."""
    text = _one_line(text[:MAX_SCANNED])
    pattern = terms if isinstance(terms, re.Pattern) or terms is None else marker(terms)
    found = [] if pattern is None else [m.span() for m in pattern.finditer(text)]
    if not found:  # the lead, as it is
        end = min(len(text), width)
        lead = text[:end]
        return (html.escape(lead) if _needs_escaping(lead) else lead) + (
            "…" if end < len(text) else ""
        )
    start, end = _best_window(text, found, width)
    out: list[str] = ["…"] if start > 0 else []
    cursor = start
    # Most windows hold nothing to escape: then their pieces go out as they are.
    if _needs_escaping(text[start:end]):
        escape = html.escape
        for span_start, span_end in found:
            if span_start >= cursor and span_end <= end:
                out.append(escape(text[cursor:span_start]))
                out.append(f"<mark>{escape(text[span_start:span_end])}</mark>")
                cursor = span_end
        out.append(escape(text[cursor:end]))
    else:
        for span_start, span_end in found:
            if span_start >= cursor and span_end <= end:
                out.append(f"{text[cursor:span_start]}<mark>{text[span_start:span_end]}</mark>")
                cursor = span_end
        out.append(text[cursor:end])
    if end < len(text):
        out.append("…")
    return "".join(out)
