"""Cleaning submitted content: an HTML allow-list (nh3) and Unicode NFC for every text."""

from __future__ import annotations

import re
import unicodedata

import nh3

from shared.schemas import ArticleSubmission

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
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str) -> str:
    """NFC, without control characters (tabs and newlines stay)."""
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


def clean_submission(submission: ArticleSubmission) -> ArticleSubmission:
    """The submission as it will be stored: sanitised body, NFC text everywhere."""
    return submission.model_copy(
        update={
            "guid": clean_text(submission.guid),
            "source": clean_text(submission.source),
            "headline": clean_text(submission.headline),
            "subhead": None if submission.subhead is None else clean_text(submission.subhead),
            "byline": None if submission.byline is None else clean_text(submission.byline),
            "body_html": clean_html(submission.body_html),
            "tags": list(dict.fromkeys(clean_text(t) for t in submission.tags)),
            "images": [
                image.model_copy(
                    update={
                        "alt": clean_text(image.alt),
                        "caption": None if image.caption is None else clean_text(image.caption),
                    }
                )
                for image in submission.images
            ],
        }
    )
