"""Articles as the search index stores them: plain text, Korean tokens, filters, dates."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

import nh3

from services.search.analysis import Analyzer
from services.search.suggest import jamo_grams, suggest_keys
from shared.ports.search import FIELD_WEIGHTS, SUGGEST_GRAMS, SUGGEST_KEYS, IndexDocument
from shared.schemas import Article

BLOCK_END = re.compile(r"</(p|h[2-4]|li|blockquote|figcaption|tr|td|th|caption)>|<br\s*/?>", re.I)
SPACES = re.compile(r"[ \t\r\f\v]+")


def plain_text(body_html: str) -> str:
    """The article body without markup: block ends become line breaks, entities decoded."""
    marked = BLOCK_END.sub(lambda m: m.group(0) + "\n", body_html)
    text = html.unescape(nh3.clean(marked, tags=set(), strip_comments=True))
    lines = (SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def analyzed_fields(texts: Mapping[str, str], analyzer: Analyzer) -> dict[str, object]:
    """Each weighted field's Korean tokens (`_t`) and compound parts (`_c`), as indexed."""
    fields: dict[str, object] = {}
    for name in FIELD_WEIGHTS:
        analyzed = analyzer.index(texts[name])
        fields[f"{name}_t"] = analyzed.joined()
        fields[f"{name}_c"] = analyzed.joined_compounds()
    return fields


def index_document(article: Article, analyzer: Analyzer) -> IndexDocument:
    fields: dict[str, object] = {
        "article_id": article.article_id,
        "version": article.version,
        "headline": article.headline,
        "subhead": article.subhead or "",
        "body": plain_text(article.body_html),
        "byline": article.byline,
        "section": article.section,
        "tags": list(article.tags),
        "published_at": article.published_at.isoformat(),
        "updated_at": article.updated_at.isoformat() if article.updated_at else None,
    }
    texts = {
        "headline": article.headline,
        "subhead": article.subhead or "",
        "tags": " , ".join(article.tags),
        "body": str(fields["body"]),
    }
    fields.update(analyzed_fields(texts, analyzer))
    fields[SUGGEST_KEYS] = suggest_keys(article.headline)
    fields[SUGGEST_GRAMS] = " ".join(jamo_grams(article.headline))
    return IndexDocument(article.article_id, article.version, fields)
