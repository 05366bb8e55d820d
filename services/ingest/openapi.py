"""Ingest's HTTP API as OpenAPI operations (rendered by shared.openapi)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.ingest.domain import Outcome
from shared.openapi import Operation, Reply, build_document, health_operations
from shared.schemas import Article, ArticleStatus, ArticleSubmission
from shared.schemas.articles import SourceName

SERVICE = "ingest"
ARTICLE = "/api/articles/{article_id}"


class NewsroomSubmission(ArticleSubmission):
    """An ArticleSubmission whose `source` may be left out: it is then the newsroom's (a
    token of the newsroom, a reporter's session) or the partner's own name."""

    source: SourceName = Field(default="newsroom", description="defaults to the caller's")


class NinjsText(BaseModel):
    model_config = ConfigDict(extra="allow")

    value: str
    role: str | None = None
    contenttype: str | None = None


class NinjsSubject(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str | None = None
    uri: str | None = Field(default=None, description="sinmun:section:<slug> names the section")


class NinjsByline(BaseModel):
    model_config = ConfigDict(extra="allow")

    byline: str | None = None


class NinjsPicture(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str | None = None
    uri: str | None = None
    headline: str | None = None
    description_text: str | None = None


class NinjsDocument(BaseModel):
    """The part of a NINJS 2.x document ingest maps (services.ingest.ninjs); the rest of
    the document is ignored."""

    model_config = ConfigDict(extra="allow")

    uri: str = Field(description="the guid")
    headlines: list[NinjsText] = Field(default_factory=list)
    bodies: list[NinjsText] = Field(default_factory=list)
    subjects: list[NinjsSubject] = Field(default_factory=list)
    genres: list[NinjsSubject] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    bylines: list[NinjsByline] = Field(default_factory=list)
    by: str | None = None
    associations: dict[str, NinjsPicture] = Field(default_factory=dict)
    firstcreated: datetime | None = None
    versioncreated: datetime | None = None
    pubstatus: Literal["usable", "withheld", "canceled"] | None = None
    source: str | None = None


class Receipt(BaseModel):
    model_config = ConfigDict(extra="forbid")

    article_id: str
    version: int = Field(ge=1)
    status: ArticleStatus
    outcome: Outcome


class Versions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    versions: list[Article] = Field(description="every version, oldest first")


LOCATION = {"Location": "the article's address, /api/articles/{article_id}"}

OPERATIONS = [
    Operation(
        "POST", "/api/articles", "submit an article (or a NINJS 2.x document)", tag="articles",
        body=(NewsroomSubmission, NinjsDocument), security="required",
        schemes=("apiToken", "session", "sessionCookie"),
        replies={
            200: Reply("identical to the stored version: nothing published", Receipt,
                       headers=LOCATION),
            201: Reply("a new article (version 1) stored with its event", Receipt,
                       headers=LOCATION),
            202: Reply("a new version stored (changed or retracted)", Receipt,
                       headers=LOCATION),
        },
        errors={
            400: "the body is not a JSON object",
            401: "no token or session, or an unknown or revoked token",
            403: "a member who is not newsroom staff, another source than the caller's, or "
                 "a session cookie without its CSRF token",
            413: "the request or body_html is too large",
            422: "the submission does not match the schema (field paths in details)",
            503: "sessions are not configured on this service",
        },
    ),
    Operation(
        "GET", ARTICLE, "the current version of an article", tag="articles",
        replies={200: Reply("the article", Article)},
        errors={404: "no such article", 410: "the article was retracted"},
    ),
    Operation(
        "GET", ARTICLE + "/versions", "an article's revision history (newsroom only)",
        tag="articles", security="required", schemes=("apiToken", "session", "sessionCookie"),
        replies={200: Reply("every version, oldest first", Versions)},
        errors={
            401: "no token or session, or an unknown or revoked token",
            403: "not newsroom staff",
            404: "no such article",
            503: "sessions are not configured on this service",
        },
    ),
]  # fmt: skip


def document(routes: Mapping[tuple[str, str], Mapping[str, str]]) -> dict[str, Any]:
    return build_document(
        "Sinmun ingest",
        "Articles in: the newsroom API (README.md, docs/partners.md for the partner topic).",
        [*OPERATIONS, *health_operations(SERVICE)],
        routes,
    )
