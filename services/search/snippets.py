"""Snippets: the best window of an article's text, matches in <mark>, the rest escaped."""

from __future__ import annotations

import html

from services.search.analysis import Analyzer, Span

WINDOW = 120


def _best_window(text: str, spans: list[Span], width: int) -> tuple[int, int]:
    if not spans:
        return 0, min(len(text), width)
    best_start, best_count = spans[0].start, 0
    for i, span in enumerate(spans):
        count = sum(1 for other in spans[i:] if other.end <= span.start + width)
        if count > best_count:
            best_start, best_count = span.start, count
    start = max(0, best_start - width // 4)
    return start, min(len(text), start + width)


def snippet(text: str, terms: frozenset[str], analyzer: Analyzer, width: int = WINDOW) -> str:
    """HTML: a window of `text` around the densest matches, each match wrapped in <mark>."""
    text = " ".join(text.split())
    spans = analyzer.spans(text, terms) if terms else []
    start, end = _best_window(text, spans, width)
    out: list[str] = ["…" if start > 0 else ""]
    cursor = start
    for span in spans:
        if span.start < start or span.end > end or span.start < cursor:
            continue
        out.append(html.escape(text[cursor : span.start]))
        out.append(f"<mark>{html.escape(text[span.start : span.end])}</mark>")
        cursor = span.end
    out.append(html.escape(text[cursor:end]))
    out.append("…" if end < len(text) else "")
    return "".join(out)
