"""Cleaning text and HTML from outside: an HTML allow-list (nh3) and Unicode NFC.

Ingest cleans what it takes in; render cleans an article body again before it is shown
unescaped, because a record on `articles.published` can come from any producer with
write access to the topic, not only from ingest.
"""

from __future__ import annotations

import re
import unicodedata

import nh3

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "a", "strong", "em", "ul", "ol", "li", "blockquote", "h2", "h3", "h4",
        "img", "figure", "figcaption",
        "table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
    "col": {"span"},
    "colgroup": {"span"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Dropped with everything inside them, not merely unwrapped.
DROPPED_WITH_CONTENT = frozenset({"script", "style", "svg", "math", "iframe", "object", "template"})
# Control characters, and the two noncharacters XML cannot hold (feeds and sitemaps are XML).
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def clean_text(text: str) -> str:
    """NFC, without control characters or U+FFFE/U+FFFF (tabs and newlines stay)."""
    return CONTROL_CHARS.sub("", unicodedata.normalize("NFC", text))


# Built once: `nh3.clean` would build the same allow-list again for every article.
CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(DROPPED_WITH_CONTENT),
    attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(URL_SCHEMES),
    link_rel="noopener nofollow",
    strip_comments=True,
)


def clean_html(html: str) -> str:
    """Only the allow-listed tags and attributes with safe URLs survive; links get rel."""
    return CLEANER.clean(clean_text(html))
