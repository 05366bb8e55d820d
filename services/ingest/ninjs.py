"""NINJS 2.x documents (IPTC's News In JSON) mapped onto an ArticleSubmission.

Mapping: `uri` → guid; `headlines[role=main]` / `[role=sub]` → headline / subhead (NINJS 1.x
`headline` too); `bodies[contenttype=text/html]` → body_html (1.x `body_html`); `bylines[].byline`
or `by` → byline; `keywords` and `subjects[].name` → tags; a subject whose `uri` is
`sinmun:section:<slug>` (or `genres` likewise) → section; `firstcreated` / `versioncreated` →
published_at / updated_at; `pubstatus: canceled|withheld` → retracted; picture `associations`
→ images (alt from `description_text`/`headline`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SECTION_URI = "sinmun:section:"


def looks_like_ninjs(document: Mapping[str, Any]) -> bool:
    schema = str(document.get("$schema", ""))
    return "ninjs" in schema or "uri" in document or "headlines" in document or "bodies" in document


def _items(value: Any) -> list[Any]:
    """A NINJS array, or nothing when the document has something else there (a number, a
    string): the mapped submission then fails validation with a 422, never the mapping."""
    return value if isinstance(value, list) else []


def _first(items: Any, **match: str) -> Mapping[str, Any] | None:
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping) and all(item.get(k) == v for k, v in match.items()):
            return item
    return None


def _section(document: Mapping[str, Any]) -> str | None:
    for key in ("subjects", "genres"):
        for item in _items(document.get(key)):
            uri = item.get("uri", "") if isinstance(item, Mapping) else ""
            if isinstance(uri, str) and uri.startswith(SECTION_URI):
                return uri.removeprefix(SECTION_URI)
    return None


def _images(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    associations = document.get("associations") or {}
    images = []
    for item in associations.values() if isinstance(associations, Mapping) else []:
        if isinstance(item, Mapping) and item.get("type") == "picture" and item.get("uri"):
            alt = item.get("description_text") or item.get("headline") or ""
            images.append({"url": item["uri"], "alt": alt, "caption": item.get("headline")})
    return images


def _byline(document: Mapping[str, Any]) -> str | None:
    bylines = document.get("bylines")
    if isinstance(bylines, list) and bylines and isinstance(bylines[0], Mapping):
        return str(bylines[0].get("byline")) if bylines[0].get("byline") else None
    by = document.get("by")
    return str(by) if by else None


def ninjs_to_submission(document: Mapping[str, Any], source: str) -> dict[str, Any]:
    """A submission document (still to be validated) from a NINJS document."""
    main = _first(document.get("headlines"), role="main") or _first(document.get("headlines"))
    sub = _first(document.get("headlines"), role="sub")
    body = _first(document.get("bodies"), contenttype="text/html") or _first(document.get("bodies"))
    subjects = [s.get("name") for s in _items(document.get("subjects")) if isinstance(s, Mapping)]
    tags = [*_items(document.get("keywords")), *(n for n in subjects if n)]
    retracted = document.get("pubstatus") in ("canceled", "withheld")
    mapped: dict[str, Any] = {
        "guid": document.get("uri") or document.get("guid"),
        "source": document.get("source") or source,
        "headline": main.get("value") if main else document.get("headline"),
        "subhead": sub.get("value") if sub else None,
        "section": _section(document),
        "byline": _byline(document),
        "body_html": body.get("value") if body else document.get("body_html"),
        "tags": list(dict.fromkeys(str(t) for t in tags)),
        "images": _images(document),
        "published_at": document.get("firstcreated") or document.get("versioncreated"),
        "updated_at": document.get("versioncreated") if document.get("firstcreated") else None,
        "status": "retracted" if retracted else "published",
    }
    return {k: v for k, v in mapped.items() if v is not None}
