"""How the site writes times, counts and cut titles (Korean newspaper conventions, in KST)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from markupsafe import Markup, escape

KST = timezone(timedelta(hours=9), "KST")
WEEKDAYS = "월화수목금토일"
_BLANK_LINES = re.compile(r"\n\s*\n")


def kst(when: datetime) -> datetime:
    """The same instant on the Korean clock (naive times are taken as UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(KST)


def byline_time(when: datetime) -> str:
    """`2019년 08월 13일(화) 21:09` — the article's 입력/최종편집 stamp."""
    t = kst(when)
    return f"{t:%Y년 %m월 %d일}({WEEKDAYS[t.weekday()]}) {t:%H:%M}"


def edited_stamp(when: datetime) -> str:
    """`2019-08-21 오후 09:17:04` — the header's 최종편집 time."""
    t = kst(when)
    half = "오전" if t.hour < 12 else "오후"
    hour = t.hour % 12 or 12
    return f"{t:%Y-%m-%d} {half} {hour:02d}:{t:%M:%S}"


def short_date(when: datetime) -> str:
    """`2019.08.13` for lists."""
    return f"{kst(when):%Y.%m.%d}"


def list_time(when: datetime, now: datetime | None = None) -> str:
    """Today's items show the time (`21:09`), older ones the date (`08.13`, or with the year)."""
    t, today = kst(when), kst(now or datetime.now(UTC))
    if t.date() == today.date():
        return f"{t:%H:%M}"
    return f"{t:%m.%d}" if t.year == today.year else f"{t:%Y.%m.%d}"


def iso(when: datetime) -> str:
    """ISO 8601 with the KST offset (Open Graph, JSON-LD, <time datetime>)."""
    return kst(when).isoformat(timespec="seconds")


def http_date(when: datetime) -> str:
    """An RFC 9110 date for Last-Modified."""
    return f"{kst(when).astimezone(UTC):%a, %d %b %Y %H:%M:%S GMT}"


def cut(text: str, limit: int) -> str:
    """At most `limit` characters; a longer title ends in ".." (the seed page's convention)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: max(limit - 2, 1)].rstrip() + ".."


# What XML 1.0 has no place for: C0 controls but tab and line breaks, lone surrogates and
# U+FFFE/U+FFFF. Text is cleaned on ingest, but not of all of these, and a record on
# `articles.published` may come from another producer.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """`text` without the characters XML cannot carry: one of them in one headline would
    make a whole feed fail (lxml) or a sitemap unreadable."""
    return _NOT_XML.sub("", text)


def article_path(article_id: str) -> str:
    """/news/{article_id}: the id alone is the canonical address (a slug after it is ignored)."""
    return f"/news/{article_id}"


def number(value: int) -> str:
    """1,234"""
    return f"{value:,}"


def paragraphs(text: str) -> Markup:
    """Plain text as escaped paragraphs: a blank line splits them, a newline breaks a line."""
    blocks = [b.strip() for b in _BLANK_LINES.split(text.replace("\r\n", "\n")) if b.strip()]
    return Markup("").join(
        Markup("<p>") + Markup("<br>").join(escape(line) for line in b.split("\n")) + Markup("</p>")
        for b in blocks
    )
